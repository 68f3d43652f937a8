// Window arithmetic on the tools' own clocks, and the generator flags: exact values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { windowOf, alignedWindow, clockOffset, counterAt, askedPps, generatorFlags, roundTripCounts, roundTripFlags } from '../../../../harness/testbeds/two-nodes/window.js';
import type { RoundTripResult } from '../../../../runtime/packet/roundtrip-result.js';

test('windows on the tools own clocks; generator flags', () => {
  const s = [0, 1, 2, 3, 4].map((k) => ({ at: k, arr: 100 + k * 1.3, rx: k * 10, tx: k * 20 }));
  assert.deepEqual(windowOf(s, 1, 3), { a: s[1], b: s[3], seconds: 2, rx: 20, tx: 40 });
  assert.equal(windowOf(s.slice(0, 1), 0, 1), null);
  // an NF whose lines arrive late and bunched: only the least delayed one (k=1, 0.2 s late) tells the clock
  const nf = [0, 1, 2, 3, 4, 5].map((k) => ({ at: k, arr: 50 + k + (k === 1 ? 0.2 : 0.9 + (k % 2) * 0.5), rx: k * 100, tx: k * 90 }));
  assert.equal(clockOffset(nf), 50.2);
  // harness window [51.7, 53.7] = NF clock [1.5, 3.5]: 200 packets in 2 s, whatever the bunching
  assert.deepEqual(alignedWindow(nf, 51.7, 53.7), { seconds: 2, rx: 200, tx: 180 });
  assert.deepEqual(counterAt(nf, 2.25), { rx: 225, tx: 202.5 });
  assert.equal(counterAt(nf, 9), null);
  assert.equal(alignedWindow(nf, 40, 41), null);
  // every line of a starved NF 1 s late (true offset 10): the least delayed says 11; the generator's returned
  // counts (read at 10.5 + k, what the NF had sent on at its k + 0.5) say the NF's sample k came before 10.5 + k
  const late = [0, 100, 300, 600, 1000].map((c, k) => ({ at: k, arr: 11 + k, rx: c, tx: c }));
  const returned = [50, 200, 450, 800].map((c, k) => ({ at: 10.5 + k, arr: 10.5 + k, rx: c, tx: c + 10 }));
  assert.equal(clockOffset(late), 11);
  assert.equal(clockOffset(late, returned), 10.5);
  assert.deepEqual(alignedWindow(late, 11.5, 13.5), { seconds: 2, rx: 400, tx: 400 });
  assert.deepEqual(alignedWindow(late, 11.5, 13.5, returned), { seconds: 2, rx: 500, tx: 500 });
  // returned packets the generator never sent (210 beyond what it sent: a peer kernel's) are discounted
  assert.equal(clockOffset(late, returned.map((r) => ({ ...r, tx: r.rx - 210 }))), 11);
  assert.deepEqual(generatorFlags(9e6, 10e6, 0.05), ['generator_shortfall: sent 9000000 pps of 10000000 asked (90.0%)']);
  // what is asked: a paced rate as given; "max" of Pktgen is its percent of line rate; testpmd asks nothing
  assert.equal(askedPps(1e6, 'testpmd', 64, 10, 100), 1e6);
  assert.equal(askedPps('max', 'pktgen', 64, 10, 100), 14_880_952);
  assert.equal(askedPps('max', 'pktgen', 64, 40, 50), 29_761_905);
  assert.equal(askedPps('max', 'testpmd', 64, 10, 100), null);
  assert.deepEqual(generatorFlags(9.4e6, askedPps('max', 'pktgen', 64, 10, 100), 0.05), ['generator_shortfall: sent 9400000 pps of 14880952 asked (63.2%)']);
  assert.deepEqual(generatorFlags(9.6e6, 10e6, 0.05), []);
  assert.deepEqual(generatorFlags(0, null, 0.05), ['generator_sent_nothing']);
  assert.deepEqual(generatorFlags(5e6, null, 0.05), []);
});

test('a round trip as a trial: its flags and counts, written once for a trial with its own processes and a resident one', () => {
  const g: RoundTripResult = {
    tool: 'flexbench gen', port: 'af_xdp:fbn1', rate_pps: 100_000, paced: true, warmup_s: 0.2, duration_s: 1, drain_ms: 50,
    intended_packets: 100_000, sent_packets: 90_000, tx_ring_full: 10_000, received_packets: 89_000, rx_missed: 500,
    lost_packets: 11_000, loss_ratio: 0.11, seconds: 1, sent_pps: 90_000, received_pps: 89_000, rx_other: 0, latency_every: 0, latency: null,
  } as RoundTripResult;
  assert.deepEqual(roundTripFlags(g, 0.05), [
    'generator_shortfall: sent 90000 pps of 100000 asked (90.0%)',
    'generator_tx_ring_full: 10000 packets could not be sent (counted as lost)',
    "generator_rx_missed: node1's port dropped 500 returned packets (counted as lost: the generator fell behind receiving)",
  ]);
  // unpaced: nothing asked, so no shortfall; nothing full, nothing missed
  assert.deepEqual(roundTripFlags({ ...g, paced: false, tx_ring_full: 0, rx_missed: 0 }, 0.05), []);
  assert.deepEqual(roundTripCounts(g, 'veth'), {
    rx_packets: 90_000, tx_packets: 89_000, dropped: 1_000, duration_s: 1, rx_pps: 90_000, tx_pps: 89_000,
    offered: { intended_packets: 100_000, offered_packets: 90_000, forwarded_packets: 89_000 }, latency: null, latency_path: undefined,
  });
});
