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

/**
 * Rounds where a side's value is only a lower bound of what it can do (an NDR search whose top load
 * passed: the generator's limit): a's makes that round's ratio a lower bound, b's an upper bound.
 */
export interface AtLeast {
  a?: readonly boolean[];
  b?: readonly boolean[];
}

/**
 * a[r] / b[r] for every round r both measured, judged against `goal` (a ratio at least that is
 * wanted). A bound cannot say the ratio is below the goal (a's) or above it (b's): such rounds turn
 * that verdict into undecided.
 */
export function pairedGoal(a: readonly (number | undefined)[], b: readonly (number | undefined)[], goal: number, atLeast: AtLeast = {}): GoalVerdict | null {
  const rounds: number[] = [];
  let aBound = false;
  let bBound = false;
  for (let r = 0; r < Math.min(a.length, b.length); r++) {
    const x = a[r];
    const y = b[r];
    if (x === undefined || y === undefined || !(x > 0 && y > 0)) continue;
    rounds.push(x / y);
    aBound ||= atLeast.a?.[r] === true;
    bBound ||= atLeast.b?.[r] === true;
  }
  if (rounds.length === 0) return null;
  const ci = logCi(rounds);
  const ratio = ci ? ci.center : rounds[0]!;
  let verdict: GoalVerdict['verdict'] = ci === null ? 'undecided' : ci.low >= goal ? 'met' : ci.high < goal ? 'not met' : 'undecided';
  if ((verdict === 'met' && bBound) || (verdict === 'not met' && aBound)) verdict = 'undecided';
  return { ratio, rounds, low: ci?.low ?? null, high: ci?.high ?? null, verdict };
}

/** "0.94x (rounds 0.93 0.96 0.94; 95 % 0.90-0.98) goal >= 0.95: undecided" */
export function formatGoal(v: GoalVerdict, goal: number): string {
  const ci = v.low !== null && v.high !== null ? `; 95 % ${v.low.toFixed(2)}-${v.high.toFixed(2)}` : '';
  return `${v.ratio.toFixed(2)}x (rounds ${v.rounds.map((x) => x.toFixed(2)).join(' ')}${ci}) goal >= ${goal.toFixed(2)}: ${v.verdict}`;
}
