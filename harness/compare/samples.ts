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

/** The record field behind a metric: a rate of the plan trial's record, or a statistic of its latency sub-records. */
export type SampleField = 'rx_pps' | 'tx_pps' | 'tx_pps_own' | 'ndr_pps' | 'pdr_pps';
export type LatencyStat = 'mean_us' | 'p50_us' | 'p90_us' | 'p99_us' | 'p999_us' | 'max_us' | 'jitter_us';

interface MetricInfo {
  /** where the samples come from */
  source: { rate: SampleField } | { latency: LatencyStat };
  /** which way is better: a latency increase is the regression */
  better: 'higher' | 'lower';
  unit: 'pps' | 'us';
  /** for reports: what it is */
  describe: string;
}

export const METRIC_INFO: Record<Metric, MetricInfo> = {
  tx_mpps: { source: { rate: 'tx_pps' }, better: 'higher', unit: 'pps', describe: 'packets forwarded per second at max load (the paper\'s rate)' },
  rx_mpps: { source: { rate: 'rx_pps' }, better: 'higher', unit: 'pps', describe: 'packets received per second at max load' },
  tx_mpps_own: { source: { rate: 'tx_pps_own' }, better: 'higher', unit: 'pps', describe: 'packets forwarded per second of the time the NF\'s cores were not kept waiting for a CPU by other work (results/own-time.ts): what holds on a busy machine' },
  ndr_mpps: { source: { rate: 'ndr_pps' }, better: 'higher', unit: 'pps', describe: 'no-drop rate (RFC 9971 NDR: the relevant lower bound)' },
  pdr_mpps: { source: { rate: 'pdr_pps' }, better: 'higher', unit: 'pps', describe: 'partial-drop rate (RFC 9971 PDR: the relevant lower bound)' },
  latency_mean_us: { source: { latency: 'mean_us' }, better: 'lower', unit: 'us', describe: 'mean latency of the stamped packets, per load' },
  latency_p50_us: { source: { latency: 'p50_us' }, better: 'lower', unit: 'us', describe: 'median latency, per load' },
  latency_p90_us: { source: { latency: 'p90_us' }, better: 'lower', unit: 'us', describe: '90th percentile latency, per load' },
  latency_p99_us: { source: { latency: 'p99_us' }, better: 'lower', unit: 'us', describe: '99th percentile latency, per load' },
  latency_p999_us: { source: { latency: 'p999_us' }, better: 'lower', unit: 'us', describe: '99.9th percentile latency, per load' },
  latency_max_us: { source: { latency: 'max_us' }, better: 'lower', unit: 'us', describe: 'maximum latency, per load' },
  latency_jitter_us: { source: { latency: 'jitter_us' }, better: 'lower', unit: 'us', describe: 'jitter (mean difference of consecutive samples), per load' },
};

/** The rate fields a run's plan trials give and a baseline file keeps per cell (own-time where the NF reported its wait, ndr/pdr only where searched). */
export const SAMPLE_FIELDS = ['rx_pps', 'tx_pps', 'tx_pps_own', 'ndr_pps', 'pdr_pps'] as const satisfies readonly SampleField[];
export const LATENCY_STATS = ['mean_us', 'p50_us', 'p90_us', 'p99_us', 'p999_us', 'max_us', 'jitter_us'] as const satisfies readonly LatencyStat[];

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
