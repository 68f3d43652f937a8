// The one statistics module: summaries of repetitions and the Student-t confidence interval over them.

/** Running mean/variance by Welford's method (numerically stable in one pass). */
export class Welford {
  n = 0;
  mean = 0;
  private m2 = 0;
  push(x: number): this {
    if (!Number.isFinite(x)) throw new RangeError(`Welford.push: expected a finite number, got ${x}`);
    this.n += 1;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
    return this;
  }
  /** Sample variance (n - 1 in the denominator); NaN below two values. */
  get variance(): number {
    return this.n < 2 ? Number.NaN : this.m2 / (this.n - 1);
  }
  get sd(): number {
    return Math.sqrt(this.variance);
  }
}

export function mean(xs: readonly number[]): number {
  const w = new Welford();
  for (const x of xs) w.push(x);
  return w.n === 0 ? Number.NaN : w.mean;
}

/** Sample variance (Bessel-corrected); NaN below two values. */
export function variance(xs: readonly number[]): number {
  const w = new Welford();
  for (const x of xs) w.push(x);
  return w.variance;
}

/** Sample standard deviation (Bessel-corrected); NaN below two values. */
export function sd(xs: readonly number[]): number {
  return Math.sqrt(variance(xs));
}

/** Linearly interpolated percentile, p in [0, 100] (Hyndman-Fan type 7, the numpy/R default). */
export function percentile(xs: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be within [0, 100], got ${p}`);
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * (p / 100);
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

// Lanczos (g = 7, n = 9) coefficients: ln Γ to ~15 significant digits.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

// Continued fraction for the incomplete beta (modified Lentz).
function betaCf(a: number, b: number, x: number): number {
  const TINY = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) return h;
  }
  throw new Error(`incompleteBeta: continued fraction did not converge (a=${a}, b=${b}, x=${x})`);
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`incompleteBeta: a and b must be > 0, got a=${a}, b=${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incompleteBeta: x must be within [0, 1], got ${x}`);
  if (x === 0 || x === 1) return x;
  const lnFront = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  const front = Math.exp(lnFront);
  // The continued fraction converges fast on this side of the mean; use symmetry on the other.
  if (x < (a + 1) / (a + b + 2)) return (front * betaCf(a, b, x)) / a;
  return 1 - (front * betaCf(b, a, 1 - x)) / b;
}

/** Student-t cumulative distribution P(T <= t) with df degrees of freedom. */
export function tCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`tCdf: df must be > 0, got ${df}`);
  if (t === 0) return 0.5;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** Student-t quantile: the t with P(T <= t) = p, found by inverting tCdf (bracket, then bisection to machine precision). */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`tQuantile: p must be within (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`tQuantile: df must be > 0, got ${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  // Work on the upper tail q = 1 - p directly to keep precision for p near 1.
  const q = 1 - p;
  const upper = (t: number) => 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  let lo = 0;
  let hi = 1;
  while (upper(hi) > q) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) return Number.POSITIVE_INFINITY;
  }
  for (let i = 0; i < 2000; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (upper(mid) > q) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

export interface CI {
  low: number;
  high: number;
  /** half-width: t * sd / sqrt(n) */
  halfWidth: number;
}

/** Two-sided confidence interval of the mean (Student t, n - 1 df); null below two values. */
export function ciMean(xs: readonly number[], level = 0.95): CI | null {
  if (!(level > 0 && level < 1)) throw new RangeError(`ciMean: level must be within (0, 1), got ${level}`);
  const w = new Welford();
  for (const x of xs) w.push(x);
  if (w.n < 2) return null;
  const halfWidth = (tQuantile(1 - (1 - level) / 2, w.n - 1) * w.sd) / Math.sqrt(w.n);
  return { low: w.mean - halfWidth, high: w.mean + halfWidth, halfWidth };
}

interface Summary {
  n: number;
  mean: number;
  sd: number;
  median: number;
  min: number;
  max: number;
  /** null when n < 2 (no interval from one value) */
  ci95: CI | null;
}

/** Everything summary.csv reports for one cell. */
export function summarize(xs: readonly number[]): Summary {
  const w = new Welford();
  for (const x of xs) w.push(x);
  return {
    n: w.n,
    mean: w.n === 0 ? Number.NaN : w.mean,
    sd: w.sd,
    median: median(xs),
    min: xs.length ? Math.min(...xs) : Number.NaN,
    max: xs.length ? Math.max(...xs) : Number.NaN,
    ci95: ciMean(xs, 0.95),
  };
}

/** How an interval of a rate or a ratio is computed (named in summary.csv and ratios.csv). */
export const LOG_CI_METHOD = 'student-t on ln(x), back-transformed (geometric mean)';

interface LogCI {
  n: number;
  /** geometric mean: exp(mean(ln x)) */
  center: number;
  low: number;
  high: number;
}

/**
 * Confidence interval computed on the log scale: exp(mean(ln x) ± t·sd(ln x)/√n). A rate or a ratio is
 * positive and its spread multiplicative, so its bounds stay positive; null below two values or for x <= 0.
 */
export function logCi(xs: readonly number[], level = 0.95): LogCI | null {
  if (xs.some((x) => !(x > 0))) return null;
  const logs = xs.map(Math.log);
  const c = ciMean(logs, level);
  if (!c) return null;
  return { n: xs.length, center: Math.exp(mean(logs)), low: Math.exp(c.low), high: Math.exp(c.high) };
}

/** Coefficient of variation: sample sd / mean; NaN below two values or for a zero mean. */
export function cv(xs: readonly number[]): number {
  const w = new Welford();
  for (const x of xs) w.push(x);
  return w.n < 2 || w.mean === 0 ? Number.NaN : w.sd / Math.abs(w.mean);
}

/**
 * Minimum detectable effect, relative: the smallest change of the mean a two-sided two-sample t-test
 * between two cells this noisy (n samples each, coefficient of variation `cv`) detects at `level`
 * confidence with `power`: (t(1−α/2, 2n−2) + t(power, 2n−2)) · cv · √(2/n). NaN below two samples.
 */
export function minDetectableEffect(cvValue: number, n: number, level = 0.95, power = 0.8): number {
  if (!(n >= 2) || !Number.isFinite(cvValue)) return Number.NaN;
  const df = 2 * n - 2;
  return (tQuantile(1 - (1 - level) / 2, df) + tQuantile(power, df)) * cvValue * Math.sqrt(2 / n);
}

/** Relative half-width of the log-scale interval: max distance of a bound from the center, over the center. */
export function relativeHalfWidth(ci: LogCI): number {
  return Math.max(ci.high - ci.center, ci.center - ci.low) / ci.center;
}

/** How a distribution-free interval of a ratio is computed (named in ratios.csv). */
export const MEDIAN_CI_METHOD = 'median, order-statistic (sign-test) interval';

/**
 * Distribution-free confidence interval of the median: [x(k), x(n+1-k)] of the sorted values, k the largest with
 * coverage 1 - 2·P(Bin(n, 1/2) <= k-1) >= level (Le Boudec, Performance Evaluation of Computer and Communication
 * Systems, 2010, Thm 2.1; Hollander & Wolfe's sign-test interval). It assumes only independent values of one
 * distribution: a single slow trial moves one order statistic, not the bounds, once n >= 9 (k >= 2). The center is
 * the median (for even n the geometric mean of the two middle values, so a ratio and its inverse agree); null below
 * 6 values (n = 5 covers at most 93.75 %) or for x <= 0. `coverage` is the interval's exact confidence.
 */
export function medianCi(xs: readonly number[], level = 0.95): (LogCI & { coverage: number }) | null {
  if (!(level > 0 && level < 1)) throw new RangeError(`medianCi: level must be within (0, 1), got ${level}`);
  if (xs.some((x) => !(x > 0))) return null;
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  // cdf[j] = P(Bin(n, 1/2) <= j): the coefficients summed as floats (exact below 2^53) over 2^n while 2^n is a
  // float; from n = 1024 on (2^n is Infinity, every cdf would read 0 and the interval shrink to the middle pair)
  // each term is exp of its logarithm, terms too small for a float adding 0
  const cdf: number[] = [];
  if (n < 1024) {
    let c = 1;
    let acc = 0;
    for (let j = 0; j <= n; j++) {
      acc += c;
      cdf.push(acc / 2 ** n);
      c = (c * (n - j)) / (j + 1);
    }
  } else {
    let lt = -n * Math.LN2;
    let acc = 0;
    for (let j = 0; j <= n; j++) {
      acc += Math.exp(lt);
      cdf.push(Math.min(1, acc));
      lt += Math.log((n - j) / (j + 1));
    }
  }
  let k = 0;
  while (k + 1 <= Math.floor(n / 2) && 1 - 2 * cdf[k]! >= level) k++;
  if (k === 0) return null;
  return { n, center: logMedian(s), low: s[k - 1]!, high: s[n - k]!, coverage: 1 - 2 * cdf[k - 1]! };
}

/** Median of positive values, for even n the geometric mean of the two middle ones (a ratio's and its inverse's agree). */
export function logMedian(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? Number.NaN : n % 2 ? s[(n - 1) / 2]! : Math.sqrt(s[n / 2 - 1]! * s[n / 2]!);
}

/** How far from the rest a sample must lie to be called an outlier (Iglewicz and Hoaglin's modified z-score bound). */
export const OUTLIER_Z = 3.5;
/**
 * ... and how far from the median, at least (10 %): among 4 samples three within 0.5 % make a 2 %
 * trial "far" by z alone, and the host's own hour moves rates that much (the bench's batch-to-batch
 * sd(ln) 0.03-0.15 here); a reader wants the trial that a stall cut by a tenth or more.
 */
export const OUTLIER_MIN_DEVIATION = Math.log(1.1);

/**
 * Indices of the samples that lie far from the others on the log scale: modified z-score
 * 0.6745 · |ln x − median(ln x)| / MAD(ln x) above `z` (a rate or latency spreads multiplicatively),
 * and at least `minDev` from the median in ln (10 % by default). Robust: the median and the median
 * absolute deviation are not pulled by the outlier itself. None below 4 samples, for a MAD of 0 (half
 * the samples equal: no spread to judge by), or for x <= 0.
 */
export function logOutliers(xs: readonly number[], z = OUTLIER_Z, minDev = OUTLIER_MIN_DEVIATION): number[] {
  if (xs.length < 4 || xs.some((x) => !(x > 0))) return [];
  const logs = xs.map(Math.log);
  const m = median(logs);
  const mad = median(logs.map((l) => Math.abs(l - m)));
  if (!(mad > 0)) return [];
  const out: number[] = [];
  for (let i = 0; i < logs.length; i++) {
    const d = Math.abs(logs[i]! - m);
    if ((0.6745 * d) / mad > z && d >= minDev) out.push(i);
  }
  return out;
}
