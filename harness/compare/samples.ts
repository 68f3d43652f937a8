// One side of a comparison, whatever it was read from: a run directory or a stored baseline file.
import type { Fingerprint } from '../results/format.js';
import type { CellSamples } from './cell.js';
import type { Workload } from './workload.js';

/** Throughput metrics a comparison can gate on (the names figures and summary.csv use); all higher-is-better. */
export const METRICS = ['tx_mpps', 'rx_mpps'] as const;
export type Metric = (typeof METRICS)[number];
/** The trial field (packets per second) behind each metric; the change is a ratio, so the unit does not matter. */
export const METRIC_FIELD = { tx_mpps: 'tx_pps', rx_mpps: 'rx_pps' } as const satisfies Record<Metric, string>;
export type SampleField = (typeof METRIC_FIELD)[Metric];
export const SAMPLE_FIELDS = ['rx_pps', 'tx_pps'] as const satisfies readonly SampleField[];

export interface SampleSet {
  kind: 'run' | 'baseline';
  /** where it was read from */
  path: string;
  /** run id or baseline name */
  name: string;
  /** the spec's name */
  spec: string | null;
  /** git commit of the code that measured it ("-dirty" when the tree had changes) */
  commit: string | null;
  /** hardware fingerprint from the run's provenance */
  fingerprint: Fingerprint;
  /** the traffic it was measured under (null: a baseline saved before flexbench recorded it) */
  workload: Workload | null;
  /** a run that is still running or was interrupted is compared, with a warning */
  complete: boolean;
  metric: Metric;
  cells: CellSamples[];
}
