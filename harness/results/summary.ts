// Trials -> summary rows: per cell and metric, the statistics of the successful repetitions (Mpps), their noise
// (CV, minimum detectable effect), and the paired ratio to a reference cell, round by round.
import { summarize, logCi, medianCi, logMedian, logOutliers, cv, minDetectableEffect, LOG_CI_METHOD, MEDIAN_CI_METHOD } from './stats.js';
import { flagName } from './judge.js';
import { cellIdOf, cellKeyOf, isCellTrial, isEndpointMeasure, ENDPOINT_METRICS, LATENCY_METRICS, type EndpointMeasure, type LatencyRecord, type SummaryMetric, type TrialRecord, type SummaryRow, type CellKey, type RatioRow } from './format.js';

type RateField = 'tx_pps' | 'rx_pps' | 'tx_pps_own';
const METRICS = [
  ['tx_mpps', 'tx_pps'],
  ['rx_mpps', 'rx_pps'],
  ['tx_mpps_own', 'tx_pps_own'],
] as const satisfies readonly (readonly [SummaryMetric, RateField])[];
/** the metrics with paired ratios (ratios.csv, summary.csv's ratio columns) */
const RATIO_METRICS = [['tx_mpps', 'tx_pps'], ['tx_mpps_own', 'tx_pps_own']] as const satisfies readonly (readonly [RatioRow['metric'], RateField])[];

const num = (x: number) => (Number.isFinite(x) ? x : null);

/**
 * How a cell's per-round ratios are summarised: `mean`, their geometric mean with a Student-t interval on ln(ratio);
 * `median`, their median with the distribution-free order-statistic interval (from 6 pairs; one slow trial of a shared
 * host among 9 or more moves neither bound, where it widens the t interval by its whole distance).
 */
export type RatioInterval = 'mean' | 'median';

/** A reference: a cell is paired with the cell that has these field values instead. */
export type Baseline = Partial<Record<'nf' | 'store' | 'location' | 'mode', string>>;

