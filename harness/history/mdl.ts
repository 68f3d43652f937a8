// Change points by minimum description length (MDL): split a series into groups of consecutive values
// so that describing every group — its length, its mean, then its values around that mean — takes the
// fewest bits. A new group pays for its length and its mean, so it is only worth it when its values sit
// far enough from the neighbouring group's mean for the noise. The idea is FD.io CSIT's jumpavg (trend
// analysis); this is its own derivation, written out in docs/regression-gate.md ("flexbench history").
import { mean, variance } from '../results/stats.js';

/** One group: values[start, end) share one mean. */
export interface Group {
  start: number;
  end: number;
  n: number;
  mean: number;
  /** population standard deviation of the group's values */
  sd: number;
  /** description length of the group, in bits */
  bits: number;
}

interface MdlOptions {
  /**
   * Resolution of the values, the floor of the noise level. Default: the largest value / 2^RESOLUTION_BITS
   * (values known to about 12 significant bits).
   */
  unit?: number;
  /** noise level (standard deviation of one value); default: noiseLevel(values) */
  sigma?: number;
}

const RESOLUTION_BITS = 12;
/**
 * The noise of one value, from the series itself: von Neumann's mean square successive difference,
 * σ² = Σ(x[i+1] − x[i])² / (2(n − 1)). A slow drift or a single step adds only its one difference, so
 * it stays close to the noise within the groups (a 4σ step among 20 values raises it by about a fifth,
 * which makes the method a little more cautious, never less). NaN below three values.
 */
export function noiseLevel(values: readonly number[]): number {
  if (values.length < 3) return Number.NaN;
  let sum = 0;
  for (let i = 1; i < values.length; i++) sum += (values[i] - values[i - 1]) ** 2;
  return Math.sqrt(sum / (2 * (values.length - 1)));
}

/**
 * Bits to describe a group of n values with mean m and sum of squared deviations ss, in units where the
 * noise level is sigma and the largest value is top, given the previous group's mean (null for the first):
 * - its length, with P(n) = 1/(n(n+1)) (sums to 1 over n ≥ 1);
 * - its mean, to the precision the group can tell (sigma/√n): the first uniform on [0, top]; a later one
 *   with a tent density ∝ (top + 1 − |m − prev|) on [0, top], so a step costs about as much as a fresh
 *   mean, a small step slightly less;
 * - its values around the mean by a Gaussian code of standard deviation sigma.
 */
export function groupBits(n: number, m: number, ss: number, prev: number | null, top: number, sigma: number): number {
  if (!(n >= 1)) throw new RangeError(`groupBits: n must be ≥ 1, got ${n}`);
  if (!(sigma > 0)) throw new RangeError(`groupBits: sigma must be > 0, got ${sigma}`);
  let bits = Math.log2(n) + Math.log2(n + 1);
  const precision = sigma / Math.sqrt(n);
  if (prev === null) bits += Math.log2((top + 1) / precision);
  else {
    const p = Math.min(Math.max(prev, 0), top);
    const z = (top + 1) * top - (p * p + (top - p) * (top - p)) / 2;
    bits += Math.log2(z / (top + 1 - Math.min(Math.abs(m - p), top))) - Math.log2(precision);
  }
  bits += n * Math.log2(sigma * Math.sqrt(2 * Math.PI)) + (ss / (2 * sigma * sigma)) * Math.LOG2E;
  return bits;
}

/**
 * The grouping of `values` with the fewest bits, by dynamic programming over where the last group starts
 * (O(n²)): the best description of the first i values ends with a group values[j, i) appended to the best
 * description of the first j values, whose last mean prices the step. Values must be ≥ 0 (rates).
 */
export function mdlGroups(values: readonly number[], opts: MdlOptions = {}): Group[] {
  const n = values.length;
  if (n === 0) return [];
  for (const v of values) if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`mdlGroups: values must be finite and ≥ 0, got ${v}`);
  const max = Math.max(...values);
  const unit = opts.unit ?? (max > 0 ? max / 2 ** RESOLUTION_BITS : 1);
  if (!(unit > 0)) throw new RangeError(`mdlGroups: unit must be > 0, got ${unit}`);
  const x = values.map((v) => v / unit);
  const top = max / unit;
  const est = opts.sigma ?? noiseLevel(values);
  // noise unknown (fewer than three values): nothing tells a step from noise, so one group
  if (!Number.isFinite(est)) return [{ start: 0, end: n, n, mean: mean(values), sd: Math.sqrt(variance(values) * ((n - 1) / n)) || 0, bits: Number.NaN }];
  // below one unit the resolution is the noise
  const sigma = Math.max(1, est / unit);
  // best[i]: fewest bits for x[0, i); from[i]: where its last group starts; lastMean[i]: that group's mean
  const best = new Float64Array(n + 1);
  const from = new Int32Array(n + 1);
  const lastMean = new Float64Array(n + 1);
  const lastSs = new Float64Array(n + 1);
  for (let i = 1; i <= n; i++) {
    best[i] = Number.POSITIVE_INFINITY;
    // grow the candidate last group x[j, i) backwards, keeping its mean and sum of squares (Welford)
    let k = 0;
    let mean = 0;
    let ss = 0;
    for (let j = i - 1; j >= 0; j--) {
      k += 1;
      const d = x[j] - mean;
      mean += d / k;
      ss += d * (x[j] - mean);
      const bits = best[j] + groupBits(k, mean, ss, j === 0 ? null : lastMean[j], top, sigma);
      // ties go to the longer group (fewer change points)
      if (bits <= best[i]) {
        best[i] = bits;
        from[i] = j;
        lastMean[i] = mean;
        lastSs[i] = ss;
      }
    }
  }
  const groups: Group[] = [];
  for (let i = n; i > 0; i = from[i]) {
    const j = from[i];
    const k = i - j;
    groups.push({ start: j, end: i, n: k, mean: lastMean[i] * unit, sd: Math.sqrt(Math.max(0, lastSs[i]) / k) * unit, bits: best[i] - best[j] });
  }
  return groups.reverse();
}
