// What a comparison matches on: a cell is one point of the sweep, identified by these six fields.
import { z } from 'zod';

/** The fields that identify a cell, in report order. pcap and repetition are not among them: they are samples of one cell. */
export const CELL_KEY_FIELDS = ['nf', 'store', 'location', 'cores', 'frame_size', 'testbed'] as const;
export type CellKeyField = (typeof CELL_KEY_FIELDS)[number];

const keyValue = z.union([z.string(), z.number()]);
export const cellKeySchema = z.object({
  nf: z.string(),
  store: z.string(),
  location: z.string(),
  cores: keyValue,
  frame_size: keyValue,
  testbed: z.string(),
});
export type CellKey = z.infer<typeof cellKeySchema>;

/** Stable identity of a cell (numbers and their string forms match: "4" and 4 are the same core count). */
export function cellId(key: CellKey): string {
  return CELL_KEY_FIELDS.map((f) => String(key[f])).join('|');
}

/** Human label, e.g. "nat/redis/remote cores=4 frame=64 testbed=local". */
export function cellLabel(key: CellKey): string {
  return `${key.nf}/${key.store}/${key.location} cores=${key.cores} frame=${key.frame_size} testbed=${key.testbed}`;
}

/** Sort order for reports and baseline files: by each key field, numbers numerically. */
export function compareCellKeys(a: CellKey, b: CellKey): number {
  for (const f of CELL_KEY_FIELDS) {
    const x = a[f];
    const y = b[f];
    if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) return x - y;
    } else {
      const c = String(x).localeCompare(String(y), 'en', { numeric: true });
      if (c !== 0) return c;
    }
  }
  return 0;
}

export function pickCellKey(record: Record<string, unknown>): CellKey {
  const k: Record<string, unknown> = {};
  for (const f of CELL_KEY_FIELDS) k[f] = record[f];
  return cellKeySchema.parse(k);
}

/** The samples of one cell on one side of a comparison. */
export interface CellSamples {
  key: CellKey;
  /** metric values of the successful trials, in trial order */
  values: number[];
  /** trials of this cell that did not succeed (their values are not samples) */
  failed: number;
}