const baselineLabel = (b: Baseline): string => Object.entries(b).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`).join(',');

/** The reference cell of a cell under a baseline. */
const referenceOf = (key: CellKey, b: Baseline): CellKey => ({ ...key, ...Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined)) });

/** Trials of one cell, keyed by the round they ran in (same pcap file and repetition on both sides of a pair). */
const pairKey = (r: Pick<TrialRecord, 'pcap' | 'repetition'>) => `${r.pcap}|${r.repetition}`;

interface Cell {
  key: CellKey;
  trials: TrialRecord[];
}

function cellsOf(records: readonly TrialRecord[]): Map<string, Cell> {
  const cells = new Map<string, Cell>();
  for (const r of records) {
    const id = cellIdOf(r);
    let c = cells.get(id);
    if (!c) cells.set(id, (c = { key: cellKeyOf(r), trials: [] }));
    c.trials.push(r);
  }
  return cells;
}

const okRate = (t: TrialRecord, f: RateField): number | null => {
  const v = t[f];
  return t.status === 'ok' && typeof v === 'number' && v > 0 ? v : null;
};

/** Per-round ratios of a cell's tx rate to its reference's: only rounds where both were ok. */
function pairedRatios(cell: readonly TrialRecord[], reference: readonly TrialRecord[], f: RateField): number[] {
  const ref = new Map<string, number>();
  for (const t of reference) {
    const v = okRate(t, f);
    if (v !== null) ref.set(pairKey(t), v);
  }
  const out: number[] = [];
  for (const t of cell) {
    const v = okRate(t, f);
    const r = ref.get(pairKey(t));
    if (v !== null && r !== undefined) out.push(v / r);
  }
  return out;
}

/** The estimate, interval and method text of a cell's per-round ratios. */
function ratioEstimate(xs: readonly number[], interval: RatioInterval): Pick<RatioRow, 'ratio' | 'ratio_low' | 'ratio_high' | 'method'> {
  if (interval === 'median') {
    const ci = medianCi(xs);
    return {
      ratio: logMedian(xs), ratio_low: ci?.low ?? null, ratio_high: ci?.high ?? null,
      method: `per-round ratio; ${MEDIAN_CI_METHOD}; ${ci ? `${(ci.coverage * 100).toFixed(1)} %` : '95 % needs 6 pairs'}`,
    };
  }
  const ci = logCi(xs);
  return {
    ratio: ci ? ci.center : Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length),
    ratio_low: ci?.low ?? null, ratio_high: ci?.high ?? null, method: `per-round ratio; ${LOG_CI_METHOD}; 95 %`,
  };
}

/**
 * ratios.csv rows: every cell with a reference under the baseline (the reference itself gives 1), for the
 * forwarded rate and, where the trials measured it, the own-time rate (a figure draws the first).
 */
export function ratioRows(records: readonly TrialRecord[], baseline: Baseline, figure = '', metrics: readonly RatioRow['metric'][] = ['tx_mpps', 'tx_mpps_own'], interval: RatioInterval = 'mean'): RatioRow[] {
  const cells = cellsOf(records.filter(isCellTrial));
  const rows: RatioRow[] = [];
  for (const [metric, field] of RATIO_METRICS.filter(([m]) => metrics.includes(m))) for (const c of cells.values()) {
    const ref = cells.get(cellIdOf(referenceOf(c.key, baseline)));
    if (!ref) continue;
    const xs = pairedRatios(c.trials, ref.trials, field);
    if (xs.length === 0) continue;
    // the reference over itself is 1 by construction: [1, 1] from two pairs, as the t interval gives it
    const est = ref === c && xs.length >= 2 ? { ...ratioEstimate(xs, interval), ratio: 1, ratio_low: 1, ratio_high: 1 } : ratioEstimate(xs, interval);
    rows.push({ ...c.key, figure, baseline: baselineLabel(baseline), metric, n_pairs: xs.length, ...est });
  }
  return rows;
}

/**
 * The interval of one cell's rate over another's from the rounds both were measured in (each round's a/b, the
 * ratios' own estimate and interval): what tells two cells apart that share a baseline, where the overlap of their
 * two intervals against it would not. Null when fewer than two rounds pair them.
 */
export function pairedCellInterval(records: readonly TrialRecord[], a: CellKey, b: CellKey, metric: RatioRow['metric'], interval: RatioInterval = 'mean'): { low: number; high: number } | null {
  const field = RATIO_METRICS.find(([m]) => m === metric)![1];
  const of = (k: CellKey) => {
    const id = cellIdOf(k);
    return records.filter((r) => isCellTrial(r) && cellIdOf(r) === id);
  };
  const xs = pairedRatios(of(a), of(b), field);
  if (xs.length < 2) return null;
  const e = ratioEstimate(xs, interval);
  return e.ratio_low !== null && e.ratio_high !== null ? { low: e.ratio_low, high: e.ratio_high } : null;
}

/** The statistics columns of one row from its samples (rates and latency alike: positive, spread multiplicatively). */
function statColumns(values: number[]) {
  const s = summarize(values);
  // the interval is taken on the log scale, never below 0
  const ci = logCi(values);
  const c = cv(values);
  return {
    n: s.n, mean: num(s.mean), sd: num(s.sd), median: num(s.median), ci95_low: ci ? ci.low : null, ci95_high: ci ? ci.high : null,
    min: num(s.min), max: num(s.max), cv: num(c), mde_pct: num(minDetectableEffect(c, s.n) * 100), ci_method: LOG_CI_METHOD,
    // judged on the log scale: not below 4 samples, nor where a sample is 0
    n_outliers: values.length >= 4 && values.every((v) => v > 0) ? logOutliers(values).length : null,
  };
}

/** The columns every row of a cell shares. */
interface RowBase {
  n_failed: number;
  n_skipped: number;
  n_flagged: number;
  flags: string | null;
  baseline: string | null;
  ratio: number | null;
  ratio_low: number | null;
  ratio_high: number | null;
}

/** The columns a group of a cell's trials shares: failures, skips, flags (no ratio). */
function rowBase(trials: readonly TrialRecord[]): RowBase {
  const ok = trials.filter((t) => t.status === 'ok');
  return {
    n_failed: trials.filter((t) => t.status === 'failed').length,
    n_skipped: trials.filter((t) => t.status === 'skipped').length,
    n_flagged: ok.filter((t) => t.flags.length > 0).length,
    flags: [...new Set(ok.flatMap((t) => t.flags.map(flagName)))].sort().join(';') || null,
    baseline: null,
    ratio: null,
    ratio_low: null,
    ratio_high: null,
  };
}

/** Endpoint metric -> the trials it reads and the value of one trial. */
const ENDPOINT_VALUE: Record<(typeof ENDPOINT_METRICS)[number], [EndpointMeasure, (t: TrialRecord) => number | null | undefined, SummaryRow['unit']]> = {
  tcp_mbps: ['iperf_tcp', (t) => t.throughput_mbps, 'Mbit/s'],
  udp_mbps: ['iperf_udp', (t) => t.throughput_mbps, 'Mbit/s'],
  udp_loss_pct: ['iperf_udp', (t) => t.iperf?.lost_percent, '%'],
  rtt_min_us: ['rtt', (t) => t.rtt?.min_us, 'us'],
  rtt_avg_us: ['rtt', (t) => t.rtt?.avg_us, 'us'],
  rtt_p99_us: ['rtt', (t) => t.rtt?.p99_us, 'us'],
  rtt_max_us: ['rtt', (t) => t.rtt?.max_us, 'us'],
  ping_avg_us: ['rtt', (t) => t.ping?.avg_us, 'us'],
};

/** The rows of a cell's end-host trials: per metric whose test ran, its statistics over the repetitions. */
function endpointRows(key: CellKey, trials: readonly TrialRecord[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const metric of ENDPOINT_METRICS) {
    const [measure, value, unit] = ENDPOINT_VALUE[metric];
    const mine = trials.filter((t) => t.measure === measure);
    if (mine.length === 0) continue;
    const values = mine.filter((t) => t.status === 'ok').map(value).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    // a loss of 0 % is a value: the log-scale interval needs positive samples, so loss keeps the plain mean and spread only
    const stats = metric === 'udp_loss_pct' ? plainColumns(values) : statColumns(values);
    rows.push({ ...key, metric, unit, ...NO_MEASURE_COLUMNS, ...rowBase(mine), ...stats });
  }
  return rows;
}

/** Mean, sd, median, min, max of values that may be 0 (no interval). */
function plainColumns(values: number[]) {
  const s = summarize(values);
  return { n: s.n, mean: num(s.mean), sd: num(s.sd), median: num(s.median), min: num(s.min), max: num(s.max), ci95_low: null, ci95_high: null, cv: null, mde_pct: null, ci_method: null, n_outliers: null };
}

/** The measure: columns, empty unless a row fills them (so a row reads back from summary.csv as written). */
const NO_MEASURE_COLUMNS = { load: null, load_pps: null, bound_low: null, bound_high: null, conditional: null, n_irregular: null, search_trials: null, bias: null, bias_n: null };

const meanOrNull = (xs: number[]): number | null => (xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : null);

/** Latency statistic of a summary row -> the field of a trial record's latency. */
const LATENCY_FIELD: Record<(typeof LATENCY_METRICS)[number], keyof Omit<LatencyRecord, 'hdr' | 'samples' | 'bad_stamps'>> = {
  latency_min_us: 'min_us', latency_mean_us: 'mean_us', latency_p50_us: 'p50_us', latency_p90_us: 'p90_us',
  latency_p99_us: 'p99_us', latency_p999_us: 'p999_us', latency_max_us: 'max_us', latency_jitter_us: 'jitter_us',
};

/** The ndr_mpps / pdr_mpps rows of a cell: the lower bound of each search (repetition), its bounds and regularity. */
function searchRows(key: CellKey, cellTrials: readonly TrialRecord[], base: RowBase): SummaryRow[] {
  const searched = cellTrials.filter((t) => t.status === 'ok' && t.search);
  if (searched.length === 0) return [];
  const names = [...new Set(searched.flatMap((t) => t.search!.goals.map((g) => g.goal)))].filter((g) => g === 'ndr' || g === 'pdr');
  return names.map((name) => {
    const goals = searched.map((t) => t.search!.goals.find((g) => g.goal === name)).filter((g) => g !== undefined);
    const lows = goals.map((g) => g.lower_bound_pps).filter((v): v is number => v !== null && v > 0).map((v) => v / 1e6);
    const highs = goals.map((g) => g.upper_bound_pps).filter((v): v is number => v !== null).map((v) => v / 1e6);
    const conds = goals.map((g) => g.conditional_throughput_pps).filter((v): v is number => v !== null).map((v) => v / 1e6);
    return {
      ...key, metric: `${name}_mpps` as SummaryMetric, unit: 'Mpps' as const, ...NO_MEASURE_COLUMNS, ...base, ...statColumns(lows),
      bound_low: lows.length ? Math.min(...lows) : null, bound_high: highs.length ? Math.max(...highs) : null,
      conditional: meanOrNull(conds), n_irregular: goals.filter((g) => !g.regular).length,
      search_trials: meanOrNull(searched.map((t) => t.search!.trials)),
    };
  });
}

/** The latency rows of a cell: per load, every statistic over its latency trials, beside the wire's (bias) at that load. */
function latencyRows(key: CellKey, subs: readonly TrialRecord[], base: RowBase): SummaryRow[] {
  const lat = subs.filter((t) => t.measure === 'latency' && t.status === 'ok' && t.latency && t.latency.samples > 0);
  const cal = subs.filter((t) => t.measure === 'calibration' && t.status === 'ok' && t.latency && t.latency.samples > 0);
  const loads = [...new Set(lat.map((t) => t.latency_load!))];
  const rows: SummaryRow[] = [];
  for (const load of loads) {
    const at = lat.filter((t) => t.latency_load === load);
    const bias = cal.filter((t) => t.latency_load === load);
    for (const metric of LATENCY_METRICS) {
      const f = LATENCY_FIELD[metric];
      const biasValues = bias.map((t) => t.latency![f]);
      rows.push({
        ...key, metric, unit: 'us', ...NO_MEASURE_COLUMNS, ...base, ...statColumns(at.map((t) => t.latency![f])),
        load, load_pps: meanOrNull(at.map((t) => t.load_pps).filter((v): v is number => typeof v === 'number')),
        bias: meanOrNull(biasValues), bias_n: biasValues.length,
      });
    }
  }
  return rows;
}

/**
 * Summary rows: per cell, the rates at max load (the plan trials' records), the NDR/PDR of its searches
 * and its latency per load; sub-records (search, latency, calibration trials) are never samples of a rate.
 */
export function summarizeTrials(records: readonly TrialRecord[], opts: { baseline?: Baseline; interval?: RatioInterval } = {}): SummaryRow[] {
  const cellRecords = records.filter(isCellTrial);
  const cells = cellsOf(cellRecords);
  const subsOf = cellsOf(records.filter((r) => !isCellTrial(r)));
  const ratios = opts.baseline ? new Map(ratioRows(cellRecords, opts.baseline, '', undefined, opts.interval).map((r) => [`${r.metric}|${cellIdOf(r)}`, r])) : new Map<string, RatioRow>();
  const rows: SummaryRow[] = [];
  for (const { key, trials: all } of cells.values()) {
    // trials between end hosts (iperf, RTT) have rows of their own; the packet rates are the generator's trials'
    rows.push(...endpointRows(key, all.filter((t) => isEndpointMeasure(t.measure))));
    const trials = all.filter((t) => !isEndpointMeasure(t.measure));
    if (trials.length === 0) continue;
    const ok = trials.filter((t) => t.status === 'ok');
    const base = rowBase(trials);
    for (const [metric, field] of METRICS) {
      const values = ok.map((t) => t[field]).filter((v): v is number => typeof v === 'number').map((v) => v / 1e6);
      // a metric no trial of the cell measured (own time from testpmd, an older nf run) has no row
      if (metric === 'tx_mpps_own' && values.length === 0) continue;
      const ratio = ratios.get(`${metric}|${cellIdOf(key)}`);
      rows.push({
        ...key,
        metric,
        unit: 'Mpps',
        ...NO_MEASURE_COLUMNS,
        ...base,
        ...statColumns(values),
        baseline: ratio ? ratio.baseline : opts.baseline ? baselineLabel(opts.baseline) : null,
        ratio: ratio?.ratio ?? null,
        ratio_low: ratio?.ratio_low ?? null,
        ratio_high: ratio?.ratio_high ?? null,
      });
    }
    rows.push(...searchRows(key, trials, base));
    rows.push(...latencyRows(key, subsOf.get(cellIdOf(key))?.trials ?? [], base));
  }
  return rows;
}

/** A cell's trial whose forwarded rate lies far from the cell's others (stats.ts logOutliers). */
export interface OutlierTrial {
  cell: CellKey;
  trial_id: string;
  /** its tx rate and the cell's median, Mpps */
  tx_mpps: number;
  median_mpps: number;
}

/**
 * The plan trials whose forwarded rate is an outlier within their cell: the summary keeps them (a
 * stall is part of what the machine did), the run names them so a reader can look at their logs.
 */
export function outlierTrials(records: readonly TrialRecord[]): OutlierTrial[] {
  const out: OutlierTrial[] = [];
  for (const { key, trials } of cellsOf(records.filter(isCellTrial)).values()) {
    // the samples of the cell's tx_mpps row, as summarizeTrials takes them: its n_outliers counts these
    const ok = trials.filter((t) => t.status === 'ok' && !isEndpointMeasure(t.measure) && typeof t.tx_pps === 'number');
    const values = ok.map((t) => t.tx_pps! / 1e6);
    const m = logMedian(values);
    for (const i of logOutliers(values)) out.push({ cell: key, trial_id: ok[i]!.trial_id, tx_mpps: values[i]!, median_mpps: m });
  }
  return out;
}
