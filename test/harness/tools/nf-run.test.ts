import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNfProgress, nfRunFlags, parseNfRunOn, nfRunCounts } from '../../../harness/tools/nf-run.js';
import { FlexbenchError, EXIT } from '../../../harness/exit-codes.js';

const core = (n: number, rx: number, tx: number) => ({ core: n, rx_packets: rx, tx_packets: tx, dropped: rx - tx, missed: 0, nf_dropped: rx - tx, tx_dropped: 0, duration_s: 2, rx_mpps: rx / 2e6, nf: { flows: 3 } });
const RESULT = {
  nf: 'nat', store: 'hashmap:', mode: 'async', port: 'replay', cores: 2, cores_available: 2, burst: 32, input: 'p.pcap', packets_in_capture: 100,
  rx_packets: 10, tx_packets: 9, dropped: 1, missed: 0, nf_dropped: 1, tx_dropped: 0, duration_s: 2, rx_mpps: 5e-6, tx_mpps: 4.5e-6,
  offered_mpps: null, stopped_by: 'duration', state_lost: false, state_loss: [], warmup_s: 0, per_core: [core(0, 6, 6), core(1, 4, 3)], output: null,
};

test('rate lines parse into cumulative counters', () => {
  assert.deepEqual(parseNfProgress('[nat] t=1.5s rx 12.350 Mpps tx 12.250 Mpps (total rx 23918592)'), { t: 1.5, rx_total: 23918592, rx_mpps: 12.35, tx_mpps: 12.25 });
  assert.equal(parseNfProgress('nf run: core 0: state lost: …'), null);
});

const loss = (core: number, flushes: number, counts: number | null, exact: boolean, action: string) => ({
  core, at: '2026-12-05T00:00:00Z', store: 'redis://127.0.0.1:6390', partition: `p${core}`, flush_seq: 900, expected_seq: 900, store_seq: 900 - flushes,
  flushes_lost: flushes, counts_lost: counts, counts_exact: exact, action,
});

test('a state loss becomes one trial flag per core, saying what was lost and what was done; the NF\'s warnings follow', () => {
  const flags = (over: Record<string, unknown>) => nfRunFlags(parseNfRunOn('node2', { stdout: JSON.stringify({ ...RESULT, ...over }), stderr: '' }));
  assert.deepEqual(flags({}), []);
  assert.deepEqual(
    flags({ state_lost: true, state_loss: [
      loss(0, 812, 4211, true, 'warn'),
      loss(1, 3, 17, false, 'reload'),
      loss(2, 3, null, false, 'warn'),
    ], warnings: ['core 1: NAT pool exhausted on this core: 12 packet(s) of new flows dropped'] }),
    [
      'state_lost: core 0, redis://127.0.0.1:6390: 812 acknowledged flushes, 4211 counts lost (warn)',
      'state_lost: core 1, redis://127.0.0.1:6390: 3 acknowledged flushes, >= 17 counts lost (reload)',
      'state_lost: core 2, redis://127.0.0.1:6390: 3 acknowledged flushes, unknown counts lost (warn)',
      'nf_warning: core 1: NAT pool exhausted on this core: 12 packet(s) of new flows dropped',
    ],
  );
});

test('a trial\'s counts from nf run --json: totals, rates over the window, per core without the NF\'s own figures', () => {
  const j = parseNfRunOn('node2', { stdout: `noise\n${JSON.stringify(RESULT)}\n`, stderr: '' });
  assert.deepEqual(nfRunCounts(j), {
    rx_packets: 10, tx_packets: 9, dropped: 1, duration_s: 2, rx_pps: 5, tx_pps: 4.5,
    per_core: [{ core: 0, rx_packets: 6, tx_packets: 6 }, { core: 1, rx_packets: 4, tx_packets: 3 }],
  });
  // an empty window gives no rate, not a division by zero
  const empty = nfRunCounts(parseNfRunOn('node2', { stdout: JSON.stringify({ ...RESULT, duration_s: 0 }), stderr: '' }));
  assert.equal(empty.rx_pps, 0);
  assert.equal(empty.tx_pps, 0);
});

test('nf run --json that does not parse names the node and the last lines of stderr', () => {
  assert.throws(() => parseNfRunOn('node2', { stdout: 'not json', stderr: 'a\nb\nc: bad port\n' }), (e: unknown) => {
    assert.ok(e instanceof FlexbenchError);
    assert.equal(e.exitCode, EXIT.trialsFailed);
    assert.match(e.message, /^flexbench nf run on node2: .* \(b \| c: bad port\)$/);
    return true;
  });
});
