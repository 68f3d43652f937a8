// What a comparison matches on: the results format's cell (nf, store, location, mode, cores, frame size, testbed).
import { CELL_FIELDS, cellIdOf, cellKeyOf, trialRecordSchema, type CellKey } from '../results/format.js';

export { CELL_FIELDS, cellKeyOf, type CellKey };

/** The cell key as a schema (for baseline files), cut from the trial record's schema so the two cannot drift. */
export const cellKeySchema = trialRecordSchema.pick({ nf: true, store: true, location: true, mode: true, cores: true, frame_size: true, testbed: true });

export const cellId = cellIdOf;

/** Human label, e.g. "nat/redis/remote/async cores=4 frame=64 testbed=local". */
export function cellLabel(key: CellKey): string {
  return `${key.nf}/${key.store}/${key.location}/${key.mode} cores=${key.cores} frame=${key.frame_size} testbed=${key.testbed}`;
}

/** Sort order for reports and baseline files: by each key field, numbers numerically. */
export function compareCellKeys(a: CellKey, b: CellKey): number {
  for (const f of CELL_FIELDS) {
    const x = a[f];
    const y = b[f];
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'en');
    if (c !== 0) return c;
  }
  return 0;
}

/** The samples of one cell on one side of a comparison. */
export interface CellSamples {
  key: CellKey;
  /** metric values of the successful trials, in trial order */
  values: number[];
  /** trials of this cell that failed (their values are not samples) */
  failed: number;
}
