// The orderings of paired ratios: tiers of cells whose intervals all overlap, ties in name order, by exact value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orderingText, orderings } from '../../../harness/results/ordering.js';
import type { RatioRow } from '../../../harness/results/format.js';

test('orderingText: tiers from the top, a cell joining a tier only when it overlaps every cell in it; ties in name order', () => {
  assert.equal(orderingText([
    { label: 'cassandra', ratio: 0.8, low: 0.75, high: 0.85 },
    { label: 'hashmap', ratio: 1, low: 1, high: 1 },
    { label: 'redis', ratio: 0.97, low: 0.93, high: 1.01 },
  ]), 'hashmap ≈ redis > cassandra');
  // touching bounds overlap (a value fits both)
  assert.equal(orderingText([{ label: 'a', ratio: 1, low: 1, high: 1 }, { label: 'b', ratio: 0.9, low: 0.8, high: 1 }]), 'a ≈ b');
  assert.equal(orderingText([{ label: 'a', ratio: 1, low: 1, high: 1 }, { label: 'b', ratio: 0.9, low: 0.8, high: 0.999 }]), 'a > b');
  // a ratio from one pair has no interval: a tie with the tier it meets
  assert.equal(orderingText([{ label: 'a', ratio: 1, low: 1, high: 1 }, { label: 'b', ratio: 0.5, low: null, high: null }]), 'a ≈ b');
  // c overlaps b but not a: a and c are apart, so c opens the next tier (the 1-core counter-async of 2026-12-06)
  assert.equal(orderingText([
    { label: 'cassandra', ratio: 0.832, low: 0.766, high: 0.905 }, { label: 'hashmap', ratio: 1, low: 1, high: 1 }, { label: 'redis', ratio: 0.956, low: 0.888, high: 1.029 },
  ]), 'hashmap ≈ redis > cassandra');
  // every two overlap: one tier
  assert.equal(orderingText([{ label: 'c', ratio: 0.9, low: 0.86, high: 0.99 }, { label: 'a', ratio: 1, low: 0.95, high: 1.05 }, { label: 'b', ratio: 0.92, low: 0.85, high: 0.96 }]), 'a ≈ b ≈ c');
  // a tier is written in name order, whatever the centers inside it (and whatever the rows' order)
  assert.equal(orderingText([{ label: 'z', ratio: 1, low: 1, high: 1 }, { label: 'm', ratio: 1, low: 0.9, high: 1.1 }]), 'm ≈ z');
  assert.equal(orderingText([{ label: 'x', ratio: 1, low: 1, high: 1 }, { label: 'b', ratio: 1.02, low: 0.99, high: 1.05 }, { label: 'a', ratio: 0.5, low: 0.45, high: 0.55 }]), 'b ≈ x > a');
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
  assert.deepEqual(orderings(rows), [
    { figure: '', baseline: 'store=hashmap,location=local', metric: 'tx_mpps_own', group: 'nat/async/1', order: 'hashmap ≈ redis > cassandra' },
    { figure: '', baseline: 'store=hashmap,location=local', metric: 'tx_mpps', group: 'nat/async/2', order: 'hashmap > redis' },
  ]);
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
  assert.equal(orderingText([c, d], { margin: 0.05 }), 'c ≈ d');
  assert.equal(orderingText([c, d], { margin: 0.05, paired: () => ({ low: 1.03, high: 1.11 }) }), 'c > d');
  assert.equal(orderingText([c, d], { margin: 0.05, paired: () => ({ low: 0.99, high: 1.15 }) }), 'c ≈ d');
  // the paired interval is asked for the higher over the lower
  const asked: string[] = [];
  orderingText([d, c], { paired: (hi, lo) => (asked.push(`${hi.label}/${lo.label}`), null) });
  assert.deepEqual(asked, ['c/d']);
  // no paired interval (fewer than two rounds): the overlap decides, as without a rule
  assert.equal(orderingText([a, { ...d, high: 0.9 }], { margin: 0.05, paired: () => null }), 'a > d');
});
