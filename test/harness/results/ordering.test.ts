// The orderings of paired ratios: tiers of cells not told apart, in name order; each pair apart, within the margin or unresolved;
// runs compared pair by pair. By exact value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareOrderings, orderingOf, orderingText, orderings, relationOf, type OrderItem, type Ordering } from '../../../harness/results/ordering.js';
import type { RatioRow } from '../../../harness/results/format.js';
test('orderingText: tiers from the top, a cell joining a tier only when it is apart from no cell in it; without a margin a tie is unresolved (~); ties in name order', () => {
  assert.equal(orderingText([
    { label: 'cassandra', ratio: 0.8, low: 0.75, high: 0.85 },
    { label: 'hashmap', ratio: 1, low: 1, high: 1 },
    { label: 'redis', ratio: 0.97, low: 0.93, high: 1.01 },
  ]), 'hashmap ~ redis > cassandra');
  // touching bounds overlap (a value fits both)
  assert.equal(orderingText([{ label: 'a', ratio: 1, low: 1, high: 1 }, { label: 'b', ratio: 0.9, low: 0.8, high: 1 }]), 'a ~ b');
  assert.equal(orderingText([{ label: 'a', ratio: 1, low: 1, high: 1 }, { label: 'b', ratio: 0.9, low: 0.8, high: 0.999 }]), 'a > b');
  // a ratio from one pair has no interval: a tie with the tier it meets
  assert.equal(orderingText([{ label: 'a', ratio: 1, low: 1, high: 1 }, { label: 'b', ratio: 0.5, low: null, high: null }]), 'a ~ b');
  // c overlaps b but not a: a and c are apart, so c opens the next tier (the 1-core counter-async of 2026-12-06)
  assert.equal(orderingText([
    { label: 'cassandra', ratio: 0.832, low: 0.766, high: 0.905 }, { label: 'hashmap', ratio: 1, low: 1, high: 1 }, { label: 'redis', ratio: 0.956, low: 0.888, high: 1.029 },
  ]), 'hashmap ~ redis > cassandra');
  // every two overlap: one tier
  assert.equal(orderingText([{ label: 'c', ratio: 0.9, low: 0.86, high: 0.99 }, { label: 'a', ratio: 1, low: 0.95, high: 1.05 }, { label: 'b', ratio: 0.92, low: 0.85, high: 0.96 }]), 'a ~ b ~ c');
  // a tier is written in name order, whatever the centers inside it (and whatever the rows' order)
  assert.equal(orderingText([{ label: 'z', ratio: 1, low: 1, high: 1 }, { label: 'm', ratio: 1, low: 0.9, high: 1.1 }]), 'm ~ z');
  assert.equal(orderingText([{ label: 'x', ratio: 1, low: 1, high: 1 }, { label: 'b', ratio: 1.02, low: 0.99, high: 1.05 }, { label: 'a', ratio: 0.5, low: 0.45, high: 0.55 }]), 'b ~ x > a');
  assert.equal(orderingText([]), '');
});

const row = (over: Partial<RatioRow>): RatioRow => ({
  nf: 'nat', store: 'hashmap', location: 'local', mode: 'async', cores: 1, frame_size: 64, testbed: 'local',
  figure: '', baseline: 'store=hashmap,location=local', metric: 'tx_mpps_own', n_pairs: 6, ratio: 1, ratio_low: 1, ratio_high: 1, method: 'm', ...over,
});

