import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Welford, mean, variance, sd, percentile, median, lnGamma, incompleteBeta, tCdf, tQuantile, ciMean, summarize,
} from '../../../harness/results/stats.js';

const close = (actual: number, expected: number, rel = 1e-10) =>
  assert.ok(Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)), `expected ${expected}, got ${actual}`);

test('mean, sample variance and sd of a known set', () => {
  const xs = [2, 4, 4, 4, 5, 5, 7, 9];
  assert.equal(mean(xs), 5);
  close(variance(xs), 32 / 7); // sum of squared deviations 32, n - 1 = 7
  close(sd(xs), Math.sqrt(32 / 7));
  assert.ok(Number.isNaN(variance([3])), 'one value has no sample variance');
  assert.ok(Number.isNaN(mean([])));
});

test('Welford stays exact where the naive sum-of-squares formula loses everything', () => {
  const w = new Welford();
  for (const x of [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16]) w.push(x);
  assert.equal(w.mean, 1e9 + 10);
  close(w.variance, 30); // deviations -6 -3 3 6: 90 / 3
  assert.throws(() => w.push(Number.NaN), /finite/);
});

test('interpolated percentiles (type 7) and median', () => {
  const xs = [15, 20, 35, 40, 50];
  assert.equal(median(xs), 35);
  assert.equal(median([1, 2, 3, 4]), 2.5);
  assert.equal(percentile(xs, 0), 15);
  assert.equal(percentile(xs, 100), 50);
  assert.equal(percentile(xs, 40), 29); // h = 1.6: 20 + 0.6 * 15
  assert.equal(percentile([10, 1, 5], 25), 3); // unsorted input; h = 0.5 between 1 and 5
  assert.throws(() => percentile(xs, 101), /within \[0, 100\]/);
});

test('lnGamma matches factorials and Γ(1/2) = √π', () => {
  close(lnGamma(1), 0, 1e-14);
  close(lnGamma(5), Math.log(24), 1e-13);
  close(lnGamma(11), Math.log(3628800), 1e-13);
  close(lnGamma(0.5), 0.5 * Math.log(Math.PI), 1e-13);
});

test('regularized incomplete beta matches the binomial closed form for integer a, b', () => {
  const binom = (n: number, k: number) => { let r = 1; for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i; return r; };
  const exact = (x: number, a: number, b: number) => {
    let s = 0;
    for (let j = a; j <= a + b - 1; j++) s += binom(a + b - 1, j) * x ** j * (1 - x) ** (a + b - 1 - j);
    return s;
  };
  for (const [x, a, b] of [[0.3, 2, 5], [0.9, 3, 3], [0.05, 1, 10], [0.7, 7, 2]] as const) close(incompleteBeta(x, a, b), exact(x, a, b), 1e-12);
  assert.equal(incompleteBeta(0, 2, 3), 0);
  assert.equal(incompleteBeta(1, 2, 3), 1);
});

test('Student-t CDF: closed forms for 1 and 2 degrees of freedom', () => {
  close(tCdf(1.5, 1), 0.5 + Math.atan(1.5) / Math.PI, 1e-13);
  close(tCdf(-2, 2), 0.5 + -2 / (2 * Math.sqrt(2 + 4)), 1e-13);
  assert.equal(tCdf(0, 7), 0.5);
});

// Closed form of the t CDF for odd df (Abramowitz & Stegun 26.7.3): an independent reference.
function tCdfOdd(t: number, nu: number): number {
  const th = Math.atan(t / Math.sqrt(nu));
  const c = Math.cos(th);
  let term = c;
  let sum = nu > 1 ? c : 0;
  for (let k = 3; k <= nu - 2; k += 2) { term *= ((k - 1) / k) * c * c; sum += term; }
  return 0.5 + (th + Math.sin(th) * sum) / Math.PI;
}

