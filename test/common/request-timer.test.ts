// One timer for a connection's requests: a request fails one timeout after it was sent, whenever in the
// timer's period it went out, and again after a close (a new connection); none fails while none waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestTimer } from '../../common/request-timer.js';

const MS = 120;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** a connection with one request at a time, its timeout kept by a RequestTimer */
function connection() {
  let sentAt = Infinity;
  let failed: ((at: number) => void) | null = null;
  // the RequestTimer's timer is unref'd (it must not keep a process alive): while a request waits, this
  // one keeps the test's event loop up, or a late timeout on a busy machine would find it exited
  let waiting: NodeJS.Timeout | undefined;
  const timer = new RequestTimer(MS, () => sentAt, () => { const f = failed; sentAt = Infinity; failed = null; clearTimeout(waiting); f?.(performance.now()); });
  return {
    timer,
    /** sends a request nobody answers: resolves with how long after it went out it failed, and how late a plain timer of MS started beside it fired */
    send(): Promise<{ took: number; plain: number }> {
      const t0 = performance.now();
      const plain = sleep(MS).then(() => performance.now() - t0);
      sentAt = t0;
      timer.sent();
      return new Promise((resolve) => {
        failed = async (at) => resolve({ took: at - t0, plain: await plain });
        clearTimeout(waiting);
        // never failing at all is reported as a timeout that never came (onTime names it)
        waiting = setTimeout(() => { failed = null; void plain.then((p) => resolve({ took: Infinity, plain: p })); }, MS * 100);
      });
    },
    answer(): void { sentAt = Infinity; failed = null; clearTimeout(waiting); },
  };
}

function onTime(r: { took: number; plain: number }, what: string): void {
  assert.ok(r.took >= MS - 5 && r.took < r.plain + MS / 3, `${what}: failed ${r.took.toFixed(0)} ms after it was sent (a plain ${MS} ms timer: ${r.plain.toFixed(0)} ms)`);
}

test('a request sent mid-period, one after a period with nothing waiting, and one after a close each fail one timeout after they went out', async () => {
  const c = connection();
  try {
    await sleep(MS / 2);
    onTime(await c.send(), 'sent halfway through the first period');
    // the timer last ran for what was left; the next request still gets a whole timeout
    await sleep(MS * 1.5);
    onTime(await c.send(), 'sent after an idle period');
    c.timer.close();
    onTime(await c.send(), 'sent after a close');
  } finally {
    c.timer.close();
  }
});

test('requests answered in time never fail, across many periods', async () => {
  const c = connection();
  let failures = 0;
  try {
    for (let i = 0; i < 12; i++) {
      void c.send().then(() => failures++);
      await sleep(MS / 4);
      c.answer();
    }
    await sleep(MS * 2);
    assert.equal(failures, 0);
  } finally {
    c.timer.close();
  }
});
