// The ordering of paired ratios within a comparison group (the cells a baseline pairs: same NF, mode, cores, …):
// cells in tiers by ratio, "hashmap ≈ redis > cassandra": two cells are apart (>) only when they differ by more than
// the run's margin (the spec's target_ci: what the run was designed to resolve) and their paired interval (or, without
// one, their two intervals) tells them apart; else a tie (≈). So two runs are compared by what they can tell apart, and
// a 2 % difference that one run resolves and the next does not is no change of order.
import { CELL_FIELDS, cellIdOf, type RatioRow } from './format.js';

export interface Ordering {
  figure: string;
  baseline: string;
  metric: RatioRow['metric'];
  /** the group's shared fields, e.g. "nat/async/1" (the baseline's fields left out) */
  group: string;
  /** e.g. "hashmap ≈ redis > cassandra": ">" where two cells are apart (beyond the margin, told apart), "≈" where not */
  order: string;
}

/** The cell fields a baseline label ("store=hashmap,location=local") sets: the fields that vary within a group. */
const baselineFields = (label: string): string[] => label.split(',').map((kv) => kv.split('=')[0]!).filter((f) => f !== '');

export interface OrderItem {
  label: string;
  ratio: number;
  low: number | null;
  high: number | null;
}

export interface OrderingRule<T extends OrderItem> {
  /** a relative difference at or below this is a tie whatever the intervals (e.g. 0.03) */
  margin?: number;
  /** the interval of hi's rate over lo's from the rounds that measured both; null: none, the two intervals decide */
  paired?: (hi: T, lo: T) => { low: number; high: number } | null;
}

/**
 * Tiers, from the highest ratio down: a cell joins the tier above it when it is apart from no cell already in that
 * tier, else it opens the next tier. Two cells are apart when the higher exceeds the lower by more than the margin and
 * the test tells them apart: their paired interval lies above 1, or, without one, no value fits both their
 * intervals (a conservative test; a row without an interval is apart from nothing). A tier is written in name
 * order, so two runs whose centers moved only within a tie write the same text.
 */
export function orderingText<T extends OrderItem>(items: readonly T[], rule: OrderingRule<T> = {}): string {
  const overlap = (a: T, b: T) => a.low === null || a.high === null || b.low === null || b.high === null || (a.low <= b.high && b.low <= a.high);
  const apart = (hi: T, lo: T) => {
    if (hi.ratio <= lo.ratio * (1 + (rule.margin ?? 0))) return false;
    const p = rule.paired?.(hi, lo) ?? null;
    return p ? p.low > 1 : !overlap(hi, lo);
  };
  const tiers: T[][] = [];
  for (const x of [...items].sort((a, b) => b.ratio - a.ratio)) {
    const top = tiers.at(-1);
    if (top && top.every((y) => !apart(y, x))) top.push(x);
    else tiers.push([x]);
  }
  return tiers.map((t) => t.map((x) => x.label).sort().join(' ≈ ')).join(' > ');
}

/**
 * The orderings of ratios.csv's rows, one per (figure, baseline, group): on the own-time rate where every cell of
 * the group has it (as repetitions auto reads the ratios), else on the forwarded rate. A cell is labelled by its
 * values of the baseline's fields that vary in the group ("redis", or "redis/remote" when locations differ too).
 */
export function orderings(rows: readonly RatioRow[], rule: { margin?: number; paired?: (hi: RatioRow, lo: RatioRow) => { low: number; high: number } | null } = {}): Ordering[] {
  const groups = new Map<string, RatioRow[]>();
  for (const r of rows) {
    const fields = baselineFields(r.baseline);
    const shared = CELL_FIELDS.filter((f) => !fields.includes(f) && f !== 'testbed' && f !== 'frame_size').map((f) => r[f]);
    const key = [r.figure, r.baseline, r.frame_size, r.testbed, shared.join('/')].join('|');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: Ordering[] = [];
  for (const [key, rs] of groups) {
    const group = key.split('|').at(-1)!;
    const cells = new Set(rs.map((r) => cellIdOf(r)));
    const ownCells = new Set(rs.filter((r) => r.metric === 'tx_mpps_own').map((r) => cellIdOf(r)));
    const metric: RatioRow['metric'] = ownCells.size === cells.size ? 'tx_mpps_own' : 'tx_mpps';
    const mine = rs.filter((r) => r.metric === metric && r.ratio !== null);
    if (mine.length === 0) continue;
    const fields = baselineFields(rs[0]!.baseline) as (keyof RatioRow)[];
    const varying = fields.filter((f) => new Set(mine.map((r) => r[f])).size > 1);
    const label = (r: RatioRow) => (varying.length ? varying : fields).map((f) => String(r[f])).join('/');
    out.push({
      figure: rs[0]!.figure, baseline: rs[0]!.baseline, metric, group,
      order: orderingText(mine.map((r) => ({ label: label(r), ratio: r.ratio!, low: r.ratio_low, high: r.ratio_high, row: r })), {
        margin: rule.margin,
        paired: rule.paired ? (hi, lo) => rule.paired!(hi.row, lo.row) : undefined,
      }),
    });
  }
  return out;
}
