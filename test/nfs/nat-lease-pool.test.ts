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
  await p.settle(); // and the block it asks for ahead
  return p;
}

const takeN = (p: LeasedPairPool, n: number): number[] => Array.from({ length: n }, () => p.take());
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** every pair the partition can get now: taken until none, waiting for the blocks it asks for meanwhile */
async function drain(p: LeasedPairPool): Promise<number[]> {
  const out: number[] = [];
  for (;;) {
    let k = p.take();
    if (k < 0) {
      await p.settle();
      k = p.take();
      if (k < 0) return out;
    }
    out.push(k);
  }
}

test('leased pool: each instance starts with the block of its share and one ahead, takes the next free ones as it goes, then drops', async () => {
  const store = `hashmap:lease${seq++}`;
  const [c1, c2] = [await ctxOf(store, 'ins1'), await ctxOf(store, 'ins2')];
  // 6 blocks of 8: ins1 searches from block 0, ins2 from block 3
  const a = await poolOf(c1, { total: 48, block: 8, preferred: 0 });
  const b = await poolOf(c2, { total: 48, block: 8, preferred: 24 });
  assert.deepEqual(a.heldBlocks().own, [0, 1]);
  assert.deepEqual(b.heldBlocks().own, [3, 4]);
  assert.equal((await c1.lock(blockLockName(3)).holder())?.owner, 'ins2@0', 'the store says who holds block 3');
  assert.deepEqual(await drain(a), [...range(0, 24), ...range(40, 48)], "ins1 skips ins2's blocks 3 and 4");
  assert.deepEqual(a.heldBlocks().own, [0, 1, 2, 5]);
  assert.equal(a.take(), -1, 'every block held: a new flow is dropped');
  assert.equal(a.dry, true);
  assert.ok(a.counts().exhausted >= 1);
  assert.deepEqual(await drain(b), range(24, 40));
  assert.deepEqual({ ...a.counts(), exhausted: 0 }, { taken: 4, released: 0, held: 4, adopted: 0, exhausted: 0, lost: 0, conflicts: 0, errors: 0 });
  await c1.close();
  await c2.close();
});

test('leased pool: a scale-in gives its free blocks back at close and keeps a lease on those with live mappings; the survivor takes the free ones', async () => {
  const store = `hashmap:lease${seq++}`;
  const [c1, c2] = [await ctxOf(store, 'ins1'), await ctxOf(store, 'ins2')];
  const a = await poolOf(c1, { total: 48, block: 8, preferred: 0 });
  const b = await poolOf(c2, { total: 48, block: 8, preferred: 24 });
  assert.deepEqual(takeN(a, 12), range(0, 12));
  await a.settle();
  for (const k of range(8, 12)) assert.equal(a.release(k), true); // block 1's mappings expire
  await a.close(); // removed
  const c = a.counts();
  assert.deepEqual([c.released, c.held], [c.taken - 1, 1], JSON.stringify(c));
  assert.equal((await c2.lock(blockLockName(0)).holder())?.owner, 'ins1@0', 'block 0 has live mappings: still held');
  for (const blk of [1, 2]) assert.equal(await c2.lock(blockLockName(blk)).holder(), null, `block ${blk} is free again`);
  const got = await drain(b);
  assert.deepEqual(got.slice(0, 16), range(24, 40), 'its own blocks first');
  assert.deepEqual([...got].sort((x, y) => x - y), range(8, 48), 'then every block the scale-in released; never block 0');
  await c1.close();
  await c2.close();
});

