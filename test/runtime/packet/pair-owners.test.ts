// The front-end's record of which flow left with each translated (address, port): exact counts of
// pairs used and of pairs seen on a second flow, through growth of the table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PairOwners } from '../../../runtime/packet/pair-owners.js';

test('pair owners: a pair seen again on its own flow is fine, on another flow it is counted once per packet, the first case named', () => {
  const p = new PairOwners(2);
  assert.equal(p.note(0xc6130000, 1024, 0), true);
  assert.equal(p.note(0xc6130000, 1024, 0), true);
  assert.equal(p.note(0xc6130000, 1025, 1), true);
  assert.equal(p.note(0xc6130001, 1024, 2), true, 'same port, another address: another pair');
  assert.equal(p.note(0xc6130000, 1025, 3), false);
  assert.equal(p.note(0xc6130000, 1025, 3), false);
  assert.deepEqual([p.used, p.shared], [3, 2]);
  assert.deepEqual(p.first, { ip: 0xc6130000, port: 1025, flow: 3, other: 1 });
});

test('pair owners: 10,000 distinct pairs from a table sized for 2 grow it and stay distinct; every one found again on its flow', () => {
  const p = new PairOwners(2);
  for (let i = 0; i < 10_000; i++) assert.equal(p.note(0xc6130000 + (i >> 10), 1024 + (i & 1023), i), true);
  for (let i = 0; i < 10_000; i++) assert.equal(p.note(0xc6130000 + (i >> 10), 1024 + (i & 1023), i), true);
  assert.deepEqual([p.used, p.shared, p.first], [10_000, 0, null]);
  assert.equal(p.note(0xc6130000, 1024 + 5, 7), false);
  assert.deepEqual(p.first, { ip: 0xc6130000, port: 1029, flow: 7, other: 5 });
});
