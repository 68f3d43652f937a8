// Repetitions auto's stopping rule: which cells (and paired ratios) have not yet reached the spec's target interval.
import { logCi, relativeHalfWidth } from '../results/stats.js';
import { pairedCellInterval, ratioRows, type Baseline } from '../results/summary.js';
import { orderings, type Ordering } from '../results/ordering.js';
import { cellIdOf, isCellTrial, type RatioRow, type TrialRecord } from '../results/format.js';
import type { Spec } from '../spec/schema.js';

/** ratios.csv's rows: every cell paired with the spec's baseline cell and with each figure's, round by round. */
export function specRatios(spec: Pick<Spec, 'baseline' | 'figures' | 'matrix'>, records: readonly TrialRecord[]): RatioRow[] {
  const base = spec.baseline as Baseline | undefined;
  const interval = spec.matrix.ratio_interval ?? 'mean';
  return [...(base ? ratioRows(records, base, '', undefined, interval) : []), ...spec.figures.filter((f) => f.baseline).flatMap((f) => ratioRows(records, f.baseline as Baseline, f.id, undefined, interval))];
}

/**
 * run.json's orderings of those rows: differences at or below the spec's target_ci are ties (what the run was designed
 * to resolve), and two cells are told apart by their own paired interval (the rounds that measured both).
 */
export function specOrderings(spec: Pick<Spec, 'matrix'>, records: readonly TrialRecord[], rows: readonly RatioRow[]): Ordering[] {
  const interval = spec.matrix.ratio_interval ?? 'mean';
  return orderings(rows, { margin: spec.matrix.target_ci, paired: (hi, lo) => pairedCellInterval(records, hi, lo, hi.metric, interval) });
}

const cellName = (id: string) => id.split('|').slice(0, 5).join('/');

/**
 * Repetitions auto: the cells whose log-scale 95 % interval is still wider than the target ("cell ±x%"), on the
 * own-time rate where every trial of the cell measured it (what holds on a busy host), else the forwarded rate;
 * and, where the spec pairs cells with a baseline, the paired ratios whose interval is (what a figure of ratios
 * and a comparison of stores read: "cell / baseline ±x%").
 */
export function unreachedCells(spec: Pick<Spec, 'baseline' | 'figures' | 'matrix'>, records: readonly TrialRecord[]): string[] {
  const target = spec.matrix.target_ci;
  const byCell = new Map<string, { tx: number[]; own: number[] }>();
  for (const r of records) {
    if (!isCellTrial(r) || r.status !== 'ok' || !r.tx_pps) continue;
    const c = byCell.get(cellIdOf(r)) ?? { tx: [], own: [] };
    c.tx.push(r.tx_pps);
    if (typeof r.tx_pps_own === 'number' && r.tx_pps_own > 0) c.own.push(r.tx_pps_own);
    byCell.set(cellIdOf(r), c);
  }
  const out: string[] = [];
  for (const [cell, { tx, own }] of byCell) {
    const ci = logCi(own.length === tx.length ? own : tx);
    const hw = ci ? relativeHalfWidth(ci) : Number.POSITIVE_INFINITY;
    if (!(hw <= target)) out.push(`${cellName(cell)}: ±${Number.isFinite(hw) ? (hw * 100).toFixed(1) : '∞'}%`);
  }
  // a ratio on the own-time rate where the cell's rounds measured it (as the cell's own interval above)
  const rows = specRatios(spec, records);
  const own = new Set(rows.filter((r) => r.metric === 'tx_mpps_own').map((r) => `${r.figure}|${cellIdOf(r)}`));
  for (const r of rows) {
    if (r.metric === 'tx_mpps' && own.has(`${r.figure}|${cellIdOf(r)}`)) continue;
    if (r.ratio === null || r.ratio_low === null || r.ratio_high === null) {
      out.push(`${cellName(cellIdOf(r))} / ${r.baseline}: no interval (${r.n_pairs} pair(s))`);
      continue;
    }
    const hw = relativeHalfWidth({ n: r.n_pairs, center: r.ratio, low: r.ratio_low, high: r.ratio_high });
    if (!(hw <= target)) out.push(`${cellName(cellIdOf(r))} / ${r.baseline}: ±${(hw * 100).toFixed(1)}%`);
  }
  return [...new Set(out)];
}

