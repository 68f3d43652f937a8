// grown: the same buffer while it fits, else one doubled until it does, holding the bytes used so far.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grown } from '../../common/grow-buffer.js';

test('grown: the same buffer while the need fits; else doubled until it does, the used bytes copied', () => {
  const a = Buffer.from([1, 2, 3, 4]);
  assert.equal(grown(a, 4, 4), a);
  const b = grown(a, 3, 5);
  assert.equal(b.length, 8);
  assert.deepEqual([...b.subarray(0, 3)], [1, 2, 3]);
  assert.equal(grown(a, 2, 17).length, 32);
  assert.equal(grown(Buffer.alloc(0), 0, 3).length, 4);
});
