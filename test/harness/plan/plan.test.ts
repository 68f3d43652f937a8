import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec } from '../../../harness/spec/load.js';
import { expandPlan, countTrials, estimateSeconds, formatDuration, trialId, trialSeconds, TRIAL_OVERHEAD_S, RESIDENT_TRIAL_OVERHEAD_S, ENDPOINT_OVERHEAD_S, ENDPOINT_NF_S, STORE_RESET_S, STORE_START_S } from '../../../harness/plan/plan.js';
import type { PlanTrial } from '../../../harness/results/format.js';

const spec = async (text: string) => (await parseSpec(text, 'plan.yaml')).spec;

test('expansion: stores x locations x NFs x modes x cores x pcaps x repetitions, grouped by store', async () => {
  const s = await spec(`name: p
traffic: { files: 2 }
matrix:
  nfs: [nat, lb]
  stores: [hashmap, redis]
  locations: [local, remote]
  modes: [sync, async]
  cores: [2, 1]
  repetitions: 3
`);
  const plan = expandPlan(s);
  assert.equal(plan.length, 2 * 2 * 2 * 2 * 2 * 2 * 3);
  assert.deepEqual(plan.map((t) => t.index), plan.map((_, i) => i));
  assert.equal(new Set(plan.map((t) => t.trial_id)).size, plan.length, 'trial ids are unique');
  // store groups are contiguous so one server serves a whole group
  const groups = plan.map((t) => `${t.store}@${t.location}`);
  assert.deepEqual([...new Set(groups)], ['hashmap@local', 'hashmap@remote', 'redis@local', 'redis@remote']);
  for (let i = 1; i < groups.length; i++) if (groups[i] !== groups[i - 1]) assert.ok(!groups.slice(0, i).includes(groups[i]), 'a group never comes back');
  assert.equal(plan[0].trial_id, 'nat/hashmap/local/sync/c1/p0/r0', 'cores sorted ascending');
  assert.equal(plan[1].trial_id, 'nat/hashmap/local/sync/c1/p0/r1');
  assert.equal(plan[3].trial_id, 'nat/hashmap/local/sync/c1/p1/r0');
  // hashmap has no remote location on any testbed
  const remoteHashmap = plan.filter((t) => t.store === 'hashmap' && t.location === 'remote');
  assert.equal(remoteHashmap.length, 48);
  assert.ok(remoteHashmap.every((t) => /no remote location/.test(t.skip ?? '')));
  assert.ok(plan.filter((t) => t.store === 'redis').every((t) => t.skip === null));
});

test('NFs without FlexState run once, store-less; counter-sync/-async fix their mode', async () => {
  const s = await spec(`name: p
traffic: { files: 1 }
matrix:
  nfs: [testpmd, counter-sync, counter-async, nat]
  stores: [redis]
  modes: [sync, async]
  cores: [1]
`);
  const plan = expandPlan(s);
  assert.deepEqual(plan.map((t) => `${t.nf}:${t.store}:${t.location}:${t.mode}`), [
    'testpmd:none:local:none',
    'counter-sync:redis:local:sync',
    'counter-async:redis:local:async',
    'nat:redis:local:sync',
    'nat:redis:local:async',
  ]);
});

test('the testbed decides what it cannot give, and the reason is kept', async () => {
  const s = await spec('name: p\ntraffic: { files: 1 }\nmatrix: { nfs: [nat], cores: [1, 2, 64] }\n');
  const plan = expandPlan(s, { skipReason: (t: PlanTrial) => (t.cores > 2 ? `needs ${t.cores} cores` : null) });
  assert.deepEqual(plan.map((t) => t.skip), [null, null, 'needs 64 cores']);
});

