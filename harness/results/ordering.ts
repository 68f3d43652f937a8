// The ordering of paired ratios within a comparison group (the cells a baseline pairs: same NF, mode, cores, …):
// cells in tiers by ratio, "hashmap ≈ redis > cassandra". Each pair of cells is one of three: apart (>) when they
// differ by more than the run's margin (the spec's target_ci: what the run was designed to resolve) and their paired
// interval tells them apart; within the margin (≈) when that interval lies inside it; else unresolved (~): the run
// cannot say on which side of the margin they are. Two runs contradict each other only where a pair is apart one way
// in one and the other way, or within the margin, in the other (compareOrderings); a ratio at the margin that one run
// resolves and the next does not is no contradiction.
import { CELL_FIELDS, cellIdOf, type RatioRow } from './format.js';

/** apart: beyond the margin and told apart; within: the interval inside the margin; unresolved: neither */
export type Relation = 'apart' | 'within' | 'unresolved';

/** One pair of a group's cells: hi has the higher ratio; ratio, low, high are hi's rate over lo's. */
export interface PairRelation {
  hi: string;
  lo: string;
  relation: Relation;
  ratio: number;
  low: number | null;
  high: number | null;
}

export interface Ordering {
  figure: string;
  baseline: string;
  metric: RatioRow['metric'];
  /** the group's shared fields, e.g. "nat/async/1" (the baseline's fields left out) */
  group: string;
  /** e.g. "hashmap ≈ redis > cassandra": ">" between tiers; in a tier "≈" when every pair is within the margin, else "~" */
  order: string;
  /** every pair of the group's cells, in the order of the tiers (absent in runs before 2026-12-06 evening) */
  pairs?: PairRelation[];
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
  /** a relative difference at or below this is never apart; an interval inside ±this is within (e.g. 0.03) */
  margin?: number;
  /** the interval of hi's rate over lo's from the rounds that measured both; null: none, the two intervals decide */
  paired?: (hi: T, lo: T) => { low: number; high: number } | null;
}

/**
 * The relation of two cells, hi's ratio at least lo's. Their interval is the paired one, or without it the widest
 * the two intervals allow (hi.low / lo.high to hi.high / lo.low: against the baseline's own [1, 1] row, the cell's
 * interval itself). Apart: hi exceeds lo by more than the margin and the interval lies above 1. Within: a margin is
 * set and the interval lies inside [1 / (1 + margin), 1 + margin]. Otherwise unresolved (a row without an interval
 * is apart from nothing and within nothing).
 */
export function relationOf<T extends OrderItem>(hi: T, lo: T, rule: OrderingRule<T> = {}): PairRelation {
  const m = rule.margin ?? 0;
  const known = hi.low !== null && hi.high !== null && lo.low !== null && lo.high !== null && lo.low > 0 && lo.high > 0;
  const iv = rule.paired?.(hi, lo) ?? (known ? { low: hi.low! / lo.high!, high: hi.high! / lo.low! } : null);
  const ratio = hi.ratio / lo.ratio;
  const relation: Relation = hi.ratio > lo.ratio * (1 + m) && iv !== null && iv.low > 1
    ? 'apart'
    : m > 0 && iv !== null && iv.low >= 1 / (1 + m) && iv.high <= 1 + m ? 'within' : 'unresolved';
  return { hi: hi.label, lo: lo.label, relation, ratio, low: iv?.low ?? null, high: iv?.high ?? null };
}

/**
 * Tiers, from the highest ratio down: a cell joins the tier above it when it is apart from no cell already in that
 * tier, else it opens the next tier. A tier is written in name order (two runs whose centers moved only within a
 * tier write the same text), joined by "≈" when every pair in it is within the margin, else by "~".
 */
