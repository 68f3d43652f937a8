// The NAT pool's blocks shared by several cores (simulated here: one PairPool, or one Nat, per core
// over one SharedArrayBuffer): exact hand-out order, borrowing, giving back, recovery claims, and
// under random take/release/claim sequences never a pair handed out twice and every pair accounted for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Nat, nf } from '../../nfs/nat.js';
import { burstOf, read } from './nat-frames.js';
import { parseIPv4 } from '../../runtime/packet/inet.js';
import { PairPool, PoolBlocks, poolSharedBytes, poolWords, blockSizeFor, MAX_BLOCKS } from '../../nfs/nat-pool.js';

/** cores PairPools over chunks of `total` pairs split evenly, blocks of `block` */
function cores(total: number, n: number, block: number): PairPool[] {
  const chunks = Array.from({ length: n + 1 }, (_, c) => Math.floor((c * total) / n));
  const sab = new SharedArrayBuffer(4 * poolWords(total, n, block));
  return Array.from({ length: n }, (_, c) => new PairPool(new PoolBlocks(chunks, block, sab), c));
}

const takeN = (p: PairPool, n: number): number[] => Array.from({ length: n }, () => p.take());

test('nat pool alone: its chunk in order, then released pairs oldest first, then -1 (the paper\'s static partition)', () => {
  const p = PairPool.alone(10, 16, 4);
  assert.deepEqual(takeN(p, 6), [10, 11, 12, 13, 14, 15]);
  assert.equal(p.take(), -1);
  assert.equal(p.left, 0);
  p.release(12);
  p.release(10);
  assert.equal(p.left, 2);
  assert.deepEqual(takeN(p, 3), [12, 10, -1]);
  assert.equal(p.release(16), false, 'a pair of another chunk is not taken in');
  assert.deepEqual(p.counts(), { borrowed: 0, lent: 0, returned: 0 });
});

test('nat pool: a core whose chunk ran out borrows the top untouched block of the core with the most, then the reserve', () => {
  const [a, b, c] = cores(48, 3, 4); // chunks of 16 pairs, 4 blocks of 4 each
  assert.deepEqual(takeN(a!, 16), Array.from({ length: 16 }, (_, i) => i));
  takeN(b!, 4); // b: block 4 taken, 12 pairs untouched; c: 16
  assert.deepEqual(takeN(a!, 4), [44, 45, 46, 47], "c's top block: c had 4 untouched, b 3");
  assert.deepEqual(takeN(a!, 4), [28, 29, 30, 31], 'b and c had 3 each: the lower core lends');
  assert.deepEqual(takeN(a!, 4), [40, 41, 42, 43]);
  assert.deepEqual(takeN(a!, 4), [24, 25, 26, 27]);
  assert.deepEqual(a!.counts(), { borrowed: 4, lent: 0, returned: 0 });
  assert.deepEqual(c!.counts(), { borrowed: 0, lent: 2, returned: 0 });
  // c walks what it has left of its own chunk, then borrows b's last untouched block
  assert.deepEqual(takeN(c!, 13), [32, 33, 34, 35, 36, 37, 38, 39, 20, 21, 22, 23, -1]);
  assert.deepEqual(b!.counts(), { borrowed: 0, lent: 3, returned: 0 });
});

test('nat pool: a block all free again goes to the reserve when the core keeps a block of other free pairs, and another core takes it', () => {
  const [a, b] = cores(16, 2, 4); // chunks of 8: a blocks 0,1 (pairs 0-7), b blocks 2,3 (8-15)
  const got = takeN(a!, 16);
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 8, 9, 10, 11]);
  assert.equal(b!.take(), -1);
  for (const k of [0, 1, 2, 3]) a!.release(k); // block 0: count 4 - 4 < 4, kept
  assert.equal(a!.counts().returned, 0);
  for (const k of [12, 13, 14, 15]) a!.release(k); // block 3 all free, block 0's 4 pairs stay: given back
  assert.equal(a!.counts().returned, 1);
  assert.deepEqual(takeN(b!, 5), [12, 13, 14, 15, -1]);
  assert.deepEqual(b!.counts(), { borrowed: 1, lent: 2, returned: 0 });
  assert.deepEqual(takeN(a!, 5), [0, 1, 2, 3, -1]);
});

