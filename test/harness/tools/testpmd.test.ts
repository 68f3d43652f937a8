// The testpmd parser on real output captured here (DPDK 22.11, net_pcap -> net_null MAC swap).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTestpmdOutput, TestpmdStatsParser, TestpmdClock, steadyRate, rateBetween, testpmdArgv, afPacketVdev, pcapReplayVdev } from '../../../harness/tools/testpmd.js';

// dist/test/harness/tools -> the source tree's fixtures
const fixtures = new URL('../../../../test/fixtures/testpmd/', import.meta.url).pathname;
const captured = readFileSync(join(fixtures, 'macswap-pcap-null-22.11.stdout'), 'utf8');

test('periodic blocks: every port, counters and since-last-show rates', () => {
  const { snapshots, final } = parseTestpmdOutput(captured);
  assert.equal(snapshots.length, 3);
  for (const s of snapshots) assert.deepEqual(s.ports.map((p) => p.port), [0, 1]);
  const p0 = snapshots[1].ports[0];
  assert.equal(p0.rxPackets, 66725408);
  assert.equal(p0.rxBytes, 4003524480);
  assert.equal(p0.rxPps, 33160633);
  assert.equal(p0.rxBps, 15917103944);
  assert.equal(p0.txPackets, 0);
  // counters only grow between blocks
  assert.ok(snapshots[2].ports[0].rxPackets > snapshots[1].ports[0].rxPackets);
  assert.ok(final);
  assert.equal(final.done, true);
});

test('final forward statistics and the accumulated block', () => {
  const { final } = parseTestpmdOutput(captured);
  assert.ok(final);
  assert.equal(final.ports.length, 2);
  const [f0, f1] = final.ports;
  assert.equal(f0.port, 0);
  assert.equal(f1.port, 1);
  assert.equal(f0.txPackets, 0);
  assert.ok(f0.rxPackets > 0);
  // MAC swap forwards port 0's input to port 1
  assert.equal(f1.txPackets, f0.rxPackets);
  assert.equal(final.accumulated?.rxPackets, f0.rxPackets + f1.rxPackets);
});

test('streaming in arbitrary chunks gives the same result as one string', () => {
  const seen: number[] = [];
  const p = new TestpmdStatsParser((s) => seen.push(s.index));
  for (let i = 0; i < captured.length; i += 37) p.push(captured.slice(i, i + 37));
  const streamed = p.end();
  assert.deepEqual(streamed, parseTestpmdOutput(captured));
  assert.deepEqual(seen, [0, 1, 2]);
});

test('steady rate drops warm-up blocks; counter-delta rates', () => {
  const { snapshots } = parseTestpmdOutput(captured);
  const r = steadyRate(snapshots, 0, 1);
  assert.equal(r.samples, 2);
  assert.equal(r.rxPps, (snapshots[1].ports[0].rxPps + snapshots[2].ports[0].rxPps) / 2);
  const d = rateBetween(snapshots[1].ports[0], snapshots[2].ports[0], 2);
  assert.equal(d.rxPps, (snapshots[2].ports[0].rxPackets - snapshots[1].ports[0].rxPackets) / 2);
  assert.throws(() => rateBetween(snapshots[1].ports[0], snapshots[2].ports[0], 0), /window/);
});

test('output of a testpmd that died at start has no stats and no final block', () => {
  const err = readFileSync(join(fixtures, 'macswap-pcap-null-22.11.stderr'), 'utf8');
  const r = parseTestpmdOutput(err);
  assert.equal(r.snapshots.length, 0);
  assert.equal(r.final, null);
});

