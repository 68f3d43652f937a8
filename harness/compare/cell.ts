// What a comparison matches on: the results format's cell (nf, store, location, mode, cores, frame size, testbed).
import { CELL_FIELDS, cellIdOf, cellKeyOf, trialRecordSchema, type CellKey } from '../results/format.js';

export { CELL_FIELDS, cellKeyOf, type CellKey };

/** The cell key as a schema (for baseline files), cut from the trial record's schema so the two cannot drift. */
export const cellKeySchema = trialRecordSchema.pick({ nf: true, store: true, location: true, mode: true, cores: true, frame_size: true, testbed: true });

export const cellId = cellIdOf;

/** What a comparison matches: a cell, and for latency metrics the load it was measured at ("0", "50%"). */
export type SampleKey = CellKey & { load?: string };

/** Human label, e.g. "nat/redis/remote/async cores=4 frame=64 testbed=local" (+ " load=50%" for latency). */
export function cellLabel(key: SampleKey): string {
  return `${key.nf}/${key.store}/${key.location}/${key.mode} cores=${key.cores} frame=${key.frame_size} testbed=${key.testbed}${key.load !== undefined ? ` load=${key.load}` : ''}`;
}

/** The id a comparison matches samples on: the cell's, and its load where it has one. */
export function sampleId(key: SampleKey): string {
  return key.load !== undefined ? `${cellIdOf(key)}|load=${key.load}` : cellIdOf(key);
}

/** Loads in the order people read them: "0" (the fixed low rate) first, then fractions ascending, then the rest. */
export function compareLoads(a: string, b: string): number {
  const v = (s: string) => (s === '0' ? -1 : /^\d+(\.\d+)?%$/.test(s) ? parseFloat(s) : Number.POSITIVE_INFINITY);
  return v(a) - v(b) || a.localeCompare(b, 'en');
}

/** Sort order for reports and baseline files: by each key field, numbers numerically, then the load. */
export function compareCellKeys(a: SampleKey, b: SampleKey): number {
  for (const f of CELL_FIELDS) {
    const x = a[f];
    const y = b[f];
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'en');
    if (c !== 0) return c;
  }
  if (a.load !== undefined && b.load !== undefined) return compareLoads(a.load, b.load);
  return 0;
}

/** The samples of one cell on one side of a comparison. */
export interface CellSamples {
  key: SampleKey;
  /** metric values of the successful trials, in trial order */
  values: number[];
  /** trials of this cell that failed (their values are not samples) */
  failed: number;
}
