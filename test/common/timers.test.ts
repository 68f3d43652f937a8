// A timer beyond setTimeout's limit waits (in chunks) instead of firing at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TIMER_MS, setLongTimeout } from '../../common/timers.js';

test('a delay above 2^31-1 ms does not fire at once; a short one fires; clear() cancels', async () => {
  let long = 0;
  const t = setLongTimeout(() => long++, MAX_TIMER_MS + 1000);
  let short = 0;
  const s = setLongTimeout(() => short++, 5);
  const never = setLongTimeout(() => long++, Infinity);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(long, 0);
  assert.equal(short, 1);
  t.clear();
  never.clear();
  s.clear();
});
