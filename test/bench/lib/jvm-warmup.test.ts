// The bench's Cassandra warm-up: when the JVM's CPU per flush has stopped falling, exact slices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jvmSettled } from '../../../bench/lib/jvm-warmup.js';

test('the fall measured on this host settles at its seventh slice (the second flat one in a row), not before', () => {
  const ms = [5.95, 3.27, 2.52, 2.09, 1.18, 1.27, 1.30];
  const settledAt = ms.findIndex((_, i) => jvmSettled(ms.slice(0, i + 1)));
  assert.equal(settledAt, 6); // slices 6 and 7 (1.27 >= 0.9 x 1.18, 1.30 >= 0.9 x 1.27)
});

test('one flat slice in the middle of the fall is not enough', () => {
  assert.equal(jvmSettled([3.0, 2.9, 1.5]), false);
  assert.equal(jvmSettled([3.0, 2.9]), false);
});

test('exactly 0.9 of the slice before counts as flat; below it does not', () => {
  assert.equal(jvmSettled([2.0, 1.8, 1.62]), true);
  assert.equal(jvmSettled([2.0, 1.8, 1.61]), false);
  assert.equal(jvmSettled([1.0, 1.2, 1.1]), true); // rising (a noisy slice) is not falling
});