test('orderings: one per group (the baseline fields left out), on the own-time rate where every cell has it', () => {
  const rows = [
    row({}), row({ store: 'redis', ratio: 0.98, ratio_low: 0.95, ratio_high: 1.01 }), row({ store: 'cassandra', ratio: 0.9, ratio_low: 0.85, ratio_high: 0.94 }),
    row({ metric: 'tx_mpps' }), row({ metric: 'tx_mpps', store: 'redis', ratio: 1.2, ratio_low: 1.1, ratio_high: 1.3 }), row({ metric: 'tx_mpps', store: 'cassandra', ratio: 0.5, ratio_low: 0.4, ratio_high: 0.6 }),
    // 2 cores: one cell without the own-time rate, so the group orders by the forwarded rate
    row({ cores: 2, metric: 'tx_mpps' }), row({ cores: 2, metric: 'tx_mpps', store: 'redis', ratio: 0.7, ratio_low: 0.6, ratio_high: 0.8 }),
    row({ cores: 2 }),
  ];
  assert.deepEqual(orderings(rows).map(({ pairs, ...o }) => o), [
    { figure: '', baseline: 'store=hashmap,location=local', metric: 'tx_mpps_own', group: 'nat/async/1', order: 'hashmap ~ redis > cassandra' },
    { figure: '', baseline: 'store=hashmap,location=local', metric: 'tx_mpps', group: 'nat/async/2', order: 'hashmap > redis' },
  ]);
  // every pair kept, higher first; without a paired interval, the widest the two intervals allow (0.95 / 0.94)
  assert.deepEqual(orderings(rows)[0]!.pairs!.map((p) => `${p.hi}/${p.lo} ${p.relation} ${p.low!.toFixed(4)}`), ['hashmap/redis unresolved 0.9901', 'hashmap/cassandra apart 1.0638', 'redis/cassandra apart 1.0106']);
  // a cell is named by the baseline's fields that vary in its group: both where stores and locations differ
  assert.equal(orderings([row({}), row({ location: 'remote', ratio: 0.5, ratio_low: 0.45, ratio_high: 0.55 })])[0]!.order, 'local > remote');
  assert.equal(orderings([row({}), row({ store: 'redis', location: 'remote', ratio: 0.5, ratio_low: 0.45, ratio_high: 0.55 })])[0]!.order, 'hashmap/local > redis/remote');
});

test('orderingText with a margin: a difference at or below it is a tie whatever the intervals; above it, a paired interval decides over the overlap', () => {
  const a = { label: 'a', ratio: 1, low: 1, high: 1 };
  const b = { label: 'b', ratio: 0.97, low: 0.96, high: 0.98 };
  assert.equal(orderingText([a, b]), 'a > b');
  assert.equal(orderingText([a, b], { margin: 0.05 }), 'a ≈ b');
  assert.equal(orderingText([a, b], { margin: 0.02 }), 'a > b');
  // 0.90 / 0.84 = 1.071, beyond a 5 % margin; their intervals against the baseline overlap
  const c = { label: 'c', ratio: 0.9, low: 0.85, high: 0.95 };
  const d = { label: 'd', ratio: 0.84, low: 0.8, high: 0.91 };
  assert.equal(orderingText([c, d], { margin: 0.05 }), 'c ~ d');
  assert.equal(orderingText([c, d], { margin: 0.05, paired: () => ({ low: 1.03, high: 1.11 }) }), 'c > d');
  assert.equal(orderingText([c, d], { margin: 0.05, paired: () => ({ low: 0.99, high: 1.15 }) }), 'c ~ d');
  // the paired interval is asked for the higher over the lower
  const asked: string[] = [];
  orderingText([d, c], { paired: (hi, lo) => (asked.push(`${hi.label}/${lo.label}`), null) });
  assert.deepEqual(asked, ['c/d']);
  // no paired interval (fewer than two rounds): the overlap decides, as without a rule
  assert.equal(orderingText([a, { ...d, high: 0.9 }], { margin: 0.05, paired: () => null }), 'a > d');
});

test('relationOf: apart beyond the margin and told apart; within when the interval lies inside the margin; else unresolved', () => {
  const base: OrderItem = { label: 'hashmap', ratio: 1, low: 1, high: 1 };
  // store-location's counter-async/1 Redis over hashmap (target_ci 5 %) in runs 4 and 3 of 2026-12-06
  const run4 = { label: 'redis', ratio: 0.9499682229689702, low: 0.9171803750154015, high: 0.9839281882101644 };
  const run3 = { label: 'redis', ratio: 0.9749756830018066, low: 0.9504132330698997, high: 1.0001729241231299 };
  const r4 = relationOf(base, run4, { margin: 0.05 });
  assert.equal(r4.relation, 'apart');
  assert.equal(r4.ratio, 1 / 0.9499682229689702);
  assert.equal(r4.low, 1 / 0.9839281882101644);
  assert.equal(r4.high, 1 / 0.9171803750154015);
  // 1 / 0.95041 = 1.0522 > 1.05: the interval reaches beyond the margin, and its ratio is within it: unresolved
  assert.equal(relationOf(base, run3, { margin: 0.05 }).relation, 'unresolved');
  assert.equal(relationOf(base, { ...run3, low: 0.9524 }, { margin: 0.05 }).relation, 'within');
  // no margin: nothing is within; a paired interval decides over the two intervals
  assert.equal(relationOf(base, { ...run3, low: 0.99 }).relation, 'unresolved');
  assert.equal(relationOf(base, run3, { margin: 0.05, paired: () => ({ low: 0.96, high: 1.04 }) }).relation, 'within');
  assert.deepEqual(relationOf(base, { label: 'x', ratio: 0.5, low: null, high: null }, { margin: 0.05 }), { hi: 'hashmap', lo: 'x', relation: 'unresolved', ratio: 2, low: null, high: null });
});