test('nat pool recovery: pairs are claimed with their blocks, another core\'s untouched block too; a block already held is refused, a pair listed twice taken once', () => {
  const [a, b] = cores(16, 2, 4);
  const ok = a!.claim([1, 13, 1, 3]);
  assert.deepEqual([...ok], [1, 1, 0, 1]);
  assert.deepEqual([...b!.claim([12, 9])], [0, 1], "block 3 is a's now, block 2 untouched");
  // a: block 0 (0,2 free), block 3 (12,14,15 free); its home block 1 untouched
  assert.deepEqual(takeN(a!, 4), [4, 5, 6, 7]);
  assert.deepEqual(takeN(a!, 5), [0, 2, 12, 14, 15]);
  assert.equal(a!.take(), -1);
  assert.equal(a!.claimOne(8), false, "b's block");
  assert.deepEqual(takeN(b!, 3), [8, 10, 11]);
});

test('nat pool dry: once no core has a block to spare, asking again takes no lock (a dropped new flow costs no lock)', () => {
  const [a, b] = cores(8, 2, 4);
  assert.deepEqual(takeN(a!, 8), [0, 1, 2, 3, 4, 5, 6, 7]);
  const w = new Int32Array((a!.blocks as unknown as { w: Int32Array }).w.buffer);
  Atomics.store(w, 0, 1); // the lock held by someone else: a take that asked for it would spin forever
  assert.deepEqual([a!.take(), b!.take()], [-1, -1]);
  Atomics.store(w, 0, 0);
  a!.release(5);
  assert.equal(a!.take(), 5);
});

test('nat pool claimOne: a never-handed pair of the current block or of an untouched block, never one that may be live', () => {
  const [a, b] = cores(16, 2, 4);
  assert.equal(a!.take(), 0);
  assert.equal(a!.claimOne(2), true);
  assert.equal(a!.claimOne(1), false, 'below the next: released or live');
  assert.equal(a!.claimOne(0), false);
  assert.equal(a!.claimOne(9), true, "b's untouched block 2");
  assert.deepEqual(takeN(b!, 4), [12, 13, 14, 15]);
  assert.deepEqual(takeN(a!, 2), [3, 4]);
});

test('nat pool block size: a huge pool gets larger blocks, at most MAX_BLOCKS of them', () => {
  assert.equal(blockSizeFor(1000, 2, 256), 256);
  const total = 2 ** 32;
  const b = blockSizeFor(total, 2, 256);
  assert.ok(Math.ceil(total / b) + 2 <= MAX_BLOCKS);
  assert.equal(poolSharedBytes(1000, 1, 256), 0, 'one core: nothing to share');
  assert.equal(poolSharedBytes(1000, 2, 0), 0, '--nat-block 0: nothing to share');
});

test('nat pool property: random take/release/claimOne on several cores never hands a pair out twice and accounts for every pair', () => {
  const op = fc.record({ kind: fc.constantFrom('take', 'take', 'take', 'release', 'release', 'claim'), core: fc.nat(3), pick: fc.nat(10_000) });
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 9 }), fc.array(op, { maxLength: 400 }), (n, total, block, ops) => {
      const pools = cores(total, n, block);
      const owner = new Map<number, number>(); // live pair -> core
      const live: number[][] = pools.map(() => []);
      for (const o of ops) {
        const c = o.core % n;
        const p = pools[c]!;
        if (o.kind === 'take') {
          const k = p.take();
          if (k < 0) {
            // nothing anywhere this core could have had: no untouched block, nothing in the reserve
            for (let d = 0; d < n; d++) assert.equal(pools[d]!.blocks.untouchedPairs(d), 0);
            assert.equal(p.blocks.reservePairs(), 0);
            continue;
          }
          assert.ok(k >= 0 && k < total, `pair ${k} in the pool`);
          assert.ok(!owner.has(k), `pair ${k} handed out twice (core ${owner.get(k)} then ${c})`);
          assert.ok(p.owns(k));
          owner.set(k, c);
          live[c]!.push(k);
        } else if (o.kind === 'release') {
          if (live[c]!.length === 0) continue;
          const [k] = live[c]!.splice(o.pick % live[c]!.length, 1);
          assert.equal(p.release(k!), true);
          owner.delete(k!);
        } else {
          const k = o.pick % total;
          if (p.claimOne(k)) {
            assert.ok(!owner.has(k), `claimOne took live pair ${k}`);
            owner.set(k, c);
            live[c]!.push(k);
          }
        }
        // every pair is live on one core, free with one core, untouched in a chunk, or in the reserve
        let sum = pools[0]!.blocks.reservePairs();
        for (let d = 0; d < n; d++) sum += live[d]!.length + pools[d]!.left;
        assert.equal(sum, total);
        for (const [k, d] of owner) assert.ok(pools[d]!.owns(k), `live pair ${k} in a block core ${d} holds`);
      }
    }),
    { numRuns: 300 },
  );
});

