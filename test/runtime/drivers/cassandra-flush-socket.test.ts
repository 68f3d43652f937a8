// The Cassandra flush's own connection (flush-socket.ts) against a real Cassandra node: flushes go
// out on it (counter unit, countermap batch, regular writes, then the meta row), the store holds
// exactly what the driver's path would write, and a connection cut mid-flush fails the flush as
// the driver's path fails it (environment error, the plan left to resend), after which the resend
// finishes it with counters exact and the meta row only then at the flush's seq.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import cassandra from 'cassandra-driver';
import { server, type RunningCassandra } from '../../../runtime/stores/cassandra.js';
import { driver } from '../../../runtime/drivers/cassandra/index.js';
import { keyspaceName } from '../../../runtime/drivers/cassandra/names.js';
import type { CqlFlushSocket } from '../../../runtime/drivers/cassandra/flush-socket.js';
import type { Change, Partition, StoreConnection } from '../../../runtime/drivers/driver.js';
import { FlexbenchError, EXIT } from '../../../common/errors.js';

/** the connection's own flush socket (private: the test cuts it as a network fault would) */
const ownOf = (c: StoreConnection) => (c as unknown as { own: CqlFlushSocket | null }).own;
const sockOf = (o: CqlFlushSocket) => (o as unknown as { sock: { destroy(): void } | null }).sock;

