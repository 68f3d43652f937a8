// The figures of measure: ndr_pdr and latency (issue 16), drawn from summary.csv rows like the paper's:
// - rate by frame size per NF: NDR and PDR (RFC 9971's relevant lower bound, mean over repetitions) per
//   store/mode, bars from the lowest lower bound to the highest upper bound the searches found;
// - latency per NF: p50 / p99 / p99.9 by offered load per store/mode on a log axis, beside the method's
//   own bias (the same percentile through the `wire` NF at the same load: the back-to-back calibration).
// One figure per NF; labels human and never cut (legend limits 0), as figures.ts does.
import type { TopLevelSpec } from 'vega-lite';
import type { SummaryRow } from '../results/format.js';
import { compareLoads } from '../compare/cell.js';
import { figureFrame, human, rateUnit } from './figures.js';
import { FLAG_HOST_BUSY } from '../results/judge.js';
import { traitsOf } from '../plan/nfs.js';


/** "Redis, async (remote)": what varies within one NF's figure; the location only when the figure has both. */
export function measureSeries(r: Pick<SummaryRow, 'store' | 'mode' | 'location' | 'cores'>, o: { locations: number; cores: number }): string {
  const parts = [human(r.store), ...(r.mode !== 'none' ? [r.mode] : [])];
  if (o.cores > 1) parts.push(`${r.cores} core${r.cores === 1 ? '' : 's'}`);
  return o.locations > 1 ? `${parts.join(', ')} (${r.location})` : parts.join(', ');
}

const common = (title: string, subtitle: readonly string[]) => ({ ...figureFrame(title, subtitle), width: 520, height: 320 });

const ok = (r: SummaryRow) => r.mean !== null && r.n > 0;
const count = <T>(xs: readonly T[]) => new Set(xs).size;

export interface RatePoint {
  series: string;
  rate: 'NDR' | 'PDR';
  frame: number;
  mean: number;
  low: number | null;
  high: number | null;
  n: number;
  irregular: number;
}

/** The NDR/PDR points of one NF's rows (Mpps as summary.csv has them). */
export function ratePoints(rows: readonly SummaryRow[], nf: string): RatePoint[] {
  const mine = rows.filter((r) => r.nf === nf && (r.metric === 'ndr_mpps' || r.metric === 'pdr_mpps') && ok(r));
  const o = { locations: count(mine.map((r) => r.location)), cores: count(mine.map((r) => r.cores)) };
  return mine
    .map((r) => ({
      // an NF that runs Native without a store (StatelessNF's NAT) is named so beside its store modes
      series: r.store === 'none' && traitsOf(nf).native ? 'Native (no store)' : measureSeries(r, o), rate: r.metric === 'ndr_mpps' ? ('NDR' as const) : ('PDR' as const), frame: r.frame_size,
      mean: r.mean!, low: r.bound_low ?? null, high: r.bound_high ?? null, n: r.n, irregular: r.n_irregular ?? 0,
    }))
    .sort((a, b) => a.series.localeCompare(b.series) || a.rate.localeCompare(b.rate) || a.frame - b.frame);
}

/**
 * A note when other work held the host's CPUs during an NF's measured cells: a descheduled NF drops what its
 * ring cannot hold, so a loss-bounded rate or a latency tail measured then is partly the host's.
 */
function busyNote(rows: readonly SummaryRow[], nf: string, metrics: (m: string) => boolean, what: string): string[] {
  const mine = rows.filter((r) => r.nf === nf && metrics(r.metric));
  const busy = mine.filter((r) => (r.flags ?? '').split(';').includes(FLAG_HOST_BUSY));
  return busy.length ? [`host busy during ${busy.length} of ${mine.length} ${what}: other work took CPU, and a descheduled NF loses and delays packets, so these values are partly the host's`] : [];
}

/** The series whose search found no PDR: their loads as a share of it were not measured (only the fixed low rate). */
function noPdrNote(rows: readonly SummaryRow[], nf: string): string[] {
  const mine = rows.filter((r) => r.nf === nf && r.metric === 'pdr_mpps');
  const o = { locations: count(mine.map((r) => r.location)), cores: count(mine.map((r) => r.cores)) };
  const none = [...new Set(mine.filter((r) => r.n === 0).map((r) => measureSeries(r, o)))];
  return none.length ? [`${none.join('; ')}: the search found no PDR (loss above the goal at its lowest load), so no load relative to it was measured`] : [];
}

