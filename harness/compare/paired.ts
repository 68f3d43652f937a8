// The decision for one cell of an interleaved A/B run: a paired t-interval on the per-round log ratios head/base.
// Both builds ran in the same round, one right after the other, so what the host was doing that minute
// divides out of the ratio; the rounds are the samples. Log scale: a ratio of 0.9 and one of 1/0.9 weigh the same.
import { mean, median, sd, tQuantile } from '../results/stats.js';
import { boundText, classify, MAX_REPETITIONS, type Decision, type DecisionOptions } from './verdict.js';

/** Fewest rounds with a noise estimate. */
const MIN_ROUNDS = 2;
/** Power at which the smallest detectable change is stated. */
const DETECT_POWER = 0.8;

interface PairedDecision extends Decision {
  /** rounds with a ratio */
  rounds: number;
  /** the per-round ratios head/base */
  ratios: number[];
  /**
   * the smallest drop (a positive fraction) that these rounds, with this noise, would call regressed with
   * probability DETECT_POWER: 1 − exp(ln(1 − τ) − (t_(1+c)/2 + t_power) · sd/√n); null below MIN_ROUNDS
   */
  detectable: number | null;
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`;

/** The smallest drop called regressed with probability `power`, from the log-ratio sd and the rounds (see PairedDecision). */
export function detectableDrop(sdLog: number, n: number, opts: DecisionOptions, power = DETECT_POWER): number | null {
  if (n < MIN_ROUNDS || !Number.isFinite(sdLog)) return null;
  const df = n - 1;
  const t = tQuantile(1 - (1 - opts.confidence) / 2, df) + tQuantile(power, df);
  return 1 - Math.exp(Math.log(1 - opts.tolerance) - (t * sdLog) / Math.sqrt(n));
}

/** Rounds that would decide a cell whose mean log ratio m and sd s held; null past MAX_REPETITIONS or on a bound. */
export function roundsToDecide(m: number, s: number, n: number, opts: DecisionOptions): number | null {
  const lo = Math.log(1 - opts.tolerance);
  const hi = Math.log(1 + opts.tolerance);
  const margin = m < lo ? lo - m : m > hi ? m - hi : Math.min(m - lo, hi - m);
  if (!(margin > 0)) return null;
  const half = (k: number) => (tQuantile(1 - (1 - opts.confidence) / 2, k - 1) * s) / Math.sqrt(k);
  if (half(MAX_REPETITIONS) >= margin) return null;
  let a = Math.max(MIN_ROUNDS, n) - 1;
  let b = Math.max(MIN_ROUNDS, n);
  while (half(b) >= margin) {
    a = b;
    b = Math.min(b * 2, MAX_REPETITIONS);
  }
  while (b - a > 1) {
    const mid = Math.floor((a + b) / 2);
    if (half(mid) < margin) b = mid;
    else a = mid;
  }
  return b;
}

export function decidePaired(ratios: readonly number[], opts: DecisionOptions): PairedDecision {
  for (const r of ratios) if (!(r > 0 && Number.isFinite(r))) throw new RangeError(`decidePaired: ratios must be finite and > 0, got ${r}`);
  const n = ratios.length;
  const logs = ratios.map((r) => Math.log(r));
  const base = { rounds: n, ratios: [...ratios], df: n >= MIN_ROUNDS ? n - 1 : null };
  if (n === 0) {
    return { ...base, verdict: 'inconclusive', change: Number.NaN, medianChange: Number.NaN, changeCi: null, reason: 'no round where both builds measured the cell', more: null, detectable: null };
  }
  const m = mean(logs);
  const change = Math.exp(m) - 1;
  const medianChange = median(ratios) - 1;
  if (n < MIN_ROUNDS) {
    return {
      ...base, verdict: 'inconclusive', change, medianChange, changeCi: null, detectable: null,
      reason: `too few rounds (${n}; at least ${MIN_ROUNDS} are needed to estimate noise)`,
      more: { perSide: MIN_ROUNDS, baseline: MIN_ROUNDS - n, current: MIN_ROUNDS - n, estimated: false, note: `at least ${MIN_ROUNDS} rounds are needed before any estimate` },
    };
  }
  const s = sd(logs);
  const h = (tQuantile(1 - (1 - opts.confidence) / 2, n - 1) * s) / Math.sqrt(n);
  const changeCi = { low: Math.exp(m - h) - 1, high: Math.exp(m + h) - 1 };
  const verdict = classify(changeCi.low, changeCi.high, opts.tolerance, opts.better);
  const conf = `${Math.round(opts.confidence * 1000) / 10}%`;
  const ci = `[${pct(changeCi.low)}, ${pct(changeCi.high)}]`;
  const tol = (opts.tolerance * 100).toFixed(2);
  const reasons = {
    regressed: `${conf} CI of the paired change over ${n} rounds ${ci} ${boundText('regressed', opts.tolerance, opts.better)}`,
    improved: `${conf} CI of the paired change over ${n} rounds ${ci} ${boundText('improved', opts.tolerance, opts.better)}`,
    unchanged: `${conf} CI of the paired change over ${n} rounds ${ci} lies within ±${tol}%`,
    inconclusive: `too noisy: ${conf} CI of the paired change over ${n} rounds ${ci} straddles a tolerance bound (±${tol}%)`,
  } as const;
  let more: Decision['more'] = null;
  if (verdict === 'inconclusive') {
    const k = roundsToDecide(m, s, n, opts);
    more = k === null
      ? { perSide: null, baseline: null, current: null, estimated: true, note: 'the change is too close to the tolerance for this noise: no practical number of rounds decides it' }
      : { perSide: k, baseline: k - n, current: k - n, estimated: true, note: `about ${k} rounds would decide it if the observed ratio and noise hold` };
  }
  return { ...base, verdict, change, medianChange, changeCi, reason: reasons[verdict], more, detectable: detectableDrop(s, n, opts) };
}