test('leased pool: adopted mappings keep their block under the old owner\'s lease; it frees itself once none is left', async () => {
  const store = `hashmap:lease${seq++}`;
  const [c1, c2, c3] = [await ctxOf(store, 'ins1'), await ctxOf(store, 'ins2'), await ctxOf(store, 'ins3')];
  // a lease of 400 ms renewed every 60 ms: a late renewal on a busy host still falls well inside it
  const a = await poolOf(c1, { total: 24, block: 8, preferred: 0, leaseMs: 400 });
  const b = await poolOf(c2, { total: 24, block: 8, preferred: 16, leaseMs: 400 });
  assert.deepEqual([a.heldBlocks().own, b.heldBlocks().own], [[0, 1], [2]]);
  const pairs = takeN(a, 3);
  await a.close(); // removed: block 0 keeps its lease (3 live mappings), block 1 (unused) is released
  for (const k of pairs) assert.equal(b.adoptPair(k, 'ins1@0'), true);
  assert.deepEqual(b.heldBlocks(), { own: [2], adopted: [0] });
  const c = await poolOf(c3, { total: 24, block: 8, preferred: 0, leaseMs: 400 });
  assert.deepEqual(c.heldBlocks().own, [1], 'ins3 gets the block ins1 released, not block 0');
  for (let i = 0; i < 8; i++) {
    await sleep(60);
    await b.renew(); // the survivor renews block 0 under ins1@0 past the lease ins1 left
  }
  assert.deepEqual(await drain(c), range(8, 16), 'block 0 moved with its mappings: nobody else gets it');
  assert.equal((await c3.lock(blockLockName(0)).holder())?.owner, 'ins1@0');
  assert.equal(b.adoptPair(17, 'ins1@0'), false, 'a pair of a block it hands out itself is refused');
  for (const k of pairs) assert.equal(b.release(k), false, 'an adopted pair is not taken into this pool');
  assert.deepEqual(b.heldBlocks(), { own: [2], adopted: [] });
  for (let i = 0; i < 5; i++) {
    await sleep(120);
    await b.renew(); // its own block 2 only: block 0 is no longer renewed, its lease runs out
  }
  assert.deepEqual(await drain(c), range(0, 8), 'block 0 is free once no mapping uses it');
  for (const x of [c1, c2, c3]) await x.close();
});

test('leased pool: a standby with the dead partition\'s id keeps its recovered pairs and hands out the rest of their blocks', async () => {
  const store = `hashmap:lease${seq++}`;
  const [c1, c2] = [await ctxOf(store, 'ins1'), await ctxOf(store, 'ins2')];
  const a = await poolOf(c1, { total: 32, block: 8, preferred: 0 });
  const b = await poolOf(c2, { total: 32, block: 8, preferred: 16 });
  takeN(a, 5); // block 0 (then ins1 dies)
  takeN(b, 3); // block 2
  // ins1's standby recovers 2 and 4 (its own block, renewed under its id) and 17, a mapping ins1 had
  // adopted from ins2 (kept under ins2's lease, none of that block's pairs handed out)
  const standbyCtx = await ctxOf(store, 'ins1');
  const s = new LeasedPairPool(contextLocks(standbyCtx), { total: 32, block: 8, owner: 'ins1@0', preferred: 0, renewTimer: false });
  const ok = s.claim([2, 4, 4, 17]);
  assert.deepEqual([...ok], [1, 1, 0, 1], 'a pair listed twice: only the first');
  await s.settle();
  assert.deepEqual(s.heldBlocks(), { own: [0], adopted: [2] });
  await s.init();
  assert.deepEqual(takeN(s, 6), [0, 1, 3, 5, 6, 7], "block 0's free pairs, none of the recovered ones");
  await s.settle();
  assert.equal(s.take(), 8, "then the block ahead: ins1's own spare, renewed under the same id");
  for (const x of [c1, c2, standbyCtx]) await x.close();
});

test('leased pool: a recovered block still waiting for its lock refuses an adopted pair, and keeps its recovered pairs out', async () => {
  const store = `hashmap:lease${seq++}`;
  const c1 = await ctxOf(store, 'ins1');
  const s = new LeasedPairPool(contextLocks(c1), { total: 32, block: 8, owner: 'ins1@0', preferred: 0, renewTimer: false });
  assert.deepEqual([...s.claim([2])], [1]); // block 0 recovered, its lock asked for
  assert.equal(s.adoptPair(3, 'ins2@0'), false, 'a pair of the pending block');
  assert.equal(s.counts().conflicts, 1);
  await s.settle();
  assert.deepEqual(s.heldBlocks(), { own: [0], adopted: [] });
  await s.init();
  assert.deepEqual(takeN(s, 7), [0, 1, 3, 4, 5, 6, 7], 'the recovered pair 2 stays out; 3 was never adopted');
  await c1.close();
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
