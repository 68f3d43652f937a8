// H1's FlexState contract suite, unchanged, against the Cassandra driver on a real Cassandra node
// (sync, async with both flushers, recovery, Section VI-B), then what Section VI-B leaves in
// Cassandra's own tables. Its own file: one node for the whole file (start-up is slow).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import cassandra from 'cassandra-driver';
import { contractSuite } from '../contract.js';
import { server } from '../../../runtime/stores/cassandra.js';
import { openState } from '../../../runtime/state/api.js';
import { keyspaceName, sharedKeyspaceName } from '../../../runtime/drivers/cassandra/names.js';

let started: ReturnType<typeof server.start> | null = null;
const node = () => (started ??= server.start());
after(async () => { if (started) await (await started).stop(); });

contractSuite('cassandra', async () => ({ url: (await node()).url, cleanup: async () => {} }));

describe('cassandra: Section VI-B in its own tables', () => {
  test('a timer entry is a timer_t row with a TTL and its deadline; a lock a lock_t row taken by a lightweight transaction; partitions listed in partition_t', async () => {
    const n = await node();
    const client = new cassandra.Client({ contactPoints: [`127.0.0.1:${n.port}`], localDataCenter: 'datacenter1' });
    await client.connect();
    const x = await openState({ nf: 'cnf', instance: 'i1', store: n.url, mode: 'sync' }, 3);
    try {
      const t0 = Date.now();
      await x.timer('t').arm('f1', 5000);
      const ks = keyspaceName({ nf: 'cnf', instance: 'i1', core: 3 });
      const r = (await client.execute(`SELECT deadline, TTL(deadline) AS ttl FROM ${ks}.timer_t WHERE key1 = 't' AND key2 = 'f1'`)).first();
      const due = Number(r.get('deadline'));
      assert.ok(due >= t0 + 5000 && due <= Date.now() + 5000, `deadline ${due - t0}`);
      const ttl = Number(r.get('ttl'));
      // written as the 5 s left and a second more (6); read back, it has counted down the whole seconds that
      // passed since (Cassandra's clock ticks in seconds): one on a quiet host, more on a busy one, as measured
      const passed = Math.ceil((Date.now() - t0) / 1000);
      assert.ok(ttl >= 6 - passed && ttl <= 6, `TTL ${ttl} s: at least the 5 s left, at most a second more (${passed} whole second(s) between the arm and the read)`);

      const l = x.lock('fsm');
      const t1 = Date.now();
      assert.equal(await l.acquire(3000), true);
      const shared = sharedKeyspaceName('cnf');
      const lr = (await client.execute(`SELECT owner, TTL(owner) AS ttl FROM ${shared}.lock_t WHERE name = 'fsm'`, [], { consistency: cassandra.types.consistencies.serial })).first();
      assert.equal(lr.get('owner'), l.owner);
      const lockPassed = Math.ceil((Date.now() - t1) / 1000);
      assert.ok(Number(lr.get('ttl')) >= 4 - lockPassed && Number(lr.get('ttl')) <= 4, `lock TTL ${lr.get('ttl')} (${lockPassed} whole second(s) between the acquire and the read)`);
      // the same statement another owner would send: not applied, and it names the holder
      const other = (await client.execute(`INSERT INTO ${shared}.lock_t (name, owner) VALUES ('fsm', 'intruder') IF NOT EXISTS USING TTL 9`, [])).first();
      assert.equal(other.get('[applied]'), false);
      assert.equal(other.get('owner'), l.owner);
      assert.equal(await l.release(), true);

      const parts = (await client.execute(`SELECT instance, core FROM ${shared}.partition_t WHERE p = 'p'`)).rows.map((row) => `${row.get('instance')}@${row.get('core')}`);
      assert.ok(parts.includes('i1@3'), parts.join(','));
    } finally {
      await x.close();
      await client.shutdown();
    }
  });
});