test('Student-t quantiles equal published table values', () => {
  // printed tables (10 significant digits)
  close(tQuantile(0.975, 1), 12.70620474, 1e-9);
  close(tQuantile(0.975, 9), 2.262157163, 1e-9);
  close(tQuantile(0.975, 4), 2.776445105, 1e-9);
  close(tQuantile(0.95, 5), 2.015048373, 1e-9);
  close(tQuantile(0.975, 29), 2.045229642, 1e-9);
  close(tQuantile(0.975, 2), 4.302652730, 1e-9);
  // closed forms: df 1 is Cauchy, df 2 has t = (2p - 1) / sqrt(2p(1 - p))
  close(tQuantile(0.975, 1), Math.tan(Math.PI * 0.475), 1e-12);
  close(tQuantile(0.995, 1), Math.tan(Math.PI * 0.495), 1e-12);
  close(tQuantile(0.9, 2), 0.8 / Math.sqrt(2 * 0.9 * 0.1), 1e-12);
  close(tQuantile(0.025, 9), -2.262157163, 1e-9);
  assert.equal(tQuantile(0.5, 3), 0);
  // large df tends to the normal quantile 1.959963984540054
  assert.ok(Math.abs(tQuantile(0.975, 1e6) - 1.959963984540054) < 1e-5);
  assert.throws(() => tQuantile(1, 3), /\(0, 1\)/);
  assert.throws(() => tQuantile(0.9, 0), /df must be > 0/);
});

test('Student-t quantile inverts the independent odd-df closed form to 1e-12', () => {
  for (const nu of [1, 3, 5, 9, 29]) {
    for (const p of [0.9, 0.95, 0.975, 0.995]) close(tCdfOdd(tQuantile(p, nu), nu), p, 1e-12);
  }
});

test('95% CI of the mean uses t(0.975, n-1)', () => {
  const xs = [10, 12, 14]; // mean 12, sd 2, n 3
  const ci = ciMean(xs)!;
  const h = (4.302652729749464 * 2) / Math.sqrt(3);
  close(ci.halfWidth, h, 1e-11);
  close(ci.low, 12 - h, 1e-11);
  close(ci.high, 12 + h, 1e-11);
  assert.equal(ciMean([5]), null);
  const s = summarize(xs);
  assert.deepEqual({ n: s.n, mean: s.mean, median: s.median, min: s.min, max: s.max }, { n: 3, mean: 12, median: 12, min: 10, max: 14 });
  close(s.sd, 2);
});

test('log-scale interval: [2, 8] has geometric mean 4 and bounds 4·2^∓t(0.975, 1); never below zero', async () => {
  const { logCi, relativeHalfWidth } = await import('../../../harness/results/stats.js');
  const t = 12.706204736174705; // t(0.975, 1)
  const c = logCi([2, 8])!;
  close(c.center, 4);
  close(c.low, 4 * 2 ** -t);
  close(c.high, 4 * 2 ** t);
  assert.ok(c.low > 0);
  close(relativeHalfWidth(c), 2 ** t - 1);
  assert.equal(logCi([5]), null);
  assert.equal(logCi([0, 3]), null, 'a zero rate has no log');
  // the arithmetic interval of the nat/hashmap cell that went negative stays positive here
  const wide = [7.0, 19.0, 8.1, 17.5, 9.2, 12.0];
  assert.ok(ciMean([7.0, 19.0])!.low < 0);
  assert.ok(logCi(wide)!.low > 0 && logCi([7.0, 19.0])!.low > 0);
});

