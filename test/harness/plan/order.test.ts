import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec } from '../../../harness/spec/load.js';
import { expandPlan } from '../../../harness/plan/plan.js';
import { schedule, roundOf, serversNeeded, needsServer, blockBy, endpointGroup } from '../../../harness/plan/order.js';

const plan = async () =>
  expandPlan(
    (await parseSpec('name: p\ntraffic: { files: 2 }\nmatrix: { nfs: [nat, lb], stores: [hashmap, redis, cassandra], cores: [1, 2, 64], repetitions: 2 }\n', 'o.yaml')).spec,
    { skipReason: (t) => (t.cores > 2 ? 'needs 64 cores' : null) },
  );

test('interleaved: every round runs each runnable cell once, rounds in order, shuffled within by the seed', async () => {
  const p = await plan();
  const s = schedule(p, { order: 'interleaved', seed: 42, files: 2 });
  const runnable = p.filter((t) => !t.skip);
  assert.equal(s.length, runnable.length);
  assert.deepEqual(s.map((x) => x.round), [...s.map((x) => x.round)].sort((a, b) => a - b), 'rounds are contiguous and ascending');
  const cells = new Set(runnable.map((t) => `${t.nf}/${t.store}/c${t.cores}`));
  for (let r = 0; r < 4; r++) {
    const inRound = s.filter((x) => x.round === r).map((x) => `${x.trial.nf}/${x.trial.store}/c${x.trial.cores}`);
    assert.deepEqual(new Set(inRound), cells, `round ${r} has each cell`);
    assert.equal(inRound.length, cells.size, `round ${r} has each cell once`);
  }
  // round = repetition-major: round 1 is pcap 1 of repetition 0
  assert.ok(s.filter((x) => x.round === 1).every((x) => x.trial.pcap_index === 1 && x.trial.repetition === 0));
  assert.equal(roundOf({ pcap_index: 0, repetition: 1 }, 2), 2);
  // the same seed replays the order; another seed changes it; sequential keeps the plan's order
  assert.deepEqual(schedule(p, { order: 'interleaved', seed: 42, files: 2 }).map((x) => x.trial.trial_id), s.map((x) => x.trial.trial_id));
  assert.notDeepEqual(schedule(p, { order: 'interleaved', seed: 43, files: 2 }).map((x) => x.trial.trial_id), s.map((x) => x.trial.trial_id));
  assert.deepEqual(schedule(p, { order: 'sequential', seed: 42, files: 2 }).map((x) => x.trial.index), runnable.map((t) => t.index));
});

test('servers needed: each (store, location) once, none for hashmap/none or skipped trials', async () => {
  const p = await plan();
  assert.deepEqual(serversNeeded(p), [{ store: 'redis', location: 'local' }, { store: 'cassandra', location: 'local' }]);
  assert.deepEqual(serversNeeded(p.filter((t) => t.store !== 'cassandra' || t.cores > 2)), [{ store: 'redis', location: 'local' }]);
  assert.equal(needsServer('hashmap'), false);
  assert.equal(needsServer('none'), false);
  assert.equal(needsServer('redis'), true);
});

test('blocked by a baseline: within each round a cell and its reference run back to back', async () => {
  const p = await plan();
  const s = schedule(p, { order: 'interleaved', seed: 9, files: 2, block: blockBy({ store: 'hashmap' }) });
  assert.equal(s.length, p.filter((t) => !t.skip).length);
  for (let r = 0; r < 4; r++) {
    const keys = s.filter((x) => x.round === r).map((x) => `${x.trial.nf}/c${x.trial.cores}`);
    // each block (nf, cores) is one contiguous run of its three stores
    const runs = keys.filter((k, i) => i === 0 || keys[i - 1] !== k);
    assert.equal(runs.length, new Set(keys).size, `round ${r}: ${keys.join(' ')}`);
  }
  assert.equal(blockBy({ store: 'hashmap', location: 'local' })({ nf: 'nat', store: 'redis', location: 'remote', mode: 'async', cores: 2 } as never), 'nat/async/2');
});

const endpointPlan = async () =>
  expandPlan((await parseSpec(`name: e
testbed: netns
inventory: { suffix: oe, slot: 3, generator: flexbench }
traffic: { files: 1, duration_s: 2, warmup_s: 0 }
matrix: { nfs: [nat], stores: [none, redis], modes: [sync], cores: [1], frame_sizes: [64], repetitions: 2 }
measure: { ndr_pdr: quick, repetitions: 1 }
endpoints: { tests: [tcp, udp, rtt] }
`, 'e.yaml')).spec);

test('grouped: a cell\'s end-host tests of one repetition run back to back in the spec\'s order, groups shuffled with the other trials by the seed', async () => {
  const p = await endpointPlan();
  const short = (id: string) => id.replace('nat/', '').replace('/local/', '/').replace('/c1/', '/').replace('/p0/', '/');
  const s = schedule(p, { order: 'interleaved', seed: 4, files: 1, group: endpointGroup });
  assert.deepEqual(s.map((x) => `${x.round}:${short(x.trial.trial_id)}`), [
    '0:none/none/r0/iperf_tcp', '0:none/none/r0/iperf_udp', '0:none/none/r0/rtt',
    '0:redis/sync/f64/r0',
    '0:none/none/f64/r0',
    '0:redis/sync/r0/iperf_tcp', '0:redis/sync/r0/iperf_udp', '0:redis/sync/r0/rtt',
    '1:redis/sync/r1/iperf_tcp', '1:redis/sync/r1/iperf_udp', '1:redis/sync/r1/rtt',
    '1:none/none/r1/iperf_tcp', '1:none/none/r1/iperf_udp', '1:none/none/r1/rtt',
  ]);
  // every group is one contiguous run of its three tests
  const keys = s.map((x) => endpointGroup(x.trial) ?? x.trial.trial_id);
  assert.equal(keys.filter((k, i) => i === 0 || keys[i - 1] !== k).length, new Set(keys).size);
  assert.equal(endpointGroup(p.find((t) => t.measure === 'rtt')!), 'nat/none/local/none/c1/p0/r0');
  assert.equal(endpointGroup(p.find((t) => !t.measure)!), null);
  // the seed replays it; without groups (a run recorded before them) the order is the one drawn then
  assert.deepEqual(schedule(p, { order: 'interleaved', seed: 4, files: 1, group: endpointGroup }), s);
  assert.notDeepEqual(schedule(p, { order: 'interleaved', seed: 4, files: 1 }).map((x) => x.trial.trial_id), s.map((x) => x.trial.trial_id));
  // a plan without end-host tests draws the same order with or without groups (its runs' orders are unchanged)
  const q = await plan();
  assert.deepEqual(schedule(q, { order: 'interleaved', seed: 42, files: 2, group: endpointGroup }), schedule(q, { order: 'interleaved', seed: 42, files: 2 }));
  assert.deepEqual(schedule(q, { order: 'interleaved', seed: 9, files: 2, block: blockBy({ store: 'hashmap' }), group: endpointGroup }), schedule(q, { order: 'interleaved', seed: 9, files: 2, block: blockBy({ store: 'hashmap' }) }));
});
