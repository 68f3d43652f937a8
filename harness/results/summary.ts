// Trials -> summary rows: per cell and metric, the statistics of the successful repetitions (Mpps), their noise
// (CV, minimum detectable effect), and the paired ratio to a reference cell, round by round.
import { summarize, logCi, cv, minDetectableEffect, LOG_CI_METHOD } from './stats.js';
import { flagName } from './judge.js';
import { cellIdOf, cellKeyOf, type TrialRecord, type SummaryRow, type CellKey, type RatioRow } from './format.js';

const METRICS = [
  ['tx_mpps', 'tx_pps'],
  ['rx_mpps', 'rx_pps'],
] as const;

const num = (x: number) => (Number.isFinite(x) ? x : null);

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

const okRate = (t: TrialRecord): number | null => (t.status === 'ok' && typeof t.tx_pps === 'number' && t.tx_pps > 0 ? t.tx_pps : null);

/** Per-round ratios of a cell's tx rate to its reference's: only rounds where both were ok. */
function pairedRatios(cell: readonly TrialRecord[], reference: readonly TrialRecord[]): number[] {
  const ref = new Map<string, number>();
  for (const t of reference) {
    const v = okRate(t);
    if (v !== null) ref.set(pairKey(t), v);
  }
  const out: number[] = [];
  for (const t of cell) {
    const v = okRate(t);
    const r = ref.get(pairKey(t));
    if (v !== null && r !== undefined) out.push(v / r);
  }
  return out;
}

/** ratios.csv rows: every cell with a reference under the baseline (the reference itself gives 1). */
export function ratioRows(records: readonly TrialRecord[], baseline: Baseline, figure = ''): RatioRow[] {
  const cells = cellsOf(records);
  const rows: RatioRow[] = [];
  for (const c of cells.values()) {
    const ref = cells.get(cellIdOf(referenceOf(c.key, baseline)));
    if (!ref) continue;
    const xs = pairedRatios(c.trials, ref.trials);
    if (xs.length === 0) continue;
    const ci = logCi(xs);
    rows.push({
      ...c.key, figure, baseline: baselineLabel(baseline), n_pairs: xs.length,
      ratio: ci ? ci.center : Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length),
      ratio_low: ci?.low ?? null, ratio_high: ci?.high ?? null, method: `per-round ratio; ${LOG_CI_METHOD}; 95 %`,
    });
  }
  return rows;
}

export function summarizeTrials(records: readonly TrialRecord[], opts: { baseline?: Baseline } = {}): SummaryRow[] {
  const cells = cellsOf(records);
  const ratios = opts.baseline ? new Map(ratioRows(records, opts.baseline).map((r) => [cellIdOf(r), r])) : new Map<string, RatioRow>();
  const rows: SummaryRow[] = [];
  for (const { key, trials } of cells.values()) {
    const ok = trials.filter((t) => t.status === 'ok');
    const flagged = ok.filter((t) => t.flags.length > 0);
    const flagNames = [...new Set(ok.flatMap((t) => t.flags.map(flagName)))].sort();
    for (const [metric, field] of METRICS) {
      const values = ok.map((t) => t[field]).filter((v): v is number => typeof v === 'number').map((v) => v / 1e6);
      const s = summarize(values);
      // rates are positive and spread multiplicatively: the interval is taken on the log scale, never below 0
      const ci = logCi(values);
      const c = cv(values);
      const ratio = metric === 'tx_mpps' ? ratios.get(cellIdOf(key)) : undefined;
      rows.push({
        ...key,
        metric,
        unit: 'Mpps',
        n: s.n,
        mean: num(s.mean),
        sd: num(s.sd),
        median: num(s.median),
        ci95_low: ci ? ci.low : null,
        ci95_high: ci ? ci.high : null,
        min: num(s.min),
        max: num(s.max),
        n_failed: trials.filter((t) => t.status === 'failed').length,
        n_skipped: trials.filter((t) => t.status === 'skipped').length,
        cv: num(c),
        mde_pct: num(minDetectableEffect(c, s.n) * 100),
        n_flagged: flagged.length,
        flags: flagNames.join(';') || null,
        ci_method: LOG_CI_METHOD,
        baseline: ratio ? ratio.baseline : opts.baseline ? baselineLabel(opts.baseline) : null,
        ratio: ratio?.ratio ?? null,
        ratio_low: ratio?.ratio_low ?? null,
        ratio_high: ratio?.ratio_high ?? null,
      });
    }
  }
  return rows;
}
