// Offered load as a trial: the warm-up boundary is packet-exact, the queues drain at the end, and every
// Nth packet carries a send stamp whose latency is read where the packet leaves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as hdr from 'hdr-histogram-js';
import { generatePcaps } from '../../../runtime/packet/generate.js';
import { runNf } from '../../../runtime/nf-process/engine.js';

type NfRunOptions = Parameters<typeof runNf>[0];
import { tempDir } from '../packet/helpers.js';

let tmp: ReturnType<typeof tempDir>;
let udp: string;
let tcp: string;

before(() => {
  tmp = tempDir('offered');
  [udp] = generatePcaps({ out: tmp.dir, flows: 4000, files: 1, seed: 16 });
  [tcp] = generatePcaps({ out: tmp.dir, flows: 100, files: 1, seed: 16, proto: 'tcp', prefix: 'tcp' });
});
after(() => tmp.cleanup());

const opts = (o: Partial<NfRunOptions>): NfRunOptions => ({
  nf: 'macswap', cores: 1, input: udp, port: 'offered', rate: 100_000, ringSize: 65536, state: null,
  nfOptions: { natIps: { first: 0, count: 1 }, natPorts: { lo: 1, hi: 2 }, lbBackends: [] }, progressEvery: 0, log: () => {}, ...o,
});

test('a paced trial with a warm-up loses nothing: every packet offered in the window is sent, on 2 cores', async () => {
  const r = await runNf(opts({ cores: 2, warmup: 0.3, duration: 0.7 }));
  assert.equal(r.missed, 0);
  // the window starts at the same packet for the generator and each queue, and the queues drain at the end
  assert.equal(r.tx_packets, r.offered_packets);
  assert.equal(r.intended_packets, r.offered_packets, 'the generator kept up with 100 kpps');
  assert.ok(r.offered_packets! > 0.5 * 0.7 * 100_000, `offered ${r.offered_packets}`);
  assert.equal(r.latency, null);
});

test('a --packets budget smaller than a burst (or its last few packets) is released: the run ends by itself', async () => {
  // the generator released packets 32 at a time; a budget with fewer than 32 left waited for ever
  for (const packets of [20, 1021]) {
    const r = await runNf(opts({ packets }));
    assert.equal(r.rx_packets, packets);
    assert.equal(r.missed, 0);
  }
});

test('latency stamps: every Nth packet, read back where it leaves; percentiles ordered; the histogram decodes', async () => {
  const r = await runNf(opts({ warmup: 0.2, duration: 0.6, latencyEvery: 50 }));
  const l = r.latency!;
  assert.equal(l.bad_stamps, 0);
  // one stamp per 50 packets sent in the window, give or take the boundary's
  assert.ok(Math.abs(l.samples - r.tx_packets / 50) <= 2, `${l.samples} samples for ${r.tx_packets} packets`);
  assert.ok(l.min_us > 0 && l.min_us <= l.p50_us && l.p50_us <= l.p90_us && l.p90_us <= l.p99_us && l.p99_us <= l.p999_us && l.p999_us <= l.max_us * 1.001, JSON.stringify(l));
  assert.ok(l.mean_us >= l.min_us && l.mean_us <= l.max_us);
  assert.ok(l.jitter_us >= 0);
  const h = hdr.decodeFromCompressedBase64(l.hdr);
  assert.equal(h.totalCount, l.samples);
});

test('stamping needs the paced generator and room for the stamp: clear errors, nothing started', async () => {
  await assert.rejects(runNf(opts({ port: 'replay', duration: 0.2, latencyEvery: 10 })), /--latency-every needs --port offered/);
  // a 64 B TCP frame has 6 B of payload after its headers
  await assert.rejects(runNf(opts({ input: tcp, duration: 0.2, latencyEvery: 10 })), /has 6 B of payload after its headers; a latency stamp needs 12 B/);
  await assert.rejects(runNf(opts({ duration: 0.2, latencyEvery: 1.5 })), /--latency-every must be a positive integer/);
});

test('ratelimit (test NF) forwards at most R; what it cannot take is dropped by its full queue (missed)', async () => {
  const r = await runNf(opts({ nf: 'ratelimit', rate: 200_000, ringSize: 1024, warmup: 0.2, duration: 0.8, nfOptions: { natIps: { first: 0, count: 1 }, natPorts: { lo: 1, hi: 2 }, lbBackends: [], limitPps: 80_000 } }));
  assert.equal(r.nf_dropped, 0);
  assert.ok(r.missed > 0);
  assert.equal(r.tx_packets + r.missed, r.offered_packets, 'every packet offered in the window is sent or missed');
  // the generator stops after 0.8 s; the NF then drains its full queue (1024 packets) at R
  const seconds = 0.8 + 1024 / 80_000;
  assert.ok(r.tx_packets <= 80_000 * (seconds + 0.003) + 64, `${r.tx_packets} sent in ${r.duration_s} s`);
  assert.ok(r.tx_packets > 0.75 * 80_000 * 0.8, `${r.tx_packets} sent`);
});