test('argv: always --stats-period, no-huge, file prefix; RSS with queues > 1; bad input named', () => {
  const a = testpmdArgv({ lcores: [0, 1, 2], filePrefix: 'fb1', vdevs: [afPacketVdev(0, 'fbn1-p1', 2)], queues: 2 });
  assert.ok(a.includes('--stats-period=1'));
  assert.ok(a.includes('--no-huge'));
  assert.ok(a.includes('--no-pci'));
  assert.deepEqual(a.slice(a.indexOf('--file-prefix'), a.indexOf('--file-prefix') + 2), ['--file-prefix', 'fb1']);
  assert.ok(a.includes('--nb-cores=2') && a.includes('--rxq=2') && a.includes('--rss-udp'));
  // the main lcore is stated: DPDK would otherwise take the lowest of -l (issue 21 point 4)
  const b = testpmdArgv({ lcores: [1, 0], filePrefix: 'fb2' });
  assert.deepEqual(b.slice(1, 5), ['-l', '1,0', '--main-lcore', '1']);
  assert.throws(() => testpmdArgv({ lcores: [0], filePrefix: 'x' }), /forwarding lcore/);
  assert.throws(() => testpmdArgv({ lcores: [0, 1], filePrefix: 'a b' }), /file prefix/);
  assert.throws(() => afPacketVdev(0, 'eth0;rm'), /interface/);
  assert.throws(() => pcapReplayVdev(0, '/a,b.pcap'), /commas/);
});

// Captured from an emulated two-node run here (stdout and stderr interleaved as the trial log has them):
// testpmd MAC swap on node2's veth (net_af_packet, one port looped), and testpmd generating on node1
// (net_pcap infinite_rx -> net_af_packet).
test('af_packet on a veth, one port looped: node2 MAC swap blocks and totals', () => {
  const r = parseTestpmdOutput(readFileSync(join(fixtures, 'macswap-afpacket-loop-netns-22.11.stdout'), 'utf8'));
  assert.ok(r.snapshots.length >= 5);
  for (const s of r.snapshots) assert.deepEqual(s.ports.map((p) => p.port), [0]);
  for (let i = 1; i < r.snapshots.length; i++) assert.ok(r.snapshots[i].ports[0].rxPackets >= r.snapshots[i - 1].ports[0].rxPackets);
  const last = r.snapshots[r.snapshots.length - 1].ports[0];
  assert.ok(last.rxPps > 0 && last.rxBps! > 0);
  assert.equal(r.final?.done, true);
  // looped: what came in went out again on the same port
  assert.equal(r.final!.ports[0].txPackets, r.final!.ports[0].rxPackets);
});

test('testpmd as generator: pcap port 0 feeds the data port 1; returned packets are port 1 RX', () => {
  const r = parseTestpmdOutput(readFileSync(join(fixtures, 'io-pcap-afpacket-generator-netns-22.11.stdout'), 'utf8'));
  assert.ok(r.snapshots.length >= 3);
  const s = r.snapshots[r.snapshots.length - 1];
  const data = s.ports.find((p) => p.port === 1)!;
  assert.ok(data.txPackets > 0 && data.rxPackets > 0);
  const f = r.final!;
  // io forwarding: everything the data port received went to the pcap port and vice versa
  assert.equal(f.ports[0].txPackets, f.ports[1].rxPackets);
  assert.equal(f.ports[1].txPackets, f.ports[0].rxPackets);
  assert.equal(f.accumulated!.rxPackets, f.ports[0].rxPackets + f.ports[1].rxPackets);
});

test('TestpmdClock: block times from the TSC-based rates, not from the nominal period', () => {
  // captured on a loaded machine: --stats-period 1, yet blocks came ~2 s apart
  const { snapshots } = parseTestpmdOutput(captured);
  const c = new TestpmdClock(1);
  const t = snapshots.map((s) => c.next(s));
  assert.equal(t[0], 0);
  const p = (i: number) => snapshots[i].ports[0];
  assert.equal(t[1], (p(1).rxPackets - p(0).rxPackets) / p(1).rxPps);
  assert.ok(t[1] > 1.5, `the second block came ${t[1]} s after the first`);
  // a block where nothing moved falls back to the period
  const idle = new TestpmdClock(1);
  idle.next({ index: 0, ports: [{ ...p(0), rxPackets: 5, rxPps: 0, txPackets: 0, txPps: 0 }] });
  assert.equal(idle.next({ index: 1, ports: [{ ...p(0), rxPackets: 5, rxPps: 0, txPackets: 0, txPps: 0 }] }), 1);
});