test('ETA counts runnable trials and store starts only', async () => {
  const s = await spec('name: p\ntraffic: { files: 1, duration_s: 10, warmup_s: 2 }\nmatrix: { nfs: [nat], stores: [redis], cores: [1, 2, 64] }\n');
  const plan = expandPlan(s, { skipReason: (t) => (t.cores > 2 ? 'no' : null) });
  assert.equal(estimateSeconds(s, plan), 2 * (10 + 2 + TRIAL_OVERHEAD_S + STORE_RESET_S.redis!) + STORE_START_S.redis!);
  assert.equal(formatDuration(3725), '1h02m');
  assert.equal(formatDuration(75), '1m15s');
  assert.equal(formatDuration(9), '9s');
});

test('trial ids are stable text', () => {
  assert.equal(trialId({ nf: 'lb', store: 'redis', location: 'remote', mode: 'async', cores: 8, pcap_index: 3, repetition: 0 }), 'lb/redis/remote/async/c8/p3/r0');
});

test('endpoints: one trial per test in every cell, named by its measure; only netns runs them; the ETA counts the echo stream', async () => {
  const text = (testbed: string) => `name: e
testbed: ${testbed}
${testbed === 'netns' ? 'inventory: { suffix: pe, slot: 3 }\n' : ''}traffic: { files: 1, duration_s: 2, warmup_s: 1 }
matrix: { nfs: [nat], stores: [hashmap], modes: [sync, async], cores: [1], repetitions: 2 }
endpoints: { tests: [tcp, rtt], rtt_packets: 3000, rtt_rate: 1000, ping_packets: 0 }
`;
  const s = await spec(text('netns'));
  const plan = expandPlan(s);
  assert.equal(plan.length, 2 * 2 * 2);
  assert.deepEqual(plan.slice(0, 4).map((t) => t.trial_id), ['nat/hashmap/local/sync/c1/p0/r0/iperf_tcp', 'nat/hashmap/local/sync/c1/p0/r0/rtt', 'nat/hashmap/local/sync/c1/p0/r1/iperf_tcp', 'nat/hashmap/local/sync/c1/p0/r1/rtt']);
  assert.ok(plan.every((t) => t.skip === null));
  // 2 s + 1 s of iperf3, or 3000 datagrams at 1000/s, each with the end hosts' overhead (0.25 s), and one NF start and
  // stop (1.5 s) per group of a cell's two tests of one repetition (4 groups)
  assert.equal(ENDPOINT_OVERHEAD_S, 0.25);
  assert.equal(ENDPOINT_NF_S, 1.5);
  assert.equal(estimateSeconds(s, plan), 4 * (3 + 0.25) + 4 * (3 + 0.25) + 4 * 1.5);
  await assert.rejects(parseSpec(text('local'), 'plan.yaml'), /endpoints: iperf and RTT trials run between the end hosts of testbed netns/);
});

test('endpoints beside measure: the generator\'s trials at every frame size (in the first measure.repetitions), the end-host tests once per repetition', async () => {
  const s = await spec(`name: e
testbed: netns
inventory: { suffix: pe, slot: 3, generator: flexbench }
traffic: { files: 1, duration_s: 2, warmup_s: 0 }
matrix: { nfs: [nat], stores: [none, redis], modes: [sync], cores: [1], frame_sizes: [64, 1500], repetitions: 2 }
measure: { ndr_pdr: quick, repetitions: 1 }
endpoints: { tests: [tcp, rtt] }
`);
  const plan = expandPlan(s);
  const ids = (cell: string) => plan.filter((t) => t.trial_id.startsWith(cell)).map((t) => t.trial_id);
  // Native (store none) and Sync over Redis alike: 2 frame sizes once, 2 tests twice
  for (const cell of ['nat/none/local/none/c1/', 'nat/redis/local/sync/c1/']) {
    assert.deepEqual(ids(cell), [`${cell}f64/p0/r0`, `${cell}f1500/p0/r0`, `${cell}p0/r0/iperf_tcp`, `${cell}p0/r0/rtt`, `${cell}p0/r1/iperf_tcp`, `${cell}p0/r1/rtt`]);
  }
  assert.equal(plan.length, 2 * 6);
  assert.equal(countTrials(s), plan.length, 'the count validation bounds is the plan\'s');
  // the generator's trials carry their frame size; the end-host ones the spec's (their packets are iperf3's)
  assert.deepEqual(plan.filter((t) => !t.measure).map((t) => t.frame_size), [64, 1500, 64, 1500]);
  // without measure.repetitions every repetition runs both
  const all = await spec(`name: e
testbed: netns
inventory: { suffix: pe, slot: 3, generator: flexbench }
traffic: { files: 1 }
matrix: { nfs: [nat], stores: [none], cores: [1], frame_sizes: [64, 1500], repetitions: 2 }
measure: { ndr_pdr: quick }
endpoints: { tests: [udp] }
`);
  assert.deepEqual(expandPlan(all).map((t) => t.trial_id), ['nat/none/local/none/c1/f64/p0/r0', 'nat/none/local/none/c1/f64/p0/r1', 'nat/none/local/none/c1/f1500/p0/r0', 'nat/none/local/none/c1/f1500/p0/r1', 'nat/none/local/none/c1/p0/r0/iperf_udp', 'nat/none/local/none/c1/p0/r1/iperf_udp']);
});

