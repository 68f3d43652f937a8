// The A/B schedule: replayable from its seed, every unit once per round, each build first equally often per unit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Schedule } from '../../../harness/ab/schedule.js';

test('Schedule: same seed, same rounds; every unit once per round; the lead alternates per unit', () => {
  const a = new Schedule(77, 5);
  const b = new Schedule(77, 5);
  const rounds = Array.from({ length: 6 }, () => a.next());
  assert.deepEqual(rounds, Array.from({ length: 6 }, () => b.next()));
  for (const r of rounds) assert.deepEqual(r.map((s) => s.unit).sort(), [0, 1, 2, 3, 4]);
  for (let u = 0; u < 5; u++) {
    const firsts = rounds.map((r) => r.find((s) => s.unit === u)!.order[0]);
    for (let i = 1; i < firsts.length; i++) assert.notEqual(firsts[i], firsts[i - 1]);
    assert.equal(firsts.filter((f) => f === 'head').length, 3);
  }
  for (const r of rounds) for (const s of r) assert.deepEqual([...s.order].sort(), ['base', 'head']);
  assert.notDeepEqual(new Schedule(78, 5).next(), new Schedule(77, 5).next());
});

test('lookRounds: --until decided looks at min, then about 1.25x further each time, and at the cap', async () => {
  const { lookRounds } = await import('../../../harness/ab/schedule.js');
  assert.deepEqual(lookRounds(10, 200), [10, 13, 17, 22, 28, 35, 44, 55, 69, 87, 109, 137, 172, 200]);
  assert.deepEqual(lookRounds(2, 6), [2, 3, 4, 5, 6]);
  assert.deepEqual(lookRounds(5, 5), [5]);
  assert.deepEqual(lookRounds(3, 40, 2), [3, 6, 12, 24, 40]);
});

test('epochLookRounds: with epochs the looks are at epochs\' ends (from the second), the cap\'s short epoch included', async () => {
  const { epochLookRounds } = await import('../../../harness/ab/schedule.js');
  // --min-rounds 5, 80 rounds in epochs of 8: epochs 2, 3, 4, 5, 7, 9, 10
  assert.deepEqual(epochLookRounds(5, 80, 8), [16, 24, 32, 40, 56, 72, 80]);
  // the default: 10 epochs of 6
  assert.deepEqual(epochLookRounds(5, 60, 6), [12, 18, 24, 30, 42, 54, 60]);
  // a cap that is not whole epochs: 30 rounds of 8 are epochs 8, 16, 24 and a short one to 30
  assert.deepEqual(epochLookRounds(5, 30, 8), [16, 24, 30]);
  // --min-rounds past the second epoch: the first look at the epoch holding it
  assert.deepEqual(epochLookRounds(20, 80, 8), [24, 32, 40, 56, 72, 80]);
  // epochs of one round are the rounds
  assert.deepEqual(epochLookRounds(3, 12, 1), [3, 4, 5, 7, 9, 12]);
});
