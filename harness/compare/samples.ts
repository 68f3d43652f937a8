// One side of a comparison, whatever it was read from: a run directory or a stored baseline file.
// The metrics a comparison can gate on live here, once: the field each reads and which way is better.
import type { Fingerprint } from '../results/format.js';
import type { CellSamples } from './cell.js';
import type { Workload } from './workload.js';

/** Rates (Mpps in names, as summary.csv and figures say; packets/s in the records) and latency statistics (µs). */
export const METRICS = [
  'tx_mpps', 'rx_mpps', 'tx_mpps_own', 'ndr_mpps', 'pdr_mpps',
  'latency_mean_us', 'latency_p50_us', 'latency_p90_us', 'latency_p99_us', 'latency_p999_us', 'latency_max_us', 'latency_jitter_us',
] as const;
export type Metric = (typeof METRICS)[number];
/** What `flexbench history` follows: the max-load rates every run has. */
export const THROUGHPUT_METRICS = ['tx_mpps', 'rx_mpps'] as const satisfies readonly Metric[];

/**
 * The record field behind a metric: a rate of the plan trial's record (the rate fields a run's plan trials
 * give and a baseline file keeps per cell: own-time where the NF reported its wait, ndr/pdr only where
 * searched), or a statistic of its latency sub-records.
 */
export const SAMPLE_FIELDS = ['rx_pps', 'tx_pps', 'tx_pps_own', 'ndr_pps', 'pdr_pps'] as const;
export type SampleField = (typeof SAMPLE_FIELDS)[number];
export const LATENCY_STATS = ['mean_us', 'p50_us', 'p90_us', 'p99_us', 'p999_us', 'max_us', 'jitter_us'] as const;
export type LatencyStat = (typeof LATENCY_STATS)[number];

interface MetricInfo {
  /** where the samples come from */
  source: { rate: SampleField } | { latency: LatencyStat };
  /** which way is better: a latency increase is the regression */
  better: 'higher' | 'lower';
  unit: 'pps' | 'us';
  /** for reports: what it is */
  describe: string;
}

/** A rate metric (higher is better) and a latency metric (per load, lower is better). */
const rate = (field: SampleField, describe: string): MetricInfo => ({ source: { rate: field }, better: 'higher', unit: 'pps', describe });
const latency = (stat: LatencyStat, what: string): MetricInfo => ({ source: { latency: stat }, better: 'lower', unit: 'us', describe: `${what}, per load` });

export const METRIC_INFO: Record<Metric, MetricInfo> = {
  tx_mpps: rate('tx_pps', 'packets forwarded per second at max load (the paper\'s rate)'),
  rx_mpps: rate('rx_pps', 'packets received per second at max load'),
  tx_mpps_own: rate('tx_pps_own', 'packets forwarded per second of the time the NF\'s cores were not kept waiting for a CPU by other work (results/own-time.ts): what holds on a busy machine'),
  ndr_mpps: rate('ndr_pps', 'no-drop rate (RFC 9971 NDR: the relevant lower bound)'),
  pdr_mpps: rate('pdr_pps', 'partial-drop rate (RFC 9971 PDR: the relevant lower bound)'),
  latency_mean_us: latency('mean_us', 'mean latency of the stamped packets'),
  latency_p50_us: latency('p50_us', 'median latency'),
  latency_p90_us: latency('p90_us', '90th percentile latency'),
  latency_p99_us: latency('p99_us', '99th percentile latency'),
  latency_p999_us: latency('p999_us', '99.9th percentile latency'),
  latency_max_us: latency('max_us', 'maximum latency'),
  latency_jitter_us: latency('jitter_us', 'jitter (mean difference of consecutive samples)'),
};

export const betterOf = (m: Metric): 'higher' | 'lower' => METRIC_INFO[m].better;

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
