// Redis driver against real redis-server processes (single node and a 3-master cluster): the
// contract, the paper's key layout, idempotent flushes, bad addresses, and a store crash mid-run.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis, Cluster } from 'ioredis';
import { contractSuite } from '../contract.js';
import { startRedis, type RunningRedis } from '../../../runtime/stores/redis.js';
import { startRedisCluster, type RunningCluster } from '../../../runtime/stores/redis-cluster.js';
import { freePort } from '../../../runtime/stores/ports.js';
import { openState } from '../../../runtime/state/api.js';
import { resolveDriver } from '../../../runtime/drivers/registry.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

contractSuite('redis (single node)', async () => {
  const s = await startRedis();
  return { url: s.url, cleanup: () => s.stop() };
});

contractSuite('redis+cluster (3 masters)', async () => {
  const c = await startRedisCluster({ masters: 3 });
  return { url: c.url, cleanup: () => c.stop() };
});

describe('redis key layout and native types', () => {
  let s: RunningRedis;
  let c: RunningCluster;
  before(async () => { s = await startRedis(); c = await startRedisCluster({ masters: 3 }); });
  after(async () => { await s?.stop(); await c?.stop(); });

  const fill = async (url: string, mode: 'sync' | 'async') => {
    const x = await openState({ nf: 'nf1', instance: 'ins1', store: url, mode }, 1);
    x.counter('abc').addNoWait(3);
    x.value('v').setNoWait('x');
    x.list('l').pushBackNoWait('a');
    x.set('s').insertNoWait('a');
    x.map('m').setNoWait('k', 1);
    x.counterMap('cm').addToNoWait('k', 2);
    await x.close();
  };

  for (const mode of ['sync', 'async'] as const) {
    test(`single node (${mode}): nf1@ins1@1@Counter@abc and friends, as native Redis types`, async () => {
      const r = new Redis(s.port, '127.0.0.1');
      try {
        await r.flushall();
        await fill(s.url, mode);
        assert.equal(await r.get('nf1@ins1@1@Counter@abc'), '3');
        assert.equal(await r.type('nf1@ins1@1@Counter@abc'), 'string');
        assert.equal(await r.get('nf1@ins1@1@Value@v'), 'x');
        assert.deepEqual(await r.lrange('nf1@ins1@1@List@l', 0, -1), ['a']);
        assert.deepEqual(await r.smembers('nf1@ins1@1@Set@s'), ['a']);
        assert.deepEqual(await r.hgetall('nf1@ins1@1@Map@m'), { k: '1' });
        assert.deepEqual(await r.hgetall('nf1@ins1@1@CounterMap@cm'), { k: '2' });
        const keys = (await r.keys('*')).sort();
        const expected = ['Counter@abc', 'CounterMap@cm', 'List@l', 'Map@m', 'Set@s', 'Value@v'].map((k) => `nf1@ins1@1@${k}`);
        if (mode === 'async') expected.push('nf1@ins1@1@FlushSeq');
        assert.deepEqual(keys, expected.sort());
      } finally {
        r.disconnect();
      }
    });
  }

  test('cluster: the partition is a hash tag, {nf1@ins1@1}@Counter@abc, all on one slot', async () => {
    await fill(c.url, 'async');
    const r = new Cluster([{ host: '127.0.0.1', port: c.nodes[0]!.port }]);
    try {
      assert.equal(await r.get('{nf1@ins1@1}@Counter@abc'), '3');
      assert.deepEqual(await r.hgetall('{nf1@ins1@1}@CounterMap@cm'), { k: '2' });
      const slot = await r.cluster('KEYSLOT', '{nf1@ins1@1}@Counter@abc');
      assert.equal(await r.cluster('KEYSLOT', '{nf1@ins1@1}@Map@m'), slot);
      // COUNTKEYSINSLOT is per node: only the slot's owner answers non-zero
      const counts = await Promise.all(r.nodes('master').map((n) => n.cluster('COUNTKEYSINSLOT', slot as number)));
      assert.deepEqual(counts.map(Number).sort(), [0, 0, 7]); // 6 structures + flush sequence
    } finally {
      r.disconnect();
    }
  });

  test('a flush is applied once per sequence number, even when sent twice', async () => {
    const d = await resolveDriver(s.url);
    const conn = await d.connect(s.url, {});
    const p = { nf: 'nfdup', instance: 'i', core: 0 };
    try {
      const seq = (await conn.lastSeq(p)) + 1;
      const batch = { seq, changes: [{ type: 'Counter' as const, id: 'c', op: 'add' as const, value: 5 }, { type: 'CounterMap' as const, id: 'm', op: 'add' as const, keys: ['a', 'b'], values: [1, 2] }] };
      assert.equal(await conn.flush(p, batch), 'applied');
      assert.equal(await conn.flush(p, batch), 'duplicate');
      assert.equal(await conn.query(p, { type: 'Counter', id: 'c', op: 'get' }), 5);
      assert.deepEqual(await conn.query(p, { type: 'CounterMap', id: 'm', op: 'get', key: 'b' }), 2);
      assert.equal(await conn.lastSeq(p), seq);
      assert.deepEqual(conn.lastFlushCost?.().roundTrips, 1);
    } finally {
      await conn.close();
    }
  });
  test('elements the store refuses (WRONGTYPE on a foreign key) do not stop the batch and are reported, not lost silently', async () => {
    const p = { nf: 'nfrefuse', instance: 'i', core: 0 };
    const raw = new Redis(s.port, '127.0.0.1');
    const openCtx = await openState({ nf: p.nf, instance: p.instance, store: s.url, mode: 'async', flusher: 'thread', flushMs: 60_000 }, 0);
    try {
      // someone else's string where the map should be
      await raw.set('nfrefuse@i@0@Map@m', 'not a hash');
      openCtx.map('m').setNoWait('k', 1);
      openCtx.counter('c').addNoWait(7);
      await openCtx.flush();
      const st = await openCtx.stats();
      assert.equal(st.last?.rejected?.count, 1);
      assert.match(st.last!.rejected!.first, /WRONGTYPE/);
      assert.match(st.lastError ?? '', /store refused 1 element\(s\) of flush \d+: WRONGTYPE/);
      assert.equal(await raw.get('nfrefuse@i@0@Counter@c'), '7', 'the rest of the batch applied');
      // a clean flush clears the report
      openCtx.counter('c').addNoWait(1);
      await openCtx.flush();
      assert.equal((await openCtx.stats()).lastError, null);
    } finally {
      await openCtx.close();
      raw.disconnect();
    }
  });

  test('the flush script is cached at connect: the first flush is one round trip; after SCRIPT FLUSH, two and the body counted', async () => {
    for (const url of [s.url, c.url]) {
      const raw = url === s.url ? new Redis(s.port, '127.0.0.1') : new Cluster([{ host: '127.0.0.1', port: c.nodes[0]!.port }]);
      const masters = raw instanceof Cluster ? (await raw.ping(), raw.nodes('master')) : [raw];
      await Promise.all(masters.map((n) => n.call('SCRIPT', 'FLUSH')));
      const conn = await (await resolveDriver(url)).connect(url, {});
      const p = { nf: 'nfscript', instance: 'i', core: 0 };
      try {
        const batch = (seq: number) => ({ seq, changes: [{ type: 'Counter' as const, id: 'c', op: 'add' as const, value: 1 }] });
        const seq = await conn.lastSeq(p);
        await conn.flush(p, batch(seq + 1));
        const first = conn.lastFlushCost!();
        assert.equal(first.roundTrips, 1, url);
        await Promise.all(masters.map((n) => n.call('SCRIPT', 'FLUSH')));
        await conn.flush(p, batch(seq + 2));
        const again = conn.lastFlushCost!();
        assert.equal(again.roundTrips, 2, url);
        assert.ok(again.bytes > first.bytes + 1000, `${again.bytes} bytes vs ${first.bytes}: the script body travelled`);
        assert.equal(await conn.query(p, { type: 'Counter', id: 'c', op: 'get' }), 2);
      } finally {
        await conn.close();
        raw.disconnect();
      }
    }
  });
});

