// The decision for one cell of an interleaved A/B run: a paired t-interval on the per-round log ratios head/base.
// Both builds ran in the same round, one right after the other, so what the host was doing that minute
// divides out of the ratio; the rounds are the samples. Log scale: a ratio of 0.9 and one of 1/0.9 weigh the same.
// With windows of resident processes the samples are epochs instead (epochSamples): all rounds of an epoch share one
// pair of processes and whatever that pair's own offset is (V8's code, memory placement), so only a new pair is a
// new draw of it; one ratio per epoch, and the interval across epochs covers the offset (docs/regression-gate.md).
import { mean, median, sd, tQuantile } from '../results/stats.js';
import { boundText, classify, MAX_REPETITIONS, type Decision, type DecisionOptions } from './verdict.js';

/** Fewest rounds with a noise estimate. */
const MIN_ROUNDS = 2;
/** Power at which the smallest detectable change is stated. */
const DETECT_POWER = 0.8;

/** What a paired decision's samples are: rounds (a fresh process per trial) or epochs (a new pair of resident processes). */
export type PairedUnit = 'round' | 'epoch';

interface PairedDecision extends Decision {
  /** samples with a ratio (rounds or epochs: the `unit` of the options) */
  rounds: number;
  /** the per-sample ratios head/base */
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

export function decidePaired(ratios: readonly number[], opts: DecisionOptions & { unit?: PairedUnit }): PairedDecision {
  const unit = opts.unit ?? 'round';
  const many = (n: number) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  for (const r of ratios) if (!(r > 0 && Number.isFinite(r))) throw new RangeError(`decidePaired: ratios must be finite and > 0, got ${r}`);
  const n = ratios.length;
  const logs = ratios.map((r) => Math.log(r));
  const base = { rounds: n, ratios: [...ratios], df: n >= MIN_ROUNDS ? n - 1 : null };
  if (n === 0) {
    return { ...base, verdict: 'inconclusive', change: Number.NaN, medianChange: Number.NaN, changeCi: null, reason: unit === 'round' ? 'no round where both builds measured the cell' : `no epoch with enough rounds where both builds measured the cell`, more: null, detectable: null };
  }
  const m = mean(logs);
  const change = Math.exp(m) - 1;
  const medianChange = median(ratios) - 1;
  if (n < MIN_ROUNDS) {
    return {
      ...base, verdict: 'inconclusive', change, medianChange, changeCi: null, detectable: null,
      reason: `too few ${unit}s (${n}; at least ${MIN_ROUNDS} are needed to estimate noise)`,
      more: { perSide: MIN_ROUNDS, baseline: MIN_ROUNDS - n, current: MIN_ROUNDS - n, estimated: false, note: `at least ${MIN_ROUNDS} ${unit}s are needed before any estimate` },
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
    regressed: `${conf} CI of the paired change over ${many(n)} ${ci} ${boundText('regressed', opts.tolerance, opts.better)}`,
    improved: `${conf} CI of the paired change over ${many(n)} ${ci} ${boundText('improved', opts.tolerance, opts.better)}`,
    unchanged: `${conf} CI of the paired change over ${many(n)} ${ci} lies within ±${tol}%`,
    inconclusive: `too noisy: ${conf} CI of the paired change over ${many(n)} ${ci} straddles a tolerance bound (±${tol}%)`,
  } as const;
  let more: Decision['more'] = null;
  if (verdict === 'inconclusive') {
    const k = roundsToDecide(m, s, n, opts);
    more = k === null
      ? { perSide: null, baseline: null, current: null, estimated: true, note: `the change is too close to the tolerance for this noise: no practical number of ${unit}s decides it` }
      : { perSide: k, baseline: k - n, current: k - n, estimated: true, note: `about ${k} ${unit}s would decide it if the observed ratio and noise hold` };
  }
  return { ...base, verdict, change, medianChange, changeCi, reason: reasons[verdict], more, detectable: detectableDrop(s, n, opts) };
}

/** The rounds' ln ratios per epoch, in epoch order. */
function logsByEpoch(rounds: readonly { epoch: number; ratio: number }[]): Map<number, number[]> {
  const by = new Map<number, number[]>();
  for (const r of [...rounds].sort((a, b) => a.epoch - b.epoch)) {
    if (!(r.ratio > 0 && Number.isFinite(r.ratio))) throw new RangeError(`epoch ratios must be finite and > 0, got ${r.ratio}`);
    const l = by.get(r.epoch);
    if (l) l.push(Math.log(r.ratio));
    else by.set(r.epoch, [Math.log(r.ratio)]);
  }
  return by;
}

/** One epoch's sample: the geometric mean of its rounds' ratios head/base. */
export interface EpochSample {
  epoch: number;
  /** rounds of the epoch with a ratio */
  rounds: number;
  ratio: number;
}

/**
 * The rounds' ratios grouped by epoch, one sample per epoch: exp(mean of its rounds' ln ratios), in epoch order. An
 * epoch with fewer than `minRounds` ratios (cut short by the cap, a failure) is left out of `samples` and listed in
 * `short`: its few rounds would weigh as much as a whole epoch.
 */
export function epochSamples(rounds: readonly { epoch: number; ratio: number }[], minRounds: number): { samples: EpochSample[]; short: EpochSample[] } {
  const all = [...logsByEpoch(rounds)].map(([epoch, logs]) => ({ epoch, rounds: logs.length, ratio: Math.exp(mean(logs)) }));
  return { samples: all.filter((e) => e.rounds >= minRounds), short: all.filter((e) => e.rounds < minRounds) };
}

/**
 * How the rounds' ln ratios spread within an epoch and between epochs (one-way random effects, method of moments):
 * `within` = √MSW, the noise of one round around its epoch's mean; `between` = √max(0, (MSB − MSW)/n₀), the sd of an
 * epoch's own offset (a pair of processes' bias) beyond what its rounds' noise explains, with
 * n₀ = (N − Σnᵢ²/N)/(E − 1) (the epochs' size, for unequal epochs). Null where it cannot be estimated (fewer than 2
 * epochs, or no epoch with 2 rounds). Reported beside the verdict; the interval itself is the t-interval across the
 * epochs' means, whose variance holds both parts: Var(epoch mean) = between² + within²/n.
 */
export function epochSpread(rounds: readonly { epoch: number; ratio: number }[]): { within: number | null; between: number | null } {
  const groups = [...logsByEpoch(rounds).values()];
  const n = groups.reduce((a, g) => a + g.length, 0);
  const e = groups.length;
  const dfw = n - e;
  const ssw = groups.reduce((a, g) => {
    const m = mean(g);
    return a + g.reduce((b, x) => b + (x - m) ** 2, 0);
  }, 0);
  const within = dfw > 0 ? Math.sqrt(ssw / dfw) : null;
  if (e < 2 || within === null) return { within, between: null };
  const grand = groups.reduce((a, g) => a + g.reduce((b, x) => b + x, 0), 0) / n;
  const msb = groups.reduce((a, g) => a + g.length * (mean(g) - grand) ** 2, 0) / (e - 1);
  const n0 = (n - groups.reduce((a, g) => a + g.length ** 2, 0) / n) / (e - 1);
  return { within, between: Math.sqrt(Math.max(0, (msb - within ** 2) / n0)) };
}

/**
 * A cell's decision with epochs of `size` rounds: decidePaired over the epochs' ratios (epochs with fewer than half of
 * `size` rounds left out), with the rounds, the epochs and the spreads ab reports beside it.
 */
export function decideEpochs(rounds: readonly { epoch: number; ratio: number }[], size: number, opts: DecisionOptions) {
  const { samples, short } = epochSamples(rounds, Math.ceil(size / 2));
  const { rounds: n, ratios, detectable, ...decision } = decidePaired(samples.map((e) => e.ratio), { ...opts, unit: 'epoch' });
  const { within, between } = epochSpread(rounds);
  return { decision, paired: { rounds: rounds.length, ratios, detectable, epochs: { n, size, short: short.length, within, between } } };
}
