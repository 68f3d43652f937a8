// bench/spread.ts's arithmetic: variants by name, the one-way split of processes' windows, and the split net of the
// batches (the host's speed over time) with pairs of one variant, against values worked by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchedSpread, spreadOf, variantOf, SPREAD_VARIANTS } from '../../../bench/lib/spread.js';

const close = (a: number | null, b: number, eps = 1e-12) => assert.ok(a !== null && Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('variantOf: NAME#k is NAME again under its own name; unknown names are undefined', () => {
  assert.deepEqual(variantOf('inline-4000#2'), { ...SPREAD_VARIANTS['inline-4000'], name: 'inline-4000#2' });
  assert.deepEqual(variantOf('no-aslr')?.prefix, ['setarch', '-R']);
  assert.equal(variantOf('nope'), undefined);
});

test('spreadOf: two processes with windows e^{±0.1} around e^{0} and e^{0.4}: within 0.1·√(4/2)… exactly', () => {
  const e = Math.exp;
  const s = spreadOf([[e(-0.1), e(0.1)], [e(0.3), e(0.5)]]);
  close(s.mean, e(0.2));
  // within: SSW = 4 · 0.01 over 2 df → √0.02; between: MSB = 2 · 2 · 0.04 / 1 = 0.16, n0 = 2 → √((0.16 − 0.02)/2)
  close(s.within, Math.sqrt(0.02));
  close(s.between, Math.sqrt(0.07));
});

test('batchedSpread: a batch effect every process shares is taken out; a process offset stays; pairs of one variant', () => {
  const e = Math.exp;
  // two batches (host speed ln 0 and ln 0.2), variants a, a#2 and b (b 10 % faster); a#2 in batch 1 is 0.1 slower
  // than its batch; every process has windows ln x ± 0.05 (within 0.05·√2 over 1 df each)
  const p = (batch: number, variant: string, x: number) => ({ batch, variant, rates: [e(x - 0.05), e(x + 0.05)] });
  const t = batchedSpread([p(0, 'a', 0), p(0, 'a#2', -0.1), p(0, 'b', Math.log(1.1)), p(1, 'a', 0.2), p(1, 'a#2', 0.2), p(1, 'b', 0.2 + Math.log(1.1))]);
  close(t.within, Math.sqrt(0.005));
  assert.equal(t.windows, 2);
  assert.equal(t.batches, 2);
  // variant means: a 0.1, a#2 0.05, b 0.1 + ln 1.1; each batch's mean of (process − its variant's mean) is
  // (−0.1 − 0.15 − 0.1)/3 = −0.35/3 in batch 0 and +0.35/3 in batch 1
  close(t.batch, Math.sqrt(2) * 0.35 / 3);
  const a2 = t.variants.find((v) => v.variant === 'a#2')!;
  // a#2's residuals ∓(0.15 − 0.35/3) = ∓0.05/1.5: variance 2·(0.05/1.5)²/(2 − 1)·3/2, less within²/2 = 0.0025
  close(a2.process, Math.sqrt(2 * (0.05 / 1.5) ** 2 * 1.5 - 0.0025), 1e-9);
  close(t.variants.find((v) => v.variant === 'b')!.mean, 1.1 * e(0.1));
  assert.equal(t.pairs.length, 1);
  assert.deepEqual(t.pairs[0]!.variants, ['a', 'a#2']);
  // ln(a#2/a) per batch: −0.1, 0 → sd √0.005, ratio e^{−0.05}
  close(t.pairs[0]!.sd, Math.sqrt(0.005));
  close(t.pairs[0]!.ratio, e(-0.05));
});