describe('redis: Section VI-B as Redis itself does it', () => {
  let s: RunningRedis;
  let c: RunningCluster;
  before(async () => { s = await startRedis(); c = await startRedisCluster({ masters: 3 }); });
  after(async () => { await s?.stop(); await c?.stop(); });

  for (const mode of ['sync', 'async'] as const) {
    test(`timer entries (${mode}) are keys with the store's own TTL (PX), deleted by Redis at the deadline`, async () => {
      const r = new Redis(s.port, '127.0.0.1');
      try {
        const x = await openState({ nf: 'tnf', instance: `i${mode}`, store: s.url, mode }, 2);
        const t0 = Date.now();
        await x.timer('t').arm('f1', 300);
        x.timer('t').armNoWait('f2', 60_000);
        await x.flush();
        const k1 = `tnf@i${mode}@2@Timer@t@f1`;
        const ttl = await r.pttl(k1);
        assert.ok(ttl > 0 && ttl <= 300, `PTTL ${ttl}`);
        const due = Number(await r.get(k1));
        assert.ok(due >= t0 + 300 && due <= Date.now() + 300, 'the record holds its deadline');
        const ttl2 = await r.pttl(`tnf@i${mode}@2@Timer@t@f2`);
        assert.ok(ttl2 > 59_000 && ttl2 <= 60_000, `PTTL ${ttl2}`);
        // Redis itself removes it (no client involved): EXISTS on the raw key after the deadline
        await sleep(Math.max(0, due + 20 - Date.now()));
        assert.equal(await r.exists(k1), 0);
        await x.close();
      } finally {
        r.disconnect();
      }
    });
  }

  test('a lock is one key on one slot of the cluster, its lease the key\'s PTTL; a timer\'s entries share their partition\'s slot', async () => {
    const x = await openState({ nf: 'lnf', instance: 'i1', store: c.url, mode: 'sync' }, 0);
    const r = new Cluster([{ host: '127.0.0.1', port: c.nodes[0]!.port }]);
    try {
      const l = x.lock('fsm');
      assert.equal(await l.acquire(5000), true);
      assert.equal(await r.get('{lnf@Lock@fsm}'), l.owner);
      const ttl = await r.pttl('{lnf@Lock@fsm}');
      assert.ok(ttl > 0 && ttl <= 5000, `PTTL ${ttl}`);
      await x.timer('t').arm('a', 10_000);
      await x.counter('n').add(1);
      assert.equal(await r.cluster('KEYSLOT', '{lnf@i1@0}@Timer@t@a'), await r.cluster('KEYSLOT', '{lnf@i1@0}@Counter@n'));
      assert.equal(await l.release(), true);
      assert.equal(await r.exists('{lnf@Lock@fsm}'), 0);
      // merged reads find partitions on every master
      for (let core = 1; core < 6; core++) {
        const y = await openState({ nf: 'lnf', instance: `i${core % 2}`, store: c.url, mode: 'sync' }, core);
        await y.counter('n').add(core);
        await y.close();
      }
      const slots = new Set<unknown>();
      for (const p of await x.merged.partitions('Counter', 'n')) slots.add(await r.cluster('KEYSLOT', `{lnf@${p.instance}@${p.core}}@Counter@n`));
      assert.equal(await x.merged.counter('n'), 1 + 1 + 2 + 3 + 4 + 5);
      assert.ok(slots.size > 1, 'partitions on several slots');
    } finally {
      r.disconnect();
      await x.close();
    }
  });
});

