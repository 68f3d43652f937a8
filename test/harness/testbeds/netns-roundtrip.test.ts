// The emulated two-node testbed with `flexbench gen` as node1's generator (generator: flexbench): paced
// trials at a given load, counted per phase, and latency stamped on node1 and read where node2's NF sent
// the packets back: the veth round trip is in it. Driven through the Testbed interface as the orchestrator
// does for a search or latency trial (TrialRequest.load). Needs root; leaves no namespace or process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
