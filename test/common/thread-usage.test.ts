// A thread's CPU time, wait and wake-ups from /proc/thread-self: the parse pinned, the live read sane.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseThreadUsage, threadUsage } from '../../common/thread-usage.js';

test('schedstat ns and voluntary switches become ms and wake-ups', () => {
  const status = 'Name:\tnode\nvoluntary_ctxt_switches:\t4635\nnonvoluntary_ctxt_switches:\t27\n';
  assert.deepEqual(parseThreadUsage('409000000 344500000 4662\n', status), { cpuMs: 409, waitMs: 344.5, wakeups: 4635 });
  assert.equal(parseThreadUsage('409000000\n', status), null);
  assert.equal(parseThreadUsage('x y z', status), null);
  assert.equal(parseThreadUsage('1 2 3', 'Name:\tnode\n'), null);
});

test('the calling thread has used some CPU and its figures only grow', { skip: process.platform !== 'linux' }, () => {
  const a = threadUsage();
  assert.ok(a !== null && a.cpuMs > 0 && a.wakeups >= 0);
  let x = 0;
  for (let i = 0; i < 1e6; i++) x += i;
  assert.ok(x > 0);
  const b = threadUsage()!;
  assert.ok(b.cpuMs >= a.cpuMs && b.wakeups >= a.wakeups);
});
