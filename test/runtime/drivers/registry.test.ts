import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStoreUrl, resolveDriver } from '../../../runtime/drivers/registry.js';
import { parseRedisUrl } from '../../../runtime/drivers/redis/index.js';
import { structKey } from '../../../runtime/drivers/driver.js';

test('store URLs resolve to a driver by label; unknown labels and non-URLs are usage errors naming the URL', async () => {
  assert.deepEqual(parseStoreUrl('redis+cluster://a:1,b:2'), { label: 'redis+cluster', folder: 'redis', rest: '//a:1,b:2' });
  assert.equal(parseStoreUrl('hashmap:').label, 'hashmap');
  assert.equal((await resolveDriver('hashmap:')).label, 'hashmap');
  assert.equal((await resolveDriver('hashmap:named')).inProcess, true);
  assert.equal((await resolveDriver('redis://127.0.0.1:1')).label, 'redis');
  assert.equal((await resolveDriver('redis+cluster://127.0.0.1:1,127.0.0.1:2')).label, 'redis+cluster');
  await assert.rejects(resolveDriver('mongodb://h:1'), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /unknown driver label "mongodb"/.test(e.message) && e.message.includes('mongodb://h:1'));
  await assert.rejects(resolveDriver('redis+nosuch://h:1'), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /no driver for label/.test(e.message));
  assert.throws(() => parseStoreUrl('127.0.0.1:6379x'), /not a store URL/);
  assert.throws(() => parseStoreUrl(''), /not a store URL/);
});

test('Redis URLs: host:port lists, defaults, and clear errors', () => {
  assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6380'), { cluster: false, nodes: [{ host: '127.0.0.1', port: 6380 }] });
  assert.deepEqual(parseRedisUrl('redis://localhost'), { cluster: false, nodes: [{ host: 'localhost', port: 6379 }] });
  assert.deepEqual(parseRedisUrl('redis+cluster://a:1,b:2/').nodes, [{ host: 'a', port: 1 }, { host: 'b', port: 2 }]);
  assert.deepEqual(parseRedisUrl('redis://[::1]:7000').nodes, [{ host: '::1', port: 7000 }]);
  for (const bad of ['redis://', 'redis://h:0', 'redis://h:70000', 'redis://h:x', 'redis://a:1,b:2', 'redis://h:1/0?x']) {
    assert.throws(() => parseRedisUrl(bad), (e: Error & { exitCode?: number }) => e.exitCode === 2 && e.message.includes(bad), bad);
  }
});

test('the store key is the paper\'s nf@instance@core@Type@id', () => {
  assert.equal(structKey({ nf: 'nf1', instance: 'ins1', core: 1 }, 'Counter', 'abc'), 'nf1@ins1@1@Counter@abc');
  assert.equal(structKey({ nf: 'lb', instance: 'i2', core: 15 }, 'CounterMap', 'server@load'), 'lb@i2@15@CounterMap@server@load');
});

test('Redis URLs carry a password (and an ACL user), percent-encoded; errors never show it', () => {
  assert.deepEqual(parseRedisUrl('redis://:s3cret@127.0.0.1:6380'), { cluster: false, nodes: [{ host: '127.0.0.1', port: 6380 }], auth: { password: 's3cret' } });
  assert.deepEqual(parseRedisUrl('redis://app:p%40ss%3Aw@h:1').auth, { username: 'app', password: 'p@ss:w' });
  assert.deepEqual(parseRedisUrl('redis+cluster://:pw@a:1,b:2').nodes, [{ host: 'a', port: 1 }, { host: 'b', port: 2 }]);
  assert.deepEqual(parseRedisUrl('redis://[::1]').nodes, [{ host: '::1', port: 6379 }]);
  // before: the password became part of the host name (":s3cret@127.0.0.1") and every message showed it
  for (const [bad, why] of [
    ['redis://s3cret@h:1', /needs a ":" before the password/],
    ['redis://:s3cret@h:0', /bad address "h:0"/],
    ['redis://:s3cret@h:1,h:2', /several addresses need redis\+cluster/],
    ['redis://:s3cret@x@h:1', /more than one "@"/],
    ['redis://:s3cret%zz@h:1', /not percent-encoding/],
  ] as const) {
    assert.throws(() => parseRedisUrl(bad), (e: Error & { exitCode?: number }) => e.exitCode === 2 && why.test(e.message) && !e.message.includes('s3cret'), bad);
  }
  assert.throws(() => parseStoreUrl('not a url with :s3cret@'), (e: Error) => /not a store URL/.test(e.message));
});
