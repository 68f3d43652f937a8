import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ownRates, MIN_OWN_SHARE } from '../../../harness/results/own-time.js';

test('a core that waited 0.5 of its 1 s window for a CPU forwarded at twice its wall rate while it ran', () => {
  const r = ownRates([{ rx_packets: 8_000_000, tx_packets: 7_000_000, duration_s: 1, wait_s: 0.5 }]);
  assert.deepEqual(r, { rx_pps: 16_000_000, tx_pps: 14_000_000, wait_s: 0.5, wait_share: 0.5 });
});

test('cores add their own rates; the wait share is over all their windows', () => {
  const r = ownRates([
    { rx_packets: 1_000, tx_packets: 1_000, duration_s: 2, wait_s: 0 },
    { rx_packets: 3_000, tx_packets: 2_000, duration_s: 2, wait_s: 1 },
  ])!;
  assert.equal(r.tx_pps, 500 + 2_000);
  assert.equal(r.rx_pps, 500 + 3_000);
  assert.equal(r.wait_s, 1);
  assert.equal(r.wait_share, 0.25);
});

test('no wait reported (older nf run, testpmd), no window, or almost all of it waited: no own-time rate', () => {
  assert.equal(ownRates([]), null);
  assert.equal(ownRates([{ rx_packets: 1, tx_packets: 1, duration_s: 1, wait_s: null }]), null);
  assert.equal(ownRates([{ rx_packets: 1, tx_packets: 1, duration_s: 0, wait_s: 0 }]), null);
  assert.equal(ownRates([{ rx_packets: 1e6, tx_packets: 1e6, duration_s: 1, wait_s: 1 - MIN_OWN_SHARE / 2 }]), null);
  // a wait a little over the window (clock granularity) is clamped to it, then refused the same way
  assert.equal(ownRates([{ rx_packets: 1e6, tx_packets: 1e6, duration_s: 1, wait_s: 1.001 }]), null);
  assert.equal(ownRates([{ rx_packets: 1e6, tx_packets: 1e6, duration_s: 1, wait_s: -0.001 }])!.tx_pps, 1e6);
});