test('orderingOf: a tier joined by ≈ only when every pair in it is within the margin; every pair listed, higher first', () => {
  const h = { label: 'hashmap', ratio: 1, low: 1, high: 1 };
  const r = { label: 'redis', ratio: 0.98, low: 0.96, high: 1.0 };
  const c = { label: 'cassandra', ratio: 0.97, low: 0.93, high: 1.01 };
  const x = orderingOf([c, r, h], { margin: 0.05 });
  assert.equal(x.order, 'cassandra ~ hashmap ~ redis');
  assert.deepEqual(x.pairs.map((p) => `${p.hi}/${p.lo} ${p.relation}`), ['hashmap/redis within', 'hashmap/cassandra unresolved', 'redis/cassandra unresolved']);
  assert.equal(orderingText([r, h], { margin: 0.05 }), 'hashmap ≈ redis');
});

const ord = (order: string, pairs: Ordering['pairs'], over: Partial<Ordering> = {}): Ordering => ({
  figure: '', baseline: 'store=hashmap', metric: 'tx_mpps_own', group: 'counter-async/async/1', order, pairs, ...over,
});
const pr = (hi: string, lo: string, relation: 'apart' | 'within' | 'unresolved') => ({ hi, lo, relation, ratio: 1, low: null, high: null });

test('compareOrderings: same; consistent where a run left a pair unresolved; contradicting where apart meets the other way or within; missing', () => {
  const apart = ord('hashmap > redis', [pr('hashmap', 'redis', 'apart')]);
  const unresolved = ord('hashmap ~ redis', [pr('hashmap', 'redis', 'unresolved')]);
  const within = ord('hashmap ≈ redis', [pr('hashmap', 'redis', 'within')]);
  const reversed = ord('redis > hashmap', [pr('redis', 'hashmap', 'apart')]);
  assert.equal(compareOrderings([[apart], [apart]])[0]!.agreement, 'same');
  const c = compareOrderings([[apart], [unresolved], [apart]])[0]!;
  assert.equal(c.agreement, 'consistent');
  assert.deepEqual(c.orders, ['hashmap > redis', 'hashmap ~ redis', 'hashmap > redis']);
  assert.deepEqual(c.differing.map((d) => [d.pair, d.says, d.contradicts]), [['hashmap / redis', ['hashmap > redis', 'unresolved', 'hashmap > redis'], false]]);
  assert.equal(compareOrderings([[within], [unresolved]])[0]!.agreement, 'consistent');
  assert.equal(compareOrderings([[apart], [within]])[0]!.agreement, 'contradicts');
  assert.equal(compareOrderings([[apart], [unresolved], [reversed]])[0]!.agreement, 'contradicts');
  const other = ord('a > b', [pr('a', 'b', 'apart')], { group: 'nat/async/1' });
  assert.deepEqual(compareOrderings([[apart, other], [apart]]).map((g) => [g.group, g.agreement]), [['counter-async/async/1', 'same'], ['nat/async/1', 'missing']]);
  // recorded without pairs: texts that differ cannot be told consistent
  assert.equal(compareOrderings([[ord('a > b', undefined)], [ord('a ≈ b', undefined)]])[0]!.agreement, 'contradicts');
  assert.equal(compareOrderings([[ord('a > b', undefined)], [ord('a > b', undefined)]])[0]!.agreement, 'same');
});
