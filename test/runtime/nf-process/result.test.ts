// The `nf run --json` contract as its readers see it: the last line, every field, a clear error naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNfRunOutput } from '../../../runtime/nf-process/result.js';

const core = { core: 0, rx_packets: 10, tx_packets: 9, dropped: 1, missed: 0, nf_dropped: 1, tx_dropped: 0, duration_s: 2, rx_mpps: 5e-6, nf: { flows: 3 } };
const result = {
  nf: 'nat', store: 'hashmap:', mode: 'async', port: 'replay', cores: 1, cores_available: 2, burst: 32, input: 'p.pcap', packets_in_capture: 100,
  rx_packets: 10, tx_packets: 9, dropped: 1, missed: 0, nf_dropped: 1, tx_dropped: 0, duration_s: 2, rx_mpps: 5e-6, tx_mpps: 4.5e-6,
  offered_mpps: null, stopped_by: 'duration', warmup_s: 0, per_core: [core], output: null,
};

test('the last stdout line is the result; fields a newer writer adds are kept', () => {
  const j = parseNfRunOutput(`noise\n${JSON.stringify({ ...result, state_lost: false })}\n`);
  assert.equal(j.tx_packets, 9);
  assert.equal(j.per_core[0]!.nf.flows, 3);
  assert.equal((j as Record<string, unknown>).state_lost, false);
});

test('not JSON, or a field missing or of the wrong kind: an error naming it', () => {
  assert.throws(() => parseNfRunOutput('Error: boom'), /did not end with a JSON line/);
  const { tx_packets: _, ...noTx } = result;
  assert.throws(() => parseNfRunOutput(JSON.stringify(noTx)), /contract at "tx_packets"/);
  assert.throws(() => parseNfRunOutput(JSON.stringify({ ...result, per_core: [{ ...core, rx_packets: -1 }] })), /contract at "per_core\.0\.rx_packets"/);
  assert.throws(() => parseNfRunOutput(JSON.stringify({ ...result, stopped_by: 'boredom' })), /contract at "stopped_by"/);
});
