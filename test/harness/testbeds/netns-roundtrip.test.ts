// The emulated two-node testbed with `flexbench gen` as node1's generator (generator: flexbench): paced
// trials at a given load, counted per phase, and latency stamped on node1 and read where node2's NF sent
// the packets back: the veth round trip is in it. Driven through the Testbed interface as the orchestrator
// does for a search or latency trial (TrialRequest.load). Needs root; leaves no namespace or process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const skip = process.getuid?.() === 0 ? false : 'needs root (network namespaces, veths, sshd): run the tests as root';

test('generator: flexbench — paced trials over the veth count every packet per phase; latency is the round trip through node2; nothing left behind', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbn-rt-'));
  const spec = specSchema.parse({ name: 'rt', testbed: 'netns', traffic: { frame_size: 64, flows: 200, files: 1, duration_s: 1, warmup_s: 0.5 }, matrix: { nfs: ['wire', 'macswap'], stores: ['none'], cores: [1] } });
  const tb = createTestbed({ spec, inventory: { suffix: 'rt', slot: 23, generator: 'flexbench' }, root });
  const ac = new AbortController();
  try {
    const [pcapPath] = generatePcaps({ out: join(dir, 'pcaps'), flows: 200, files: 1, seed: 4 });
    const pcap = { name: 'flows-0.pcap', path: pcapPath!, sha256: 'x', seed: 4, flows: 200, frame_size: 64 };
    const trial = (nf: string, index: number): PlanTrial => ({ trial_id: `${nf}/none/local/async/c1/r${index}`, index, nf, store: 'none', location: 'local', mode: 'async', cores: 1, frame_size: 64, testbed: 'netns', pcap_index: 0, repetition: 0, skip: null });
    assert.equal(tb.unpaced!(true), null, 'flexbench gen paces and stamps');
    await tb.preflight(spec);
    await tb.prepare({ spec, plan: [], pcaps: [pcap], runDir: dir, signal: ac.signal, log: () => {} });
    const req = (nf: string, index: number, rate: number, every: number) => ({ trial: trial(nf, index), pcap, traffic: spec.traffic, flush_ms: 1, store: null, signal: ac.signal, runDir: dir, load: { rate_pps: rate, duration_s: 1, latency_every: every } });
    for (const [nf, index] of [['wire', 0], ['macswap', 1]] as const) {
      const m = await tb.runTrial(req(nf, index, 20_000, 10));
      // exact per phase: 20,000 pps x 1 s intended, all of it put on the wire, what came back counted by node1
      assert.equal(m.offered!.intended_packets, 20_000);
      assert.equal(m.offered!.offered_packets, 20_000, JSON.stringify(m.flags));
      assert.ok(m.offered!.forwarded_packets <= 20_000 && m.offered!.forwarded_packets > 0, `${nf}: ${m.offered!.forwarded_packets} came back`);
      assert.equal(m.tx_packets, m.offered!.forwarded_packets);
      assert.match(m.commands[1]!, /^node1\$ taskset -c \d+ \S+ \S+\/bin\/flexbench\.js gen --port port1 --input \/tmp\/flexbench-netns-\S+\/pcaps\/flows-0\.pcap --rate 20000 --warmup 0\.5 --duration 1 --latency-every 10 --json$/);
      // one sample per 10th packet sent, less what did not come back
      const l = m.latency!;
      assert.ok(l.samples <= 2_000 && l.samples >= Math.floor(m.offered!.forwarded_packets / 10) - 200, `${nf}: ${l.samples} samples of ${m.offered!.forwarded_packets} back`);
      assert.equal(l.bad_stamps, 0);
      assert.ok(l.min_us > 0 && l.min_us <= l.p50_us && l.p50_us <= l.p99_us && l.p99_us <= l.max_us);
      assert.match(m.latency_path!, /^round trip node1 -> veth -> NF on node2 -> back to node1 \(generator port af_(xdp|packet)/);
      process.stdout.write(`# ${nf} at 20 kpps over the veth: back ${m.offered!.forwarded_packets}/20000, round trip us p50 ${l.p50_us} p90 ${l.p90_us} p99 ${l.p99_us} max ${l.max_us} (${m.latency_path})\n`);
    }
    // the same trial without stamps: no latency; the rate is the load asked, not traffic.rate
    const plain = await tb.runTrial(req('wire', 2, 30_000, 0));
    assert.equal(plain.latency, null);
    assert.equal(plain.offered!.intended_packets, 30_000);
  } finally {
    await tb.teardown();
    ac.abort();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(await leftovers('fbnrt'), []);
  const procs = await new LocalHost().exec(['pgrep', '-af', 'flexbench\\.js (gen|nf run)'], { allowFailure: true });
  assert.equal(procs.stdout.split('\n').filter((l) => l && !/pgrep/.test(l) && /flexbench-netns-|port1/.test(l)).join('\n'), '');
});

test('generator: pktgen — the real Pktgen paces a search trial at the load asked (offered counts from its counters); a latency trial is refused before anything starts', { skip, timeout: 300_000 }, async () => {
  const { realPktgen } = await import('../tools/real-pktgen.js');
  const real = await realPktgen();
  if (real.reason) {
    process.stdout.write(`# real Pktgen unavailable: ${real.reason}\n`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'fbn-rtp-'));
  const spec = specSchema.parse({ name: 'rtp', testbed: 'netns', traffic: { frame_size: 64, flows: 200, files: 1, duration_s: 2, warmup_s: 1 }, matrix: { nfs: ['macswap'], stores: ['none'], cores: [1] } });
  const tb = createTestbed({ spec, inventory: { suffix: 'rtp', slot: 25, generator: 'pktgen', pktgen: real.binary }, root });
  const ac = new AbortController();
  try {
    assert.equal(tb.unpaced!(false), null);
    assert.match(tb.unpaced!(true)!, /latency needs inventory generator: flexbench/);
    const [pcapPath] = generatePcaps({ out: join(dir, 'pcaps'), flows: 200, files: 1, seed: 4 });
    const pcap = { name: 'flows-0.pcap', path: pcapPath!, sha256: 'x', seed: 4, flows: 200, frame_size: 64 };
    const trial: PlanTrial = { trial_id: 'macswap/none/local/async/c1/r0', index: 0, nf: 'macswap', store: 'none', location: 'local', mode: 'async', cores: 1, frame_size: 64, testbed: 'netns', pcap_index: 0, repetition: 0, skip: null };
    await tb.preflight(spec);
    await tb.prepare({ spec, plan: [], pcaps: [pcap], runDir: dir, signal: ac.signal, log: () => {} });
    const base = { trial, pcap, traffic: spec.traffic, flush_ms: 1, store: null, signal: ac.signal, runDir: dir };
    await assert.rejects(tb.runTrial({ ...base, load: { rate_pps: 20_000, latency_every: 10 } }), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /flexbench does not read its latency/.test(e.message));
    const m = await tb.runTrial({ ...base, load: { rate_pps: 20_000, duration_s: 2 } });
    assert.match(m.commands[1]!, /pktgen/);
    // intended = the load x Pktgen's window; what it sent and what came back from its own counters
    assert.ok(Math.abs(m.offered!.intended_packets - 20_000 * m.duration_s) <= 1, JSON.stringify(m.offered));
    assert.ok(m.offered!.offered_packets > 0 && m.offered!.forwarded_packets > 0, JSON.stringify(m.offered));
    assert.equal(m.flags!.some((f) => f.startsWith('generator_shortfall')), m.offered!.offered_packets < m.offered!.intended_packets * 0.95, JSON.stringify(m.flags));
    process.stdout.write(`# Pktgen at 20 kpps asked: ${JSON.stringify(m.offered)} in ${m.duration_s.toFixed(2)} s; flags ${JSON.stringify(m.flags)}\n`);
  } finally {
    await tb.teardown();
    ac.abort();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(await leftovers('fbnrtp'), []);
});

test('flexbench run on netns with measure: ndr_pdr and latency — the search and the latency trials over the veth, the wire calibration beside them (the bias), figures drawn; nothing left behind', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbn-rtm-'));
  try {
    const R = 50_000;
    writeFileSync(join(dir, 'nl.yaml'), `name: nl
testbed: netns
inventory: { suffix: rtm, slot: 27, generator: flexbench }
traffic: { flows: 500, files: 1, duration_s: 1, warmup_s: 0.3 }
matrix: { nfs: [ratelimit], cores: [1] }
nf_options: { limit_pps: ${R}, limit_noise: 0.002, seed: 3 }
measure:
  ndr_pdr:
    goals:
      - { name: ndr, loss_ratio: 0, final_trial_duration: 1, initial_trial_duration: 0.5, width: 0.04 }
      - { name: pdr, loss_ratio: 0.005, final_trial_duration: 1, initial_trial_duration: 0.5, width: 0.04 }
    max_load_pps: ${R * 10}
  latency: { loads: [0, 0.5], low_rate_pps: 5000, duration_s: 0.5 }
`);
    const r = spawnSync(process.execPath, [join(root, 'bin', 'flexbench.js'), 'run', 'nl.yaml', '--out', 'out', '--seed', '1'], { cwd: dir, encoding: 'utf8', timeout: 240_000 });
    assert.equal(r.status, 0, r.stderr);
    const trials = readFileSync(join(dir, 'out', 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    const plan = trials.find((t) => t.measure === 'throughput')!;
    assert.equal(plan.status, 'ok');
    // the search ran over the veth: every trial paced by flexbench gen on node1, its loss counted there
    const search = trials.filter((t) => t.measure === 'search');
    assert.ok(search.length >= 2 && search.every((t) => t.status === 'ok' && /node1\$ taskset -c \d+ \S+ \S+ gen --port port1 /.test(t.commands[1])), JSON.stringify(search.map((t) => t.commands)));
    assert.ok(plan.ndr_pps > 0 && plan.ndr_pps <= plan.pdr_pps, `NDR ${plan.ndr_pps} PDR ${plan.pdr_pps}`);
    // R plus what the NF's AF_XDP ring (8,192 descriptors) holds over a 1 s trial and its drain: the SUT's buffering
    assert.ok(plan.ndr_upper_pps >= R * 0.96 && plan.ndr_lower_pps <= R + 8192 / 1.2 + R * 0.04, `NDR ${plan.ndr_lower_pps}..${plan.ndr_upper_pps} for R = ${R}`);
    // latency at each load, and the wire through the same veth at the same load: the bias, in summary.csv
    for (const load of ['0', '50%']) {
      const lat = trials.find((t) => t.measure === 'latency' && t.latency_load === load)!;
      const cal = trials.find((t) => t.measure === 'calibration' && t.latency_load === load)!;
      assert.equal(lat.status, 'ok', lat.reason);
      assert.equal(cal.status, 'ok', cal.reason);
      assert.ok(lat.latency.samples > 0 && cal.latency.samples > 0);
      assert.match(cal.commands[0], /nf run --nf wire /);
      assert.doesNotMatch(cal.commands[0], /--store/);
    }
    const summary = readFileSync(join(dir, 'out', 'summary.csv'), 'utf8');
    const p50 = summary.split('\n').find((l) => l.includes(',latency_p50_us,') && l.includes(',50%,'))!;
    assert.ok(p50 && !/,,0$/.test(p50), `p50 row with a bias: ${p50}`);
    for (const f of ['rate-by-frame-size-ratelimit', 'latency-ratelimit']) assert.ok(existsSync(join(dir, 'out', 'plots', `${f}.png`)), `${f}.png drawn`);
    process.stdout.write(`# ratelimit R=${R} over netns: NDR ${plan.ndr_lower_pps}..${plan.ndr_upper_pps}, PDR ${plan.pdr_lower_pps}..${plan.pdr_upper_pps} in ${plan.search_trials} trials; p50 row ${p50}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(await leftovers('fbnrtm'), []);
});
