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