/** Rate by frame size for one NF: NDR solid, PDR dashed, one colour per store/mode; bars = the searches' bounds. */
export function rateByFrameSizeSpec(rows: readonly SummaryRow[], nf: string, subtitle: readonly string[] = []): TopLevelSpec | null {
  const raw = ratePoints(rows, nf);
  if (raw.length === 0) return null;
  const { unit, scale } = rateUnit(Math.max(...raw.map((p) => Math.max(p.mean, p.high ?? 0))));
  const pts = raw.map((p) => ({ ...p, mean: p.mean * scale, low: p.low === null ? null : p.low * scale, high: p.high === null ? null : p.high * scale }));
  const frames = [...new Set(pts.map((p) => p.frame))].sort((a, b) => a - b);
  // series and the two rates side by side at a frame size, so their bound bars do not hide each other
  const keys = [...new Set(pts.map((p) => `${p.series}|${p.rate}`))].sort();
  const span = frames.length > 1 ? Math.log2(frames[frames.length - 1]! / frames[0]!) : 1;
  const step = (span / 100) * 1.5;
  const shifted = pts.map((p) => ({ ...p, x: p.frame * 2 ** ((keys.indexOf(`${p.series}|${p.rate}`) - (keys.length - 1) / 2) * step) }));
  const bars = shifted.filter((p) => p.low !== null && p.high !== null);
  const irregular = pts.filter((p) => p.irregular > 0);
  const notes = [
    `line: mean ${raw.some((p) => p.rate === 'PDR') && raw.some((p) => p.rate === 'NDR') ? 'NDR/PDR' : raw[0]!.rate} (RFC 9971 relevant lower bound); bar: lowest lower to highest upper bound`,
    ...(irregular.length ? [`${irregular.length} point(s) from an irregular search: a bound only (see summary.csv n_irregular)`] : []),
    ...busyNote(rows, nf, (m) => m === 'ndr_mpps' || m === 'pdr_mpps', 'NDR/PDR rows'),
  ];
  const lo = frames[0]! / 1.15;
  const hi = frames[frames.length - 1]! * 1.15;
  const x = { field: 'x', type: 'quantitative', title: 'Frame size (bytes, log scale)', scale: { type: 'log', base: 2, domain: [lo, hi], nice: false }, axis: { values: frames, format: 'd' } } as const;
  const color = { field: 'series', type: 'nominal', title: 'store, mode' } as const;
  // the dash legend draws strokes (a point symbol would not show the dash)
  // a dash legend only when both rates are drawn (a spec may search the NDR alone: StatelessNF's Figure 3)
  const rates = [...new Set(pts.map((p) => p.rate))].sort();
  const dash = { field: 'rate', type: 'nominal', title: 'rate', scale: { domain: ['NDR', 'PDR'], range: [[1, 0], [6, 3]] }, legend: rates.length > 1 ? { symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 300, symbolStrokeColor: '#555', encode: { symbols: { update: { stroke: { value: '#555' } } } } } : null } as const;
  // series more than 10x apart (sync over a remote store vs hashmap) would flatten the slow ones on a linear axis
  const means = pts.map((p) => p.mean).filter((v) => v > 0);
  const log = means.length > 0 && Math.max(...means) / Math.min(...means) > 10;
  // nice: false keeps the log axis to the data (rounded out to decades it left most of the plot empty)
  const yScale = log ? { type: 'log', nice: false, domain: [Math.min(...means, ...bars.map((b) => b.low!).filter((v) => v > 0)) / 1.5, Math.max(...means, ...bars.map((b) => b.high!)) * 1.5] } : { zero: true, nice: true };
  if (log) notes.push('log y-axis: series differ by more than 10x');
  const yTitle = `Loss-bounded rate (${unit}${log ? ', log scale' : ''})`;
  return {
    ...common(`${human(nf)}: ${rates.join(' and ')} by frame size`, [...subtitle, ...notes]),
    layer: [
      { data: { values: shifted }, mark: { type: 'line', point: { filled: true, size: 45 } }, encoding: { x, y: { field: 'mean', type: 'quantitative', title: yTitle, scale: yScale, axis: log ? { format: '~g' } : {} }, color, strokeDash: dash, tooltip: [{ field: 'series' }, { field: 'rate' }, { field: 'frame', title: 'frame size' }, { field: 'mean', format: '.4~g' }, { field: 'low', format: '.4~g' }, { field: 'high', format: '.4~g' }, { field: 'n' }] } },
      { data: { values: bars }, mark: { type: 'rule', opacity: 0.7 }, encoding: { x, y: { field: 'low', type: 'quantitative', title: yTitle, scale: yScale }, y2: { field: 'high' }, color } },
      { data: { values: bars }, mark: { type: 'tick', orient: 'horizontal', size: 7 }, encoding: { x, y: { field: 'low', type: 'quantitative' }, color } },
      { data: { values: bars }, mark: { type: 'tick', orient: 'horizontal', size: 7 }, encoding: { x, y: { field: 'high', type: 'quantitative' }, color } },
    ],
  } as unknown as TopLevelSpec;
}

