// Map keys given as a flow's words (slotOfFlow): the store holds string keys an NF's recovery
// parses back (parseFlowKey), one slot per flow whichever way it is asked for,
// on the in-process store and on Redis through the state thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { flowKeyOfWords as flowKey, parseFlowKey } from '../../../runtime/state/flow-key.js';
import { openState } from '../../../runtime/state/api.js';
import { startRedis } from '../../../runtime/stores/redis.js';
import type { MapHandle } from '../../../runtime/state/types.js';

const word = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

test('the store key of a flow given as words parses back to the words', () => {
  fc.assert(fc.property(word, word, word, fc.integer({ min: 0, max: 255 }), (a, b, c, d) => {
    assert.deepEqual(parseFlowKey(flowKey(a, b, c, d)), [a, b, c, d]);
  }), { numRuns: 3000 });
});

test('flow keys round-trip (recovery parses them back)', () => {
  const src = 0xc401a8c0 | 0; // 192.168.1.196 read little-endian (a negative int32)
  const dst = 0x0100000a; // 10.0.0.1
  const ports = (0xbb01 << 16) | 0x3930; // sport 12345, dport 443
  const k = flowKey(src, dst, ports, 6);
  assert.equal(k, '192.168.1.196:12345>10.0.0.1:443/6');
  assert.deepEqual(parseFlowKey(k), [src, dst, ports, 6]);
  assert.equal(parseFlowKey('nonsense'), null);
});

async function roundTrip(store: string, flusher: 'worker' | 'thread') {
  const instance = `fk${process.pid}${flusher}${Math.random().toString(36).slice(2, 8)}`;
  const N = 5000;
  const w = (i: number): [number, number, number, number] => [0x0100000a + (i << 24), 0x0200000a, (1024 + i) | (80 << 16), 17];
  const ctx = await openState({ nf: 'fk', instance, store, flusher }, 0);
  try {
    const m = ctx.map('flows');
    const slots = new Int32Array(N);
    for (let i = 0; i < N; i++) {
      slots[i] = m.slotOfFlow(...w(i));
      m.setSlotNoWait(slots[i]!, i * 3);
    }
    for (let i = 0; i < N; i += 97) assert.equal(m.slotOfFlow(...w(i)), slots[i], 'the same words, the same slot');
    // the string form finds the slot the words made, and the other way round
    assert.equal(m.slot(flowKey(...w(7))), slots[7]);
    assert.equal(await m.get(flowKey(...w(8))), 24);
    assert.equal(m.keyOf(slots[9]!), flowKey(...w(9)));
    const s = m.slot(flowKey(...w(N)));
    assert.equal(m.slotOfFlow(...w(N)), s, 'a key first given as a string');
    m.setSlotNoWait(s, -1);
    await ctx.flush();
  } finally {
    await ctx.close();
  }
  // a new instance with the same ids recovers every key as its string, and the words find them
  const again = await openState({ nf: 'fk', instance, store, flusher }, 0);
  try {
    await again.load();
    const m = again.map('flows');
    const [keys, vals] = await m.entries();
    assert.equal(keys.length, N + 1);
    const got = new Map(keys.map((k, i) => [k, vals[i]]));
    for (let i = 0; i < N; i += 13) assert.equal(got.get(flowKey(...w(i))), i * 3);
    assert.equal(got.get(flowKey(...w(N))), -1);
    const r = m.slotOfFlow(...w(42));
    assert.equal(m.peekSlot(r), 126);
    assert.equal(m.slot(flowKey(...w(42))), r);
  } finally {
    await again.close();
  }
}

test('hashmap, async: flows given as words flush, recover and resolve to one slot each', async () => {
  await roundTrip(`hashmap:fk${process.pid}`, 'thread');
});

test('redis, async (state thread and same-thread flusher): flows given as words flush, recover and resolve to one slot each', async () => {
  const r = await startRedis();
  try {
    await roundTrip(r.url, 'worker');
    await roundTrip(r.url, 'thread');
  } finally {
    await r.stop();
  }
});

/** A map 'flows' of a fresh async context on the in-process store; the context closed after `body`. */
async function onHashmap(nf: string, body: (m: MapHandle, ctx: Awaited<ReturnType<typeof openState>>) => Promise<void>) {
  const ctx = await openState({ nf, instance: `${nf}${process.pid}`, store: `hashmap:${nf}${process.pid}`, flusher: 'thread' }, 0);
  try {
    await body(ctx.map('flows'), ctx);
  } finally {
    await ctx.close();
  }
}

test('a map keyed by words holds at most 80 B per key at 50,000 keys, and bytes() counts what its buffers hold', () =>
  onHashmap('fkb', async (m, ctx) => {
    const N = 50_000;
    for (let i = 0; i < N; i++) {
      m.setSlotNoWait(m.slotOfFlow(i, ~i, i * 7, 6), 1);
      if (i % 1000 === 999) await ctx.flush(); // as periodic flushes would: the state thread holds a flush's changes, not every key's
    }
    await ctx.flush();
    const b = m.bytes!();
    // shared buffers 35 B + words 16 B a slot, the index, the state thread's 4 B a slot: all by capacity
    assert.ok(b >= N * (35 + 16 + 4 / 0.75 + 4), `${b} B is less than the keys need`);
    assert.ok(b / N <= 80, `${(b / N).toFixed(1)} B per key`);
  }));

test('a map keyed by words and by strings: every key found either way, whichever came first, as keys keep coming', () =>
  onHashmap('fkm', async (m) => {
    const w = (i: number): [number, number, number, number] => [i, ~i, i * 7, 17];
    const first = m.slot('a string key');
    const slots: number[] = [];
    // word keys after a string key: each new one is looked up by its string first (the table has strings)
    for (let i = 0; i < 3000; i++) {
      slots.push(m.slotOfFlow(...w(i)));
      if (i % 500 === 499) for (let j = i - 499; j <= i; j += 37) assert.equal(m.slot(flowKey(...w(j))), slots[j], `key ${j} by its string`);
    }
    assert.equal(new Set(slots).size, 3000, 'a slot per key');
    // a key given first as a string, then as words: one slot
    const s = m.slot(flowKey(...w(5000)));
    assert.equal(m.slotOfFlow(...w(5000)), s);
    assert.equal(m.slot('a string key'), first);
    for (let j = 0; j < 3000; j += 101) assert.equal(m.slotOfFlow(...w(j)), slots[j]);
  }));
