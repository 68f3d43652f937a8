// One interface for every output format of `flexbench compare`; each format lives in its own file.
import type { Comparison } from '../compare.js';
import type { SideStats } from '../verdict.js';

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

/** "median 9.812 Mpps, mean CI [9.70, 9.90] Mpps, n=5" style summary of one side. */
export function sideSummary(s: SideStats): string {
  const failed = s.failed > 0 ? `, ${s.failed} failed` : '';
  const ci = s.ci ? `CI ${rate(s.ci.low)} … ${rate(s.ci.high)}` : 'CI –';
  return `median ${rate(s.median)}, ${ci}, n=${s.n}${failed}`;
}

export function changeInterval(c: { changeCi: { low: number; high: number } | null }): string {
  return c.changeCi ? `[${percent(c.changeCi.low)}, ${percent(c.changeCi.high)}]` : '–';
}

export function moreText(c: Comparison['cells'][number]): string {
  if (!c.more) return '';
  if (c.paired) return c.more.perSide === null || !c.more.estimated ? c.more.note : `+${c.more.current} rounds (${c.more.perSide} in all) would likely decide it`;
  if (c.more.perSide === null || !c.more.estimated) return c.more.note;
  return `+${c.more.baseline} baseline / +${c.more.current} current repetitions (${c.more.perSide} per side) would likely decide it`;
}

export function confidenceText(c: Comparison): string {
  return `${Math.round(c.confidence * 1000) / 10}%`;
}

/** `flexbench ab`: the rounds and the smallest drop they could have told from noise; '' for compare. */
export function pairedText(c: Comparison['cells'][number]): string {
  if (!c.paired) return '';
  const d = c.paired.detectable === null ? 'unknown (fewer than 2 rounds)' : `${(c.paired.detectable * 100).toFixed(2)}%`;
  return `paired over ${c.paired.rounds} round${c.paired.rounds === 1 ? '' : 's'}; smallest drop it would call regressed 4 times in 5: ${d}`;
}

/** `flexbench ab`: seed and rounds, to replay the run order; '' for compare. */
export function abText(c: Comparison): string {
  return c.ab ? `interleaved A/B: ${c.ab.rounds} round${c.ab.rounds === 1 ? '' : 's'} (${c.ab.until === 'decided' ? 'until decided' : 'fixed'}), seed ${c.ab.seed}, results ${c.ab.results}` : '';
}
