// The keyspace mapping (nf, instance, core) -> CQL name must be injective and always a valid name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKeyspaceName, escapeName, keyspaceName, MAX_CQL_NAME } from '../../../runtime/drivers/cassandra/names.js';
import cassandra from 'cassandra-driver';
import { CONSISTENCY_LEVELS, parseCassandraUrl } from '../../../runtime/drivers/cassandra/url.js';
import { consistencyCode } from '../../../runtime/drivers/cassandra/index.js';
import { FlexbenchError } from '../../../harness/exit-codes.js';

const tricky: [string, string, number][] = [
  ['nf1', 'ins1', 1], ['nf1', 'ins1', 11], ['nf11', 'ins1', 1], ['nf1', 'ins11', 1],
  ['NF1', 'ins1', 1], ['nf1', 'INS1', 1], ['Nf1', 'ins1', 1],
  ['a_b', 'c', 0], ['a', 'b_c', 0], ['a_zb', 'c', 0], ['a', 'zb_c', 0], ['a_z', 'b', 0], ['a', '_zb', 0],
  ['a@b', 'c', 0], ['a', 'b@c', 0], ['a_40b', 'c', 0], ['a_5f', 'c', 0], ['a_', '5f', 0],
  ['', '', 0], ['', 'x', 0], ['x', '', 0], ['nat', 'ins-1', 0], ['nat', 'ins.1', 0], ['nat', 'ins 1', 0],
  ['é', 'x', 0], ['_c3_a9', 'x', 0], ['ü', 'x', 0], ['日本', 'x', 0], ['😀', 'x', 0],
  ['lb', 'i', -1], ['lb', 'i', 1.5],
  ['a'.repeat(40), 'x', 0], ['a'.repeat(40), 'y', 0], ['a'.repeat(41), 'x', 0], ['a'.repeat(27), 'b'.repeat(30), 0],
  ['@'.repeat(20), '@', 0], ['@'.repeat(20), '@', 1], ['long-nf-name-with-dashes', 'instance-number-0001', 3],
  ['long-nf-name-with-dashes', 'instance-number-0001', 4],
];

describe('cassandra keyspace names', () => {
  it('are valid unquoted CQL names of at most 48 characters', () => {
    for (const [nf, instance, core] of tricky) {
      const ks = keyspaceName({ nf, instance, core });
      assert.match(ks, /^[a-z][a-z0-9_]*$/, ks);
      assert.ok(ks.length <= MAX_CQL_NAME, `${ks} is ${ks.length} long`);
    }
  });

  it('are injective over tricky ids (case, separators, escapes, unicode, long names)', () => {
    const seen = new Map<string, string>();
    for (const t of tricky) {
      const ks = keyspaceName({ nf: t[0], instance: t[1], core: t[2] });
      const prev = seen.get(ks);
      assert.equal(prev, undefined, `${JSON.stringify(t)} and ${prev} both map to ${ks}`);
      seen.set(ks, JSON.stringify(t));
    }
    assert.equal(seen.size, tricky.length);
  });

  it('short names decode back to their partition', () => {
    for (const [nf, instance, core] of tricky) {
      const ks = keyspaceName({ nf, instance, core });
      if (ks.length < MAX_CQL_NAME) assert.deepEqual(decodeKeyspaceName(ks), { nf, instance, core: String(core) }, ks);
    }
    assert.equal(keyspaceName({ nf: 'nf1', instance: 'ins1', core: 1 }), 'fb_nf1_zins1_z1');
    assert.equal(escapeName('a_B@'), 'a_5f_42_40');
  });

  it('long names end in a hash and differ only where the partition differs', () => {
    const a = keyspaceName({ nf: 'x'.repeat(60), instance: 'i', core: 0 });
    const b = keyspaceName({ nf: 'x'.repeat(60), instance: 'i', core: 1 });
    assert.equal(a.length, MAX_CQL_NAME);
    assert.match(a, /_h[0-9a-f]{16}$/);
    assert.notEqual(a, b);
    assert.equal(decodeKeyspaceName(a), null);
  });
});

describe('cassandra store URL', () => {
  it('parses hosts, default port and options', () => {
    const u = parseCassandraUrl('cassandra://127.0.0.1:9142,h2?consistency=quorum&concurrency=8');
    assert.deepEqual(u.contactPoints, ['127.0.0.1:9142', 'h2:9042']);
    assert.equal(u.consistency, 'QUORUM');
    assert.equal(u.concurrency, 8);
    assert.equal(parseCassandraUrl('cassandra://h').consistency, 'LOCAL_ONE');
    assert.equal(parseCassandraUrl('cassandra://h').batch, 4096);
    assert.equal(parseCassandraUrl('cassandra://h?batch=10').batch, 10);
    // the config file's driver options: same names, the URL's query wins
    const o = parseCassandraUrl('cassandra://h?batch=10', { batch: 99, consistency: 'quorum', timeout_ms: 500 });
    assert.deepEqual([o.batch, o.consistency, o.timeoutMs], [10, 'QUORUM', 500]);
    assert.throws(() => parseCassandraUrl('cassandra://h', { color: 'red' }), /unknown option "color" \(in the driver options\)/);
  });

  it('every consistency name reaches the driver as its own code', () => {
    const c = cassandra.types.consistencies;
    assert.equal(consistencyCode('LOCAL_ONE'), c.localOne);
    assert.equal(consistencyCode('LOCAL_QUORUM'), c.localQuorum);
    assert.equal(consistencyCode('EACH_QUORUM'), c.eachQuorum);
    assert.equal(consistencyCode('QUORUM'), c.quorum);
    assert.equal(consistencyCode('ALL'), c.all);
    assert.equal(new Set(CONSISTENCY_LEVELS.map(consistencyCode)).size, CONSISTENCY_LEVELS.length);
  });

  it('rejects bad input with a message naming what is wrong', () => {
    const bad: [string, RegExp][] = [
      ['redis://h:1', /not of the form cassandra:\/\//],
      ['cassandra://h:99999', /port 99999 is out of range/],
      ['cassandra://h?consistency=SOME', /consistency=SOME is not one of/],
      ['cassandra://h?concurrency=0', /concurrency=0 is not a positive integer/],
      ['cassandra://h?batch=1.5', /batch=1.5 is not a positive integer/],
      ['cassandra://h?color=red', /unknown option "color"/],
    ];
    for (const [url, re] of bad) {
      assert.throws(() => parseCassandraUrl(url), (err: unknown) => err instanceof FlexbenchError && re.test(err.message), url);
    }
  });
});
