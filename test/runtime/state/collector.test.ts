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
