// The hashed timing wheel: exact firing (never early, once), cancel and re-arm, far deadlines, a
// clock jump past a whole turn, a full output buffer, against a brute-force reference (fast-check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TimerWheel } from '../../common/timer-wheel.js';

const fire = (w: TimerWheel, now: number, cap = 64) => {
  const out = new Int32Array(cap);
  const got: number[] = [];
  for (;;) {
    const n = w.advance(now, out);
    for (let i = 0; i < n; i++) got.push(out[i]!);
    if (n < cap) return got.sort((a, b) => a - b);
  }
};

test('fires at the deadline, not before, once', () => {
  const w = new TimerWheel(1, 8, 4, 1000);
  w.arm(0, 1005);
  w.arm(1, 1005.5);
  w.arm(7, 1100); // past one turn of 8 buckets, and beyond the initial capacity
  assert.equal(w.size, 3);
  assert.deepEqual(fire(w, 1004), []);
  assert.deepEqual(fire(w, 1005), [0]);
  assert.deepEqual(fire(w, 1005.4), []);
  assert.deepEqual(fire(w, 1006), [1]);
  assert.deepEqual(fire(w, 1099), []);
  assert.deepEqual(fire(w, 5000), [7]);
  assert.deepEqual(fire(w, 6000), []);
  assert.equal(w.size, 0);
});

test('cancel, re-arm, a deadline already past, clear', () => {
  const w = new TimerWheel(1, 16, 4, 0);
  w.arm(1, 10);
  w.arm(2, 10);
  assert.equal(w.cancel(1), true);
  assert.equal(w.cancel(1), false);
  w.arm(2, 20); // re-arm moves it
  assert.equal(w.deadline(2), 20);
  assert.deepEqual(fire(w, 15), []);
  w.arm(3, 5); // already behind the wheel: fires at the next advance
  assert.deepEqual(fire(w, 16), [3]);
  assert.deepEqual(fire(w, 20), [2]);
  w.arm(4, 100);
  w.clear();
  assert.equal(w.isArmed(4), false);
  assert.deepEqual(fire(w, 1000), []);
});

test('a full output buffer leaves the rest for the next call', () => {
  const w = new TimerWheel(1, 4, 8, 0);
  for (let s = 0; s < 10; s++) w.arm(s, 1 + (s % 3));
  const out = new Int32Array(3);
  const got: number[] = [];
  for (let i = 0; i < 10; i++) { const n = w.advance(50, out); for (let j = 0; j < n; j++) got.push(out[j]!); }
  assert.deepEqual(got.sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('matches a brute-force reference over random arms, cancels and clock steps', () => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.constantFrom('arm', 'cancel', 'advance'), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 3000 })), { maxLength: 200 }),
    fc.constantFrom(1, 2.5, 10),
    (ops, tick) => {
      const w = new TimerWheel(tick, 16, 2, 0);
      const ref = new Map<number, number>();
      let now = 0;
      for (const [op, slot, x] of ops) {
        if (op === 'arm') { w.arm(slot, now + x); ref.set(slot, now + x); }
        else if (op === 'cancel') { assert.equal(w.cancel(slot), ref.delete(slot)); }
        else {
          now += x % 500;
          const want = [...ref].filter(([, d]) => d <= now).map(([s]) => s).sort((a, b) => a - b);
          for (const s of want) ref.delete(s);
          assert.deepEqual(fire(w, now, 4), want);
        }
        assert.equal(w.size, ref.size);
      }
    },
  ), { numRuns: 300 });
});