export function orderingOf<T extends OrderItem>(items: readonly T[], rule: OrderingRule<T> = {}): { order: string; pairs: PairRelation[] } {
  const sorted = [...items].sort((a, b) => b.ratio - a.ratio);
  const pairs: PairRelation[] = [];
  const rel = new Map<T, Map<T, PairRelation>>();
  sorted.forEach((hi, i) => {
    const row = new Map<T, PairRelation>();
    for (const lo of sorted.slice(i + 1)) {
      const p = relationOf(hi, lo, rule);
      row.set(lo, p);
      pairs.push(p);
    }
    rel.set(hi, row);
  });
  const tiers: T[][] = [];
  for (const x of sorted) {
    const top = tiers.at(-1);
    if (top && top.every((y) => rel.get(y)!.get(x)!.relation !== 'apart')) top.push(x);
    else tiers.push([x]);
  }
  const order = tiers.map((t) => {
    const allWithin = t.every((y, i) => t.slice(i + 1).every((x) => rel.get(y)!.get(x)!.relation === 'within'));
    return t.map((x) => x.label).sort().join(allWithin ? ' ≈ ' : ' ~ ');
  }).join(' > ');
  return { order, pairs };
}

/** The ordering's text alone (orderingOf). */
export const orderingText = <T extends OrderItem>(items: readonly T[], rule: OrderingRule<T> = {}): string => orderingOf(items, rule).order;

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
    const { order, pairs } = orderingOf(mine.map((r) => ({ label: label(r), ratio: r.ratio!, low: r.ratio_low, high: r.ratio_high, row: r })), {
      margin: rule.margin,
      paired: rule.paired ? (hi, lo) => rule.paired!(hi.row, lo.row) : undefined,
    });
    out.push({ figure: rs[0]!.figure, baseline: rs[0]!.baseline, metric, group, order, pairs });
  }
  return out;
}

/** How a group's orderings compare across runs: the same relations, different but none contradicting, contradicting, or absent from a run. */
export type Agreement = 'same' | 'consistent' | 'contradicts' | 'missing';

export interface GroupAgreement {
  figure: string;
  baseline: string;
  metric: RatioRow['metric'];
  group: string;
  agreement: Agreement;
  /** per run (the order of the input), the ordering's text; null where the run has no such group */
  orders: (string | null)[];
  /** the pairs whose relation differs between runs: per run what it said ("hashmap > redis", "within", "unresolved") */
  differing: { pair: string; says: (string | null)[]; contradicts: boolean; of: (PairRelation | null)[] }[];
}

/** A pair's relation as the run states it, direction included. */
const stance = (p: PairRelation): string => (p.relation === 'apart' ? `${p.hi} > ${p.lo}` : p.relation);

/** Two stances on one pair contradict when one is apart and the other apart the other way or within the margin. */
const contradict = (a: string, b: string): boolean => a !== b && a !== 'unresolved' && b !== 'unresolved' && (a.includes(' > ') || b.includes(' > '));

/**
 * Orderings of several runs compared group by group and pair by pair. A pair unresolved in one run and resolved in
 * another is a difference, not a contradiction: only a pair apart in one run and apart the other way, or within the
 * margin, in another contradicts (each run's interval then excludes what the other claims).
 */
export function compareOrderings(runs: readonly (readonly Ordering[])[]): GroupAgreement[] {
  const keyOf = (o: Ordering) => [o.figure, o.baseline, o.metric, o.group].join('|');
  const keys = [...new Set(runs.flatMap((os) => os.map(keyOf)))];
  return keys.map((key) => {
    const per = runs.map((os) => os.find((o) => keyOf(o) === key) ?? null);
    const first = per.find((o) => o !== null)!;
    const pairKey = (p: PairRelation) => [p.hi, p.lo].sort().join(' / ');
    const pairNames = [...new Set(per.flatMap((o) => (o?.pairs ?? []).map(pairKey)))];
    const differing: GroupAgreement['differing'] = [];
    for (const name of pairNames) {
      const of = per.map((o) => o?.pairs?.find((p) => pairKey(p) === name) ?? null);
      const says = of.map((p) => (p ? stance(p) : null));
      if (new Set(says).size === 1) continue;
      const known = says.filter((s): s is string => s !== null);
      differing.push({ pair: name, says, of, contradicts: known.some((a) => known.some((b) => contradict(a, b))) });
    }
    const orders = per.map((o) => o?.order ?? null);
    const agreement: Agreement = per.some((o) => o === null) ? 'missing'
      : differing.some((d) => d.contradicts) ? 'contradicts'
      : differing.length > 0 ? 'consistent'
      // texts that differ with no pairs to tell why (orderings recorded before pairs were kept): taken as a contradiction
      : new Set(orders).size > 1 ? 'contradicts' : 'same';
    return { figure: first.figure, baseline: first.baseline, metric: first.metric, group: first.group, agreement, orders, differing };
  });
}
