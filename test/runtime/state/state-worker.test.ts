// The dedicated state thread against a real redis-server: it sleeps while its partition is idle (no
// timer wake-up every flushMs for nothing) and the packet side's next change wakes it, unflushed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type RunningRedis } from '../../../runtime/stores/redis.js';
import { openState } from '../../../runtime/state/api.js';

let redis: RunningRedis;
before(async () => { redis = await startRedis(); });
after(async () => { await redis?.stop(); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('an idle partition lets its state thread sleep; the next change wakes it and is flushed without flush()', async () => {
  const ctx = await openState({ nf: 'park', instance: 'i', store: redis.url, mode: 'async', flushMs: 1 }, 0);
  const r = new Redis(redis.url, { lazyConnect: true });
  try {
    const c = ctx.counter('n');
    c.addNoWait(5);
    await ctx.flush();
    await sleep(50); // the last reply read, nothing left in flight
    const s0 = await ctx.stats();
    const idleMs = 400;
    await sleep(idleMs);
    const s1 = await ctx.stats();
    assert.ok(s0.wakeups !== null && s1.wakeups !== null, 'wake-ups counted (/proc/thread-self)');
    // ticking every flushMs would be ~400 wake-ups; asleep, the 100 ms bound and the stats replies only
    assert.ok(s1.wakeups - s0.wakeups < idleMs / 10, `${s1.wakeups - s0.wakeups} wake-ups in ${idleMs} ms idle`);
    assert.equal(s1.flushes, s0.flushes, 'nothing changed: nothing flushed');
    // a change, no flush(): the packet side's poll (here the context's poll timer) wakes the thread
    c.addNoWait(3);
    const t0 = Date.now();
    let v: string | null = null;
    while (Date.now() - t0 < 5000 && (v = await r.get('park@i@0@Counter@n')) !== '8') await sleep(5);
    assert.equal(v, '8');
  } finally {
    r.disconnect();
    await ctx.close();
  }
});