describe('redis: bad addresses', () => {
  test('unreachable store: clear error naming store and address, exit code 5, in every mode', async () => {
    const port = await freePort();
    for (const mode of ['sync', 'async'] as const) {
      for (const flusher of ['worker', 'thread'] as const) {
        await assert.rejects(
          openState({ nf: 'n', instance: 'i', store: `redis://127.0.0.1:${port}`, mode, flusher, driver: { connectTimeoutMs: 500 } }, 0),
          (e: Error & { exitCode?: number }) => e.exitCode === 5 && e.message.includes(`127.0.0.1:${port}`) && /cannot reach Redis/.test(e.message),
        );
      }
    }
  });

  test('malformed Redis URLs: exit code 2, naming the URL', async () => {
    for (const url of ['redis://', 'redis://host:notaport', 'redis://a:1,b:2']) {
      await assert.rejects(openState({ nf: 'n', instance: 'i', store: url, mode: 'sync' }, 0), (e: Error & { exitCode?: number }) => e.exitCode === 2 && e.message.includes(url));
    }
  });
});

describe('redis: store gone at close', () => {
  for (const flusher of ['worker', 'thread'] as const) {
    test(`${flusher}: close() gives up after closeTimeoutMs with exit code 5 naming the store`, async () => {
      const s = await startRedis();
      try {
        const x = await openState({ nf: 'gone', instance: 'i', store: s.url, mode: 'async', flusher, closeTimeoutMs: 400 }, 0);
        x.counter('c').addNoWait(1);
        await x.flush();
        await s.kill();
        x.counter('c').addNoWait(1);
        const t = Date.now();
        await assert.rejects(x.close(), (e: Error & { exitCode?: number }) => e.exitCode === 5 && e.message.includes(s.url.slice('redis://'.length)));
        assert.ok(Date.now() - t < 5000, 'close must not hang');
      } finally {
        await s.stop();
      }
    });
  }
});

