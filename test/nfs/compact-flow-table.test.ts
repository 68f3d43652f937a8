import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactFlowTable, COMPACT_MAX_VALUE } from '../../nfs/compact-flow-table.js';
import { Xoshiro128 } from '../../runtime/packet/prng.js';

test('compact flow table: finds what was put with its value, misses what was not, survives growth, 16 B per entry at most 80 % full', () => {
  const t = new CompactFlowTable(8);
  const rng = new Xoshiro128(12);
  const keys: number[][] = [];
  for (let i = 0; i < 20000; i++) {
    const k = [rng.nextU32() | 0, rng.nextU32() | 0, rng.nextU32() | 0, i % 2 ? 17 : 6];
    keys.push(k);
    t.insert(k[0]!, k[1]!, k[2]!, k[3]!, (i * 7919) % (COMPACT_MAX_VALUE + 1));
  }
  assert.equal(t.size, 20000);
  keys.forEach((k, i) => assert.equal(t.value(t.find(k[0]!, k[1]!, k[2]!, k[3]!)), (i * 7919) % (COMPACT_MAX_VALUE + 1)));
  assert.equal(t.find(1, 2, 3, 4), -1);
  assert.equal(t.find(keys[5]![0]!, keys[5]![1]!, keys[5]![2]!, 6 + 17 - keys[5]![3]!), -1, 'protocol is part of the key');
  // an all-zero key and protocol 255 with the largest value are entries like any other
  t.insert(0, 0, 0, 255, COMPACT_MAX_VALUE);
  t.insert(0, 0, 0, 0, 0);
  assert.equal(t.value(t.find(0, 0, 0, 255)), COMPACT_MAX_VALUE);
  assert.equal(t.value(t.find(0, 0, 0, 0)), 0);
  // grown by 1.5x in whole cache lines from 64 entries, filled up to 80 %: 20,002 flows in 30,272
  // entries of 16 B (66 %, 24.2 B per flow; a power-of-two table would hold 32,768)
  assert.equal(t.bytes, 30272 * 16);
  assert.ok(t.size / (t.bytes / 16) <= 0.8);
});

test('compact flow table: remove keeps every other key findable (backward shift), over random inserts and removes', () => {
  const t = new CompactFlowTable(64);
  const rng = new Xoshiro128(5);
  const model = new Map<string, number>();
  const keys: number[][] = [];
  for (let step = 0; step < 40000; step++) {
    if (keys.length > 0 && rng.nextU32() % 3 === 0) {
      const j = rng.nextU32() % keys.length;
      const k = keys[j]!;
      const e = t.find(k[0]!, k[1]!, k[2]!, k[3]!);
      assert.ok(e >= 0);
      t.remove(e);
      model.delete(k.join());
      keys[j] = keys[keys.length - 1]!;
      keys.pop();
    } else {
      // few distinct low bits: long probe runs, where a wrong shift loses keys
      const k = [rng.nextU32() & 0x3ff, rng.nextU32() | 0, step, 17];
      t.insert(k[0]!, k[1]!, k[2]!, k[3]!, step % (COMPACT_MAX_VALUE + 1));
      model.set(k.join(), step);
      keys.push(k);
    }
  }
  assert.equal(t.size, model.size);
  for (const k of keys) assert.equal(t.value(t.find(k[0]!, k[1]!, k[2]!, k[3]!)), model.get(k.join()));
  let present = 0;
  for (let e = 0; e < t.data.length; e += 4) if (t.data[e + 3] !== 0) present++;
  assert.equal(present, model.size, 'no stale entries left behind');
});

test('compact flow table: a million flows learned one by one (as LB learns them) take at most 32 B each, all findable', () => {
  const t = new CompactFlowTable(1 << 15);
  const n = 1_000_000;
  for (let i = 0; i < n; i++) t.insert(Math.imul(i, -1640531535), ~i, i ^ 0x5bd1e995, 17, i & 0xffff);
  assert.equal(t.size, n);
  assert.ok(t.bytes / n <= 32, `${(t.bytes / n).toFixed(1)} B per flow`);
  for (let i = 0; i < n; i += 7) assert.equal(t.value(t.find(Math.imul(i, -1640531535), ~i, i ^ 0x5bd1e995, 17)), i & 0xffff);
});
