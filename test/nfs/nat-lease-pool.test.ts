// The NAT pool shared by instances through the store's block locks (nfs/nat-lease-pool.ts), on the
// hashmap store's real locks (owner, lease): partitions of two or three instances in one process (the
// hashmap lives in one process: instances of separate processes share Redis or Cassandra instead, see
// test/harness/testbeds/elastic.test.ts). Exact hand-out order, a block taken when the first runs
// low, exhaustion, give-back, a scale-in's release, adoption keeping a block's lease, recovery, and
// under random sequences never a pair held by two partitions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { openState, type StateContext } from '../../runtime/state/api.js';
import { LeasedPairPool, contextLocks, partitionOwner, blockLockName } from '../../nfs/nat-lease-pool.js';

let seq = 0;
/** a sync context of instance `id`, core 0, on hashmap store `store` */
async function ctxOf(store: string, id: string): Promise<StateContext> {
  return openState({ nf: 'nat', instance: id, store, mode: 'sync' }, 0);
}

async function poolOf(ctx: StateContext, o: { total: number; block: number; preferred: number; leaseMs?: number }): Promise<LeasedPairPool> {
  const p = new LeasedPairPool(contextLocks(ctx), { ...o, owner: partitionOwner(ctx.partition.instance, ctx.partition.core), renewTimer: false });
  await p.init();
  return p;
}

const takeN = (p: LeasedPairPool, n: number): number[] => Array.from({ length: n }, () => p.take());
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('leased pool: each instance starts with the block of its share, takes the next free one when it runs low, then drops', async () => {
  const store = `hashmap:lease${seq++}`;
  const [c1, c2] = [await ctxOf(store, 'ins1'), await ctxOf(store, 'ins2')];
  // 4 blocks of 8: ins1 searches from block 0, ins2 from block 2
  const a = await poolOf(c1, { total: 32, block: 8, preferred: 0 });
  const b = await poolOf(c2, { total: 32, block: 8, preferred: 16 });
  assert.deepEqual(a.heldBlocks().own, [0]);
  assert.deepEqual(b.heldBlocks().own, [2]);
  assert.equal((await c1.lock(blockLockName(2)).holder())?.owner, 'ins2@0', "the store says who holds block 2");
  assert.deepEqual(takeN(a, 6), range(0, 6));
  await a.settle(); // 2 left (a quarter of a block): the next block was asked for
  assert.deepEqual(a.heldBlocks().own, [0, 1]);
  assert.deepEqual(takeN(a, 10), range(6, 16));
  await a.settle();
  assert.deepEqual(a.heldBlocks().own, [0, 1, 3], 'block 2 is ins2\'s: skipped');
  assert.deepEqual(takeN(a, 8), range(24, 32));
  assert.equal(a.take(), -1, 'every block held: a new flow is dropped');
  await a.settle();
  assert.equal(a.counts().exhausted >= 1, true);
  assert.deepEqual(takeN(b, 8), range(16, 24));
  assert.equal(b.take(), -1);
  assert.deepEqual({ ...a.counts(), exhausted: 0 }, { taken: 3, released: 0, held: 3, adopted: 0, exhausted: 0, lost: 0, conflicts: 0, errors: 0 });
  await c1.close();
  await c2.close();
});

test('leased pool: a scale-in gives its free blocks back at close and keeps a lease on those with live mappings; the survivor takes the free ones', async () => {
  const store = `hashmap:lease${seq++}`;
  const [c1, c2] = [await ctxOf(store, 'ins1'), await ctxOf(store, 'ins2')];
  const a = await poolOf(c1, { total: 32, block: 8, preferred: 0 });
  const b = await poolOf(c2, { total: 32, block: 8, preferred: 16 });
  assert.deepEqual(takeN(a, 6), range(0, 6));
  await a.settle();
  assert.deepEqual(takeN(a, 8), range(6, 14));
  await a.settle();
  assert.deepEqual(a.heldBlocks().own, [0, 1, 3]);
  for (const k of range(8, 14)) assert.equal(a.release(k), true); // block 1's mappings expire
  await a.close(); // removed
  assert.deepEqual(a.counts(), { taken: 3, released: 2, held: 1, adopted: 0, exhausted: 0, lost: 0, conflicts: 0, errors: 0 });
  assert.equal((await c2.lock(blockLockName(0)).holder())?.owner, 'ins1@0', 'block 0 has live mappings: still held');
  assert.equal(await c2.lock(blockLockName(1)).holder(), null, 'block 1 is free again');
  assert.equal(await c2.lock(blockLockName(3)).holder(), null, 'block 3 (never used) is free again');
  assert.deepEqual(takeN(b, 6), range(16, 22));
  await b.settle();
  assert.deepEqual(takeN(b, 8), range(22, 30));
  await b.settle();
  assert.deepEqual(takeN(b, 10), [30, 31, ...range(8, 16)], 'the survivor takes the blocks the scale-in released');
  assert.deepEqual(b.heldBlocks().own, [1, 2, 3]);
  await c1.close();
  await c2.close();
});

