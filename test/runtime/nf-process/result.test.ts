// The `nf run --json` contract as its readers see it: the last line, every field, a clear error naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNfRunOutput } from '../../../runtime/nf-process/result.js';

const core = { core: 0, rx_packets: 10, tx_packets: 9, dropped: 1, missed: 0, nf_dropped: 1, tx_dropped: 0, duration_s: 2, rx_mpps: 5e-6, nf: { flows: 3 } };
const result = {
  nf: 'nat', store: 'hashmap:', mode: 'async', port: 'replay', cores: 1, cores_available: 2, burst: 32, input: 'p.pcap', packets_in_capture: 100,
  rx_packets: 10, tx_packets: 9, dropped: 1, missed: 0, nf_dropped: 1, tx_dropped: 0, duration_s: 2, rx_mpps: 5e-6, tx_mpps: 4.5e-6,
  offered_mpps: null, stopped_by: 'duration', state_lost: false, state_loss: [], warmup_s: 0, per_core: [core], output: null,
};

test('the last stdout line is the result; fields a newer writer adds are kept', () => {
  const j = parseNfRunOutput(`noise\n${JSON.stringify({ ...result, latency_us: { p50: 3 } })}\n`);
  assert.equal(j.tx_packets, 9);
  assert.equal(j.per_core[0]!.nf.flows, 3);
  assert.deepEqual((j as Record<string, unknown>).latency_us, { p50: 3 });
});

test('not JSON, or a field missing or of the wrong kind: an error naming it', () => {
  assert.throws(() => parseNfRunOutput('Error: boom'), /did not end with a JSON line/);
  const { tx_packets: _, ...noTx } = result;
  assert.throws(() => parseNfRunOutput(JSON.stringify(noTx)), /contract at "tx_packets"/);
  assert.throws(() => parseNfRunOutput(JSON.stringify({ ...result, per_core: [{ ...core, rx_packets: -1 }] })), /contract at "per_core\.0\.rx_packets"/);
  assert.throws(() => parseNfRunOutput(JSON.stringify({ ...result, stopped_by: 'boredom' })), /contract at "stopped_by"/);
  const loss = { core: 0, at: '2026-12-05T00:00:00Z', store: 'redis://x', partition: 'nat@i@0', flush_seq: 3, expected_seq: 2, store_seq: 0, flushes_lost: 2, counts_lost: null, counts_exact: false, action: 'warn' };
  assert.equal(parseNfRunOutput(JSON.stringify({ ...result, state_lost: true, state_loss: [loss] })).state_loss[0]!.flushes_lost, 2);
  assert.throws(() => parseNfRunOutput(JSON.stringify({ ...result, state_lost: true, state_loss: [{ ...loss, action: 'shrug' }] })), /contract at "state_loss\.0\.action"/);
});
