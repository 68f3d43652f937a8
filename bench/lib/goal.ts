// A goal of issue 20 judged from paired rounds: each round measured both sides close together, so
// the round's ratio carries what the machine did then to both; the verdict says whether the 95 %
// interval of their geometric mean lies above the goal (met), below it (not met), or across it
// (undecided: more rounds, or a quieter hour, would say). A ratio of medians says none of this.
import { logCi } from '../../harness/results/stats.js';

export interface GoalVerdict {
  /** geometric mean of the per-round ratios */
  ratio: number;
  /** the per-round ratios, in round order (rounds where either side failed are left out) */
  rounds: number[];
  /** 95 % interval of the geometric mean (null below two rounds) */
  low: number | null;
  high: number | null;
  verdict: 'met' | 'not met' | 'undecided';
}

/** a[r] / b[r] for every round r both measured, judged against `goal` (a ratio at least that is wanted). */
export function pairedGoal(a: readonly (number | undefined)[], b: readonly (number | undefined)[], goal: number): GoalVerdict | null {
  const rounds: number[] = [];
  for (let r = 0; r < Math.min(a.length, b.length); r++) {
    const x = a[r];
    const y = b[r];
    if (x !== undefined && y !== undefined && x > 0 && y > 0) rounds.push(x / y);
  }
  if (rounds.length === 0) return null;
  const ci = logCi(rounds);
  const ratio = ci ? ci.center : rounds[0]!;
  const verdict = ci === null ? 'undecided' : ci.low >= goal ? 'met' : ci.high < goal ? 'not met' : 'undecided';
  return { ratio, rounds, low: ci?.low ?? null, high: ci?.high ?? null, verdict };
}

/** "0.94x (rounds 0.93 0.96 0.94; 95 % 0.90-0.98) goal >= 0.95: undecided" */
export function formatGoal(v: GoalVerdict, goal: number): string {
  const ci = v.low !== null && v.high !== null ? `; 95 % ${v.low.toFixed(2)}-${v.high.toFixed(2)}` : '';
  return `${v.ratio.toFixed(2)}x (rounds ${v.rounds.map((x) => x.toFixed(2)).join(' ')}${ci}) goal >= ${goal.toFixed(2)}: ${v.verdict}`;
}
