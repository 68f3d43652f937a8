// The bench's goal verdicts from paired rounds: exact values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoal, pairedGoal } from '../../../bench/lib/goal.js';

test('per-round ratios, their geometric mean and 95 % interval, and the verdict against the goal', () => {
  // ratios 1, 1, 1: no spread, the interval is the point
  const met = pairedGoal([2, 4, 6], [2, 4, 6], 0.95)!;
  assert.deepEqual(met, { ratio: 1, rounds: [1, 1, 1], low: 1, high: 1, verdict: 'met' });
  const below = pairedGoal([1.8, 3.6], [2, 4], 0.95)!;
  assert.equal(below.verdict, 'not met');
  assert.deepEqual(below.rounds, [0.9, 0.9]);
  // ratios 0.9 and 1.1: geometric mean sqrt(0.99), an interval across 0.95
  const across = pairedGoal([0.9, 1.1], [1, 1], 0.95)!;
  assert.equal(across.ratio.toFixed(6), Math.sqrt(0.99).toFixed(6));
  assert.equal(across.verdict, 'undecided');
  assert.ok(across.low! < 0.95 && across.high! > 1.1);
});

test('rounds where either side has no rate are left out; one round decides nothing; none gives null', () => {
  const one = pairedGoal([undefined, 3, 5], [2, 3, undefined], 0.9)!;
  assert.deepEqual(one, { ratio: 1, rounds: [1], low: null, high: null, verdict: 'undecided' });
  assert.equal(pairedGoal([undefined], [1], 0.9), null);
  assert.equal(pairedGoal([], [], 0.9), null);
  assert.equal(pairedGoal([0, 1], [1, 0], 0.9), null);
});

test('the printed line', () => {
  assert.equal(formatGoal(pairedGoal([2, 4, 6], [2, 4, 6], 0.95)!, 0.95), '1.00x (rounds 1.00 1.00 1.00; 95 % 1.00-1.00) goal >= 0.95: met');
  assert.equal(formatGoal(pairedGoal([1.5], [2], 0.7)!, 0.7), '0.75x (rounds 0.75) goal >= 0.70: undecided');
});

test("a round whose side is only a lower bound (the generator's limit) cannot decide against that side", () => {
  // a's NDR was the generator's top rate in round 2: a ratio below the goal may be the generator's
  assert.equal(pairedGoal([1.8, 3.6], [2, 4], 0.95, { a: [false, true] })!.verdict, 'undecided');
  assert.equal(pairedGoal([2.2, 4.4], [2, 4], 0.95, { a: [false, true] })!.verdict, 'met');
  // b (the anchor) was bounded: a ratio above the goal may be the anchor's generator
  assert.equal(pairedGoal([2.2, 4.4], [2, 4], 0.95, { b: [true, false] })!.verdict, 'undecided');
  assert.equal(pairedGoal([1.8, 3.6], [2, 4], 0.95, { b: [true, false] })!.verdict, 'not met');
  // a bound in a round left out (the other side failed) does not count
  assert.equal(pairedGoal([1.8, 3.6, 5], [2, 4, undefined], 0.95, { a: [false, false, true] })!.verdict, 'not met');
});