/** Percentiles a latency figure draws (summary metric, its legend name). */
export const LATENCY_PERCENTILES = [['latency_p50_us', 'p50'], ['latency_p99_us', 'p99'], ['latency_p999_us', 'p99.9']] as const;

export interface LatencyPoint {
  series: string;
  percentile: string;
  load: string;
  load_pps: number | null;
  mean: number;
  low: number | null;
  high: number | null;
  n: number;
  bias: number | null;
}

/** The latency points of one NF's rows, per store/mode, percentile and load. */
export function latencyPoints(rows: readonly SummaryRow[], nf: string): LatencyPoint[] {
  const names = new Map<string, string>(LATENCY_PERCENTILES);
  const mine = rows.filter((r) => r.nf === nf && names.has(r.metric) && r.load !== null && r.load !== undefined && ok(r));
  const o = { locations: count(mine.map((r) => r.location)), cores: count(mine.map((r) => r.cores)) };
  return mine
    .map((r) => ({
      series: measureSeries(r, o), percentile: names.get(r.metric)!, load: r.load!, load_pps: r.load_pps ?? null,
      mean: r.mean!, low: r.ci95_low, high: r.ci95_high, n: r.n, bias: r.bias ?? null,
    }))
    .sort((a, b) => a.series.localeCompare(b.series) || a.percentile.localeCompare(b.percentile) || compareLoads(a.load, b.load));
}

/** "0" -> "low fixed rate", "50%" -> "50 %"; with the mean offered pps where known. */
export function loadLabel(load: string, pps: number | null): string {
  const name = load === '0' ? 'fixed low rate' : load.replace(/%$/, ' %');
  if (pps === null) return name;
  const rate = pps >= 1e6 ? `${(pps / 1e6).toFixed(2)} Mpps` : pps >= 1e3 ? `${(pps / 1e3).toFixed(1)} kpps` : `${Math.round(pps)} pps`;
  return `${name} (${rate})`;
}

/**
 * Latency by offered load for one NF: a colour per store/mode, a dash per percentile (log axis: p50 and
 * p99.9 are decades apart); the gray lines are the same percentiles through the wire (the bias).
 */
