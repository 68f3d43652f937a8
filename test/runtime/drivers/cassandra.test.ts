// The Cassandra driver against a real Cassandra node: every change kind checked against the
// hashmap driver as the reference, 50,000-entry flushes, bad addresses, and a Cassandra killed
// in the middle of async flushes (counters must end exact). One node for the whole file; the
// FlexState contract suite runs in cassandra-contract.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { server, type RunningCassandra } from '../../../runtime/stores/cassandra.js';
import { driver, SCHEMA_NOT_YET } from '../../../runtime/drivers/cassandra/index.js';
import { driver as hashmap } from '../../../runtime/drivers/hashmap/index.js';
import type { Change, Partition, Query, Snapshot, StoreConnection } from '../../../runtime/drivers/driver.js';
import { FlexbenchError, EXIT } from '../../../harness/exit-codes.js';
import { openState } from '../../../runtime/state/api.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// Sorted, order-free view of a snapshot (Cassandra returns rows in token/clustering order).
function canon(s: Snapshot): unknown {
  const pairs = (m: Record<string, [string[], number[]]>) => Object.fromEntries(Object.entries(m).sort().map(([k, [ks, vs]]) => [k, ks.map((x, i) => [x, vs[i]]).sort()]));
  return {
    values: Object.fromEntries(Object.entries(s.values).sort()),
    counters: Object.fromEntries(Object.entries(s.counters).filter(([, v]) => v !== 0).sort()),
    lists: Object.fromEntries(Object.entries(s.lists).sort()),
    sets: Object.fromEntries(Object.entries(s.sets).sort().map(([k, v]) => [k, [...v].sort()])),
    maps: pairs(s.maps),
    counterMaps: pairs(s.counterMaps),
  };
}

// A deterministic PRNG so a failure reproduces.
function prng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32);
}

function randomChanges(rnd: () => number, n: number): Change[] {
  const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)]!;
  const ids = ['a', 'b', 'c_d', 'é'];
  const keys = ['k1', 'k2', 'k3', '10.0.0.1:80', ''];
  const out: Change[] = [];
  for (let i = 0; i < n; i++) {
    const id = pick(ids);
    const r = rnd();
    const val = () => Math.floor(rnd() * 21) - 5;
    if (r < 0.1) out.push({ type: 'Value', id, op: 'set', value: `v${i}` });
    else if (r < 0.25) out.push({ type: 'Counter', id, op: pick(['add', 'add', 'add', 'set'] as const), value: val() });
    else if (r < 0.35) out.push({ type: 'List', id, op: pick(['pushBack', 'pushFront'] as const), values: [`x${i}`, `y${i}`] });
    else if (r < 0.4) out.push({ type: 'List', id, op: pick(['popFront', 'popBack'] as const), count: 1 });
    else if (r < 0.5) out.push({ type: 'Set', id, op: pick(['insert', 'insert', 'erase'] as const), values: [pick(keys), pick(keys)] });
    else if (r < 0.6) out.push({ type: 'Map', id, op: 'set', keys: [pick(keys)], values: [val() + 0.5] });
    else if (r < 0.65) out.push({ type: 'Map', id, op: 'erase', keys: [pick(keys)] });
    else if (r < 0.88) out.push({ type: 'CounterMap', id, op: pick(['add', 'add', 'add', 'set'] as const), keys: [pick(keys), pick(keys)], values: [val(), val()] });
    else if (r < 0.93) out.push({ type: 'CounterMap', id, op: 'erase', keys: [pick(keys)] });
    else out.push({ type: pick(['Value', 'Counter', 'List', 'Set', 'Map', 'CounterMap'] as const), id, op: 'delete' });
  }
  // Counting maps in the reference must never hold a zero that Cassandra reads as absent (see docs).
  return out;
}

