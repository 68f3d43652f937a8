// One interface for every output format of `flexbench compare`; each format lives in its own file.
import type { Comparison } from '../compare.js';
import type { SideStats } from '../verdict.js';
import { METRIC_INFO, type Metric } from '../samples.js';

export interface Reporter {
  /** the --format name */
  readonly format: string;
  render(c: Comparison): string;
}

/** A packet rate in the unit that keeps it readable. */
export function rate(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toFixed(3)} Mpps`;
  if (a >= 1e3) return `${(x / 1e3).toFixed(2)} kpps`;
  return `${x.toFixed(1)} pps`;
}

export function percent(x: number, signed = true): string {
  if (!Number.isFinite(x)) return '–';
  const s = (x * 100).toFixed(2);
  return signed && x >= 0 ? `+${s}%` : `${s}%`;
}

/** A latency in the unit that keeps it readable (samples are µs). */
export function micros(x: number): string {
  if (!Number.isFinite(x)) return '–';
  if (Math.abs(x) >= 1e3) return `${(x / 1e3).toFixed(3)} ms`;
  return `${x.toFixed(x < 10 ? 2 : 1)} µs`;
}

/** A sample of the comparison's metric: a rate (pps) or a latency (µs), as compare/samples.ts says. */
export function value(x: number, metric: Metric): string {
  return METRIC_INFO[metric].unit === 'us' ? micros(x) : rate(x);
}

/** "median 9.812 Mpps, mean CI [9.70, 9.90] Mpps, n=5" style summary of one side. */
export function sideSummary(s: SideStats, metric: Metric = 'tx_mpps'): string {
  const failed = s.failed > 0 ? `, ${s.failed} failed` : '';
  const ci = s.ci ? `CI ${value(s.ci.low, metric)} … ${value(s.ci.high, metric)}` : 'CI –';
  return `median ${value(s.median, metric)}, ${ci}, n=${s.n}${failed}`;
}

/** "(lower is better: an increase is the regression)" for a latency metric; '' for rates. */
export function directionText(metric: Metric): string {
  return METRIC_INFO[metric].better === 'lower' ? ' (lower is better: an increase is the regression)' : '';
}

export function changeInterval(c: { changeCi: { low: number; high: number } | null }): string {
  return c.changeCi ? `[${percent(c.changeCi.low)}, ${percent(c.changeCi.high)}]` : '–';
}

export function moreText(c: Comparison['cells'][number]): string {
  if (!c.more) return '';
  if (c.paired) return c.more.perSide === null || !c.more.estimated ? c.more.note : `+${c.more.current} ${c.paired.epochs ? 'epochs' : 'rounds'} (${c.more.perSide} in all) would likely decide it`;
  if (c.more.perSide === null || !c.more.estimated) return c.more.note;
  return `+${c.more.baseline} baseline / +${c.more.current} current repetitions (${c.more.perSide} per side) would likely decide it`;
}

export function confidenceText(c: Comparison): string {
  return `${Math.round(c.confidence * 1000) / 10}%`;
}

/** `flexbench ab`: the rounds and the smallest drop they could have told from noise; '' for compare. */
export function pairedText(c: Comparison['cells'][number]): string {
  if (!c.paired) return '';
  const e = c.paired.epochs;
  const d = c.paired.detectable === null ? `unknown (fewer than 2 ${e ? 'epochs' : 'rounds'})` : `${(c.paired.detectable * 100).toFixed(2)}%`;
  const sd = (x: number | null) => (x === null ? '–' : x.toFixed(3));
  const over = e
    ? `${e.n} epoch${e.n === 1 ? '' : 's'} of ${e.size} round${e.size === 1 ? '' : 's'} (${c.paired.rounds} rounds${e.short ? `, ${e.short} short epoch${e.short === 1 ? '' : 's'} left out` : ''}; a new pair of processes each epoch; sd of a round's ln ratio within an epoch ${sd(e.within)}, of an epoch's own offset ${sd(e.between)})`
    : `${c.paired.rounds} round${c.paired.rounds === 1 ? '' : 's'}`;
  return `paired over ${over}; smallest drop it would call regressed 4 times in 5: ${d}`;
}

/** `flexbench ab`: seed and rounds, to replay the run order; '' for compare. */
export function abText(c: Comparison): string {
  return c.ab ? `interleaved A/B: ${c.ab.rounds} round${c.ab.rounds === 1 ? '' : 's'}${c.ab.epochs !== undefined ? ` in ${c.ab.epochs} epoch${c.ab.epochs === 1 ? '' : 's'}` : ''} (${c.ab.until === 'decided' ? 'until decided' : 'fixed'}${c.ab.stopped_by === 'time' ? ', stopped by --max-time' : ''}), seed ${c.ab.seed}, results ${c.ab.results}${c.ab.measured ? `; ${c.ab.measured}` : ''}` : '';
}
