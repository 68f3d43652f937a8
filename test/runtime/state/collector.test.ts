// The collector's swap rounds: a flush must carry every change made before it was asked for, even
// when a timer round is still waiting for its swap to be acknowledged (a state thread wakes late).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Collector } from '../../../runtime/state/collector.js';
import { PartitionCache, P_REQ, type SwapMessage } from '../../../runtime/state/cache.js';
import { resolveDriver } from '../../../runtime/drivers/registry.js';
import { resetHashmapStores } from '../../../runtime/drivers/hashmap/index.js';

test('flushAll while a round waits on its swap still takes the changes made after that swap', async (t) => {
  t.after(() => resetHashmapStores());
  const p = { nf: 'col', instance: 'i1', core: 0 };
  const conn = await (await resolveDriver('hashmap:collector')).connect('hashmap:collector', {});
  let collector: Collector;
  const cache = new PartitionCache(p, 64, (m: SwapMessage) => collector.receive(m));
  // the packet side acknowledges at once, but the state thread hears of it only when `wake` runs
  const late: (() => void)[] = [];
  collector = new Collector(conn, p, 0, {
    swap() {
      const e = cache.epoch + 1;
      Atomics.store(cache.ctrl, P_REQ, e);
      cache.poll();
      return new Promise<number>((resolve) => late.push(() => resolve(e)));
    },
  });
  const wake = () => { for (const f of late.splice(0)) f(); };
  const c = cache.counter('n');
  c.addNoWait(5);
  const tick = collector.tick(); // timer round: swap acknowledged, state thread not yet awake
  c.addNoWait(7); // the last burst, written to the fresh buffer
  const flushed = collector.flushAll(); // close(): must swap again
  for (let i = 0; i < 10 && late.length === 0; i++) await Promise.resolve();
  wake();
  await tick;
  for (let i = 0; i < 10 && late.length === 0; i++) await Promise.resolve();
  wake();
  await flushed;
  assert.equal((await conn.loadPartition(p)).counters['n'], 12);
  await conn.close();
});

// Store continuity: a store that comes back without the partition's last acknowledged flush.
// The hashmap driver stands in for a store restarted empty (dropPartition deletes its flush number
// too); the real servers are in test/runtime/drivers/redis.test.ts and cassandra.test.ts.
async function lossRig(action: 'fail' | 'warn' | 'reload') {
  const url = `hashmap:loss-${action}`;
  const p = { nf: 'loss', instance: action, core: 0 };
  const conn = await (await resolveDriver(url)).connect(url, {});
  const mirror = action === 'reload' ? await (await resolveDriver('hashmap:loss-mirror')).connect('hashmap:loss-mirror', {}) : undefined;
  const seen: import('../../../runtime/state/api.js').StateLoss[] = [];
  let collector: Collector;
  const cache = new PartitionCache(p, 64, (m: SwapMessage) => collector.receive(m));
  collector = new Collector(conn, p, 0, {
    async swap() {
      const e = cache.epoch + 1;
      Atomics.store(cache.ctrl, P_REQ, e);
      cache.poll();
      return e;
    },
  }, undefined, { action, store: url, notify: (l) => seen.push(l), mirror });
  await collector.start();
  return { p, conn, cache, collector, seen };
}

for (const action of ['fail', 'warn', 'reload'] as const) {
  test(`state loss, ${action}: found at the next flush, reported with the exact counts lost`, async (t) => {
    t.after(() => resetHashmapStores());
    const { p, conn, cache, collector, seen } = await lossRig(action);
    const c = cache.counter('n');
    const m = cache.counterMap('m');
    const v = cache.value('v');
    c.addNoWait(5); m.addToNoWait('a', 2); v.setNoWait('x');
    await collector.flushAll();
    c.addNoWait(7); m.addToNoWait('b', 1);
    await collector.flushAll(); // acknowledged: 12 + 3 counted
    await conn.dropPartition(p); // the store restarts empty
    c.addNoWait(100);
    const after = collector.flushAll();
    if (action === 'fail') {
      await assert.rejects(after, (e: Error & { exitCode?: number }) => e.exitCode === 5 && /state lost: store hashmap:loss-fail holds flush 0 .* acknowledged flush 2 \(2 acknowledged flushes lost, 15 counted increments\)/.test(e.message));
    } else {
      await after;
    }
    assert.equal(seen.length, 1);
    assert.deepEqual({ ...seen[0], at: '' }, {
      at: '', store: `hashmap:loss-${action}`, partition: `loss@${action}@0`, flush_seq: 3, expected_seq: 2, store_seq: 0, flushes_lost: 2,
      counts_lost: 15, counts_exact: true, action, ...(action === 'reload' ? { reloaded_entries: 6 } : {}),
    });
    const st = (await conn.loadPartition(p));
    if (action === 'fail') assert.deepEqual(st.counters, {}, 'fail: nothing more is written');
    if (action === 'warn') assert.deepEqual([st.counters, st.values], [{ n: 100 }, {}], 'warn: only what came after the loss');
    if (action === 'reload') {
      assert.deepEqual([st.counters, st.values, st.counterMaps], [{ n: 112 }, { v: 'x' }, { m: [['a', 'b'], [2, 1]] }], 'reload: the exact state');
    }
    // a second loss later is measured from the first one on
    if (action !== 'fail') {
      c.addNoWait(1);
      await collector.flushAll();
      await conn.dropPartition(p);
      c.addNoWait(1);
      await collector.flushAll();
      assert.equal(seen.length, 2);
      // warn: flushes 3 and 4 newly lost, with 101 counted; what the store held before flush 3 was not
      // counted here. reload: the store held everything again, so all of it is lost and written back.
      const want = action === 'warn' ? [2, 101, false] : [4, 116, true];
      assert.deepEqual([seen[1]!.flushes_lost, seen[1]!.counts_lost, seen[1]!.counts_exact], want);
      if (action === 'reload') assert.deepEqual((await conn.loadPartition(p)).counters, { n: 114 });
    }
    await collector.close(1000);
  });
}
