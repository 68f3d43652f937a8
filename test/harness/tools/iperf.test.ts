// iperf3's command lines and its --json report as the harness reads them (fixtures: real iperf3 3.12
// runs, 10 streams through a flexbench NF on the netns end hosts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { iperfClientArgv, iperfServerArgv, parseIperfJson, iperfFailure } from '../../../harness/tools/iperf.js';
import { summarizeRtt, parsePing, rttFailure } from '../../../harness/tools/rtt.js';

const fixture = (name: string) => readFileSync(new URL(`../../../../test/fixtures/iperf3/${name}`, import.meta.url), 'utf8');

test('argv: the server runs one test and exits; UDP splits the total bitrate over the streams', () => {
  assert.deepEqual(iperfServerArgv({ bind: '198.18.150.2', port: 5201 }), ['iperf3', '-s', '-1', '-B', '198.18.150.2', '-p', '5201', '--json']);
  const base = { server: '198.18.150.2', port: 5201, streams: 10, seconds: 3, omit: 1, udpBitrate: 1e9, udpLength: 1472 };
  assert.deepEqual(iperfClientArgv({ ...base, proto: 'tcp' }), ['iperf3', '-c', '198.18.150.2', '-p', '5201', '-P', '10', '-t', '3', '--json', '-O', '1']);
  assert.deepEqual(iperfClientArgv({ ...base, proto: 'udp', omit: 0, bind: '198.18.100.2' }).slice(-7), ['-B', '198.18.100.2', '-u', '-b', '100000000', '-l', '1472']);
  assert.deepEqual(iperfClientArgv({ ...base, proto: 'udp', udpBitrate: 0 }).slice(-4), ['-b', '0', '-l', '1472']);
});

test('TCP report: the server-side total is the throughput; retransmits from the sender', () => {
  const r = parseIperfJson(fixture('tcp-p10-client.json'));
  assert.equal(r.proto, 'tcp');
  assert.equal(r.streams, 10);
  assert.equal(r.received_bps, 1194837027.517028);
  assert.equal(r.received_bytes, 452758400);
  assert.equal(r.sent_bps, 1245062351.6858048);
  assert.equal(r.retransmits, 43);
  assert.equal(r.lost_packets, null);
  assert.equal(r.idle_streams, 0);
  assert.equal(iperfFailure(r, { streams: 10, seconds: 3 }), null);
});

test('UDP report: received bit/s, loss and jitter from the server side', () => {
  const r = parseIperfJson(fixture('udp-p10-client.json'));
  assert.equal(r.proto, 'udp');
  assert.equal(r.streams, 10);
  assert.equal(r.received_bps, 797405673.9075346);
  assert.equal(r.sent_bps, 923844571.9493258);
  assert.equal(r.lost_packets, 31169);
  assert.equal(r.packets, 235323);
  assert.equal(r.lost_percent, 13.23355835774636);
  assert.equal(r.retransmits, null);
  assert.equal(iperfFailure(r, { streams: 10, seconds: 3 }), null);
});

test('nothing moved is a failure, never a zero throughput; iperf3 errors are named', () => {
  const j = JSON.parse(fixture('udp-p10-client.json'));
  j.end.sum_received.bytes = 0;
  j.end.sum_received.bits_per_second = 0;
  assert.match(iperfFailure(parseIperfJson(JSON.stringify(j)), { streams: 10, seconds: 3 })!, /nothing arrived at the server/);
  const k = JSON.parse(fixture('tcp-p10-client.json'));
  k.end.streams[3].receiver.bytes = 0;
  assert.match(iperfFailure(parseIperfJson(JSON.stringify(k)), { streams: 10, seconds: 3 })!, /1 of 10 streams carried nothing/);
  assert.match(iperfFailure(parseIperfJson(fixture('tcp-p10-client.json')), { streams: 10, seconds: 10 })!, /ran 3\.03 s of the 10 s/);
  assert.throws(() => parseIperfJson('{"start":{},"end":{},"error":"unable to connect to server: Connection refused"}'), /iperf3: unable to connect to server/);
  assert.throws(() => parseIperfJson('iperf3: error'), /no JSON report/);
});

test('RTT: min/avg/p50/p99/max of the replies, lost ones counted; ping lines read', () => {
  const s = summarizeRtt('udp_echo', 5, [100, 200, NaN, 300, 400]);
  assert.deepEqual(s, { tool: 'udp_echo', sent: 5, received: 4, lost: 1, min_us: 100, avg_us: 250, p50_us: 250, p99_us: 397, max_us: 400 });
  assert.equal(rttFailure(s), null);
  assert.match(rttFailure(summarizeRtt('udp_echo', 3, [NaN, NaN, NaN]))!, /none of 3 probes came back/);
  const p = parsePing('PING 198.18.150.2 (198.18.150.2) 18(46) bytes of data.\n26 bytes from 198.18.150.2: icmp_seq=1 ttl=64 time=3.50 ms\n26 bytes from 198.18.150.2: icmp_seq=2 ttl=64 time=0.125 ms\n\n--- 198.18.150.2 ping statistics ---\n3 packets transmitted, 2 received, 33% packet loss, time 4ms\n');
  assert.deepEqual(p, { sent: 3, rtt_us: [3500, 125] });
});
