// The decision for one cell: a Welch t-interval on the difference of means, scaled by the baseline mean, against ±tolerance.
import { mean, median, sd, ciMean, tQuantile } from '../results/stats.js';

export const VERDICTS = ['regressed', 'improved', 'unchanged', 'inconclusive'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface DecisionOptions {
  /** relative tolerance, e.g. 0.05 for 5% */
  tolerance: number;
  /** two-sided confidence of the interval, e.g. 0.95 */
  confidence: number;
  /** which way the metric is better (compare/samples.ts METRIC_INFO): for latency an increase is the regression; default higher */
  better?: 'higher' | 'lower';
}

export interface SideStats {
  n: number;
  failed: number;
  mean: number;
  sd: number;
  median: number;
  /** CI of the mean at the chosen confidence; null below two samples */
  ci: { low: number; high: number } | null;
}

interface MoreRepetitions {
  /** repetitions per side that would decide the cell if the observed means and noise held; null if none up to the cap */
  perSide: number | null;
  /** extra repetitions needed on each side (perSide minus what it has) */
  baseline: number | null;
  current: number | null;
  /** false when there was no noise estimate to project from (perSide is then only the minimum) */
  estimated: boolean;
  note: string;
}

export interface Decision {
  verdict: Verdict;
  /** (current mean − baseline mean) / baseline mean; NaN when it cannot be computed */
  change: number;
  /** (current median − baseline median) / baseline median */
  medianChange: number;
  /** the interval of `change` at the chosen confidence; null when it cannot be computed */
  changeCi: { low: number; high: number } | null;
  /** Welch–Satterthwaite degrees of freedom (Infinity when both sides have zero spread) */
  df: number | null;
  reason: string;
  /** only for inconclusive verdicts */
  more: MoreRepetitions | null;
}

/** Fewest successful repetitions per side that give a noise estimate. */
const MIN_REPETITIONS = 2;
/** Upper bound of the repetition search: beyond it we say "no practical number". */
export const MAX_REPETITIONS = 10_000;

export function sideStats(values: readonly number[], failed: number, confidence: number): SideStats {
  return {
    n: values.length,
    failed,
    mean: mean(values),
    sd: sd(values),
    median: median(values),
    ci: ciMean(values, confidence),
  };
}

/** Welch–Satterthwaite df of a difference of two means from their per-mean variances a = s²/n and b. */
export function welchDf(a: number, na: number, b: number, nb: number): number {
  const num = (a + b) ** 2;
  const den = (a * a) / (na - 1) + (b * b) / (nb - 1);
  return den === 0 ? Number.POSITIVE_INFINITY : num / den;
}

/** Two-sided t quantile; an infinite df is the normal limit, which tQuantile approaches at large df. */
function tCrit(confidence: number, df: number): number {
  return tQuantile(1 - (1 - confidence) / 2, Number.isFinite(df) ? df : 1e9);
}

/**
 * Where the interval lies against ±tolerance decides; the rule is spelled out in docs/regression-gate.md.
 * For a lower-is-better metric (latency) the sides swap: wholly above +tolerance is the regression.
 */
export function classify(low: number, high: number, tolerance: number, better: 'higher' | 'lower' = 'higher'): Verdict {
  if (high < -tolerance) return better === 'higher' ? 'regressed' : 'improved';
  if (low > tolerance) return better === 'higher' ? 'improved' : 'regressed';
  if (low >= -tolerance && high <= tolerance) return 'unchanged';
  return 'inconclusive';
}

/** "lies entirely below -5.00%" / "above +5.00%" for a verdict, by which way is better. */
export function boundText(verdict: 'regressed' | 'improved', tolerance: number, better: 'higher' | 'lower' = 'higher'): string {
  const below = (verdict === 'regressed') === (better === 'higher');
  const t = (tolerance * 100).toFixed(2);
  return below ? `lies entirely below -${t}%` : `lies entirely above +${t}%${better === 'lower' && verdict === 'regressed' ? ' (higher is worse for this metric)' : ''}`;
}

/**
 * Half-width the interval must shrink below for the point estimate `change` to be decided, or 0 if it sits on a
 * boundary (then no number of repetitions decides it).
 */
function marginToDecide(change: number, tolerance: number): number {
  if (change < -tolerance) return -tolerance - change;
  if (change > tolerance) return change - tolerance;
  return tolerance - Math.abs(change);
}

/**
 * How many repetitions per side would decide the cell, assuming the observed means and standard deviations hold:
 * the smallest N such that topping each side up to N samples (a side never loses samples) narrows the interval enough.
 */
export function repetitionsToDecide(
  b: { n: number; mean: number; sd: number },
  c: { n: number; mean: number; sd: number },
  opts: DecisionOptions,
): MoreRepetitions {
  const extra = (perSide: number | null, note: string, estimated = true): MoreRepetitions => ({
    perSide,
    baseline: perSide === null ? null : Math.max(0, perSide - b.n),
    current: perSide === null ? null : Math.max(0, perSide - c.n),
    estimated,
    note,
  });
  // Noise is unknown below two samples on both sides: borrow the other side's spread when one side has it.
  const sdB = b.n >= MIN_REPETITIONS ? b.sd : c.n >= MIN_REPETITIONS ? c.sd : Number.NaN;
  const sdC = c.n >= MIN_REPETITIONS ? c.sd : sdB;
  if (!Number.isFinite(sdB) || !Number.isFinite(sdC) || !(b.mean > 0) || !Number.isFinite(c.mean)) {
    return extra(Math.max(MIN_REPETITIONS, b.n, c.n), `noise unknown: need at least ${MIN_REPETITIONS} successful repetitions per side before any estimate`, false);
  }
  const change = (c.mean - b.mean) / b.mean;
  const margin = marginToDecide(change, opts.tolerance);
  if (!(margin > 0)) return extra(null, 'the observed change sits on the tolerance boundary: no number of repetitions decides it');
  // With N per side, a side keeps the samples it has: it only grows to N if it has fewer.
  const halfWidth = (n: number): number => {
    const nb = Math.max(b.n, n);
    const nc = Math.max(c.n, n);
    const va = (sdB * sdB) / nb;
    const vb = (sdC * sdC) / nc;
    return (tCrit(opts.confidence, welchDf(va, nb, vb, nc)) * Math.sqrt(va + vb)) / b.mean;
  };
  const found = (n: number) => extra(n, `about ${n} successful repetitions per side would decide it if the observed means and noise hold`);
  // The half-width does not grow with N: exponential search, then bisection.
  let lo = MIN_REPETITIONS - 1;
  let hi = MIN_REPETITIONS;
  while (halfWidth(hi) >= margin) {
    lo = hi;
    hi *= 2;
    if (hi > MAX_REPETITIONS) {
      if (halfWidth(MAX_REPETITIONS) >= margin) return extra(null, `more than ${MAX_REPETITIONS} repetitions per side would be needed: the change is too close to the tolerance for this noise`);
      hi = MAX_REPETITIONS;
      break;
    }
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (halfWidth(mid) < margin) hi = mid;
    else lo = mid;
  }
  return found(hi);
}

function pct(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`;
}

/** Decide one cell from its baseline and current samples. */
export function decide(baseline: SideStats, current: SideStats, opts: DecisionOptions): Decision {
  const base = { change: Number.NaN, medianChange: Number.NaN, changeCi: null, df: null, more: null };
  // a change that makes every trial of a cell fail is the worst regression there is, not noise
  if (current.n === 0 && current.failed > 0 && baseline.n > 0) {
    return { ...base, change: -1, medianChange: -1, verdict: 'regressed', reason: `every current trial failed (${current.failed}); the baseline had ${baseline.n} successful` };
  }
  if (current.n === 0 || baseline.n === 0) {
    const side = baseline.n === 0 ? 'baseline' : 'current';
    return { ...base, verdict: 'inconclusive', reason: `no successful trials on the ${side} side`, more: repetitionsToDecide(baseline, current, opts) };
  }
  if (!(baseline.mean > 0)) {
    return { ...base, verdict: 'inconclusive', reason: `baseline mean is ${baseline.mean}: a relative change needs a positive baseline` };
  }
  const change = (current.mean - baseline.mean) / baseline.mean;
  const medianChange = (current.median - baseline.median) / baseline.median;
  if (baseline.n < MIN_REPETITIONS || current.n < MIN_REPETITIONS) {
    return {
      ...base,
      change,
      medianChange,
      verdict: 'inconclusive',
      reason: `too few repetitions (baseline ${baseline.n}, current ${current.n}; at least ${MIN_REPETITIONS} per side are needed to estimate noise)`,
      more: repetitionsToDecide(baseline, current, opts),
    };
  }
  const va = (baseline.sd * baseline.sd) / baseline.n;
  const vc = (current.sd * current.sd) / current.n;
  const df = welchDf(va, baseline.n, vc, current.n);
  const halfWidth = (tCrit(opts.confidence, df) * Math.sqrt(va + vc)) / baseline.mean;
  const changeCi = { low: change - halfWidth, high: change + halfWidth };
  const verdict = classify(changeCi.low, changeCi.high, opts.tolerance, opts.better);
  const conf = `${Math.round(opts.confidence * 1000) / 10}%`;
  const ci = `[${pct(changeCi.low)}, ${pct(changeCi.high)}]`;
  const tol = `±${pct(opts.tolerance).slice(1)}`;
  const reasons: Record<Verdict, string> = {
    regressed: `${conf} CI of the change ${ci} ${boundText('regressed', opts.tolerance, opts.better)}`,
    improved: `${conf} CI of the change ${ci} ${boundText('improved', opts.tolerance, opts.better)}`,
    unchanged: `${conf} CI of the change ${ci} lies within ${tol}`,
    inconclusive: `too noisy: ${conf} CI of the change ${ci} straddles a tolerance bound (${tol})`,
  };
  return {
    verdict,
    change,
    medianChange,
    changeCi,
    df,
    reason: reasons[verdict],
    more: verdict === 'inconclusive' ? repetitionsToDecide(baseline, current, opts) : null,
  };
}