describe('cassandra flush on its own connection, on a real Cassandra', () => {
  let node: RunningCassandra;
  let conn: StoreConnection;
  let viaDriver: StoreConnection;
  let cql: cassandra.Client;

  before(async () => {
    node = await server.start();
    conn = await driver.connect(`${node.url}?consistency=ONE&batch=64`, {});
    process.env.FLEXBENCH_CASSANDRA_FLUSH_SOCKET = '0';
    try {
      viaDriver = await driver.connect(`${node.url}?consistency=ONE&batch=64`, {});
    } finally {
      delete process.env.FLEXBENCH_CASSANDRA_FLUSH_SOCKET;
    }
    cql = new cassandra.Client({ contactPoints: [`127.0.0.1:${node.port}`], localDataCenter: 'datacenter1' });
    await cql.connect();
  });
  after(async () => {
    await conn?.close().catch(() => {});
    await viaDriver?.close().catch(() => {});
    await cql?.shutdown().catch(() => {});
    await node?.stop();
  });

  /** what the store holds of partition p, read with a client of its own */
  async function stored(p: Partition): Promise<{ pkts: number; pktsSeq: number; flows: Map<string, number>; last: string | null; meta: number; metaTs: number }> {
    const ks = keyspaceName(p);
    const c = (await cql.execute(`SELECT value, seq FROM ${ks}.counter_t WHERE key1 = 'pkts'`)).first();
    const flows = new Map<string, number>();
    for (const r of (await cql.execute(`SELECT key2, value FROM ${ks}.countermap_t WHERE key1 = 'flows'`)).rows) flows.set(r.get('key2') as string, Number(r.get('value')));
    const v = (await cql.execute(`SELECT value FROM ${ks}.value_t WHERE key1 = 'last'`)).first();
    const m = (await cql.execute(`SELECT seq, WRITETIME(seq) AS ts FROM ${ks}.meta_t WHERE k = 'flush'`)).first();
    return { pkts: Number(c?.get('value') ?? 0), pktsSeq: Number(c?.get('seq') ?? 0), flows, last: (v?.get('value') as string | null) ?? null, meta: Number(m?.get('seq') ?? 0), metaTs: Number(m?.get('ts') ?? 0) };
  }

  const batchOf = (seq: number): { seq: number; changes: Change[] } => {
    const keys = Array.from({ length: 100 }, (_, i) => `f${(seq * 7 + i) % 150}`);
    return { seq, changes: [
      { type: 'Counter', id: 'pkts', op: 'add', value: seq * 3 },
      { type: 'CounterMap', id: 'flows', op: 'add', keys, values: keys.map((_, i) => (i % 4) + 1) },
      { type: 'Value', id: 'last', op: 'set', value: `s${seq}` },
    ] };
  };

  it('flushes through it: exact counters, countermap, value and meta row, the same as the driver path writes', async () => {
    const p: Partition = { nf: 'own', instance: 'a', core: 0 };
    const q: Partition = { nf: 'own', instance: 'b', core: 0 };
    const t0 = Date.now() * 1000;
    for (let seq = 1; seq <= 30; seq++) {
      assert.equal(await conn.flush(p, batchOf(seq)), 'applied');
      const cost = conn.lastFlushCost!();
      // counter unit, 2 countermap chunks (batch=64), the value, then the meta row: 5 frames, 5 replies
      // (the first flush also starts the connection and prepares the statements on it)
      if (seq === 1) assert.ok((cost.writes ?? 0) > 5, `first flush: ${cost.writes} writes`);
      else assert.equal(cost.writes, 5, 'the flush went out on the own connection, one write a request');
      assert.ok((cost.reads ?? 0) >= 2, 'the units\' replies, then the meta row\'s');
      assert.equal(await viaDriver.flush(q, batchOf(seq)), 'applied');
      assert.equal(viaDriver.lastFlushCost!().writes, undefined, 'the driver path has no socket of its own');
    }
    assert.equal(await conn.flush(p, batchOf(30)), 'duplicate');
    const own = await stored(p);
    const ref = await stored(q);
    assert.equal(own.pkts, (3 * 30 * 31) / 2);
    assert.equal(own.pktsSeq, 30, 'the counter marker raised once per flush');
    assert.equal(own.meta, 30);
    assert.ok(own.metaTs >= t0 && own.metaTs < Date.now() * 1000 + 5_000_000, `meta row written with the flush's timestamp (${own.metaTs - t0} us after the start)`);
    assert.equal(own.last, 's30');
    assert.deepEqual({ ...own, metaTs: 0 }, { ...ref, metaTs: 0 }, 'the same cells as the driver path');
    assert.deepEqual(await conn.loadPartition(p), await viaDriver.loadPartition(q));
  });

  it('a connection cut mid-flush fails it as the driver path would; the resend finishes it, exactly once, the meta row last', async () => {
    const p: Partition = { nf: 'own', instance: 'cut', core: 0 };
    const own = ownOf(conn)!;
    assert.ok(own, 'a single-node URL without credentials flushes on its own connection');
    let expectPkts = 0;
    const expectFlows = new Map<string, number>();
    let cutBeforeMeta = 0;
    let failures = 0;
    for (let seq = 1; seq <= 40; seq++) {
      const b = batchOf(seq);
      expectPkts += seq * 3;
      const c = b.changes[1] as { keys: string[]; values: number[] };
      c.keys.forEach((k, i) => expectFlows.set(k, (expectFlows.get(k) ?? 0) + c.values[i]!));
      if (seq % 4 === 0) {
        // cut the socket once the flush's first frame is written (its reply may or may not be in)
        const w0 = own.io.writes;
        const inflight = conn.flush(p, b).then(() => null, (e: unknown) => e);
        while (own.io.writes === w0) await new Promise((r) => setImmediate(r));
        const sent = own.io.writes - w0;
        sockOf(own)?.destroy();
        const err = await inflight;
        if (err !== null) {
          failures++;
          assert.ok(err instanceof FlexbenchError, String(err));
          assert.equal(err.exitCode, EXIT.environment);
          assert.match(err.message, new RegExp(`flush ${seq} of fb_\\S+: `));
          if (sent < 5) {
            // units still out: the meta row was not sent, the store's last whole flush is the one before
            cutBeforeMeta++;
            assert.match(err.message, /parts not applied yet \(resend to finish\)/);
            assert.equal((await stored(p)).meta, seq - 1);
          }
        }
      }
      // the collector's resend: the same batch until it is applied (or found applied)
      for (let tries = 0; ; tries++) {
        try {
          const r = await conn.flush(p, b);
          assert.ok(r === 'applied' || r === 'duplicate', r);
          break;
        } catch (err) {
          assert.ok(tries < 20, String(err));
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
    assert.ok(failures > 0 && cutBeforeMeta > 0, `cuts made flushes fail (${failures}, ${cutBeforeMeta} before the meta row)`);
    const s = await stored(p);
    assert.equal(s.pkts, expectPkts, 'no counter increment lost or applied twice');
    assert.deepEqual(new Map([...s.flows].filter(([, v]) => v !== 0)), expectFlows);
    assert.equal(s.meta, 40);
    assert.equal(s.last, 's40');
    assert.equal(await conn.lastSeq(p), 40);
  });

  it('an ERROR frame fails the flush as the driver path fails it (a keyspace dropped under it)', async () => {
    const p: Partition = { nf: 'own', instance: 'err', core: 0 };
    assert.equal(await conn.flush(p, batchOf(1)), 'applied');
    assert.equal(await viaDriver.flush({ ...p, instance: 'err2' }, batchOf(1)), 'applied');
    const errs: string[] = [];
    for (const [c, q] of [[conn, p], [viaDriver, { ...p, instance: 'err2' }]] as const) {
      // the table goes away between the plan's reads (none needed: markers known) and its writes
      await cql.execute(`DROP TABLE ${keyspaceName(q)}.counter_t`);
      const err = await c.flush(q, batchOf(2)).then(() => null, (e: unknown) => e);
      assert.ok(err instanceof FlexbenchError, String(err));
      assert.equal(err.exitCode, EXIT.environment);
      errs.push(err.message.replace(/fb_\w+/g, 'KS'));
    }
    // the same words but for the server's own text of the refusal
    assert.match(errs[0]!, /^store cassandra:\/\/\S+: flush 2 of KS: 1 of 4 parts not applied yet \(resend to finish\): /);
    assert.equal(errs[0]!.split(': ').slice(0, 3).join(': '), errs[1]!.split(': ').slice(0, 3).join(': '));
  });
});