test('coefficient of variation and minimum detectable effect (t(0.975, 2) + t(0.8, 2)) · cv · √(2/n)', async () => {
  const { cv, minDetectableEffect } = await import('../../../harness/results/stats.js');
  close(cv([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7) / 5);
  assert.ok(Number.isNaN(cv([1])));
  close(minDetectableEffect(0.1, 2), (4.302652729911275 + 1.0606601717798212) * 0.1, 1e-9);
  close(minDetectableEffect(0.05, 8), (tQuantile(0.975, 14) + tQuantile(0.8, 14)) * 0.05 * 0.5);
  assert.ok(Number.isNaN(minDetectableEffect(0.1, 1)));
});

test('median interval: the order statistics of Le Boudec\'s table (n 6: 1st-6th, 9: 2nd-8th, 12: 3rd-10th) with their exact coverage', async () => {
  const { medianCi } = await import('../../../harness/results/stats.js');
  const seq = (n: number) => Array.from({ length: n }, (_, i) => i + 1).reverse();
  assert.equal(medianCi(seq(5)), null, '5 values cover at most 93.75 %');
  assert.deepEqual(medianCi(seq(6)), { n: 6, center: Math.sqrt(12), low: 1, high: 6, coverage: 62 / 64 });
  assert.deepEqual(medianCi(seq(9)), { n: 9, center: 5, low: 2, high: 8, coverage: 1 - 20 / 512 });
  assert.deepEqual(medianCi(seq(12)), { n: 12, center: Math.sqrt(42), low: 3, high: 10, coverage: 1 - 158 / 4096 });
  assert.deepEqual(medianCi(seq(20)), { n: 20, center: Math.sqrt(110), low: 6, high: 15, coverage: 1 - 2 * 21700 / 2 ** 20 });
  // at 90 % five values give the 1st-5th (93.75 %)
  assert.deepEqual(medianCi(seq(5), 0.9), { n: 5, center: 3, low: 1, high: 5, coverage: 30 / 32 });
  // one trial at half speed among nine moves neither bound; the t interval of the same values widens to ±19 %
  const ratios = [0.99, 1.0, 1.01, 0.98, 1.02, 1.0, 0.99, 1.01, 0.5];
  assert.deepEqual(medianCi(ratios), { n: 9, center: 1.0, low: 0.98, high: 1.01, coverage: 1 - 20 / 512 });
  assert.equal(medianCi([1, 2, 3, 4, 5, 0]), null, 'a zero has no ratio');
  assert.throws(() => medianCi([1], 1), /level/);
});

test('median interval of a thousand and more values: 2^n past a float no longer narrows it to the middle pair', async () => {
  const { medianCi } = await import('../../../harness/results/stats.js');
  const seq = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  // the sign-test bounds sit near n/2 ± 0.98·√n (the normal approximation), on either side of the switch at 1024
  for (const n of [1023, 1024, 2000, 5000]) {
    const ci = medianCi(seq(n))!;
    const k = ci.low; // seq: the k-th value is k
    const approx = n / 2 - 0.98 * Math.sqrt(n);
    assert.ok(Math.abs(k - approx) <= 2, `n ${n}: k ${k}, normal approximation ${approx.toFixed(1)}`);
    assert.equal(ci.high, n + 1 - k);
    assert.ok(ci.coverage >= 0.95 && ci.coverage < 0.96, `n ${n}: coverage ${ci.coverage}`);
  }
});

test('logOutliers: the modified z-score on ln x, robust to the outlier itself; none below 4 samples or without spread', async () => {
  const { logOutliers } = await import('../../../harness/results/stats.js');
  // ln spread of the four steady trials: 0.02-0.05; the stalled one sits at half the rate
  assert.deepEqual(logOutliers([10, 10.2, 9.9, 10.4, 5]), [4]);
  // both sides: a rate twice the others' is as far on the log scale as half of it
  assert.deepEqual(logOutliers([20, 10, 10.2, 9.9, 10.4]), [0]);
  // 12 beside three within 3 % is far (modified z 7.8, 18 % off); beside three spread as widely it is not
  assert.deepEqual(logOutliers([10, 10.2, 9.9, 12]), [3]);
  assert.deepEqual(logOutliers([10, 11, 9, 12]), []);
  // core-sweep's nat/redis cell of 2026-12-07: 16.15 beside 16.40-16.45 has z 4.4 but is 1.7 % off the
  // median: not worth a reader's look (10 % at least); without that floor it would be named
  const sweep = [16.152, 16.42, 16.43, 16.45];
  assert.deepEqual(logOutliers(sweep), []);
  assert.deepEqual(logOutliers(sweep, 3.5, 0), [0]);
  assert.deepEqual(logOutliers([10, 10, 5]), [], 'three samples: no judgement');
  assert.deepEqual(logOutliers([10, 10, 10, 5]), [], 'MAD 0: no spread to judge by');
  assert.deepEqual(logOutliers([10, 10, 0, 5]), [], 'a zero rate is not on the log scale (a failed trial is not a sample)');
  // just above the z bound (modified z 3.5): 10.9 % off the median, over the floor too: an outlier
  const m = Math.log(10), mad = 0.02;
  const at = Math.exp(m + (3.5 * mad) / 0.6745);
  assert.deepEqual(logOutliers([Math.exp(m - mad), 10, 10, Math.exp(m + mad), at * 1.0001]), [4]);
  assert.deepEqual(logOutliers([Math.exp(m - mad), 10, 10, Math.exp(m + mad), at * 0.9999]), [], 'just below the z bound');
});