export function latencySpec(rows: readonly SummaryRow[], nf: string, subtitle: readonly string[] = []): TopLevelSpec | null {
  const pts = latencyPoints(rows, nf);
  if (pts.length === 0) return null;
  // the x axis: loads in reading order, labelled with what they were in pps on average
  const loads = [...new Set(pts.map((p) => p.load))].sort(compareLoads);
  const ppsOf = (l: string) => {
    const xs = pts.filter((p) => p.load === l && p.load_pps !== null).map((p) => p.load_pps!);
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
  };
  const label = new Map(loads.map((l) => [l, loadLabel(l, ppsOf(l))]));
  const withX = pts.map((p) => ({ ...p, loadLabel: label.get(p.load)!, low: p.low === null ? null : Math.max(p.low, 1e-3) }));
  // bias: one value per percentile and load (cells measured at the same load share the wire's calibration)
  const biasAt = new Map<string, { percentile: string; loadLabel: string; bias: number; k: number }>();
  for (const p of withX) {
    if (p.bias === null || !(p.bias > 0)) continue;
    const k = `${p.percentile}|${p.load}`;
    const b = biasAt.get(k);
    if (b) {
      b.bias += p.bias;
      b.k += 1;
    } else biasAt.set(k, { percentile: p.percentile, loadLabel: p.loadLabel, bias: p.bias, k: 1 });
  }
  const bias = [...biasAt.values()].map((b) => ({ percentile: b.percentile, loadLabel: b.loadLabel, bias: b.bias / b.k, series: 'back-to-back bias (wire)' }));
  const all = [...withX.map((p) => p.mean), ...withX.map((p) => p.high ?? p.mean), ...bias.map((b) => b.bias)].filter((v) => v > 0);
  const top = Math.max(...all) * 2;
  const bottom = Math.min(...all, ...withX.map((p) => p.low ?? p.mean).filter((v) => v > 0)) / 2;
  const order = loads.map((l) => label.get(l)!);
  const x = { field: 'loadLabel', type: 'ordinal', title: 'Offered load (share of the reference rate)', sort: order, axis: { labelAngle: 0 } } as const;
  const y = { field: 'mean', type: 'quantitative', title: 'Latency (µs, log scale)', scale: { type: 'log', domain: [bottom, top] }, axis: { format: '~g' } } as const;
  const dash = { field: 'percentile', type: 'nominal', title: 'percentile', scale: { domain: LATENCY_PERCENTILES.map((p) => p[1]), range: [[1, 0], [6, 3], [2, 2]] }, legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 300, symbolStrokeColor: '#555', encode: { symbols: { update: { stroke: { value: '#555' } } } } } } as const;
  const notes = [
    'line: mean over the latency trials of a cell; bar: 95% CI of that mean',
    bias.length ? 'gray: the same percentile through the wire NF (back-to-back bias)' : 'no back-to-back calibration in this run: the method\'s own bias is not shown',
    ...busyNote(rows, nf, (m) => m.startsWith('latency_'), 'latency rows'),
    ...noPdrNote(rows, nf),
  ];
  return {
    ...common(`${human(nf)}: latency by offered load`, [...subtitle, ...notes]),
    layer: [
      ...(bias.length ? [{ data: { values: bias }, mark: { type: 'line', color: '#999', point: { filled: true, size: 25, color: '#999' } }, encoding: { x, y: { field: 'bias', type: 'quantitative', title: y.title, scale: y.scale, axis: y.axis }, strokeDash: dash, detail: { field: 'percentile' }, tooltip: [{ field: 'series' }, { field: 'percentile' }, { field: 'loadLabel', title: 'load' }, { field: 'bias', format: '.4~g', title: 'µs' }] } }] : []),
      { data: { values: withX }, mark: { type: 'line', point: { filled: true, size: 40 } }, encoding: { x, y, color: { field: 'series', type: 'nominal', title: 'store, mode' }, strokeDash: dash, detail: { field: 'percentile' }, tooltip: [{ field: 'series' }, { field: 'percentile' }, { field: 'loadLabel', title: 'load' }, { field: 'mean', format: '.4~g', title: 'µs' }, { field: 'n' }] } },
      { data: { values: withX.filter((p) => p.low !== null && p.high !== null) }, mark: { type: 'rule', opacity: 0.6 }, encoding: { x, y: { field: 'low', type: 'quantitative', title: y.title, scale: y.scale }, y2: { field: 'high' }, color: { field: 'series', type: 'nominal', title: 'store, mode' } } },
    ],
  } as unknown as TopLevelSpec;
}

/** The figures a run's summary calls for beyond its spec's: one of each kind per NF that has rows for it. */
export function measureFigures(rows: readonly SummaryRow[], subtitle: readonly string[] = []): { id: string; spec: TopLevelSpec }[] {
  const out: { id: string; spec: TopLevelSpec }[] = [];
  const nfs = (pred: (r: SummaryRow) => boolean) => [...new Set(rows.filter(pred).map((r) => r.nf))].sort();
  for (const nf of nfs((r) => r.metric === 'ndr_mpps' || r.metric === 'pdr_mpps')) {
    const s = rateByFrameSizeSpec(rows, nf, subtitle);
    if (s) out.push({ id: `rate-by-frame-size-${nf}`, spec: s });
  }
  // the wire is the calibration, drawn as every figure's bias, not a figure of its own
  for (const nf of nfs((r) => r.metric.startsWith('latency_') && r.nf !== 'wire')) {
    const s = latencySpec(rows, nf, subtitle);
    if (s) out.push({ id: `latency-${nf}`, spec: s });
  }
  return out;
}
