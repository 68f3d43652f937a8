// The MLRsearch controller (RFC 9971): searches every goal's conditional throughput with one shared
// set of trials, in log space between a minimum and a maximum load.
import { classify, conditionalThroughput, type Bound, type TrialLoss } from './classify.js';
import { goalProblem, type SearchGoal } from './goal.js';

/** What a measurer reports for one trial at an intended load. */
export interface TrialOutcome {
  /** packets the trial meant to offer (load x duration) */
  intended_packets: number;
  /** packets that came back; loss = intended - forwarded, so what the generator failed to send is lost too */
  forwarded_packets: number;
  /** seconds the trial took with its overheads (process start, warm-up); summed into the budget */
  effective_s?: number;
  /** anything else the measurer wants kept in the trial record (offered, latency, flags…) */
  extra?: Record<string, unknown>;
}

/** One trial of the search as results record it. */
interface SearchTrial extends TrialLoss {
  /** 1-based, in measuring order */
  n: number;
  /** intended load, packets/s */
  load_pps: number;
  /** the goal (and its target: final or coarse) that asked for the trial */
  goal: string;
  target: 'final' | 'coarse';
  intended_packets: number;
  forwarded_packets: number;
  /** forwarded / duration */
  forwarding_rate_pps: number;
  extra?: Record<string, unknown>;
}

interface GoalResult {
  goal: string;
  /** RFC 9971 §4.8: both relevant bounds exist and lie within the goal's width */
  regular: boolean;
  /** why the result is irregular (null when regular) */
  irregular_reason: string | null;
  /** the largest lower bound below the relevant upper bound (max load when it is a lower bound: irregular) */
  lower_bound_pps: number | null;
  /** the smallest upper bound */
  upper_bound_pps: number | null;
  /** lower bound x (1 - quantile loss ratio) of its full-length trials */
  conditional_throughput_pps: number | null;
  /** (upper - lower) / upper, when both exist */
  relative_width: number | null;
}

interface SearchResult {
  goals: GoalResult[];
  trials: SearchTrial[];
  /** sum of effective seconds of every trial */
  seconds: number;
  min_load_pps: number;
  max_load_pps: number;
  start_load_pps: number;
  /** why the search stopped early (trial budget), or null */
  stopped: string | null;
}

interface SearchOptions {
  goals: SearchGoal[];
  /** lowest load tried; loss there makes a goal unmeetable (irregular) */
  min_load_pps: number;
  /** highest load tried (line rate, or what the generator can offer) */
  max_load_pps: number;
  /** first load: RFC 9971 suggests the forwarding rate seen at max load */
  start_load_pps?: number;
  /** measures one trial; may throw (the search stops and the error propagates) */
  measure(load_pps: number, duration_s: number): Promise<TrialOutcome>;
  /** called after each trial (e.g. to write trials.jsonl as the search goes) */
  onTrial?(t: SearchTrial): void;
  /** safety net: at most this many trials (default 200) */
  max_trials?: number;
}

/** Coarser targets before a goal's final one: wider and with short trials, to get near fast. */
interface Target {
  goal: SearchGoal;
  kind: 'final' | 'coarse';
  params: SearchGoal;
}

function targetsOf(g: SearchGoal): Target[] {
  const coarse = (f: number, d: number): Target => ({ goal: g, kind: 'coarse', params: { ...g, width: Math.min(0.5, g.width * f), final_trial_duration: d, duration_sum: d, exceed_ratio: 0 } });
  const mid = Math.sqrt(g.initial_trial_duration * g.final_trial_duration);
  return [coarse(4, g.initial_trial_duration), coarse(2, mid), { goal: g, kind: 'final', params: g }];
}

/**
 * The load grid: loads are max * r^-k for integers k (r = 1 / (1 - w/4) for the narrowest width w),
 * clamped to min, so repeated visits land on the same loads and their trials add up.
 */
class Grid {
  readonly step: number;
  readonly kMax: number;
  constructor(readonly min: number, readonly max: number, widths: number[]) {
    this.step = -Math.log(1 - Math.min(...widths) / 4);
    this.kMax = Math.ceil(Math.log(max / min) / this.step);
  }
  load(k: number): number {
    if (k >= this.kMax) return this.min;
    if (k <= 0) return this.max;
    return this.max * Math.exp(-k * this.step);
  }
  /** nearest grid index to a load */
  index(load: number): number {
    if (load >= this.max) return 0;
    if (load <= this.min) return this.kMax;
    return Math.min(this.kMax, Math.max(0, Math.round(Math.log(this.max / load) / this.step)));
  }
}

/** Grid index -> trials at that load. */
type Db = Map<number, SearchTrial[]>;

function boundsOf(params: SearchGoal, db: Db) {
  // k grows as load falls
  const cls = new Map<number, Bound>();
  for (const [k, ts] of db) cls.set(k, classify(params, ts).bound);
  let chi: number | null = null; // relevant upper bound: the lowest load that is an upper bound
  for (const [k, b] of cls) if (b === 'upper' && (chi === null || k > chi)) chi = k;
  let clo: number | null = null; // relevant lower bound: the highest lower bound below it
  for (const [k, b] of cls) if (b === 'lower' && (chi === null || k > chi) && (clo === null || k < clo)) clo = k;
  const undecided = [...cls].filter(([k, b]) => b === 'undecided' && (chi === null || k > chi) && (clo === null || k < clo)).map(([k]) => k);
  return { chi, clo, undecided };
}

