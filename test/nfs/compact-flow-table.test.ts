import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactFlowTable, COMPACT_MAX_VALUE } from '../../nfs/compact-flow-table.js';
import { Xoshiro128 } from '../../runtime/packet/prng.js';

test('compact flow table: finds what was put with its value, misses what was not, survives growth, 16 B per entry', () => {
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
  // filled up to 80 %: 20,002 flows in 32,768 entries of 16 B
  assert.equal(t.bytes, 32768 * 16);
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
