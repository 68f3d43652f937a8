import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mean, sd, tQuantile } from '../../../harness/results/stats.js';
import { classify, decide, repetitionsToDecide, sideStats, welchDf } from '../../../harness/compare/verdict.js';
import { samplesWith } from './helpers.js';

const opts = { tolerance: 0.05, confidence: 0.95 };
const stats = (xs: number[], failed = 0) => sideStats(xs, failed, opts.confidence);

test('samplesWith gives the asked mean and sd', () => {
  for (const n of [2, 3, 7, 10]) {
    const xs = samplesWith(100, 4, n);
    assert.equal(xs.length, n);
    assert.ok(Math.abs(mean(xs) - 100) < 1e-9);
    assert.ok(Math.abs(sd(xs) - 4) < 1e-9);
  }
});

test('welchDf matches the Welch–Satterthwaite formula worked by hand', () => {
  // s1=1,n1=5 -> a=0.2; s2=2,n2=5 -> b=0.8; df = 1 / (0.04/4 + 0.64/4) = 1/0.17
  assert.ok(Math.abs(welchDf(0.2, 5, 0.8, 5) - 1 / 0.17) < 1e-12);
  // equal variances and sizes: df = 2(n-1)
  assert.ok(Math.abs(welchDf(1, 6, 1, 6) - 10) < 1e-12);
  assert.equal(welchDf(0, 3, 0, 3), Infinity);
});

test('the change interval equals the hand-computed Welch interval (table t value)', () => {
  // baseline [10,12]: mean 11, var 2; current [8,10]: mean 9, var 2; se² = 1 + 1, df = 2, t(0.975, 2) = 4.303 (tables)
  const d = decide(stats([10, 12]), stats([8, 10]), opts);
  assert.equal(d.df, 2);
  const half = (4.302652729911275 * Math.SQRT2) / 11;
  assert.ok(Math.abs(d.change - -2 / 11) < 1e-12);
  assert.ok(d.changeCi);
  assert.ok(Math.abs(d.changeCi.low - (-2 / 11 - half)) < 1e-6);
  assert.ok(Math.abs(d.changeCi.high - (-2 / 11 + half)) < 1e-6);
  assert.equal(d.verdict, 'inconclusive');
});

test('classify: the four regions and their closed/open bounds', () => {
  assert.equal(classify(-0.3, -0.06, 0.05), 'regressed');
  assert.equal(classify(-0.3, -0.05, 0.05), 'inconclusive'); // touching -tol is not beyond it
  assert.equal(classify(0.06, 0.2, 0.05), 'improved');
  assert.equal(classify(-0.05, 0.05, 0.05), 'unchanged');
  assert.equal(classify(-0.01, 0.07, 0.05), 'inconclusive');
  assert.equal(classify(-0.2, 0.2, 0.05), 'inconclusive');
});

test('clear regression: a 20% drop with 1% noise is regressed', () => {
  const d = decide(stats(samplesWith(10e6, 0.1e6, 5)), stats(samplesWith(8e6, 0.1e6, 5)), opts);
  assert.equal(d.verdict, 'regressed');
  assert.ok(Math.abs(d.change - -0.2) < 1e-9);
  assert.ok(d.changeCi && d.changeCi.high < -0.05);
  assert.equal(d.more, null);
});

test('clear improvement: a 15% gain with 1% noise is improved', () => {
  const d = decide(stats(samplesWith(10e6, 0.1e6, 5)), stats(samplesWith(11.5e6, 0.1e6, 5)), opts);
  assert.equal(d.verdict, 'improved');
  assert.ok(d.changeCi && d.changeCi.low > 0.05);
});

test('noise only: equal means, 1% noise, is unchanged; a 3% drop inside a 5% tolerance is too', () => {
  assert.equal(decide(stats(samplesWith(10e6, 0.1e6, 5)), stats(samplesWith(10e6, 0.1e6, 5)), opts).verdict, 'unchanged');
  assert.equal(decide(stats(samplesWith(10e6, 0.05e6, 10)), stats(samplesWith(9.7e6, 0.05e6, 10)), opts).verdict, 'unchanged');
});

test('a drop beyond the tolerance hidden in noise is inconclusive, never regressed', () => {
  const d = decide(stats(samplesWith(10e6, 1.5e6, 3)), stats(samplesWith(9e6, 1.5e6, 3)), opts);
  assert.equal(d.verdict, 'inconclusive');
  assert.match(d.reason, /too noisy/);
  assert.ok(d.more && d.more.perSide !== null && d.more.perSide > 3);
  assert.equal(d.more.baseline, d.more.perSide - 3);
});

test('too few repetitions: one sample per side is inconclusive however large the change', () => {
  const d = decide(stats([10e6]), stats([5e6]), opts);
  assert.equal(d.verdict, 'inconclusive');
  assert.match(d.reason, /too few repetitions/);
  assert.ok(Math.abs(d.change - -0.5) < 1e-12);
  assert.equal(d.changeCi, null);
  assert.ok(d.more && d.more.perSide === 2);
});

