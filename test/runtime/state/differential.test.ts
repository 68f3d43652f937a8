// Async mode against sync mode: the same random sequence of calls (every type, NoWait and waiting,
// interleaved with flushes, polls and pauses that let the state thread swap) must leave the store
// in the same state. Sync mode is the reference: it applies each call to the store as it comes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openState, type StateContext } from '../../../runtime/state/api.js';
import { resolveDriver } from '../../../runtime/drivers/registry.js';
import { startRedis } from '../../../runtime/stores/redis.js';
import type { Snapshot } from '../../../runtime/drivers/driver.js';

/** xorshift32: a reproducible sequence per seed */
function rng(seed: number) {
  let x = seed || 1;
  return (n: number) => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return (x >>> 0) % n;
  };
}

async function play(ctx: StateContext, seed: number, steps: number): Promise<void> {
  const r = rng(seed);
  const ids = ['a', 'b'];
  const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
  for (let i = 0; i < steps; i++) {
    const id = ids[r(2)]!;
    const key = keys[r(5)]!;
    const v = r(100) - 20;
    switch (r(24)) {
      case 0: ctx.counter(id).addNoWait(v); break;
      case 1: await ctx.counter(id).add(v); break;
      case 2: if (r(4) === 0) ctx.counter(id).setNoWait(v); break;
      case 3: if (r(6) === 0) ctx.counter(id).deleteNoWait(); break;
      case 4: ctx.counterMap(id).addToNoWait(key, v); break;
      case 5: { const m = ctx.counterMap(id); m.addToSlotNoWait(m.slot(key), v); break; }
      case 6: if (r(3) === 0) await ctx.counterMap(id).set(key, v); break;
      case 7: if (r(3) === 0) ctx.counterMap(id).eraseNoWait(key); break;
      case 8: if (r(10) === 0) ctx.counterMap(id).clearNoWait(); break;
      case 9: { const m = ctx.map(id); m.setSlotNoWait(m.slot(key), v); break; }
      case 10: await ctx.map(id).set(key, v * 1000); break;
      case 11: if (r(2) === 0) ctx.map(id).eraseNoWait(key); break;
      case 12: if (r(12) === 0) await ctx.map(id).clear(); break;
      case 13: ctx.list(id).pushBackNoWait(`v${v}`); break;
      case 14: ctx.list(id).pushFrontNoWait(`f${v}`); break;
      case 15: await ctx.list(id).popFront(); break;
      case 16: await ctx.list(id).popBack(); break;
      case 17: if ((await ctx.list(id).size()) > 0) await ctx.list(id).setAt(0, `s${v}`); break;
      case 18: ctx.set(id).insertNoWait(key); break;
      case 19: ctx.set(id).eraseNoWait(key); break;
      case 20: ctx.value(id).setNoWait(`x${v}`); break;
      case 21: if (r(4) === 0) await ctx.value(id).delete(); break;
      case 22: ctx.poll(); if (r(3) === 0) await new Promise((res) => setTimeout(res, 2)); break;
      case 23: if (r(4) === 0) await ctx.flush(); break;
    }
  }
}

/** order-free view of a snapshot (set members and map entries sorted) */
function norm(s: Snapshot) {
  const pairs = (e: [string[], number[]]) => e[0].map((k, i) => `${k}=${e[1][i]}`).sort();
  const obj = <T, U>(o: Record<string, T>, f: (t: T) => U) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]).sort());
  return {
    values: obj(s.values, (v) => v),
    counters: obj(s.counters, (v) => v),
    lists: obj(s.lists, (v) => v),
    sets: obj(s.sets, (v) => [...v].sort()),
    maps: obj(s.maps, pairs),
    counterMaps: obj(s.counterMaps, pairs),
  };
}

async function compare(url: string, flusher: 'worker' | 'thread', seeds: number[], steps: number): Promise<void> {
  const conn = await (await resolveDriver(url)).connect(url, {});
  try {
    for (const seed of seeds) {
      const base = { nf: 'diff', store: url, flushMs: 1, flusher };
      const ref = await openState({ ...base, instance: `ref${seed}${flusher}`, mode: 'sync' }, 0);
      await play(ref, seed, steps);
      await ref.close();
      const asy = await openState({ ...base, instance: `asy${seed}${flusher}`, mode: 'async' }, 0);
      await play(asy, seed, steps);
      await asy.close();
      const a = norm(await conn.loadPartition({ nf: 'diff', instance: `ref${seed}${flusher}`, core: 0 }));
      const b = norm(await conn.loadPartition({ nf: 'diff', instance: `asy${seed}${flusher}`, core: 0 }));
      assert.deepEqual(b, a, `seed ${seed}: async (${flusher}) store state differs from sync`);
      assert.ok(Object.keys(a.counterMaps).length + Object.keys(a.lists).length > 0, 'the sequence should leave some state');
    }
  } finally {
    await conn.close();
  }
}

test('hashmap: async = sync over random call sequences (20 seeds x 600 calls)', async () => {
  await compare(`hashmap:diff${process.pid}`, 'thread', Array.from({ length: 20 }, (_, i) => i + 1), 600);
});

test('redis: async = sync over random call sequences, state worker and same-thread flusher', async () => {
  const s = await startRedis();
  try {
    await compare(s.url, 'worker', [101, 102, 103], 400);
    await compare(s.url, 'thread', [104, 105], 400);
  } finally {
    await s.stop();
  }
});
