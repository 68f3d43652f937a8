// Seeded randomness: the same seed gives the same numbers (exact values pinned), shuffles are permutations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normal, seededRandom, shuffled } from '../../../harness/results/random.js';

test('seededRandom: mulberry32 values for seed 1 are pinned; another seed differs; all in [0, 1)', () => {
  const r = seededRandom(1);
  const first = [r(), r(), r()];
  assert.deepEqual(first, [0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  const q = seededRandom(2);
  assert.notEqual(q(), first[0]);
  const z = seededRandom(123);
  for (let i = 0; i < 10_000; i++) {
    const x = z();
    assert.ok(x >= 0 && x < 1);
  }
});

test('shuffled: a permutation, the same for the same seed, the input untouched', () => {
  const items = [1, 2, 3, 4, 5, 6, 7, 8];
  const a = shuffled(items, seededRandom(9));
  const b = shuffled(items, seededRandom(9));
  assert.deepEqual(a, b);
  assert.deepEqual([...a].sort((x, y) => x - y), items);
  assert.deepEqual(items, [1, 2, 3, 4, 5, 6, 7, 8]);
  // every position of 3 items is reached over many seeds
  const seen = new Set<string>();
  for (let s = 0; s < 200; s++) seen.add(shuffled(['a', 'b', 'c'], seededRandom(s)).join(''));
  assert.equal(seen.size, 6);
});

test('normal: mean near 0 and sd near 1 over 20,000 draws', () => {
  const r = seededRandom(5);
  let sum = 0;
  let sq = 0;
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const x = normal(r);
    sum += x;
    sq += x * x;
  }
  assert.ok(Math.abs(sum / n) < 0.03);
  assert.ok(Math.abs(Math.sqrt(sq / n) - 1) < 0.03);
});
