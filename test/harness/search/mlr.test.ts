import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mlrSearch, type TrialOutcome } from '../../../harness/search/mlr.js';
import { presetGoals, goalProblem, PRESETS, type SearchGoal } from '../../../harness/search/goal.js';
import { Xoshiro128 } from '../../../runtime/packet/prng.js';

/**
 * A simulated SUT: forwards at most `capacity` pps; with probability `spurious` a trial also loses a
 * handful of packets at any load (a busy host's hiccup). Seeded, so each search is exactly repeatable.
 */
function simulated(capacity: number, seed = 1, spurious = 0) {
  const rng = new Xoshiro128(seed);
  return async (load: number, d: number): Promise<TrialOutcome> => {
    const intended = Math.round(load * d);
    let forwarded = Math.min(intended, Math.floor(capacity * d));
    if (spurious > 0 && rng.nextU32() / 2 ** 32 < spurious) forwarded = Math.max(0, forwarded - 1 - (rng.nextU32() % 50));
    return { intended_packets: intended, forwarded_packets: forwarded };
  };
}

test('presets are valid goals; csit is NDR 0 % / PDR 0.5 %, 1 s trials, 21 s sum, exceed 0.5, width 0.5 %', () => {
  for (const p of PRESETS) for (const goal of presetGoals(p)) assert.equal(goalProblem(goal), null, `${p}/${goal.name}`);
  assert.deepEqual(presetGoals('csit').map((x) => [x.name, x.loss_ratio, x.final_trial_duration, x.duration_sum, x.exceed_ratio, x.width]), [
    ['ndr', 0, 1, 21, 0.5, 0.005],
    ['pdr', 0.005, 1, 21, 0.5, 0.005],
  ]);
  assert.deepEqual(presetGoals('rfc2544').map((x) => [x.final_trial_duration, x.duration_sum, x.loss_ratio, x.exceed_ratio]), [[60, 60, 0, 0]]);
});

test('noise-free SUT: NDR brackets the capacity within the width, PDR brackets capacity / (1 - 0.5 %)', async () => {
  const R = 1_234_567;
  const r = await mlrSearch({ goals: presetGoals('quick'), min_load_pps: 10_000, max_load_pps: 14_880_952, start_load_pps: 1.3e6, measure: simulated(R) });
  const [ndr, pdr] = r.goals;
  assert.ok(ndr.regular && pdr.regular, JSON.stringify(r.goals));
  assert.ok(ndr.lower_bound_pps! <= R && R < ndr.upper_bound_pps!, `NDR ${ndr.lower_bound_pps}..${ndr.upper_bound_pps} around ${R}`);
  assert.ok(ndr.relative_width! <= 0.02);
  const P = R / (1 - 0.005);
  assert.ok(pdr.lower_bound_pps! <= P && P < pdr.upper_bound_pps!, `PDR ${pdr.lower_bound_pps}..${pdr.upper_bound_pps} around ${P}`);
  assert.ok(ndr.lower_bound_pps! <= pdr.lower_bound_pps!);
  assert.equal(ndr.conditional_throughput_pps, ndr.lower_bound_pps); // no loss at the NDR
  // the search is deterministic: pin how many trials it needed
  assert.equal(r.trials.length, 6);
  assert.deepEqual(r.trials.map((t) => t.n), Array.from({ length: r.trials.length }, (_, i) => i + 1));
});

test('csit preset against seeded spurious losses: the exceed ratio absorbs them and NDR still brackets R', async () => {
  const R = 2_000_000;
  const goals = presetGoals('csit');
  const r = await mlrSearch({ goals, min_load_pps: 9_001, max_load_pps: 14_880_952, start_load_pps: 2.1e6, measure: simulated(R, 2, 0.3) });
  const [ndr, pdr] = r.goals;
  assert.ok(ndr.regular, JSON.stringify(ndr));
  assert.ok(ndr.lower_bound_pps! <= R && R < ndr.upper_bound_pps!, `NDR ${ndr.lower_bound_pps}..${ndr.upper_bound_pps}`);
  assert.ok(ndr.relative_width! <= 0.005);
  assert.ok(pdr.regular && pdr.lower_bound_pps! >= ndr.lower_bound_pps!);
  assert.ok(r.trials.some((t) => t.loss_ratio > 0 && t.load_pps < R), 'the noise did hit loads below R');
  assert.equal(r.trials.length, 39);
});

test('a goal that cannot be met (loss at the minimum load) is an irregular result that says so', async () => {
  const r = await mlrSearch({ goals: presetGoals('quick'), min_load_pps: 10_000, max_load_pps: 1e6, measure: simulated(5_000) });
  for (const gr of r.goals) {
    assert.equal(gr.regular, false);
    assert.equal(gr.lower_bound_pps, null);
    assert.equal(gr.upper_bound_pps, 10_000);
    assert.match(gr.irregular_reason!, /cannot be met/);
  }
});

test('a SUT faster than the maximum load: irregular, max load as the effective lower bound', async () => {
  const r = await mlrSearch({ goals: presetGoals('quick'), min_load_pps: 1e4, max_load_pps: 1e6, start_load_pps: 9e5, measure: simulated(5e6) });
  const ndr = r.goals[0];
  assert.equal(ndr.regular, false);
  assert.equal(ndr.lower_bound_pps, 1e6);
  assert.equal(ndr.upper_bound_pps, null);
  assert.match(ndr.irregular_reason!, /maximum load/);
});

test('what the generator failed to send is lost: a generator that tops out below the SUT sets the bracket', async () => {
  const gen = 800_000;
  const measure = async (load: number, d: number): Promise<TrialOutcome> => ({ intended_packets: Math.round(load * d), forwarded_packets: Math.round(Math.min(load, gen) * d) });
  const r = await mlrSearch({ goals: presetGoals('quick').slice(0, 1), min_load_pps: 1e4, max_load_pps: 1.5e7, start_load_pps: 1e6, measure });
  assert.ok(r.goals[0].upper_bound_pps! > gen && r.goals[0].lower_bound_pps! <= gen);
});

test('bad goals are refused with the field named; the trial budget ends a search as irregular', async () => {
  const bad: SearchGoal = { ...presetGoals('quick')[0], duration_sum: 0.5 };
  await assert.rejects(mlrSearch({ goals: [bad], min_load_pps: 1, max_load_pps: 2, measure: simulated(1) }), /duration_sum \(0.5\) must be at least final_trial_duration/);
  const r = await mlrSearch({ goals: presetGoals('quick'), min_load_pps: 1e4, max_load_pps: 1e7, start_load_pps: 5e6, measure: simulated(1e6), max_trials: 3 });
  assert.equal(r.trials.length, 3);
  assert.match(r.stopped!, /budget/);
  assert.ok(r.goals.every((x) => !x.regular));
});
