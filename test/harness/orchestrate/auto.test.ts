// Repetitions auto's stopping rule: a cell's own interval and, with a baseline, its paired ratio's, by exact value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unreachedCells, specRatios } from '../../../harness/orchestrate/auto.js';
import { logCi } from '../../../harness/results/stats.js';
import { trialRecord as rec } from '../results/record.js';

// hashmap and redis rise and fall together round by round (a host's slow spells): each cell alone spreads
// ±30 %, their ratio is 0.9 every round
const host = [1.0, 1.6, 0.7, 1.3];
const records = host.flatMap((h, k) => [
  rec({ trial_id: `h/${k}`, repetition: k, store: 'hashmap', tx_pps: 10e6 * h }),
  rec({ trial_id: `r/${k}`, repetition: k, store: 'redis', tx_pps: 9e6 * h }),
]);
const spec = (target: number, baseline?: { store: string }) => ({ baseline, figures: [], matrix: { target_ci: target } }) as unknown as Parameters<typeof unreachedCells>[0];

test('unreachedCells: a cell is unreached while its own interval is wider than the target, named with its width', () => {
  const hw = (xs: number[]) => { const c = logCi(xs)!; return Math.max(c.high - c.center, c.center - c.low) / c.center; };
  const w = hw(host.map((h) => 10e6 * h));
  assert.deepEqual(unreachedCells(spec(w + 1e-9), records), []);
  assert.deepEqual(unreachedCells(spec(w - 1e-9), records), [`nat/hashmap/local/async/1: ±${(w * 100).toFixed(1)}%`, `nat/redis/local/async/1: ±${(w * 100).toFixed(1)}%`]);
});

test('unreachedCells: with a baseline, a paired ratio wider than the target keeps the run going', () => {
  const wide = records.map((r) => (r.store === 'redis' && r.repetition === 3 ? { ...r, tx_pps: r.tx_pps! * 1.2 } : r));
  const rows = specRatios(spec(1, { store: 'hashmap' }), wide).filter((r) => r.store === 'redis' && r.metric === 'tx_mpps');
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.n_pairs, 4);
  const hw = Math.max(rows[0]!.ratio_high! - rows[0]!.ratio!, rows[0]!.ratio! - rows[0]!.ratio_low!) / rows[0]!.ratio!;
  // every cell alone is within a generous target, the ratio is not
  const target = 0.9;
  assert.ok(hw > 0 && hw < target);
  assert.deepEqual(unreachedCells(spec(target, { store: 'hashmap' }), wide), []);
  assert.deepEqual(unreachedCells(spec(hw - 1e-9, { store: 'hashmap' }), wide).filter((s) => s.includes(' / ')), [`nat/redis/local/async/1 / store=hashmap: ±${(hw * 100).toFixed(1)}%`]);
  // the reference paired with itself is exactly 1 and never holds a run up
  assert.deepEqual(unreachedCells(spec(0.0001, { store: 'hashmap' }), records).filter((s) => s.includes(' / ')), []);
});

test('unreachedCells: a ratio from one pair has no interval and is named so', () => {
  const one = records.filter((r) => r.repetition === 0);
  assert.deepEqual(unreachedCells(spec(0.5, { store: 'hashmap' }), one), [
    'nat/hashmap/local/async/1: ±∞%', 'nat/redis/local/async/1: ±∞%',
    'nat/hashmap/local/async/1 / store=hashmap: no interval (1 pair(s))', 'nat/redis/local/async/1 / store=hashmap: no interval (1 pair(s))',
  ]);
});

test('unreachedCells: with ratio_interval median, the ratio\'s order-statistic interval decides (no interval below 6 pairs)', () => {
  const ratios = [0.99, 1.0, 1.01, 0.98, 0.5, 1.02, 1.0, 0.99, 1.01];
  const recs = ratios.flatMap((x, k) => [
    rec({ trial_id: `h/${k}`, repetition: k, store: 'hashmap', tx_pps: 10e6 }),
    rec({ trial_id: `r/${k}`, repetition: k, store: 'redis', tx_pps: 10e6 * x }),
  ]);
  const median = (target: number) => ({ baseline: { store: 'hashmap' }, figures: [], matrix: { target_ci: target, ratio_interval: 'median' } }) as unknown as Parameters<typeof unreachedCells>[0];
  // [0.98, 1.01] around 1.00: ±2.0 %; the cells alone (hashmap steady, redis with its slow round) are left to a wide target
  const ratioOnly = (xs: string[]) => xs.filter((s) => s.includes(' / '));
  assert.deepEqual(ratioOnly(unreachedCells(median(0.0201), recs)), []);
  assert.deepEqual(ratioOnly(unreachedCells(median(0.0199), recs)), ['nat/redis/local/async/1 / store=hashmap: ±2.0%']);
  // the mean's t interval of the same rounds is far wider
  assert.deepEqual(ratioOnly(unreachedCells(spec(0.0201, { store: 'hashmap' }), recs)).length, 1);
  assert.deepEqual(ratioOnly(unreachedCells(median(0.5), recs.filter((r) => r.repetition < 5))), ['nat/redis/local/async/1 / store=hashmap: no interval (5 pair(s))']);
});