test('nat pool property: recovery on every core of a fresh table, then traffic: a claimed pair is never handed out again', () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 3 }), fc.integer({ min: 8, max: 60 }), fc.integer({ min: 1, max: 8 }), fc.array(fc.array(fc.nat(59), { maxLength: 20 }), { minLength: 3, maxLength: 3 }), fc.array(fc.nat(2), { maxLength: 200 }), (n, total, block, claims, takes) => {
      const pools = cores(total, n, block);
      const owner = new Map<number, number>();
      for (let c = 0; c < n; c++) {
        const want = claims[c]!.map((k) => k % total);
        const ok = pools[c]!.claim(want);
        want.forEach((k, i) => {
          if (ok[i] !== 1) return;
          assert.ok(!owner.has(k), `pair ${k} recovered by two cores`);
          owner.set(k, c);
        });
      }
      for (const t of takes) {
        const c = t % n;
        const k = pools[c]!.take();
        if (k < 0) continue;
        assert.ok(!owner.has(k), `pair ${k} recovered then handed out again`);
        owner.set(k, c);
      }
      let sum = pools[0]!.blocks.reservePairs();
      for (let d = 0; d < n; d++) sum += pools[d]!.left;
      assert.equal(sum + owner.size, total);
    }),
    { numRuns: 300 },
  );
});

test('nat on 2 cores sharing one block table: core 0 borrows, its idle mappings expire and a freed block goes to the reserve, core 1 takes it', () => {
  const base = {
    cores: 2, natIps: { first: parseIPv4('198.19.0.1'), count: 1 }, natPorts: { lo: 2000, hi: 2015 }, natBlock: 4, lbBackends: [],
    natInside: { first: parseIPv4('10.0.0.0'), count: 256 }, natTimeoutS: 1, natOther: 'drop' as const,
  };
  const shared = new SharedArrayBuffer(nf.sharedBytes!(base));
  let t = 0;
  const mk = (core: number) => {
    const nat = new Nat({ ...base, core, shared }, null);
    (nat as unknown as { clock: () => number }).clock = () => t;
    return nat;
  };
  const [n0, n1] = [mk(0), mk(1)];
  const flow = (k: number) => ({ src: '10.0.0.2', dst: '203.0.113.9', sport: 100 + k, dport: 80 });
  const ports = (b: ReturnType<typeof burstOf>, n: number) => Array.from({ length: n }, (_, i) => (b.len[i]! > 0 ? read(b, i).sport : -1));
  // core 0: 12 flows on 8 pairs of its own: it borrows core 1's top block (2012-2015)
  const b0 = burstOf(Array.from({ length: 12 }, (_, k) => flow(k)));
  assert.equal(n0.process(b0), 12);
  assert.deepEqual(ports(b0, 12), [2000, 2001, 2002, 2003, 2004, 2005, 2006, 2007, 2012, 2013, 2014, 2015]);
  // core 1: 4 flows on its bottom block; a fifth finds nothing to spare anywhere
  const b1 = burstOf(Array.from({ length: 5 }, (_, k) => flow(50 + k)));
  assert.equal(n1.process(b1), 4);
  assert.deepEqual(ports(b1, 5), [2008, 2009, 2010, 2011, -1]);
  assert.equal(n1.stats().pool_drops, 1);
  assert.match(n1.messages()[0]!, /NAT pool exhausted on this core: 1 packet\(s\) .*chunk holds 8 pairs and it borrowed 0 block\(s\) of 4; no core had one to spare/);
  t = 1500;
  n1.process(burstOf([0, 1, 2, 3].map((k) => flow(50 + k)))); // core 1's flows stay busy
  // t = 2000: core 0's sweep expires 8 idle mappings; its home block 1 all free with 4 other free pairs: to the reserve
  t = 2000;
  const c0 = burstOf([flow(99)]);
  assert.equal(n0.process(c0), 1);
  assert.deepEqual(ports(c0, 1), [2000], 'released pairs oldest first');
  assert.deepEqual([n0.stats().pool_blocks_borrowed, n0.stats().pool_blocks_returned, n0.stats().mappings_expired], [1, 1, 8]);
  const c1 = burstOf([flow(60), flow(61)]);
  assert.equal(n1.process(c1), 2);
  assert.deepEqual(ports(c1, 2), [2004, 2005], 'core 1 takes the block core 0 gave back');
  assert.deepEqual([n1.stats().pool_blocks_borrowed, n1.stats().pool_drops], [1, 1]);
});
