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
