// One side of a comparison, whatever it was read from: a run directory or a stored baseline file.
import type { CellSamples } from './cell.js';

/** Throughput metrics a comparison can gate on; all are higher-is-better packet rates. */
export const METRICS = ['rx_pps', 'tx_pps'] as const;
export type Metric = (typeof METRICS)[number];

export interface SampleSet {
  kind: 'run' | 'baseline';
  /** where it was read from */
  path: string;
  /** run id or baseline name */
  name: string;
  /** the spec's name */
  spec: string | null;
  /** git commit of the code that measured it */
  commit: string | null;
  /** hardware fingerprint from the run's provenance; null if the source has none */
  fingerprint: Record<string, unknown> | null;
  metric: Metric;
  cells: CellSamples[];
}
