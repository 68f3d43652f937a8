// Load classification and conditional throughput for one goal (RFC 9971 appendices A and B), pure.
import type { SearchGoal } from './goal.js';

/** What the classification needs of a trial. */
export interface TrialLoss {
  /** the intended trial duration, seconds (decides full-length versus short) */
  duration_s: number;
  /** seconds the trial took, overheads included (what is summed); defaults to duration_s */
  effective_s?: number;
  /** lost / intended packets, 0..1 */
  loss_ratio: number;
}

export type Bound = 'lower' | 'upper' | 'undecided';

/** The sums and ratios of RFC 9971 appendix A, exposed so tests can pin each one. */
interface Classification {
  full_high_s: number;
  full_low_s: number;
  short_high_s: number;
  short_low_s: number;
  effective_high_s: number;
  effective_whole_s: number;
  optimistic_exceed: number;
  pessimistic_exceed: number;
  bound: Bound;
}

/**
 * Classifies one load from all trials measured at it. Full-length trials count as they are; short
 * trials only by how far their high-loss seconds outweigh low-loss ones (scaled by the exceed ratio);
 * the seconds still missing to the duration sum are assumed low-loss (optimistic) or high-loss
 * (pessimistic): the load is an upper bound when even the optimistic view exceeds the goal's exceed
 * ratio, a lower bound when even the pessimistic one does not.
 */
export function classify(goal: SearchGoal, trials: readonly TrialLoss[]): Classification {
  let fullHigh = 0;
  let fullLow = 0;
  let shortHigh = 0;
  let shortLow = 0;
  for (const t of trials) {
    const d = t.effective_s ?? t.duration_s;
    const high = t.loss_ratio > goal.loss_ratio;
    if (t.duration_s >= goal.final_trial_duration) {
      if (high) fullHigh += d;
      else fullLow += d;
    } else if (high) shortHigh += d;
    else shortLow += d;
  }
  const coefficient = goal.exceed_ratio / (1 - goal.exceed_ratio);
  const excess = Math.max(0, shortHigh - shortLow * coefficient);
  const effHigh = fullHigh + excess;
  const effFull = effHigh + fullLow;
  const whole = Math.max(effFull, goal.duration_sum);
  const missing = whole - effFull;
  const optimistic = effHigh / whole;
  const pessimistic = (effHigh + missing) / whole;
  const bound: Bound = optimistic > goal.exceed_ratio ? 'upper' : pessimistic <= goal.exceed_ratio ? 'lower' : 'undecided';
  return {
    full_high_s: fullHigh, full_low_s: fullLow, short_high_s: shortHigh, short_low_s: shortLow,
    effective_high_s: effHigh, effective_whole_s: whole, optimistic_exceed: optimistic, pessimistic_exceed: pessimistic, bound,
  };
}

/**
 * The loss ratio conditional throughput uses (RFC 9971 appendix B): full-length trials sorted by loss,
 * walked until the exceed ratio's share of max(duration sum, their seconds) is used up; missing
 * seconds count as total loss. Null without full-length trials.
 */
export function quantileLossRatio(goal: SearchGoal, trials: readonly TrialLoss[]): number | null {
  const full = trials.filter((t) => t.duration_s >= goal.final_trial_duration).sort((a, b) => a.loss_ratio - b.loss_ratio);
  if (full.length === 0) return null;
  const sum = full.reduce((s, t) => s + (t.effective_s ?? t.duration_s), 0);
  let remaining = Math.max(goal.duration_sum, sum) * (1 - goal.exceed_ratio);
  let ratio: number | null = null;
  for (const t of full) {
    if (ratio !== null && remaining <= 0) return ratio;
    ratio = t.loss_ratio;
    remaining -= t.effective_s ?? t.duration_s;
  }
  return remaining > 0 ? 1 : ratio;
}

/** Conditional throughput at a load: the load times one minus the quantile loss ratio; null as above. */
export function conditionalThroughput(goal: SearchGoal, load: number, trials: readonly TrialLoss[]): number | null {
  const q = quantileLossRatio(goal, trials);
  return q === null ? null : load * (1 - q);
}
