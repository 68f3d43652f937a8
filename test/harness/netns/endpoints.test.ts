// Real traffic through a flexbench NF between two end hosts: iperf3 TCP and UDP with 10 streams, the UDP
// echo and ping, tshark on both sides; then nothing left behind. The NF here forwards (macswap): the
// path itself is under test. NAT's translation through the same path: endpoints-nat.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { planEndpoints, endpointsCommands } from '../../../harness/netns/endpoints.js';
import { leftovers } from '../../../harness/netns/emulation.js';
import { LocalHost } from '../../../harness/hosts/local.js';
import { runEndpointTest } from '../../../harness/tools/endpoint-tests.js';
import { tsharkFields } from '../../runtime/packet/helpers.js';
import { capture, running, withEndHosts } from './endpoints-helpers.js';

const skip = process.getuid?.() === 0 ? false : 'needs root (network namespaces): run the tests as root';
// names of this file only (emulation tests: em, sh, lab, …; slots 11-31)
const ID = 'fbnipf';
const SLOT = 41;

test('plan: end hosts named after the emulation, addresses in 198.18.0.0/15 clear of its blocks', () => {
  const p = planEndpoints('fbnab', 3);
  assert.equal(p.client.ns, 'fbnab-cli');
  assert.equal(p.server.ns, 'fbnab-srv');
  assert.equal(p.nfNs, 'fbnab-node2');
  assert.equal(p.client.address, '198.18.103.2');
  assert.equal(p.server.address, '198.18.153.2');
  assert.equal(p.pool, '198.18.153.64/26');
  assert.throws(() => planEndpoints('x', 50), /slot 50/);
  const cmds = endpointsCommands(p).map((a) => a.join(' '));
  // every packet either end sends goes to the NF's port; the NF's output is steered by destination
  assert.ok(cmds.some((c) => /tc filter add dev cl0 ingress .* redirect dev sw0/.test(c)));
  assert.ok(cmds.some((c) => c.includes(`match ip dst ${p.client.net} action mirred egress redirect dev cl0`)));
  assert.ok(cmds.some((c) => c.includes(`route add ${p.pool} via ${p.server.gateway}`)));
});

test('iperf3 TCP and UDP with 10 streams, the UDP echo and ping through a flexbench NF; tshark sees valid checksums; nothing left', { skip, timeout: 240_000 }, async () => {
  await withEndHosts(ID, SLOT, (ep) => ['--nf', 'macswap', '--port', `packet:${ep.nfIface}`], async ({ ep, nf, hosts, dir, signal, log }) => {
    const o = { streams: 10, seconds: 2, omit: 0, udpBitrate: 200e6, udpLength: 1472, rttPackets: 400, rttRate: 1000, pingPackets: 20, port: 5301 };
    const tcp = await runEndpointTest(hosts, 'tcp', o, signal, log);
    assert.equal(tcp.iperf!.proto, 'tcp');
    assert.equal(tcp.iperf!.streams, 10);
    assert.ok(tcp.iperf!.received_bps > 0 && tcp.iperf!.idle_streams === 0, `every TCP stream carried data: ${JSON.stringify(tcp.iperf)}`);
    const udp = await runEndpointTest(hosts, 'udp', o, signal, log);
    assert.equal(udp.iperf!.proto, 'udp');
    assert.ok(udp.iperf!.received_bps > 0 && udp.iperf!.packets! > 0, JSON.stringify(udp.iperf));

    // tshark on both sides while the echo runs: what left the client arrives at the server with valid checksums
    const caps = [capture(ep.inClient, 'eth0', join(dir, 'client.pcap')), capture(ep.inServer, 'eth0', join(dir, 'server.pcap'))];
    await Promise.all(caps.map((c) => c.ready));
    const rtt = await runEndpointTest(hosts, 'rtt', o, signal, log);
    await Promise.all(caps.map((c) => c.stop()));
    assert.equal(rtt.rtt!.sent, 400);
    assert.ok(rtt.rtt!.received >= 390, `echo: ${JSON.stringify(rtt.rtt)}`);
    assert.ok(rtt.rtt!.min_us! > 0 && rtt.rtt!.min_us! <= rtt.rtt!.avg_us! && rtt.rtt!.avg_us! <= rtt.rtt!.max_us!);
    assert.ok(rtt.ping!.received > 0, `ping: ${JSON.stringify(rtt.ping)}`);
    const fields = ['ip.src', 'ip.dst', 'udp.srcport', 'udp.dstport', 'ip.checksum.status', 'udp.checksum.status', 'frame.len'];
    const echo = (rows: string[][]) => rows.filter((r) => r[2] === '5302' || r[3] === '5302');
    const atClient = echo(await tsharkFields(join(dir, 'client.pcap'), fields, ['-Y', 'udp']));
    const atServer = echo(await tsharkFields(join(dir, 'server.pcap'), fields, ['-Y', 'udp']));
    assert.ok(atServer.length >= 780, `the server saw requests and replies: ${atServer.length}`);
    for (const [where, rows] of [['client', atClient], ['server', atServer]] as const) {
      assert.ok(rows.every((r) => r[4] === '1' && r[5] === '1'), `${where}: every IPv4 and UDP checksum is valid: ${rows.find((r) => r[4] !== '1' || r[5] !== '1')}`);
      assert.ok(rows.every((r) => r[6] === '60'), `${where}: minimum-size frames (60 B captured, 64 on the wire)`);
    }
    // a forwarding NF: the server sees the client's own address
    assert.ok(atServer.filter((r) => r[3] === '5302').every((r) => r[0] === ep.client.address && r[1] === ep.server.address));
    const stats = await nf.stop();
    assert.ok(stats.rx_packets > 0 && stats.tx_packets > 0, JSON.stringify(stats));
  });
  assert.deepEqual(await leftovers(ID), []);
  const local = new LocalHost('test');
  const left = await local.exec(['pgrep', '-f', `${ID}-`], { allowFailure: true });
  assert.equal(left.stdout.trim(), '', 'no process of the path is left');
  assert.deepEqual(await running('iperf3'), [], 'no iperf3 is left');
});
