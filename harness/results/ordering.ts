// The ordering of paired ratios within a comparison group (the cells a baseline pairs: same NF, mode, cores, …):
// cells in tiers by ratio, cells whose 95 % intervals all overlap written as a tie, "hashmap ≈ redis > cassandra",
// so two runs are compared by what their intervals can tell apart, not by the noise inside them.
import { CELL_FIELDS, cellIdOf, type RatioRow } from './format.js';

export interface Ordering {
  figure: string;
  baseline: string;
  metric: RatioRow['metric'];
  /** the group's shared fields, e.g. "nat/async/1" (the baseline's fields left out) */
  group: string;
  /** e.g. "hashmap ≈ redis > cassandra": ">" where the intervals are disjoint, "≈" where they overlap */
  order: string;
}

/** The cell fields a baseline label ("store=hashmap,location=local") sets: the fields that vary within a group. */
const baselineFields = (label: string): string[] => label.split(',').map((kv) => kv.split('=')[0]!).filter((f) => f !== '');

/**
 * Tiers, from the highest ratio down: a cell joins the tier above it when its 95 % interval overlaps the interval of
 * every cell already in that tier (a tie, ≈: the run cannot tell them apart), else it opens the next tier (>: it is
 * apart from at least one cell of the tier above). Overlap is a conservative test: cells are called different only
 * when no value fits both intervals; a row without an interval (one pair) overlaps everything. A tier is written in
 * name order, so two runs whose centers moved only within a tie write the same text.
 */
export function orderingText(items: readonly { label: string; ratio: number; low: number | null; high: number | null }[]): string {
  type Item = (typeof items)[number];
  const overlap = (a: Item, b: Item) => a.low === null || a.high === null || b.low === null || b.high === null || (a.low <= b.high && b.low <= a.high);
  const tiers: Item[][] = [];
  for (const x of [...items].sort((a, b) => b.ratio - a.ratio)) {
    const top = tiers.at(-1);
    if (top && top.every((y) => overlap(x, y))) top.push(x);
    else tiers.push([x]);
  }
  return tiers.map((t) => t.map((x) => x.label).sort().join(' ≈ ')).join(' > ');
}

/**
 * The orderings of ratios.csv's rows, one per (figure, baseline, group): on the own-time rate where every cell of
 * the group has it (as repetitions auto reads the ratios), else on the forwarded rate. A cell is labelled by its
 * values of the baseline's fields that vary in the group ("redis", or "redis/remote" when locations differ too).
 */
export function orderings(rows: readonly RatioRow[]): Ordering[] {
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
      order: orderingText(mine.map((r) => ({ label: label(r), ratio: r.ratio!, low: r.ratio_low, high: r.ratio_high }))),
    });
  }
  return out;
}
