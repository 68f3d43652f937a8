// `flexbench gen` refuses bad input with a sentence and exit 2 before it opens any port (no socket, no
// XDP program, no interface needed); a frame too small for the stamp names the packet and the size that fits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generatePcaps } from '../../../runtime/packet/generate.js';
import { parseRoundTripOutput, parseGenLine, genTrialRequestSchema } from '../../../runtime/packet/roundtrip-result.js';
import { flexbench, tempDir } from '../../runtime/packet/helpers.js';

let tmp: ReturnType<typeof tempDir>;
let tcp64: string;
before(() => {
  tmp = tempDir('gencmd');
  [tcp64] = generatePcaps({ out: tmp.dir, flows: 10, files: 1, seed: 2, proto: 'tcp' });
});
after(() => tmp.cleanup());

test('gen: bad rate, duration, capture and a stamp that does not fit are exit 2 sentences, before any port opens', async () => {
  const port = ['--port', 'fbx-no-such-if'];
  const cases: [string[], RegExp][] = [
    [['--input', tcp64!, '--rate', 'fast', '--duration', '1'], /--rate must be positive packets per second or "max" \(got fast\)/],
    [['--input', tcp64!, '--rate', '1000', '--duration', '0'], /--duration must be positive seconds \(got 0\)/],
    [['--input', '/nonexistent.pcap', '--rate', '1000', '--duration', '1'], /nonexistent\.pcap/],
    [['--input', tcp64!, '--rate', '1000', '--duration', '1', '--latency-every', '10'], /packet 1 \(60 B in the capture\) has 6 B of payload after its headers; a latency stamp needs 12 B \(use larger frames, e\.g\. frame_size >= 70, or UDP\)/],
  ];
  for (const [args, re] of cases) {
    const p = await flexbench(['gen', ...port, ...args, '--json']);
    assert.equal(p.code, 2, `${args.join(' ')}: ${p.stderr}`);
    assert.match(p.stderr, re);
    assert.doesNotMatch(p.stderr, /\n\s+at /, 'no stack trace');
    assert.doesNotMatch(p.stderr, /fbx-no-such-if/, 'refused before the port was looked at');
  }
});

test('gen: a burst outside 1..1024 is an exit 2 sentence before any port opens', async () => {
  for (const b of ['0', '1.5', '2000']) {
    const p = await flexbench(['gen', '--port', 'fbx-no-such-if', '--input', tcp64!, '--rate', '1000', '--duration', '1', '--burst', b, '--json']);
    assert.equal(p.code, 2, p.stderr);
    assert.match(p.stderr, new RegExp(`--burst must be an integer from 1 to 1024 \\(got ${b.replace('.', '\\.')}\\)`));
    assert.doesNotMatch(p.stderr, /fbx-no-such-if/);
  }
});

test('gen --json: its reader takes a result line and refuses a broken one with a sentence', () => {
  const line = JSON.stringify({ tool: 'flexbench gen', port: 'af_xdp:port1', rate_pps: 1000, paced: true, warmup_s: 0, duration_s: 1, drain_ms: 200, intended_packets: 1000, sent_packets: 1000, tx_ring_full: 0, received_packets: 998, lost_packets: 2, loss_ratio: 0.002, seconds: 1, sent_pps: 1000, received_pps: 998, rx_other: 0, latency_every: 0, latency: null });
  assert.equal(parseRoundTripOutput(`noise\n${line}\n`).lost_packets, 2);
  assert.throws(() => parseRoundTripOutput('no json'), /flexbench gen printed no JSON result/);
  assert.throws(() => parseRoundTripOutput(JSON.stringify({ tool: 'flexbench gen' })), /flexbench gen's result does not match its schema: port:/);
});

test('gen --trials-on-stdin: its lines read back exactly (ready with pid, a result by id, a refused request), anything else is not one; requests are checked', () => {
  const result = { tool: 'flexbench gen', port: 'af_xdp:port1', rate_pps: 1000, paced: true, warmup_s: 0.2, duration_s: 0.5, drain_ms: 200, intended_packets: 500, sent_packets: 500, tx_ring_full: 0, received_packets: 499, lost_packets: 1, loss_ratio: 0.002, seconds: 0.5, sent_pps: 1000, received_pps: 998, rx_other: 0, latency_every: 0, latency: null };
  assert.deepEqual(parseGenLine('{"gen_ready":"af_xdp:port1","pid":4242}'), { ready: 'af_xdp:port1', pid: 4242 });
  assert.deepEqual(parseGenLine('{"gen_ready":"af_packet:port1"}'), { ready: 'af_packet:port1', pid: null });
  const r = parseGenLine(JSON.stringify({ gen_trial: 't7', ...result }));
  assert.ok(r && 'result' in r && r.id === 't7' && r.result.received_packets === 499 && r.result.intended_packets === 500);
  assert.deepEqual(parseGenLine('{"gen_trial":"t8","error":"--duration must be positive seconds (got 0)"}'), { id: 't8', error: '--duration must be positive seconds (got 0)' });
  const broken = parseGenLine('{"gen_trial":"t9","tool":"flexbench gen"}');
  assert.ok(broken && 'error' in broken && broken.id === 't9' && /does not match its schema: port:/.test(broken.error));
  for (const l of ['', 'flexbench: port port1: AF_XDP copy', '{"nf_sample":"s1"}', '{"gen_x', JSON.stringify(result)]) assert.equal(parseGenLine(l), null, l);
  assert.equal(genTrialRequestSchema.safeParse({ gen_trial: 't1', rate: 'max', warmup_s: 0, duration_s: 1, latency_every: 0 }).success, true);
  for (const bad of [{ gen_trial: 't1', rate: 0, warmup_s: 0, duration_s: 1, latency_every: 0 }, { gen_trial: 't1', rate: 10, warmup_s: 0, duration_s: 0, latency_every: 0 }, { gen_trial: 't1', rate: 10, warmup_s: 0, duration_s: 1, latency_every: 1.5 }, { gen_trial: 't1', rate: 10, warmup_s: 0, duration_s: 1, latency_every: 0, extra: 1 }]) {
    assert.equal(genTrialRequestSchema.safeParse(bad).success, false, JSON.stringify(bad));
  }
});
