// The flexbench NAT between the end hosts (StatelessNF's setup): a TCP connection keeps its mapping for
// its whole life, longer than the idle timeout, and the mapping expires once the connection is gone;
// tshark on both sides sees the client's address only inside and the pool's only outside, every
// checksum valid (what the NAT sent exactly; checksumProblem says the one form Linux itself sends); the
// UDP echo's replies are translated back. Nothing is left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Endpoints } from '../../../harness/netns/endpoints.js';
import { leftovers } from '../../../harness/netns/emulation.js';
import { runEndpointTest } from '../../../harness/tools/endpoint-tests.js';
import { parseIPv4 } from '../../../runtime/packet/inet.js';
import { tsharkFields } from '../../runtime/packet/helpers.js';
import { capture, checksumProblem, running, withEndHosts } from './endpoints-helpers.js';

const skip = process.getuid?.() === 0 ? false : 'needs root (network namespaces): run the tests as root';
const ID = 'fbnipn';
const SLOT = 44;
const TIMEOUT_S = 2;

const inPrefix = (ip: string, prefix: string) => {
  const [net, bits] = prefix.split('/');
  const mask = bits === '0' ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return ((parseIPv4(ip) & mask) >>> 0) === ((parseIPv4(net!) & mask) >>> 0);
};

test('NAT between the end hosts: mappings live as long as their connections and expire after; translated both ways with valid checksums', { skip, timeout: 240_000 }, async () => {
  const nfArgs = (ep: Endpoints) => ['--nf', 'nat', '--port', `packet:${ep.nfIface}`, '--nat-ips', ep.pool, '--nat-inside', ep.client.net, '--nat-timeout', String(TIMEOUT_S), '--nat-other', 'pass'];
  await withEndHosts(ID, SLOT, nfArgs, async ({ ep, nf, hosts, dir, signal, log }) => {
    // iperf3 shorter than the timeout: its control connection is idle while the streams run, and a NAT may
    // rightly expire an idle mapping; the echo below is the flow that lives three timeouts long
    const o = { streams: 10, seconds: 1, omit: 0, udpBitrate: 200e6, udpLength: 1472, rttPackets: TIMEOUT_S * 3 * 500, rttRate: 500, pingPackets: 10, port: 5401 };
    const caps = [capture(ep.inClient, 'eth0', join(dir, 'client.pcap')), capture(ep.inServer, 'eth0', join(dir, 'server.pcap'))];
    await Promise.all(caps.map((c) => c.ready));
    const tcp = await runEndpointTest(hosts, 'tcp', o, signal, log);
    assert.equal(tcp.iperf!.idle_streams, 0, `every stream carried data: ${JSON.stringify(tcp.iperf)}`);
    assert.ok(tcp.iperf!.received_bps > 0);
    const rtt = await runEndpointTest(hosts, 'rtt', o, signal, log);
    // one flow for three idle timeouts: a mapping that expired under it would lose its replies and be made again
    assert.ok(rtt.rtt!.received >= o.rttPackets * 0.99, `the echo's replies come back through the NAT: ${JSON.stringify(rtt.rtt)}`);
    await Promise.all(caps.map((c) => c.stop()));
    // idle for longer than the timeout, then the NF's totals
    await new Promise((r) => setTimeout(r, (TIMEOUT_S + 1) * 1000));
    const stats = (await nf.stop()).per_core[0]!.nf;
    // iperf3's control connection + 10 streams + the echo's flow + ping's identifier (ICMP is translated too), each
    // mapped once: none made again mid-connection
    assert.equal(stats.mappings_created, 13, JSON.stringify(stats));
    assert.equal(stats.mappings_expired, 13, `every mapping expired once its flow was idle ${TIMEOUT_S} s: ${JSON.stringify(stats)}`);
    assert.equal(stats.flows, 0);
    assert.equal(stats.pool_drops, 0);
    assert.equal(stats.in_no_mapping, 0, 'every reply found its mapping');

    const fields = ['ip.src', 'ip.dst', 'ip.proto', 'ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status', 'tcp.srcport', 'udp.srcport', 'tcp.checksum', 'tcp.checksum_calculated'];
    const atServer = await tsharkFields(join(dir, 'server.pcap'), fields, ['-Y', 'tcp or udp']);
    const atClient = await tsharkFields(join(dir, 'client.pcap'), fields, ['-Y', 'tcp or udp']);
    assert.ok(atServer.length > 1000 && atClient.length > 1000, `both sides captured: ${atServer.length} / ${atClient.length}`);
    for (const [where, rows, own] of [['server', atServer, ep.server.address], ['client', atClient, ep.client.address]] as const) {
      // each side captures what its kernel sends (sentHere) and what the NAT delivered to it
      const problem = (r: string[]) => checksumProblem({ proto: r[2]!, ip: r[3]!, tcp: r[4]!, udp: r[5]!, tcpSum: r[8] ?? '', tcpCalculated: r[9] ?? '' }, r[0] === own);
      const bad = rows.find((r) => problem(r) !== null);
      assert.equal(bad, undefined, `${where}: every IPv4 and TCP/UDP checksum valid: ${bad ? `${bad[0]} -> ${bad[1]}: ${problem(bad)}` : ''}`);
    }
    // outside: the client's address never appears, the pool's does; inside: the pool never appears
    assert.ok(atServer.every((r) => r[0] !== ep.client.address && r[1] !== ep.client.address), 'no inside address leaks to the outside');
    const fromPool = atServer.filter((r) => r[1] === ep.server.address);
    assert.ok(fromPool.length > 0 && fromPool.every((r) => inPrefix(r[0]!, ep.pool)), 'what reaches the server comes from the pool');
    assert.ok(atClient.every((r) => !inPrefix(r[0]!, ep.pool) && !inPrefix(r[1]!, ep.pool)), 'the client never sees a pool address');
    assert.equal(new Set(fromPool.filter((r) => r[2] === '6').map((r) => `${r[0]}:${r[6]}`)).size, 11, 'one outside address:port per TCP connection');
  });
  assert.deepEqual(await leftovers(ID), []);
  assert.deepEqual(await running('iperf3'), [], 'no iperf3 is left');
});
