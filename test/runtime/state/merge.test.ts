// Merging functions' combine rules, pinned by exact values; order independence of every rule but the list's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mergeCounters, mergeEntries, mergeLists, mergeSets } from '../../../runtime/state/merge.js';

test('counter: sum; countermap: per-key sum; map: max (default), min or sum per key; keys sorted', () => {
  assert.equal(mergeCounters([1, 2, 3.5, -1]), 5.5);
  assert.equal(mergeCounters([]), 0);
  const parts: [string[], number[]][] = [[['b', 'a'], [1, 5]], [['a'], [7]], [[], []], [['c', 'a'], [2, -1]]];
  assert.deepEqual(mergeEntries(parts, 'sum'), [['a', 'b', 'c'], [11, 1, 2]]);
  assert.deepEqual(mergeEntries(parts, 'max'), [['a', 'b', 'c'], [7, 1, 2]]);
  assert.deepEqual(mergeEntries(parts, 'min'), [['a', 'b', 'c'], [-1, 1, 2]]);
});

test('set: union, sorted; list: concatenation in the order given', () => {
  assert.deepEqual(mergeSets([['x', 'a'], [], ['a', 'b']]), ['a', 'b', 'x']);
  assert.deepEqual(mergeLists([['1', '2'], [], ['3']]), ['1', '2', '3']);
});

test('every rule but the list is independent of the order partitions are read in', () => {
  const part = fc.tuple(fc.array(fc.constantFrom('a', 'b', 'c', 'd')), fc.array(fc.integer({ min: -100, max: 100 }), { minLength: 4, maxLength: 4 }))
    .map(([ks, vs]) => { const u = [...new Set(ks)]; return [u, u.map((_, i) => vs[i]!)] as [string[], number[]]; });
  fc.assert(fc.property(fc.array(part, { maxLength: 6 }), fc.func(fc.integer()), (parts, f) => {
    const shuffled = [...parts].sort((x, y) => f(x) - f(y));
    for (const r of ['sum', 'max', 'min'] as const) assert.deepEqual(mergeEntries(shuffled, r), mergeEntries(parts, r));
    assert.deepEqual(mergeSets(shuffled.map((p) => p[0])), mergeSets(parts.map((p) => p[0])));
  }), { numRuns: 200 });
});