it('what Cassandra says of a schema a node does not serve yet is retried; other errors are not', () => {
  // Cassandra 5.0's own words: a table created on another node, a keyspace created on another ring node
  for (const m of ['unconfigured table counter_t', 'table fb_x.counter_t does not exist', "Keyspace 'fb_counter_2dasync_zins1_z0' doesn't exist"]) assert.ok(SCHEMA_NOT_YET.test(m), m);
  for (const m of ['Cannot achieve consistency level QUORUM', 'Operation timed out - received only 1 responses.']) assert.equal(SCHEMA_NOT_YET.test(m), false, m);
});

describe('cassandra driver on a real Cassandra', () => {
  let node: RunningCassandra;
  let conn: StoreConnection;
  let ref: StoreConnection;

  before(async () => {
    node = await server.start();
    // small batches: the random and kill tests then cover countermaps split over several chunk markers
    conn = await driver.connect(`${node.url}?consistency=ONE&batch=64`, {});
    ref = await hashmap.connect(`hashmap:h4-cassandra-ref-${process.pid}`, {});
  });
  after(async () => {
    await conn?.close().catch(() => {});
    await node?.stop();
  });

  it('applies random flushes exactly like the hashmap reference (layout, folding, timestamps)', async () => {
    const p: Partition = { nf: 'nat', instance: 'ins@1', core: 0 };
    const rnd = prng(42);
    for (let seq = 1; seq <= 12; seq++) {
      const changes = randomChanges(rnd, 40);
      // Sync-mode apply of a few changes between flushes must keep the order too.
      assert.equal(await conn.flush(p, { seq, changes }), 'applied');
      await ref.flush(p, { seq, changes });
      if (seq % 4 === 0) {
        const extra = randomChanges(rnd, 5);
        for (const c of extra) { await conn.apply(p, c); await ref.apply(p, c); }
      }
      const want = canon(await ref.loadPartition(p));
      const got = canon(await conn.loadPartition(p));
      // The reference keeps countermap entries whose count came back to 0; Cassandra reads them as erased.
      const strip = (x: any) => ({ ...x, counterMaps: Object.fromEntries(Object.entries(x.counterMaps as Record<string, [string, number][]>).map(([k, v]) => [k, v.filter(([, n]) => n !== 0)]).filter(([, v]) => (v as unknown[]).length)) });
      assert.deepEqual(strip(got), strip(want), `after flush ${seq}`);
    }
    assert.equal(await conn.lastSeq(p), 12);
    assert.equal(await conn.flush(p, { seq: 12, changes: [{ type: 'Counter', id: 'a', op: 'add', value: 1000 }] }), 'duplicate');
    const qs: Query[] = [
      { type: 'Counter', id: 'a', op: 'get' }, { type: 'Counter', id: 'zz', op: 'get' }, { type: 'Value', id: 'b', op: 'get' },
      { type: 'List', id: 'a', op: 'size' }, { type: 'List', id: 'a', op: 'items' }, { type: 'List', id: 'a', op: 'at', index: -1 },
      { type: 'Set', id: 'a', op: 'has', value: 'k1' }, { type: 'Map', id: 'a', op: 'get', key: 'k2' }, { type: 'Map', id: 'zz', op: 'get', key: 'k2' },
      { type: 'List', id: 'b', op: 'popFront' }, { type: 'List', id: 'b', op: 'items' },
    ];
    for (const q of qs) assert.deepEqual(await conn.query(p, q), await ref.query(p, q), JSON.stringify(q));
    await conn.dropPartition(p);
    assert.deepEqual(canon(await conn.loadPartition(p)), canon({ values: {}, counters: {}, lists: {}, sets: {}, maps: {}, counterMaps: {}, timers: {} }));
  });

  it('flushes 50,000 dirty countermap entries in batches of the default size and reports the cost', async () => {
    const big = await driver.connect(node.url, {});
    try {
      const p: Partition = { nf: 'lb', instance: 'i', core: 1 };
      const keys = Array.from({ length: 50_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      const values = keys.map((_, i) => (i % 7) + 1);
      assert.equal(await big.flush(p, { seq: 1, changes: [{ type: 'CounterMap', id: 'flows', op: 'add', keys, values }] }), 'applied');
      const cost = big.lastFlushCost!() as { entries: number; bytes: number; roundTrips: number; statements: number };
      assert.equal(cost.entries, 50_000);
      const batches = Math.ceil(50_000 / 4096);
      // one read of the (new) map's chunk markers, one batch per 4096 entries (each with its chunk marker), the meta row
      assert.equal(cost.roundTrips, 1 + batches + 1, JSON.stringify(cost));
      assert.equal(cost.statements, 50_000 + batches + 1, JSON.stringify(cost));
      assert.ok(cost.bytes > 50_000 * 8, JSON.stringify(cost));
      assert.equal(await big.query(p, { type: 'CounterMap', id: 'flows', op: 'size' }), 50_000);
      assert.equal(await big.query(p, { type: 'CounterMap', id: 'flows', op: 'get', key: keys[49_999]! }), values[49_999]);
      // a second flush touching every entry again: each chunk's marker moves on, nothing counted twice
      assert.equal(await big.flush(p, { seq: 2, changes: [{ type: 'CounterMap', id: 'flows', op: 'add', keys, values }] }), 'applied');
      assert.equal((big.lastFlushCost!() as { roundTrips: number }).roundTrips, batches + 1, 'markers known: no read');
      assert.equal(await big.query(p, { type: 'CounterMap', id: 'flows', op: 'get', key: keys[12_345]! }), 2 * values[12_345]!);
      await big.dropPartition(p);
    } finally {
      await big.close();
    }
  });

  it('an instance recovered on a host whose clock runs behind still writes cells that win', async () => {
    const p: Partition = { nf: 'skew', instance: 'i', core: 0 };
    assert.equal(await conn.flush(p, { seq: 1, changes: [{ type: 'Value', id: 'v', op: 'set', value: 'first' }] }), 'applied');
    // the dead instance's host ran an hour ahead: its last flush left cells and the meta row at now + 1 h
    const { keyspaceName } = await import('../../../runtime/drivers/cassandra/names.js');
    const raw = await import('cassandra-driver');
    const c = new raw.default.Client({ contactPoints: [node.url.replace('cassandra://', '')], localDataCenter: 'datacenter1' });
    const ahead = (Date.now() + 3_600_000) * 1000;
    const ks = keyspaceName(p);
    await c.execute(`INSERT INTO ${ks}.value_t (key1, value) VALUES ('v', 'from the fast host') USING TIMESTAMP ${ahead}`);
    await c.execute(`INSERT INTO ${ks}.meta_t (k, seq) VALUES ('flush', 2) USING TIMESTAMP ${ahead}`);
    await c.shutdown();
    const b = await driver.connect(node.url, {});
    try {
      assert.equal(await b.lastSeq(p), 2);
      assert.equal(await b.flush(p, { seq: 3, changes: [{ type: 'Value', id: 'v', op: 'set', value: 'after recovery' }, { type: 'Map', id: 'm', op: 'set', keys: ['a'], values: [1] }] }), 'applied');
      assert.equal(await b.query(p, { type: 'Value', id: 'v', op: 'get' }), 'after recovery');
      await b.apply(p, { type: 'Value', id: 'v', op: 'delete' });
      assert.equal(await b.query(p, { type: 'Value', id: 'v', op: 'get' }), null, 'a delete wins too');
      await b.dropPartition(p);
    } finally {
      await b.close();
    }
  });

  it('the consistency level of the URL reaches Cassandra (on one node, ALL is met and a read at THREE is refused)', async () => {
    const p: Partition = { nf: 'cl', instance: 'i', core: 0 };
    // one node, replication 1: ALL is met, THREE never is (Cassandra answers Unavailable)
    const all = await driver.connect(`${node.url}?consistency=ALL`, {});
    const three = await driver.connect(`${node.url}?consistency=THREE&timeout_ms=5000`, {});
    try {
      assert.equal(await all.flush(p, { seq: 1, changes: [{ type: 'Counter', id: 'c', op: 'add', value: 3 }] }), 'applied');
      await assert.rejects(three.query(p, { type: 'Counter', id: 'c', op: 'get' }), (err: unknown) => {
        assert.ok(err instanceof FlexbenchError, String(err));
        assert.match(err.message, /consistency THREE/i);
        return true;
      });
      assert.equal(await all.query(p, { type: 'Counter', id: 'c', op: 'get' }), 3);
      await all.dropPartition(p);
    } finally {
      await all.close();
      await three.close();
    }
  });

  it('a flush seq a dead instance already got partly through is applied once, and later flushes still count', async () => {
    // instance A applies flush 1 and 2 but dies before meta says 2 (rolled back here by hand)
    const p: Partition = { nf: 'redo', instance: 'i', core: 0 };
    assert.equal(await conn.flush(p, { seq: 1, changes: [{ type: 'Counter', id: 'c', op: 'add', value: 5 }, { type: 'CounterMap', id: 'm', op: 'add', keys: ['a'], values: [5] }] }), 'applied');
    assert.equal(await conn.flush(p, { seq: 2, changes: [{ type: 'Counter', id: 'c', op: 'add', value: 1 }, { type: 'CounterMap', id: 'm', op: 'add', keys: ['a'], values: [1] }] }), 'applied');
    const b = await driver.connect(node.url, {});
    try {
      const { keyspaceName } = await import('../../../runtime/drivers/cassandra/names.js');
      const raw = await import('cassandra-driver');
      const c = new raw.default.Client({ contactPoints: [node.url.replace('cassandra://', '')], localDataCenter: 'datacenter1' });
      const ks = keyspaceName(p);
      await c.execute(`UPDATE ${ks}.meta_t SET seq = 1 WHERE k = 'flush'`);
      // instance B recovers (reads 6 and 6) and sends its own flush 2: it must apply, and so must 3
      assert.equal(await b.lastSeq(p), 1);
      assert.equal(await b.flush(p, { seq: 2, changes: [{ type: 'Counter', id: 'c', op: 'add', value: 10 }, { type: 'CounterMap', id: 'm', op: 'add', keys: ['a'], values: [10] }] }), 'applied');
      // the markers A left at 2 moved past it, so an unknown outcome of B's flush 2 reads as "not applied"
      // until it is (a marker left at 2 would have read as applied at once)
      const seqOf = async (q: string) => Number((await c.execute(q)).first()?.get('seq'));
      assert.equal(await seqOf(`SELECT seq FROM ${ks}.counter_t WHERE key1 = 'c'`), 3);
      assert.equal(await seqOf(`SELECT seq FROM ${ks}.countermap_seq_t WHERE key1 = 'm' AND chunk = 0`), 3);
      await c.shutdown();
      assert.equal(await b.flush(p, { seq: 3, changes: [{ type: 'Counter', id: 'c', op: 'add', value: 100 }, { type: 'CounterMap', id: 'm', op: 'add', keys: ['a'], values: [100] }] }), 'applied');
      assert.equal(await b.query(p, { type: 'Counter', id: 'c', op: 'get' }), 116);
      assert.equal(await b.query(p, { type: 'CounterMap', id: 'm', op: 'get', key: 'a' }), 116);
      await b.dropPartition(p);
    } finally {
      await b.close();
    }
  });

  it('after the reset between trials, every core of an NF opens its keyspace at once (the shared keyspace made concurrently)', async () => {
    // what a 2-core NF trial does after `store reset`: each core's state thread creates the NF's shared keyspace
    // and its own; one of them found a table "does not exist" that the other had just created
    for (let round = 0; round < 6; round++) {
      await server.reset(node.url);
      const conns = await Promise.all([0, 1, 2, 3].map(() => driver.connect(node.url, {})));
      try {
        const seqs = await Promise.all(conns.map((c, core) => c.lastSeq({ nf: 'race', instance: 'ins1', core })));
        assert.deepEqual(seqs, [0, 0, 0, 0], `round ${round}`);
        assert.deepEqual((await conns[0]!.partitionsOf('race', 'Counter', 'x')).map((q) => q.core), [0, 1, 2, 3], `round ${round}`);
      } finally {
        await Promise.all(conns.map((c) => c.close()));
      }
    }
  });

  it('an unreachable address is a clear environment error after a bounded wait', async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as net.AddressInfo).port;
    s.close();
    const t0 = Date.now();
    await assert.rejects(driver.connect(`cassandra://127.0.0.1:${port}?timeout_ms=1500`, {}), (err: unknown) => {
      assert.ok(err instanceof FlexbenchError);
      assert.equal(err.exitCode, EXIT.environment);
      assert.match(err.message, new RegExp(`cassandra://127\\.0\\.0\\.1:${port}.*not reachable within 1500 ms`));
      return true;
    });
    assert.ok(Date.now() - t0 < 10_000);
  });

  it('Cassandra killed mid-run: flushes fail, are resent unchanged, and counters end exact', async () => {
    const p: Partition = { nf: 'nat', instance: 'crash', core: 0 };
    const expect = new Map<string, number>();
    let counter = 0;
    let seq = 0;
    let failures = 0;
    let killed = false;
    let restarted: Promise<void> | null = null;
    // Keep producing flushes like the collector does: a failed one is retried unchanged.
    const deadline = Date.now() + 120_000;
    for (let round = 0; round < 60 && Date.now() < deadline; round++) {
      const keys = Array.from({ length: 200 }, (_, i) => `f${(round * 37 + i) % 500}`);
      const values = keys.map((_, i) => (i % 3) + 1);
      for (let i = 0; i < keys.length; i++) expect.set(keys[i]!, (expect.get(keys[i]!) ?? 0) + values[i]!);
      counter += round + 1;
      const batch = { seq: ++seq, changes: [
        { type: 'CounterMap', id: 'flows', op: 'add', keys, values },
        { type: 'Counter', id: 'packets', op: 'add', value: round + 1 },
        { type: 'Value', id: 'last', op: 'set', value: `r${round}` },
      ] as Change[] };
      if (round === 10) {
        // Crash while a flush is in flight.
        const inflight = conn.flush(p, batch).then(() => true, () => false);
        await node.kill();
        killed = true;
        if (!(await inflight)) failures++;
        restarted = node.restart();
      }
      for (;;) {
        try {
          await conn.flush(p, batch);
          break;
        } catch (err) {
          assert.ok(err instanceof FlexbenchError, String(err));
          failures++;
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    }
    assert.ok(killed && restarted);
    await restarted;
    assert.ok(failures > 0, 'the crash made at least one flush fail');
    const snap = await conn.loadPartition(p);
    assert.equal(snap.counters.packets, counter);
    const [ks, vs] = snap.counterMaps.flows!;
    const got = new Map(ks.map((k, i) => [k, vs[i]!]));
    assert.equal(got.size, expect.size);
    for (const [k, v] of expect) assert.equal(got.get(k), v, `flows[${k}]`);
    assert.equal(snap.values.last, `r${seq - 1}`);
    assert.equal(await conn.lastSeq(p), seq);
  });

  it('Cassandra killed under a running async context: the packet loop never waits, the state thread reconnects, totals exact', async () => {
    // the runtime as an NF uses it: per-burst NoWait calls and poll() on the packet side, a state worker flushing every 1 ms
    const x = await openState({ nf: 'crash', instance: 'ctx', store: node.url, mode: 'async', flushMs: 1, closeTimeoutMs: 60_000 }, 0);
    const h = x.counter('pkts');
    const m = x.counterMap('flows');
    const slots = Array.from({ length: 128 }, (_, i) => m.slot(`f${i}`));
    let total = 0;
    let outageBursts = 0;
    let longest = 0;
    let down = false;
    let restarted: Promise<void> | null = null;
    const t0 = Date.now();
    let last = performance.now();
    while (Date.now() - t0 < 4000 || restarted === null || down) {
      for (let i = 0; i < 128; i++) {
        h.addNoWait(1);
        m.addToSlotNoWait(slots[i]!, 1);
        total++;
      }
      x.poll();
      if (down) outageBursts++;
      if (restarted === null && Date.now() - t0 > 1000) {
        await node.kill();
        down = true;
        restarted = node.restart().then(() => { down = false; });
        last = performance.now();
      }
      await sleep(1);
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      if (Date.now() - t0 > 120_000) throw new Error('Cassandra did not come back within 120 s');
    }
    const st = await x.stats();
    await x.close();
    const why = `total ${total}, ${outageBursts} bursts during the outage, stats ${JSON.stringify(st)}`;
    assert.ok(st.retries > 0, `the outage made flushes fail and retry (${why})`);
    assert.ok(outageBursts > 200, `packets kept flowing while Cassandra was down (${why})`);
    assert.ok(longest < 1000, `no burst waited on the store: longest gap ${longest.toFixed(0)} ms`);
    assert.deepEqual(st.losses, [], `a node restarted from its own files lost nothing (${why})`);
    const snap = await conn.loadPartition({ nf: 'crash', instance: 'ctx', core: 0 });
    assert.equal(snap.counters.pkts, total, why);
    const [, vs] = snap.counterMaps.flows!;
    assert.equal(vs.reduce((a, b) => a + b, 0), total, why);
  });

  it('Cassandra restarted empty under a running async context (warn): the loss is found when the node is back, reported exactly, and later counts arrive', async () => {
    const x = await openState({ nf: 'crash', instance: 'empty', store: node.url, mode: 'async', flushMs: 1, closeTimeoutMs: 60_000, onStateLoss: 'warn' }, 0);
    const losses: import('../../../runtime/state/api.js').StateLoss[] = [];
    x.onStateLoss((l) => losses.push(l));
    const h = x.counter('pkts');
    let total = 0;
    let restarted: Promise<void> | null = null;
    let down = false;
    const t0 = Date.now();
    while (Date.now() - t0 < 3000 || restarted === null || down || losses.length === 0) {
      h.addNoWait(1);
      total++;
      x.poll();
      if (restarted === null && Date.now() - t0 > 1000) {
        await x.flush();
        await node.kill();
        down = true;
        // the node comes back without its files: an empty store on the same address
        const { dirsOf } = await import('../../../runtime/stores/cassandra/config.js');
        const { rmSync } = await import('node:fs');
        const d = dirsOf(node.dataDir);
        for (const dir of [d.data, d.commitlog, d.savedCaches, d.hints]) rmSync(dir, { recursive: true, force: true });
        restarted = node.restart().then(() => { down = false; });
      }
      await sleep(1);
      if (Date.now() - t0 > 180_000) throw new Error(`no loss reported within 180 s (down ${down})`);
    }
    await x.close();
    const l = losses[0]!;
    assert.equal(losses.length, 1, JSON.stringify(losses));
    assert.deepEqual([l.store_seq, l.action, l.counts_exact], [0, 'warn', true], JSON.stringify(l));
    assert.ok(l.counts_lost! > 0 && l.flushes_lost === l.expected_seq, JSON.stringify(l));
    const c = await driver.connect(node.url, {});
    try {
      const snap = await c.loadPartition({ nf: 'crash', instance: 'empty', core: 0 });
      assert.equal(snap.counters.pkts, total - l.counts_lost!, `the store holds what came after the loss (total ${total}, ${JSON.stringify(l)})`);
    } finally {
      await c.close();
    }
  });
});