/**
 * Which undecided load to measure next: the lowest one whose seconds so far are mostly high-loss (it
 * may become the relevant upper bound and make every load above it irrelevant), else the highest one
 * leaning low-loss. Loads far above the bracket are never confirmed one trial at a time.
 */
function pickUndecided(params: SearchGoal, db: Db, undecided: number[]): number {
  let upper: number | null = null;
  let lower: number | null = null;
  for (const k of undecided) {
    let high = 0;
    let low = 0;
    for (const t of db.get(k)!) {
      if (t.loss_ratio > params.loss_ratio) high += t.duration_s;
      else low += t.duration_s;
    }
    if (high > low) upper = upper === null ? k : Math.max(upper, k);
    else lower = lower === null ? k : Math.min(lower, k);
  }
  return (upper ?? lower)!;
}

export async function mlrSearch(o: SearchOptions): Promise<SearchResult> {
  if (o.goals.length === 0) throw new Error('no search goals');
  for (const g of o.goals) {
    const p = goalProblem(g);
    if (p) throw new Error(`goal ${g.name}: ${p}`);
  }
  if (!(o.min_load_pps > 0 && o.max_load_pps > o.min_load_pps)) throw new Error(`need 0 < min load (${o.min_load_pps}) < max load (${o.max_load_pps})`);
  const grid = new Grid(o.min_load_pps, o.max_load_pps, o.goals.map((g) => g.width));
  const db: Db = new Map();
  const trials: SearchTrial[] = [];
  const maxTrials = o.max_trials ?? 200;
  const start = Math.min(o.max_load_pps, Math.max(o.min_load_pps, o.start_load_pps ?? o.max_load_pps));
  let stopped: string | null = null;

  const run = async (k: number, t: Target) => {
    const load = grid.load(k);
    const d = t.params.final_trial_duration;
    const r = await o.measure(load, d);
    const intended = r.intended_packets;
    const lost = Math.max(0, intended - r.forwarded_packets);
    const trial: SearchTrial = {
      n: trials.length + 1, load_pps: load, goal: t.goal.name, target: t.kind, duration_s: d, effective_s: r.effective_s ?? d,
      loss_ratio: intended > 0 ? lost / intended : 1, intended_packets: intended, forwarded_packets: r.forwarded_packets,
      forwarding_rate_pps: r.forwarded_packets / d, ...(r.extra ? { extra: r.extra } : {}),
    };
    trials.push(trial);
    db.set(k, [...(db.get(k) ?? []), trial]);
    o.onTrial?.(trial);
  };

  outer: for (const g of o.goals) {
    for (const t of targetsOf(g)) {
      const w = t.params.width;
      // in grid steps: how far one expansion moves (doubles each time in the same direction)
      const widthSteps = Math.max(1, Math.round(-Math.log(1 - w) / grid.step));
      let up = widthSteps;
      let down = widthSteps;
      for (;;) {
        if (trials.length >= maxTrials) {
          stopped = `trial budget of ${maxTrials} used up`;
          break outer;
        }
        const { chi, clo, undecided } = boundsOf(t.params, db);
        let next: number | null;
        if (undecided.length > 0) {
          next = pickUndecided(t.params, db, undecided);
        } else if (chi === null && clo === null) {
          next = grid.index(start);
        } else if (chi === null) {
          if (clo === 0) break; // max load is a lower bound: nothing above to find
          next = Math.max(0, clo! - up);
          up *= 2;
        } else if (clo === null) {
          if (chi === grid.kMax) break; // loss at the min load: the goal cannot be met here
          next = Math.min(grid.kMax, chi + down);
          down *= 2;
        } else {
          const lo = grid.load(clo);
          const hi = grid.load(chi);
          if ((hi - lo) / hi <= w || clo - chi <= 1) break;
          next = Math.round((chi + clo) / 2); // bisect in log space
        }
        await run(next, t);
      }
    }
  }

  const goals = o.goals.map((g): GoalResult => {
    const { chi, clo } = boundsOf(g, db);
    const lo = clo === null ? null : grid.load(clo);
    const hi = chi === null ? null : grid.load(chi);
    const width = lo !== null && hi !== null ? (hi - lo) / hi : null;
    let reason: string | null = null;
    if (hi !== null && lo === null && chi === grid.kMax) reason = `loss above the goal even at the minimum load ${fmt(grid.min)} pps: the goal cannot be met`;
    else if (hi === null && lo !== null && clo === 0) reason = `the maximum load ${fmt(grid.max)} pps is a lower bound: the real limit may be higher`;
    else if (lo === null || hi === null) reason = stopped ?? 'a bound is missing';
    else if (width !== null && width > g.width + 1e-12) reason = stopped ?? `bounds ${fmt(lo)}..${fmt(hi)} pps are wider than ${g.width}`;
    return {
      goal: g.name, regular: reason === null, irregular_reason: reason, lower_bound_pps: lo, upper_bound_pps: hi,
      conditional_throughput_pps: clo === null ? null : conditionalThroughput(g, lo!, db.get(clo)!),
      relative_width: width,
    };
  });
  return {
    goals, trials, seconds: trials.reduce((s, t) => s + (t.effective_s ?? t.duration_s), 0),
    min_load_pps: grid.min, max_load_pps: grid.max, start_load_pps: start, stopped,
  };
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
