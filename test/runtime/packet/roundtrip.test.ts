import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pacedDue } from '../../../runtime/packet/roundtrip.js';

test('pacedDue: one at a time, packet k due at k / rate (the first at once)', () => {
  // 100 pps = 0.1 per ms, 10 packets in the phase
  assert.equal(pacedDue(0, 0.1, 10, 0, 1), 1);
  assert.equal(pacedDue(5, 0.1, 10, 1, 1), 0);
  assert.equal(pacedDue(10, 0.1, 10, 1, 1), 1);
  assert.equal(pacedDue(35, 0.1, 10, 2, 1), 2);
  assert.equal(pacedDue(10_000, 0.1, 10, 9, 1), 1); // never past the phase's total
});

test('pacedDue: with a burst, waits until that many are due, then sends them all', () => {
  // 1000 pps = 1 per ms, bursts of 32, 100 packets in the phase
  assert.equal(pacedDue(0, 1, 100, 0, 32), 0);
  assert.equal(pacedDue(30, 1, 100, 0, 32), 0); // 31 due
  assert.equal(pacedDue(31, 1, 100, 0, 32), 32);
  assert.equal(pacedDue(40, 1, 100, 0, 32), 41); // late: what is due goes, not only one burst
  assert.equal(pacedDue(70, 1, 100, 41, 32), 0); // 30 due
});

test("pacedDue: the phase's last burst goes out short", () => {
  assert.equal(pacedDue(99, 1, 100, 96, 32), 4);
  assert.equal(pacedDue(500, 1, 100, 100, 32), 0);
});

test("pacedDue: once the phase's time is up, its last short burst goes", () => {
  // the loop first looked 0.5 ms after packet 99 was due (and after the end): the short tail still goes
  assert.equal(pacedDue(100.2, 1, 100, 90, 32, true), 10);
  assert.equal(pacedDue(100.2, 1, 100, 100, 32, true), 0);
  // a generator behind by a burst or more sends no more after the end (its shortfall is its own, not made up late)
  assert.equal(pacedDue(100.2, 1, 100, 68, 32, true), 0);
  assert.equal(pacedDue(100.2, 1, 100, 69, 32, true), 31);
});

test("pacedDue: a loop that first looks after the end sends what fell due in the phase's last 2 ms, no more", () => {
  // 30,000 pps for 500 ms, one at a time: descheduled 0.1 ms before the end, 3 were still due (netns-resident saw 14,997 of 15,000)
  assert.equal(pacedDue(500.3, 30, 15_000, 14_997, 1, true), 3);
  assert.equal(pacedDue(502, 30, 15_000, 14_940, 1, true), 60); // 2 ms' worth
  assert.equal(pacedDue(510, 30, 15_000, 14_939, 1, true), 0); // behind by more: its own shortfall
});