test('leased pool: adopted mappings keep their block under the old owner\'s lease; it frees itself once none is left', async () => {
  const store = `hashmap:lease${seq++}`;
  const [c1, c2, c3] = [await ctxOf(store, 'ins1'), await ctxOf(store, 'ins2'), await ctxOf(store, 'ins3')];
  const a = await poolOf(c1, { total: 16, block: 8, preferred: 0, leaseMs: 150 });
  const b = await poolOf(c2, { total: 16, block: 8, preferred: 8, leaseMs: 150 });
  const pairs = takeN(a, 3);
  await a.close(); // removed: block 0 keeps its lease (3 live mappings), its holder gone
  for (const k of pairs) assert.equal(b.adoptPair(k, 'ins1@0'), true);
  assert.deepEqual(b.heldBlocks(), { own: [1], adopted: [0] });
  const c = await poolOf(c3, { total: 16, block: 8, preferred: 0, leaseMs: 150 });
  for (let i = 0; i < 4; i++) {
    await sleep(60);
    await b.renew(); // the survivor renews block 0 under ins1@0 past the lease ins1 left
  }
  assert.equal(c.heldBlocks().own.length, 0, 'a third instance found no block: block 0 moved with its mappings');
  assert.equal(c.take(), -1);
  await c.settle();
  assert.equal((await c3.lock(blockLockName(0)).holder())?.owner, 'ins1@0');
  assert.equal(b.adoptPair(9, 'ins1@0'), false, "a pair of a block it hands out itself is refused");
  for (const k of pairs) assert.equal(b.release(k), false, 'an adopted pair is not taken into this pool');
  assert.deepEqual(b.heldBlocks(), { own: [1], adopted: [] });
  await sleep(200); // no longer renewed: the lease runs out
  await sleep(60); // past the retry pause of c's last search
  assert.equal(c.take(), -1);
  await c.settle();
  assert.deepEqual(takeN(c, 8), range(0, 8), 'block 0 is free once no mapping uses it');
  for (const x of [c1, c2, c3]) await x.close();
});

test('leased pool: a standby with the dead partition\'s id keeps its recovered pairs and hands out the rest of their blocks', async () => {
  const store = `hashmap:lease${seq++}`;
  const [c1, c2] = [await ctxOf(store, 'ins1'), await ctxOf(store, 'ins2')];
  const a = await poolOf(c1, { total: 32, block: 8, preferred: 0 });
  const b = await poolOf(c2, { total: 32, block: 8, preferred: 8 });
  takeN(a, 5); // block 0 (then it dies)
  takeN(b, 3); // block 1
  // ins2 adopts two of ins1's mappings first (a scale-out): the standby of ins1 finds ins1's own block
  // (renewed under its id) and, for a pair of a block another holds, keeps the mapping under that lease
  const standbyCtx = await ctxOf(store, 'ins1');
  const s = new LeasedPairPool(contextLocks(standbyCtx), { total: 32, block: 8, owner: 'ins1@0', preferred: 0, renewTimer: false });
  const ok = s.claimAll([2, 5, 5, 9]);
  assert.deepEqual([...ok], [1, 1, 0, 1], 'a pair listed twice: only the first');
  await s.settle();
  assert.deepEqual(s.heldBlocks(), { own: [0], adopted: [1] });
  await s.init();
  const fresh = takeN(s, 6);
  assert.deepEqual(fresh, [0, 1, 3, 4, 6, 7], "block 0's free pairs, none of the recovered ones");
  for (const x of [c1, c2, standbyCtx]) await x.close();
});

test('leased pool: under random takes, releases and searches of three partitions, no pair is held by two of them at once', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 9 })), { minLength: 1, maxLength: 120 }), async (ops) => {
      const store = `hashmap:lease${seq++}`;
      const ctxs = [await ctxOf(store, 'i0'), await ctxOf(store, 'i1'), await ctxOf(store, 'i2')];
      const pools = await Promise.all(ctxs.map((c, i) => poolOf(c, { total: 40, block: 4, preferred: i * 13 })));
      const holder = new Map<number, number>();
      const mine: number[][] = [[], [], []];
      try {
        for (const [p, op] of ops) {
          const pool = pools[p]!;
          if (op < 6) {
            const k = pool.take();
            if (k >= 0) {
              assert.equal(holder.has(k), false, `pair ${k} handed to partition ${p} while ${holder.get(k)} holds it`);
              holder.set(k, p);
              mine[p]!.push(k);
            }
          } else if (op < 9 && mine[p]!.length) {
            const k = mine[p]!.splice(op % mine[p]!.length, 1)[0]!;
            holder.delete(k);
            assert.equal(pool.release(k), true);
          } else await pool.settle();
        }
      } finally {
        for (const c of ctxs) await c.close();
      }
    }),
    { numRuns: 40 },
  );
});