test('no successful trials on one side is inconclusive and says which side, unless every current trial failed: regressed', () => {
  const d = decide(stats([], 3), stats([1, 2, 3]), opts);
  assert.equal(d.verdict, 'inconclusive');
  assert.match(d.reason, /baseline side/);
  const none = decide(stats([1, 2, 3]), stats([], 0), opts);
  assert.equal(none.verdict, 'inconclusive', 'no trial at all (skipped) says nothing');
  assert.match(none.reason, /current side/);
  const broke = decide(stats([1, 2, 3]), stats([], 3), opts);
  assert.equal(broke.verdict, 'regressed');
  assert.equal(broke.change, -1);
  assert.match(broke.reason, /every current trial failed \(3\); the baseline had 3 successful/);
});

test('a zero baseline cannot give a relative change', () => {
  const d = decide(stats([0, 0, 0]), stats([1, 2, 3]), opts);
  assert.equal(d.verdict, 'inconclusive');
  assert.match(d.reason, /positive baseline/);
});

test('repetitionsToDecide: the returned count decides the cell and one fewer does not', () => {
  const cases = [
    { mb: 10e6, mc: 9e6, s: 1.5e6 }, // true drop 10%, beyond the tolerance
    { mb: 10e6, mc: 10.1e6, s: 0.8e6 }, // +1%, inside it
    { mb: 10e6, mc: 11e6, s: 2e6 }, // +10%
  ];
  for (const { mb, mc, s } of cases) {
    const more = repetitionsToDecide({ n: 3, mean: mb, sd: s }, { n: 3, mean: mc, sd: s }, opts);
    assert.ok(more.perSide !== null, JSON.stringify(more));
    const n = more.perSide;
    const at = decide(stats(samplesWith(mb, s, n)), stats(samplesWith(mc, s, n)), opts);
    const before = decide(stats(samplesWith(mb, s, n - 1)), stats(samplesWith(mc, s, n - 1)), opts);
    assert.notEqual(at.verdict, 'inconclusive', `n=${n} should decide ${JSON.stringify({ mb, mc, s })}`);
    assert.equal(before.verdict, 'inconclusive', `n=${n - 1} should not decide ${JSON.stringify({ mb, mc, s })}`);
  }
});

test('repetitionsToDecide: a change exactly on the tolerance bound has no finite answer', () => {
  const more = repetitionsToDecide({ n: 3, mean: 100, sd: 5 }, { n: 3, mean: 95, sd: 5 }, opts);
  assert.equal(more.perSide, null);
  assert.match(more.note, /boundary/);
});

test('a higher confidence widens the interval (t quantile from the one stats module)', () => {
  const b = samplesWith(100, 3, 4);
  const c = samplesWith(93, 3, 4);
  const d95 = decide(stats(b), stats(c), opts);
  const d99 = decide(sideStats(b, 0, 0.99), sideStats(c, 0, 0.99), { tolerance: 0.05, confidence: 0.99 });
  assert.ok(d95.changeCi && d99.changeCi);
  const w95 = d95.changeCi.high - d95.changeCi.low;
  const w99 = d99.changeCi.high - d99.changeCi.low;
  assert.ok(Math.abs(w99 / w95 - tQuantile(0.995, 6) / tQuantile(0.975, 6)) < 1e-9);
});

/** Seeded normal samples (Box–Muller on a 32-bit LCG): deterministic, so the rates below are fixed numbers. */
function normals(seed: number) {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  return (m: number, sd: number, n: number) =>
    Array.from({ length: n }, () => m + sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

function regressedRate(trueChange: number, noise: number, n: number, runs: number, seed: number): number {
  const draw = normals(seed);
  let hits = 0;
  for (let i = 0; i < runs; i++) {
    const b = draw(10e6, noise * 10e6, n);
    const c = draw(10e6 * (1 + trueChange), noise * 10e6, n);
    if (decide(stats(b), stats(c), opts).verdict === 'regressed') hits++;
  }
  return hits / runs;
}

test('calibration: a true drop exactly at the tolerance is called regressed about (1-c)/2 of the time, not more', () => {
  // 3 repetitions, 3% noise: the one-sided claim is made at 97.5%, so at most ~2.5% false alarms at the boundary
  const rate = regressedRate(-0.05, 0.03, 3, 3000, 7);
  assert.ok(rate <= 0.035, `false-alarm rate at the boundary ${rate}`);
  assert.ok(rate >= 0.005, `the interval is far too wide: ${rate}`);
});

test('calibration: pure noise (true change 0) is never called regressed; a true -15% drop nearly always is', () => {
  assert.equal(regressedRate(0, 0.03, 3, 2000, 11), 0);
  assert.ok(regressedRate(-0.15, 0.03, 5, 1000, 13) > 0.9);
});

test('repetitionsToDecide with unequal sides: only the short side is topped up, the long one keeps its samples', () => {
  // 3 baseline vs 12 current samples of a -12% drop with 4% noise: inconclusive now, decided once the baseline has 4
  assert.equal(decide(stats(samplesWith(100, 4, 3)), stats(samplesWith(88, 4, 12)), opts).verdict, 'inconclusive');
  const more = repetitionsToDecide({ n: 3, mean: 100, sd: 4 }, { n: 12, mean: 88, sd: 4 }, opts);
  assert.equal(more.perSide, 4);
  assert.equal(more.baseline, 1);
  assert.equal(more.current, 0);
  assert.match(more.note, /about 4 successful repetitions per side/);
  assert.equal(decide(stats(samplesWith(100, 4, 4)), stats(samplesWith(88, 4, 12)), opts).verdict, 'regressed');
});
