// Search goals of a loss-bounded throughput search (RFC 9971, MLRsearch) and the shipped presets.

/** One search goal: what "lossless enough" means and how sure the search must be (RFC 9971 §4.5). */
export interface SearchGoal {
  /** what results call it: `ndr`, `pdr`, … */
  name: string;
  /** a trial is low-loss when its loss ratio is at most this (0 = no loss at all) */
  loss_ratio: number;
  /** share of the duration sum that may be high-loss trials while the load is still a lower bound */
  exceed_ratio: number;
  /** seconds of a full-length trial */
  final_trial_duration: number;
  /** seconds of the first, short trials (the coarse targets before the final one) */
  initial_trial_duration: number;
  /** seconds of trials a load needs before it is a bound either way */
  duration_sum: number;
  /** done when (upper - lower) / upper is at most this */
  width: number;
}

type PresetName = 'quick' | 'csit' | 'rfc2544' | 'tst009';
export const PRESETS: readonly PresetName[] = ['quick', 'csit', 'rfc2544', 'tst009'];

const goal = (name: string, g: Omit<SearchGoal, 'name'>): SearchGoal => ({ name, ...g });

/**
 * The presets. `csit` is FD.io CSIT's NDR/PDR; `rfc2544` and `tst009` are the goals RFC 9971 §5.3/5.4
 * names as compliant with RFC 2544 §24 and ETSI TST009 §12.3.3 (max(r) = 2); `quick` (the default) is
 * sized so a shipped spec's search fits a few cells into 5 minutes on 2 cores: one 1 s trial decides a
 * load (no repetition: on a noisy host read NDR as "no loss seen in one second"), width 2 %.
 */
export function presetGoals(p: PresetName): SearchGoal[] {
  switch (p) {
    case 'quick':
      return [
        goal('ndr', { loss_ratio: 0, exceed_ratio: 0, final_trial_duration: 1, initial_trial_duration: 0.5, duration_sum: 1, width: 0.02 }),
        goal('pdr', { loss_ratio: 0.005, exceed_ratio: 0, final_trial_duration: 1, initial_trial_duration: 0.5, duration_sum: 1, width: 0.02 }),
      ];
    case 'csit':
      return [
        goal('ndr', { loss_ratio: 0, exceed_ratio: 0.5, final_trial_duration: 1, initial_trial_duration: 1, duration_sum: 21, width: 0.005 }),
        goal('pdr', { loss_ratio: 0.005, exceed_ratio: 0.5, final_trial_duration: 1, initial_trial_duration: 1, duration_sum: 21, width: 0.005 }),
      ];
    case 'rfc2544':
      return [goal('ndr', { loss_ratio: 0, exceed_ratio: 0, final_trial_duration: 60, initial_trial_duration: 1, duration_sum: 60, width: 0.005 })];
    case 'tst009':
      return [goal('ndr', { loss_ratio: 0, exceed_ratio: 0.5, final_trial_duration: 60, initial_trial_duration: 1, duration_sum: 120, width: 0.005 })];
  }
}

/** What is wrong with a goal, or null (RFC 9971 §4.5 ranges). */
export function goalProblem(g: SearchGoal): string | null {
  if (!(g.loss_ratio >= 0 && g.loss_ratio < 1)) return `loss_ratio must be in [0, 1) (got ${g.loss_ratio})`;
  if (!(g.exceed_ratio >= 0 && g.exceed_ratio < 1)) return `exceed_ratio must be in [0, 1) (got ${g.exceed_ratio})`;
  if (!(g.width > 0 && g.width < 1)) return `width must be in (0, 1) (got ${g.width})`;
  if (!(g.initial_trial_duration > 0)) return `initial_trial_duration must be positive (got ${g.initial_trial_duration})`;
  if (!(g.final_trial_duration >= g.initial_trial_duration)) return `final_trial_duration (${g.final_trial_duration}) must be at least initial_trial_duration (${g.initial_trial_duration})`;
  if (!(g.duration_sum >= g.final_trial_duration)) return `duration_sum (${g.duration_sum}) must be at least final_trial_duration (${g.final_trial_duration})`;
  return null;
}