describe('redis: store killed (SIGKILL) and restarted mid-run, async mode', () => {
  for (const flusher of ['worker', 'thread'] as const) {
    test(`${flusher} flusher: packets keep flowing, the store ends with the exact totals`, async () => {
      let s = await startRedis({ extra: { persist: true } });
      const { port, dataDir } = s;
      const dirKeeper = await startRedis(); // unrelated server: proves we only kill our own
      try {
        const x = await openState({ nf: 'crash', instance: 'i', store: s.url, mode: 'async', flusher, flushMs: 1, closeTimeoutMs: 15000 }, 0);
        const h = x.counter('pkts');
        const m = x.counterMap('flows');
        const slots = Array.from({ length: 256 }, (_, i) => m.slot(`f${i}`));
        let total = 0;
        let phase = 0;
        let duringOutage = 0;
        const t0 = Date.now();
        while (Date.now() - t0 < 1500) {
          for (let i = 0; i < 256; i++) {
            h.addNoWait(1);
            m.addToSlotNoWait(slots[i]!, 1);
            total++;
          }
          x.poll();
          if (phase === 1) duringOutage++;
          const t = Date.now() - t0;
          if (phase === 0 && t > 400) {
            phase = 1;
            await s.kill();
          } else if (phase === 1 && t > 800) {
            phase = 2;
            // same port, same data dir: the appendonly file brings back everything acknowledged
            s = await startRedis({ port, dataDir, extra: { persist: true } });
          }
          await sleep(1);
        }
        const st = await x.stats();
        await x.close();
        const why = `total ${total}, stats ${JSON.stringify(st)}`;
        assert.ok(st.retries > 0, `the outage should have made flushes fail and retry (${why})`);
        assert.ok(duringOutage > 50, `packets must keep flowing while the store is down (${duringOutage} bursts; ${why})`);
        const r = new Redis(port, '127.0.0.1');
        try {
          assert.equal(Number(await r.get('crash@i@0@Counter@pkts')), total, why);
          const vals = Object.values(await r.hgetall('crash@i@0@CounterMap@flows')).map(Number);
          assert.equal(vals.reduce((a, b) => a + b, 0), total, why);
        } finally {
          r.disconnect();
        }
      } finally {
        await s.stop();
        await dirKeeper.stop();
        (await import('node:fs')).rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});