test('the shipped statelessnf.yaml plans Figure 3 (every mode at every frame size, searched) beside Tables 2 and 3', async () => {
  const { loadSpec } = await import('../../../harness/spec/load.js');
  const { measurePlan } = await import('../../../harness/spec/measure.js');
  const { ROOT } = await import('../spec/problems.js');
  const { spec: s } = await loadSpec(`${ROOT}experiments/statelessnf.yaml`);
  const plan = expandPlan(s);
  assert.ok(measurePlan(s).ndr_pdr, 'measure.ndr_pdr: the search Figure 3 needs');
  const cells = ['nat/none/local/none', 'nat/redis/local/cache', 'nat/redis/local/stateless-async', 'nat/redis/local/sync'];
  for (const c of cells) {
    for (const f of s.matrix.frame_sizes!) assert.ok(plan.some((t) => t.trial_id.startsWith(`${c}/c1/f${f}/`) && !t.measure), `${c} searched at ${f} B`);
    for (const m of ['iperf_tcp', 'iperf_udp', 'rtt']) assert.ok(plan.some((t) => t.trial_id.startsWith(`${c}/c1/`) && t.measure === m), `${c} ${m}`);
  }
});

test('trialSeconds: a search on a two-node testbed with generator flexbench runs in one session a cell (no store reset per trial, the drains and settling instead)', async () => {
  const text = (inventory: string) => `name: s
testbed: netns
inventory: ${inventory}
traffic: { flows: 100, files: 1, duration_s: 2, warmup_s: 0 }
matrix: { nfs: [nat], stores: [redis], modes: [sync], cores: [1] }
measure:
  ndr_pdr:
    goals: [{ name: ndr, loss_ratio: 0, final_trial_duration: 0.5, initial_trial_duration: 0.5, width: 0.2 }]
    warmup_s: 0.2
`;
  const t = { store: 'redis' };
  const search = 4 * (0.5 + 0.5);
  // the max-load trial (2 s, its overhead, the store's reset), the session's start and stop, 8 trials of 0.2 s warm-up + 0.45 s
  assert.equal(trialSeconds(await spec(text('{ suffix: e, generator: flexbench }')), t), 2 + TRIAL_OVERHEAD_S + STORE_RESET_S.redis! + TRIAL_OVERHEAD_S + 8 * (0.2 + RESIDENT_TRIAL_OVERHEAD_S) + search);
  // testpmd or Pktgen as generator: every search trial its own processes and its store emptied
  assert.equal(trialSeconds(await spec(text('{ suffix: e, generator: pktgen }')), t), 2 + TRIAL_OVERHEAD_S + STORE_RESET_S.redis! + 8 * (0.2 + TRIAL_OVERHEAD_S + STORE_RESET_S.redis!) + search);
});
