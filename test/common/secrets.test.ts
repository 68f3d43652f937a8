import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactSecrets, redactDeep } from '../../common/secrets.js';

test('passwords in URLs are masked, user names and hosts stay', () => {
  assert.equal(redactSecrets('store redis://:s3cret@10.0.0.1:6379: down'), 'store redis://:***@10.0.0.1:6379: down');
  assert.equal(redactSecrets('redis://default:p%40ss@h:1 and cassandra://cass:pw@h:9042'), 'redis://default:***@h:1 and cassandra://cass:***@h:9042');
  assert.equal(redactSecrets('redis+cluster://:x@a:1,b:2'), 'redis+cluster://:***@a:1,b:2');
  assert.equal(redactSecrets('redis://127.0.0.1:6379 ssh://root@node1'), 'redis://127.0.0.1:6379 ssh://root@node1');
  assert.equal(redactSecrets('give it as redis://:<password>@h:1'), 'give it as redis://:<password>@h:1');
});

test("redis-server's password options are masked on command lines and in config text", () => {
  assert.equal(redactSecrets('redis-server --port 1 --requirepass hunter2 --save ""'), 'redis-server --port 1 --requirepass *** --save ""');
  assert.equal(redactSecrets('requirepass "a b"\nmasterauth x'), 'requirepass ***\nmasterauth ***');
});

test('redactDeep masks every string of a JSON value and keeps its shape', () => {
  const v = { a: ['redis://:pw@h:1', 3, null, { b: 'masterauth zz' }], c: true };
  assert.deepEqual(redactDeep(v), { a: ['redis://:***@h:1', 3, null, { b: 'masterauth ***' }], c: true });
});
