import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeTrial, flagName, MIN_PACKETS } from '../../../harness/results/judge.js';

test('a trial that forwarded plenty over the window asked is ok with no flags', () => {
  assert.deepEqual(judgeTrial({ rx_packets: 2_000_000, tx_packets: 1_999_000, duration_s: 1.0 }, { duration_s: 1 }), { status: 'ok', reason: null, flags: [] });
});

test('zero packets, or a window of 64 µs where 1.5 s was asked, is failed with the reason (the sync-vs-async false ok)', () => {
  const zero = judgeTrial({ rx_packets: 0, tx_packets: 0, duration_s: 1.5 }, { duration_s: 1.5 });
  assert.equal(zero.status, 'failed');
  assert.match(zero.reason!, /no packet received in the 1.5 s window/);
  const none = judgeTrial({ rx_packets: 300, tx_packets: 0, duration_s: 1.5 }, { duration_s: 1.5 });
  assert.match(none.reason!, /300 packets received but none forwarded/);
  const tiny = judgeTrial({ rx_packets: 0, tx_packets: 0, duration_s: 0.000064 }, { duration_s: 1.5 });
  assert.equal(tiny.status, 'failed');
  assert.match(tiny.reason!, /window 0.000064 s is shorter than half the 1.5 s asked/);
  assert.equal(judgeTrial({ rx_packets: 5, tx_packets: 5, duration_s: 0 }, { duration_s: 1 }).status, 'failed');
  assert.equal(judgeTrial({ rx_packets: Number.NaN, tx_packets: 5, duration_s: 1 }, { duration_s: 1 }).status, 'failed');
});

test('a window short by more than the tolerance is flagged short_window; below half the one asked it fails', () => {
  assert.deepEqual(judgeTrial({ rx_packets: 1e6, tx_packets: 1e6, duration_s: 0.96 }, { duration_s: 1 }).flags, []);
  const short = judgeTrial({ rx_packets: 1e6, tx_packets: 1e6, duration_s: 0.948 }, { duration_s: 1 });
  assert.equal(short.status, 'ok');
  assert.deepEqual(short.flags, ['short_window: measured 0.948 s of the 1 s asked']);
  assert.equal(judgeTrial({ rx_packets: 1e6, tx_packets: 1e6, duration_s: 0.49 }, { duration_s: 1 }).status, 'failed');
  assert.deepEqual(judgeTrial({ rx_packets: 1e6, tx_packets: 1e6, duration_s: 0.6 }, { duration_s: 1, windowTolerance: 0.6 }).flags, []);
  // longer than asked is fine (the window is what was measured; the rate divides by it)
  assert.equal(judgeTrial({ rx_packets: 1e6, tx_packets: 1e6, duration_s: 3 }, { duration_s: 1 }).status, 'ok');
});

test('below the packet floor: still ok (a slow NF measured), flagged low_count', () => {
  const j = judgeTrial({ rx_packets: 310, tx_packets: 300, duration_s: 1.5 }, { duration_s: 1.5 });
  assert.equal(j.status, 'ok');
  assert.equal(j.flags.length, 1);
  assert.equal(flagName(j.flags[0]!), 'low_count');
  assert.match(j.flags[0]!, new RegExp(`300 packets forwarded in the 1.5 s window \\(floor ${MIN_PACKETS}\\)`));
  assert.deepEqual(judgeTrial({ rx_packets: 50, tx_packets: 50, duration_s: 1 }, { duration_s: 1, minPackets: 10 }).flags, []);
});
