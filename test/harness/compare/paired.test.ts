// The paired log-ratio decision: exact values against hand-computed t intervals, each verdict, and the estimates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decidePaired, detectableDrop, roundsToDecide } from '../../../harness/compare/paired.js';
import { tQuantile } from '../../../harness/results/stats.js';

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
const opts = { tolerance: 0.05, confidence: 0.95 };

test('decidePaired: the interval is exp(mean ± t·sd/√n) − 1 of the log ratios, exactly', () => {
  const ratios = [0.8, 0.82, 0.78, 0.81];
  const logs = ratios.map(Math.log);
  const m = logs.reduce((a, b) => a + b) / 4;
  const s = Math.sqrt(logs.reduce((a, b) => a + (b - m) ** 2, 0) / 3);
  const h = (tQuantile(0.975, 3) * s) / 2;
  const d = decidePaired(ratios, opts);
  close(d.change, Math.exp(m) - 1);
  close(d.changeCi!.low, Math.exp(m - h) - 1);
  close(d.changeCi!.high, Math.exp(m + h) - 1);
  close(d.medianChange, (0.8 + 0.81) / 2 - 1);
  assert.equal(d.df, 3);
  assert.equal(d.rounds, 4);
  assert.equal(d.verdict, 'regressed');
  assert.match(d.reason, /over 4 rounds .* below -5\.00%/);
  close(d.detectable!, 1 - Math.exp(Math.log(0.95) - ((tQuantile(0.975, 3) + tQuantile(0.8, 3)) * s) / 2));
});

test('decidePaired: each verdict; a ratio and its inverse are symmetric on the log scale', () => {
  assert.equal(decidePaired([1.2, 1.21, 1.19], opts).verdict, 'improved');
  assert.equal(decidePaired([1.0, 1.001, 0.999, 1.0], opts).verdict, 'unchanged');
  const inc = decidePaired([0.9, 1.05, 0.97], opts);
  assert.equal(inc.verdict, 'inconclusive');
  assert.ok(inc.more && inc.more.perSide !== null && inc.more.perSide > 3, JSON.stringify(inc.more));
  const a = decidePaired([0.9, 0.95, 0.85], opts);
  const b = decidePaired([1 / 0.9, 1 / 0.95, 1 / 0.85], opts);
  close(Math.log(1 + a.change), -Math.log(1 + b.change));
  close(Math.log(1 + a.changeCi!.low), -Math.log(1 + b.changeCi!.high));
});

test('decidePaired: no rounds or one round is inconclusive with a reason; bad ratios throw', () => {
  const none = decidePaired([], opts);
  assert.equal(none.verdict, 'inconclusive');
  assert.match(none.reason, /no round/);
  const one = decidePaired([0.5], opts);
  assert.equal(one.verdict, 'inconclusive');
  assert.match(one.reason, /too few rounds/);
  assert.equal(one.detectable, null);
  assert.throws(() => decidePaired([1, 0], opts), RangeError);
  assert.throws(() => decidePaired([1, Number.NaN], opts), RangeError);
});

test('detectableDrop: the tolerance itself when there is no noise; grows with noise, shrinks with rounds', () => {
  close(detectableDrop(0, 5, opts)!, 0.05);
  assert.ok(detectableDrop(0.02, 5, opts)! > detectableDrop(0.01, 5, opts)!);
  assert.ok(detectableDrop(0.02, 20, opts)! < detectableDrop(0.02, 5, opts)!);
  assert.equal(detectableDrop(0.02, 1, opts), null);
});

test('roundsToDecide: the smallest n whose half-width falls below the margin; null on a bound', () => {
  const m = Math.log(0.9);
  const s = 0.05;
  const n = roundsToDecide(m, s, 3, opts)!;
  const half = (k: number) => (tQuantile(0.975, k - 1) * s) / Math.sqrt(k);
  const margin = Math.log(0.95) - m;
  assert.ok(half(n) < margin && half(n - 1) >= margin, String(n));
  assert.equal(roundsToDecide(Math.log(0.95), s, 3, opts), null);
});

test('epochSamples: one ratio per epoch, exp of its rounds\' mean ln ratio, in epoch order; short epochs apart', async () => {
  const { epochSamples } = await import('../../../harness/compare/paired.js');
  const rounds = [{ epoch: 1, ratio: 1.0 }, { epoch: 0, ratio: 0.9 }, { epoch: 0, ratio: 0.8 }, { epoch: 1, ratio: 0.95 }, { epoch: 2, ratio: 0.7 }, { epoch: 1, ratio: 0.85 }];
  const { samples, short } = epochSamples(rounds, 2);
  assert.deepEqual(samples.map((e) => [e.epoch, e.rounds]), [[0, 2], [1, 3]]);
  close(samples[0].ratio, Math.sqrt(0.9 * 0.8));
  close(samples[1].ratio, Math.cbrt(1.0 * 0.95 * 0.85));
  assert.deepEqual(short, [{ epoch: 2, rounds: 1, ratio: 0.7 }]);
  assert.throws(() => epochSamples([{ epoch: 0, ratio: 0 }], 1), RangeError);
});

test('epochSpread: within = √MSW, between = √((MSB − MSW)/n₀) of the ln ratios, exactly; 0 when MSB ≤ MSW', async () => {
  const { epochSpread } = await import('../../../harness/compare/paired.js');
  const r = (epoch: number, logs: number[]) => logs.map((l) => ({ epoch, ratio: Math.exp(l) }));
  // SSW = 0.02 + 0.02 + 0.08 over 7 − 3 df: MSW 0.03; grand mean 1.9/7, MSB = 15.4/49 / 2, n₀ = (7 − 17/7)/2 = 16/7
  const s = epochSpread([...r(0, [0.1, 0.3]), ...r(1, [-0.1, 0.1]), ...r(2, [0.3, 0.5, 0.7])]);
  close(s.within!, Math.sqrt(0.03), 1e-9);
  close(s.between!, Math.sqrt(((7.7 / 49 - 0.03) * 7) / 16), 1e-9);
  close(s.between! ** 2, 0.055625, 1e-9);
  // the third epoch at the others' level: MSB (1.4/49) is below MSW, no offset beyond the rounds' noise
  const flat = epochSpread([...r(0, [0.1, 0.3]), ...r(1, [-0.1, 0.1]), ...r(2, [0.0, 0.2, 0.4])]);
  close(flat.within!, Math.sqrt(0.03), 1e-9);
  assert.equal(flat.between, 0);
  // one epoch: no between; epochs of one round each: no within
  assert.deepEqual(epochSpread(r(0, [0.1, 0.2])).between, null);
  assert.deepEqual(epochSpread([...r(0, [0.1]), ...r(1, [0.2])]), { within: null, between: null });
});

test('decidePaired on epochs: the same interval, worded in epochs', () => {
  const d = decidePaired([0.8, 0.82, 0.78, 0.81], { ...opts, unit: 'epoch' });
  assert.match(d.reason, /over 4 epochs .* below -5\.00%/);
  assert.match(decidePaired([0.5], { ...opts, unit: 'epoch' }).reason, /too few epochs/);
  const inc = decidePaired([0.9, 1.05, 0.97], { ...opts, unit: 'epoch' });
  assert.match(inc.more!.note, /epochs would decide it/);
});
