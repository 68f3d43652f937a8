// Trials -> summary rows: per cell and metric, the statistics of the successful repetitions (Mpps).
import { summarize } from './stats.js';
import { cellIdOf, cellKeyOf, type TrialRecord, type SummaryRow, type CellKey } from './format.js';

const METRICS = [
  ['tx_mpps', 'tx_pps'],
  ['rx_mpps', 'rx_pps'],
] as const;

const num = (x: number) => (Number.isFinite(x) ? x : null);

export function summarizeTrials(records: readonly TrialRecord[]): SummaryRow[] {
  const cells = new Map<string, { key: CellKey; trials: TrialRecord[] }>();
  for (const r of records) {
    const id = cellIdOf(r);
    let c = cells.get(id);
    if (!c) cells.set(id, (c = { key: cellKeyOf(r), trials: [] }));
    c.trials.push(r);
  }
  const rows: SummaryRow[] = [];
  for (const { key, trials } of cells.values()) {
    const ok = trials.filter((t) => t.status === 'ok');
    for (const [metric, field] of METRICS) {
      const values = ok.map((t) => t[field]).filter((v): v is number => typeof v === 'number').map((v) => v / 1e6);
      const s = summarize(values);
      rows.push({
        ...key,
        metric,
        unit: 'Mpps',
        n: s.n,
        mean: num(s.mean),
        sd: num(s.sd),
        median: num(s.median),
        ci95_low: s.ci95 ? s.ci95.low : null,
        ci95_high: s.ci95 ? s.ci95.high : null,
        min: num(s.min),
        max: num(s.max),
        n_failed: trials.filter((t) => t.status === 'failed').length,
        n_skipped: trials.filter((t) => t.status === 'skipped').length,
      });
    }
  }
  return rows;
}
