// The search against a real NF of known capacity on the real packet path: `ratelimit` forwards at most
// R packets/s (seeded noise below R) and drops the rest; the offered-load generator paces each trial.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generatePcaps } from '../../../runtime/packet/generate.js';
import { runNf } from '../../../runtime/nf-process/engine.js';
import { BUCKET_MS } from '../../../nfs/ratelimit.js';
import { mlrSearch } from '../../../harness/search/mlr.js';
import type { SearchGoal } from '../../../harness/search/goal.js';
import { tempDir } from '../../runtime/packet/helpers.js';

let tmp: ReturnType<typeof tempDir>;
let input: string;
before(() => {
  tmp = tempDir('slownf');
  [input] = generatePcaps({ out: tmp.dir, flows: 2000, files: 1, seed: 9 });
});
after(() => tmp.cleanup());

const R = 150_000;
const NOISE = 0.002;
const goal = (name: string, loss: number): SearchGoal => ({
  name, loss_ratio: loss, exceed_ratio: 0, final_trial_duration: 0.5, initial_trial_duration: 0.25, duration_sum: 0.5, width: 0.04,
});

test(`the search brackets a slow NF's capacity R = ${R} pps within its width, and counts its trials`, async () => {
  const trial = (load: number, d: number) =>
    runNf({
      nf: 'ratelimit', cores: 1, input, port: 'offered', rate: load, ringSize: 4096, state: null, warmup: 0.2, duration: d, progressEvery: 0, log: () => {},
      nfOptions: { natIps: { first: 0, count: 1 }, natPorts: { lo: 1, hi: 2 }, lbBackends: [], limitPps: R, limitNoise: NOISE, seed: 3 },
    });
  // RFC 9971: start from the forwarding rate at the maximum load
  const max = 1_000_000;
  const atMax = await trial(max, 0.5);
  /** seconds the NF's thread waited runnable for a CPU, per load tried (schedstat): a busy host starves it */
  const waits = new Map<number, number>();
  const start = atMax.tx_packets / atMax.duration_s;
  const res = await mlrSearch({
    goals: [goal('ndr', 0), goal('pdr', 0.005)], min_load_pps: 10_000, max_load_pps: max, start_load_pps: start,
    measure: async (load, d) => {
      const r = await trial(load, d);
      waits.set(load, (waits.get(load) ?? 0) + (r.wait_s ?? 0));
      return { intended_packets: r.intended_packets!, forwarded_packets: r.tx_packets };
    },
  });
  const [ndr, pdr] = res.goals;
  const at = `NDR ${ndr.lower_bound_pps?.toFixed(0)}..${ndr.upper_bound_pps?.toFixed(0)}, PDR ${pdr.lower_bound_pps?.toFixed(0)}..${pdr.upper_bound_pps?.toFixed(0)} in ${res.trials.length} trials; start ${start.toFixed(0)}`;
  console.log(`# slow NF R=${R}: ${at}; loads ${res.trials.map((t) => `${Math.round(t.load_pps)}:${t.loss_ratio.toFixed(4)}`).join(' ')}`);
  assert.ok(ndr.regular && pdr.regular, at);
  // R lies in the bracket, give or take the goal's width: the NF is a real thread on a shared machine
  // (what it forwards in T seconds is R less the noise, plus at most one bucket of tokens)
  const w = 0.04;
  assert.ok(ndr.lower_bound_pps! <= R * (1 + BUCKET_MS / 1000 / 0.5), at);
  assert.ok(ndr.upper_bound_pps! <= R * (1 + 2 * w), at);
  // below R the NF only loses when the host kept its thread off a CPU (a competing load on 2 cores):
  // then the bracket is the capacity the host left it, below R, and the wait is what says so
  if (ndr.upper_bound_pps! < R * (1 - w)) {
    const wait = waits.get(ndr.upper_bound_pps!) ?? 0;
    assert.ok(wait > 0, `${at}: lost at ${ndr.upper_bound_pps!.toFixed(0)} pps below R while the NF never waited for a CPU`);
    console.log(`# the NF waited ${(wait * 1000).toFixed(1)} ms for a CPU at the load that lost: the bracket is below R by the host's doing`);
  } else assert.ok(ndr.lower_bound_pps! >= R * (1 - 2 * w), at);
  assert.ok(ndr.relative_width! <= w, at);
  assert.ok(ndr.lower_bound_pps! <= pdr.lower_bound_pps!, at);
  assert.ok(res.trials.length >= 3 && res.trials.length <= 30, at);
});
