// A paced session on the netns testbed (Testbed.openPaced, harness/testbeds/two-nodes/resident-trial.ts): one NF
// and one generator kept up across a search's trials. Each trial's counts are its own (exact per phase on node1), the
// NF is the same process in every trial (its pid as it reports itself), and an NF killed between trials fails the
// next trial with the kill as its reason, never an ok. The end-host tests' NF (Testbed.openEndpoints) the same way:
// one NF across a group of tests, each counted between two of its samples, a kill failing the rest of the group with
// its reason. Needs root; leaves no namespace or process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { specSchema } from '../../../harness/spec/schema.js';
import { createTestbed } from '../../../harness/testbeds/netns.js';
import { leftovers } from '../../../harness/netns/emulation.js';
import { generatePcaps } from '../../../runtime/packet/generate.js';
import type { PlanTrial } from '../../../harness/results/format.js';
import { LocalHost } from '../../../harness/hosts/local.js';
import { pidRunning } from '../../../common/processes.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const skip = process.getuid?.() === 0 ? false : 'needs root (network namespaces, veths, sshd): run the tests as root';

test('netns paced session: trials reuse one NF and one generator, each counted on its own; an NF killed mid-search fails the next trial with its reason; nothing left behind', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbn-res-'));
  const spec = specSchema.parse({ name: 'res', testbed: 'netns', traffic: { frame_size: 64, flows: 100, files: 1, duration_s: 1, warmup_s: 0.2 }, matrix: { nfs: ['nat'], stores: ['none'], cores: [1] } });
  const tb = createTestbed({ spec, inventory: { suffix: 'res', slot: 33, generator: 'flexbench' }, root });
  const ac = new AbortController();
  try {
    const [pcapPath] = generatePcaps({ out: join(dir, 'pcaps'), flows: 100, files: 1, seed: 5 });
    const pcap = { name: 'flows-0.pcap', path: pcapPath!, sha256: 'x', seed: 5, flows: 100, frame_size: 64 };
    const trial: PlanTrial = { trial_id: 'nat/none/local/none/c1/r0', index: 0, nf: 'nat', store: 'none', location: 'local', mode: 'none', cores: 1, frame_size: 64, testbed: 'netns', pcap_index: 0, repetition: 0, skip: null };
    await tb.preflight(spec);
    await tb.prepare({ spec, plan: [], pcaps: [pcap], runDir: dir, signal: ac.signal, log: () => {} });
    const session = await tb.openPaced!({ trial, pcap, traffic: spec.traffic, flush_ms: 1, store: null, signal: ac.signal, runDir: dir });
    assert.ok(session, 'a flexbench NF with generator flexbench runs a paced session');
    const log0 = () => readFileSync(join(dir, 'logs', readdirSync(join(dir, 'logs')).find((f) => f.includes('resident'))!), 'utf8');
    const pids: number[] = [];
    for (const [i, rate] of [[1, 20_000], [2, 30_000], [3, 10_000]] as const) {
      const m = await session.run({ rate_pps: rate, duration_s: 0.5, warmup_s: 0.2, latency_every: 0 });
      // exact per phase: rate x 0.5 s intended and put on the wire by the generator, whatever the trials before sent
      assert.equal(m.offered!.intended_packets, rate / 2);
      assert.equal(m.offered!.offered_packets, rate / 2, JSON.stringify(m.flags));
      assert.ok(m.offered!.forwarded_packets > 0 && m.offered!.forwarded_packets <= rate / 2, JSON.stringify(m.offered));
      assert.equal(m.resident!.trial, i);
      assert.ok(m.resident!.nf_pid > 0 && m.resident!.gen_pid! > 0, JSON.stringify(m.resident));
      // the NF's own counts are the difference of two of its samples around the trial: warm-up, phase and drains
      const nfRx = m.per_core.reduce((s, c) => s + c.rx_packets, 0);
      assert.ok(nfRx >= m.offered!.forwarded_packets && nfRx <= rate * 0.7 + 100, `NF rx ${nfRx} in trial ${i} (offered ${rate} pps for 0.2 + 0.5 s)`);
      assert.match(m.commands[0]!, /nf run --nf nat .*--samples-on-stdin/);
      assert.match(m.commands[1]!, / gen --port port1 --input \S+ --trials-on-stdin < \{"gen_trial":"t\d+","rate":\d+/);
      // the NAT's own statistics read from the running process: every flow mapped once, in the first trial's warm-up
      assert.equal(m.nf_stats?.mappings_created, 100, JSON.stringify(m.nf_stats));
      assert.equal(m.nf_stats?.in_no_mapping, 0);
      pids.push(m.resident!.nf_pid);
    }
    assert.equal(new Set(pids).size, 1, `one NF process for every trial: ${pids.join(', ')}`);
    const nfPid = pids[0]!;
    assert.ok(pidRunning(nfPid), 'the NF runs between trials');
    // an NF that dies mid-search: the next trial fails with the kill as its reason
    process.kill(nfPid, 'SIGKILL');
    await assert.rejects(session.run({ rate_pps: 20_000, duration_s: 0.5, warmup_s: 0.2, latency_every: 0 }), (e: Error) => /the resident nf run on node2 \(pid \d+\) was killed by SIGKILL/.test(e.message));
    const end = await session.close();
    assert.match(end.died ?? '', /killed by SIGKILL/);
    assert.equal(end.nf_stats, null);
    assert.match(log0(), /generator stopped \(code 0\)/, 'the generator ended on its own when told (its port closed, its program detached)');
    // the log names both processes and every trial's request
    assert.match(log0(), /resident NF \(pid \d+\) and generator \(pid \d+, af_(xdp|packet):port1\) up/);
  } finally {
    await tb.teardown();
    ac.abort();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(await leftovers('fbnres'), []);
  const procs = await new LocalHost().exec(['pgrep', '-af', 'flexbench\\.js (gen|nf run)'], { allowFailure: true });
  assert.equal(procs.stdout.split('\n').filter((l) => l && !/pgrep/.test(l) && /flexbench-netns-|port1/.test(l)).join('\n'), '');
});

test('flexbench run on netns: a cell\'s max-load trial and every trial of its search ran in one NF (the pid each record names), gone after the run', { skip, timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbn-resr-'));
  try {
    writeFileSync(join(dir, 'r.yaml'), `name: r
testbed: netns
inventory: { suffix: resr, slot: 34, generator: flexbench }
traffic: { flows: 100, files: 1, duration_s: 1, warmup_s: 0 }
matrix: { nfs: [nat], stores: [none], cores: [1] }
measure:
  ndr_pdr:
    goals: [{ name: ndr, loss_ratio: 0, final_trial_duration: 0.5, initial_trial_duration: 0.5, width: 0.3 }]
    warmup_s: 0.2
    max_trials: 5
`);
    const r = spawnSync(process.execPath, [join(root, 'bin', 'flexbench.js'), 'run', 'r.yaml', '--out', 'out', '--seed', '1'], { cwd: dir, encoding: 'utf8', timeout: 200_000 });
    assert.equal(r.status, 0, r.stderr);
    const trials = readFileSync(join(dir, 'out', 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    const plan = trials.find((t) => t.measure === 'throughput')!;
    const search = trials.filter((t) => t.measure === 'search');
    assert.equal(plan.status, 'ok', plan.reason);
    assert.ok(search.length >= 2 && search.every((t) => t.status === 'ok'), JSON.stringify(search.map((t) => [t.status, t.reason])));
    const pid = plan.resident.nf_pid as number;
    assert.ok(pid > 0);
    // one process: the max-load trial is the session's first, the search's trials follow it in order
    assert.deepEqual(search.map((t) => t.resident.nf_pid), search.map(() => pid));
    assert.deepEqual(search.map((t) => t.resident.trial), search.map((_, i) => i + 2));
    assert.equal(plan.search.resident.nf_pid, pid);
    assert.equal(plan.search.resident.nf_stats.mappings_created, 100, JSON.stringify(plan.search.resident));
    assert.ok(search.every((t) => t.nf_stats.mappings_created === 100), 'each trial\'s NAT statistics, read from the running NF');
    assert.equal(pidRunning(pid), false, 'the NF ended with its search');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(await leftovers('fbnresr'), []);
});

test('netns end-host tests on one NF: a group\'s tests run on it one after the other, each counted on its own; an NF killed mid-group fails the next test with its reason; a test alone has its own NF; nothing left behind', { skip, timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbn-rese-'));
  const spec = specSchema.parse({ name: 'rese', testbed: 'netns', traffic: { files: 1, duration_s: 1, warmup_s: 0 }, matrix: { nfs: ['nat'], stores: ['none'], cores: [1] }, endpoints: { tests: ['rtt', 'udp', 'tcp'], rtt_packets: 200, ping_packets: 2, streams: 2 } });
  const tb = createTestbed({ spec, inventory: { suffix: 'rese', slot: 35 }, root });
  const ac = new AbortController();
  const pids: number[] = [];
  try {
    await tb.preflight(spec);
    await tb.prepare({ spec, plan: [], pcaps: [], runDir: dir, signal: ac.signal, log: () => {} });
    const pcap = { name: 'none', path: '/dev/null', sha256: '', seed: null, flows: null, frame_size: 64 };
    const req = (measure: 'rtt' | 'iperf_udp' | 'iperf_tcp', index: number) => ({
      trial: { trial_id: `nat/none/local/none/c1/p0/r0/${measure}`, index, nf: 'nat', store: 'none', location: 'local', mode: 'none', cores: 1, frame_size: 64, testbed: 'netns', pcap_index: 0, repetition: 0, skip: null, measure } satisfies PlanTrial,
      pcap, traffic: spec.traffic, flush_ms: 1, store: null, signal: ac.signal, runDir: dir,
    });
    const group = await tb.openEndpoints!(req('rtt', 0), 3);
    const rtt = await group.run(req('rtt', 0));
    assert.ok(rtt.endpoint!.rtt!.received > 0, JSON.stringify(rtt.endpoint));
    assert.equal(rtt.resident!.trial, 1);
    assert.equal(rtt.resident!.gen_pid, null);
    // the NF's counts over the test: the echo's 200 requests and their replies (and the pings) went through it
    assert.ok(rtt.rx_packets >= 400 && rtt.rx_packets < 2000, `NF rx ${rtt.rx_packets}`);
    assert.match(rtt.commands[0]!, /nf run --nf nat .*--samples-on-stdin/);
    const udp = await group.run(req('iperf_udp', 1));
    assert.ok(udp.endpoint!.iperf!.received_bps > 0, JSON.stringify(udp.endpoint));
    assert.equal(udp.resident!.trial, 2);
    assert.equal(udp.resident!.nf_pid, rtt.resident!.nf_pid, 'one NF for the group');
    // its statistics over its life so far: the echo's mapping and then iperf3's control connection and 2 streams
    assert.equal(udp.nf_stats!.mappings_created - rtt.nf_stats!.mappings_created, 3, JSON.stringify([rtt.nf_stats, udp.nf_stats]));
    assert.ok(udp.rx_packets > rtt.rx_packets, 'the NF\'s counts are the test\'s own, not its life\'s');
    const pid = udp.resident!.nf_pid;
    pids.push(pid);
    assert.ok(pidRunning(pid), 'the NF runs between the tests');
    process.kill(pid, 'SIGKILL');
    await assert.rejects(group.run(req('iperf_tcp', 2)), (e: Error) => /^the resident nf run on node2 \(pid \d+\) was killed by SIGKILL/.test(e.message));
    await assert.rejects(group.run(req('iperf_tcp', 2)), /killed by SIGKILL/, 'and every later test of the group');
    const end = await group.close();
    assert.match(end.died ?? '', /killed by SIGKILL/);
    // a test alone (runTrial, e.g. a testbed caller without groups): its own NF, up for it only
    const alone = await tb.runTrial(req('rtt', 3));
    assert.equal(alone.resident!.trial, 1);
    assert.notEqual(alone.resident!.nf_pid, pid);
    pids.push(alone.resident!.nf_pid);
    assert.equal(pidRunning(alone.resident!.nf_pid), false, 'stopped after its test');
    assert.ok(readdirSync(join(dir, 'logs')).some((f) => f.endsWith('_resident.log')), 'the NF\'s log beside each test\'s own');
  } finally {
    await tb.teardown();
    ac.abort();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(pids.filter((p) => pidRunning(p)), []);
  assert.deepEqual(await leftovers('fbnrese'), []);
});
