// The FlexState contract, run against every driver (hashmap, redis, redis+cluster, cassandra):
// every type, every call, NoWait and waiting forms, sync and async mode (both flushers), recovery.
// What the store holds is checked through a fresh sync-mode context, i.e. by reading the store.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openState, type StateContext } from '../../runtime/state/api.js';
import type { StateConfigInput } from '../../runtime/state/config.js';

export interface ContractStore {
  url: string;
  cleanup: () => Promise<void>;
}

type Variant = { mode: 'sync' | 'async' | 'cache' | 'stateless-async'; flusher?: 'worker' | 'thread' };
// StatelessNF's modes (cache: a local copy read first, write-through; stateless-async: reads pipelined) keep the same contract
const VARIANTS: Variant[] = [{ mode: 'sync' }, { mode: 'async', flusher: 'thread' }, { mode: 'async', flusher: 'worker' }, { mode: 'cache' }, { mode: 'stateless-async' }];
const vname = (v: Variant) => (v.mode === 'async' ? `async/${v.flusher}` : v.mode);
/** modes with a local copy to peek at */
const local = (v: Variant) => v.mode === 'async' || v.mode === 'cache';
const sortNum = (e: [string[], number[]]) => e[0].map((k, i) => [k, e[1][i]] as const).sort(([a], [b]) => (a < b ? -1 : 1));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function contractSuite(label: string, makeStore: () => Promise<ContractStore>): void {
  describe(`FlexState contract: ${label}`, () => {
    let store: ContractStore;
    let n = 0;
    const open: StateContext[] = [];
    before(async () => { store = await makeStore(); });
    after(async () => {
      for (const c of open) await c.close().catch(() => {});
      await store?.cleanup();
    });
    // a fresh instance id per test keeps tests from seeing each other's keys
    const cfg = (v: Variant, instance = `t${process.pid}x${++n}`): StateConfigInput => ({ nf: 'nf1', instance, store: store.url, mode: v.mode, flusher: v.flusher ?? 'worker', flushMs: 1 });
    const ctxOf = async (c: StateConfigInput, core = 1) => { const x = await openState(c, core); open.push(x); return x; };
    /** the store's view of a partition: a sync context reads straight from the store */
    const storeView = (c: StateConfigInput, core = 1) => ctxOf({ ...c, mode: 'sync' }, core);

    test('a structure key is nf@instance@core@Type@id', async () => {
      const x = await ctxOf({ ...cfg({ mode: 'sync' }, 'ins1') });
      assert.equal(x.counter('abc').key, 'nf1@ins1@1@Counter@abc');
      assert.equal(x.counterMap('m').key, 'nf1@ins1@1@CounterMap@m');
      assert.equal(x.value('v').key, 'nf1@ins1@1@Value@v');
      await x.close();
    });

    test('unknown driver label and malformed config are refused with exit code 2, naming the store', async () => {
      await assert.rejects(openState({ nf: 'nf1', instance: 'i', store: 'nosuchstore://h:1' }, 0), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /nosuchstore/.test(e.message));
      await assert.rejects(openState({ nf: 'nf@1', instance: 'i', store: store.url }, 0), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /nf/.test(e.message));
      await assert.rejects(openState({ nf: 'nf1', instance: 'i', store: store.url }, -1), (e: Error & { exitCode?: number }) => e.exitCode === 2);
    });

    for (const v of VARIANTS) {
      describe(vname(v), () => {
        test('Value: get/set/delete, waiting and NoWait', async () => {
          const c = cfg(v);
          const x = await ctxOf(c);
          const h = x.value('name');
          assert.equal(await h.get(), null);
          await h.set('alpha');
          assert.equal(await h.get(), 'alpha');
          h.setNoWait('beta');
          assert.equal(await h.get(), 'beta');
          x.value('gone').setNoWait('x');
          x.value('gone').deleteNoWait();
          await x.value('gone2').set('y');
          await x.value('gone2').delete();
          assert.equal(await x.value('gone2').get(), null);
          await x.flush();
          const s = await storeView(c);
          assert.equal(await s.value('name').get(), 'beta');
          assert.equal(await s.value('gone').get(), null);
          assert.equal(await s.value('gone2').get(), null);
          await x.close();
        });

        test('Counter: add/set/delete/get, waiting and NoWait; the store gets the exact total', async () => {
          const c = cfg(v);
          const x = await ctxOf(c);
          const h = x.counter('abc');
          assert.equal(await h.get(), 0);
          await h.add(5);
          h.addNoWait();
          h.addNoWait(3);
          assert.equal(await h.get(), 9);
          if (local(v)) assert.equal(h.peek(), 9);
          else assert.throws(() => h.peek(), /async/);
          await x.flush();
          assert.equal(await (await storeView(c)).counter('abc').get(), 9);
          await h.set(100);
          h.addNoWait(1);
          const d = x.counter('del');
          d.addNoWait(7);
          await x.flush();
          d.deleteNoWait();
          d.addNoWait(2);
          const e = x.counter('e');
          e.setNoWait(4);
          await e.delete();
          await x.close();
          const s = await storeView(c);
          assert.equal(await s.counter('abc').get(), 101);
          assert.equal(await s.counter('del').get(), 2);
          assert.equal(await s.counter('e').get(), 0);
        });

        test('List: push/pop both ends, at/setAt, find/contains, size/items/clear', async () => {
          const c = cfg(v);
          const x = await ctxOf(c);
          const l = x.list('pool');
          await l.pushBack('a');
          l.pushBackNoWait('b');
          await l.pushFront('z');
          l.pushFrontNoWait('y');
          assert.deepEqual(await l.items(), ['y', 'z', 'a', 'b']);
          assert.equal(await l.at(1), 'z');
          assert.equal(await l.at(-1), 'b');
          assert.equal(await l.at(9), null);
          l.pushBackNoWait('z');
          assert.equal(await l.find('z'), 1, 'the first of two equal elements');
          assert.equal(await l.find('q'), -1);
          assert.equal(await l.contains('a'), true);
          assert.equal(await l.contains('q'), false);
          assert.equal(await l.popBack(), 'z');
          await l.setAt(2, 'A');
          l.setAtNoWait(3, 'B');
          assert.equal(await l.popFront(), 'y');
          assert.equal(await l.popBack(), 'B');
          assert.equal(await l.size(), 2);
          await x.flush();
          assert.deepEqual(await (await storeView(c)).list('pool').items(), ['z', 'A']);
          assert.equal(await (await storeView(c)).list('pool').find('A'), 1, 'the store answers find too');
          const k = x.list('k');
          k.pushBackNoWait('1');
          k.clearNoWait();
          k.pushBackNoWait('2');
          await x.list('k2').pushBack('q');
          await x.list('k2').clear();
          assert.equal(await x.list('k2').size(), 0);
          assert.equal(await x.list('empty').popFront(), null);
          await x.close();
          const s = await storeView(c);
          assert.deepEqual(await s.list('k').items(), ['2']);
          assert.deepEqual(await s.list('k2').items(), []);
        });

        test('Set: insert/erase/contains/size/items/clear', async () => {
          const c = cfg(v);
          const x = await ctxOf(c);
          const h = x.set('seen');
          await h.insert('a');
          h.insertNoWait('b');
          h.insertNoWait('a');
          h.insertNoWait('c');
          assert.equal(await h.size(), 3);
          assert.equal(await h.contains('b'), true);
          await h.erase('b');
          h.eraseNoWait('c');
          assert.equal(await h.contains('b'), false);
          assert.deepEqual((await h.items()).sort(), ['a']);
          const g = x.set('g');
          g.insertNoWait('1');
          await g.clear();
          g.insertNoWait('2');
          x.set('h').insertNoWait('x');
          x.set('h').clearNoWait();
          await x.close();
          const s = await storeView(c);
          assert.deepEqual(await s.set('seen').items(), ['a']);
          assert.deepEqual(await s.set('g').items(), ['2']);
          assert.equal(await s.set('h').size(), 0);
        });

        test('Map: get/set/erase/contains/size/entries/clear and slot calls', async () => {
          const c = cfg(v);
          const x = await ctxOf(c);
          const m = x.map('nat');
          await m.set('f1', 10);
          m.setNoWait('f2', 20);
          assert.equal(await m.get('f1'), 10);
          assert.equal(await m.get('nope'), null);
          assert.equal(await m.contains('f2'), true);
          const s3 = m.slot('f3');
          assert.equal(m.slot('f3'), s3);
          assert.equal(m.keyOf(s3), 'f3');
          m.setSlotNoWait(s3, 2 ** 40 + 7); // e.g. ip<<16|port: exact up to 2^53
          if (local(v)) {
            assert.equal(m.hasSlot(s3), true);
            assert.equal(m.peekSlot(s3), 2 ** 40 + 7);
          } else assert.throws(() => m.peekSlot(s3), /async/);
          await m.erase('f1');
          m.eraseNoWait('f2');
          const s4 = m.slot('f4');
          m.setSlotNoWait(s4, 4);
          m.eraseSlotNoWait(s4);
          assert.equal(await m.size(), 1);
          assert.deepEqual(sortNum(await m.entries()), [['f3', 2 ** 40 + 7]]);
          const cl = x.map('cl');
          cl.setNoWait('a', 1);
          await cl.clear();
          cl.setNoWait('b', 2);
          await x.close();
          const s = await storeView(c);
          assert.deepEqual(sortNum(await s.map('nat').entries()), [['f3', 2 ** 40 + 7]]);
          assert.deepEqual(sortNum(await s.map('cl').entries()), [['b', 2]]);
        });

        test('CounterMap: addTo (key and slot), set, erase, entries, clear', async () => {
          const c = cfg(v);
          const x = await ctxOf(c);
          const m = x.counterMap('load');
          await m.addTo('s1', 2);
          m.addToNoWait('s1');
          const s2 = m.slot('s2');
          for (let i = 0; i < 1000; i++) m.addToSlotNoWait(s2, 1);
          m.addToSlotNoWait(s2);
          await m.set('s3', 50);
          m.addToNoWait('s3', -5);
          m.setNoWait('s4', 1);
          await m.erase('s4');
          assert.equal(await m.get('s1'), 3);
          assert.equal(await m.get('s2'), 1001);
          assert.equal(await m.get('s4'), null);
          if (local(v)) assert.equal(m.peekSlot(s2), 1001);
          assert.equal(await m.size(), 3);
          await x.flush();
          m.addToSlotNoWait(s2, 9);
          m.eraseNoWait('s1');
          m.addToNoWait('s1', 4);
          const cl = x.counterMap('cl');
          cl.addToNoWait('a', 1);
          cl.clearNoWait();
          cl.addToNoWait('b', 2);
          await x.close();
          const s = await storeView(c);
          assert.deepEqual(sortNum(await s.counterMap('load').entries()), [['s1', 4], ['s2', 1010], ['s3', 45]]);
          assert.deepEqual(sortNum(await s.counterMap('cl').entries()), [['b', 2]]);
        });

        test('cores are partitions: the same ids on two cores do not share state', async () => {
          const c = cfg(v);
          const a = await ctxOf(c, 0);
          const b = await ctxOf(c, 1);
          a.counter('n').addNoWait(1);
          b.counter('n').addNoWait(10);
          a.counterMap('m').addToNoWait('k', 1);
          await a.close();
          await b.close();
          assert.equal(await (await storeView(c, 0)).counter('n').get(), 1);
          assert.equal(await (await storeView(c, 1)).counter('n').get(), 10);
          assert.equal(await (await storeView(c, 1)).counterMap('m').get('k'), null);
        });

        test('recovery: a new context with a dead one\'s ids loads its partition and carries on', async () => {
          const c = cfg(v);
          const a = await ctxOf(c);
          a.value('v').setNoWait('hello');
          a.counter('pkts').addNoWait(41);
          a.list('pool').pushBackNoWait('10.0.0.1:1000');
          a.list('pool').pushBackNoWait('10.0.0.1:1001');
          a.set('s').insertNoWait('x');
          a.map('flows').setNoWait('f', 77);
          a.counterMap('load').addToNoWait('srv1', 5);
          await a.close();
          const b = await ctxOf(c);
          const early = b.counter('pkts'); // opened before load(): load refreshes it
          await b.load();
          assert.equal(await early.get(), 41);
          assert.equal(await b.value('v').get(), 'hello');
          assert.deepEqual(await b.list('pool').items(), ['10.0.0.1:1000', '10.0.0.1:1001']);
          assert.deepEqual(await b.set('s').items(), ['x']);
          assert.equal(await b.map('flows').get('f'), 77);
          assert.equal(await b.counterMap('load').get('srv1'), 5);
          early.addNoWait(1);
          b.counterMap('load').addToSlotNoWait(b.counterMap('load').slot('srv1'), 1);
          assert.equal(await b.list('pool').popFront(), '10.0.0.1:1000');
          await b.close();
          const s = await storeView(c);
          assert.equal(await s.counter('pkts').get(), 42);
          assert.equal(await s.counterMap('load').get('srv1'), 6);
          assert.deepEqual(await s.list('pool').items(), ['10.0.0.1:1001']);
        });

        if (v.mode === 'async') {
          test('async: deltas from many flush periods reach the store exactly once', async () => {
            const c = cfg(v);
            const x = await ctxOf(c);
            const h = x.counter('pkts');
            const m = x.counterMap('flows');
            const slots = Array.from({ length: 64 }, (_, i) => m.slot(`flow${i}`));
            let total = 0;
            // at least 300 ms, and until the flusher has flushed a few times by itself (or 5 s: a loaded machine)
            const t0 = Date.now();
            let rounds = 0;
            for (;;) {
              for (let i = 0; i < 500; i++) {
                h.addNoWait(1);
                m.addToSlotNoWait(slots[i & 63]!, 1);
                total++;
              }
              x.poll();
              await sleep(1);
              const t = Date.now() - t0;
              if (t > 5000 || (t > 300 && ++rounds % 20 === 0 && (await x.stats()).flushes > 3)) break;
            }
            const st = await x.stats();
            assert.ok(st.flushes > 3, `expected periodic flushes, got ${st.flushes} in ${Date.now() - t0} ms`);
            await x.close();
            const s = await storeView(c);
            assert.equal(await s.counter('pkts').get(), total);
            const [, vals] = await s.counterMap('flows').entries();
            assert.equal(vals.reduce((a, b) => a + b, 0), total);
          });
        }

        if (v.mode === 'async') {
          test('async: a countermap grows to 20,000 keys while flushing (shared buffers grow under the state thread)', async () => {
            const c = { ...cfg(v), maxSlots: 20_000 };
            const x = await ctxOf(c);
            const m = x.counterMap('many');
            const mm = x.map('many');
            let total = 0;
            for (let k = 0; k < 20_000; k++) {
              const s = m.slot(`k${k}`);
              m.addToSlotNoWait(s, 1 + (k % 3));
              mm.setSlotNoWait(mm.slot(`k${k}`), k);
              total += 1 + (k % 3);
              if (k % 1000 === 0) { x.poll(); await sleep(1); }
            }
            assert.throws(() => m.slot('one-too-many'), /maxSlots/);
            await x.close();
            const s = await storeView(c);
            const [keys, vals] = await s.counterMap('many').entries();
            assert.equal(keys.length, 20_000);
            assert.equal(vals.reduce((a, b) => a + b, 0), total);
            assert.equal(await s.map('many').get('k19999'), 19999);
          });
        }

        if (v.mode === 'cache') {
          test('cache: what the copy knows is read from it (a change behind its back is not seen), what it does not know from the store; writes reach the store', async () => {
            const c = cfg(v);
            const x = await ctxOf(c);
            const m = x.map('nat');
            m.setSlotNoWait(m.slot('mine'), 5);
            const k = x.counter('n');
            k.setNoWait(10);
            await x.flush(); // every write acknowledged
            const s = await storeView(c);
            await s.map('nat').set('mine', 6);
            await s.map('nat').set('theirs', 7);
            await s.counter('n').add(100);
            assert.equal(await m.get('mine'), 5, 'a hit: the local copy');
            assert.equal(await k.get(), 10);
            assert.equal(await m.get('theirs'), 7, 'a miss: the store, then the copy');
            assert.equal(m.peekSlot(m.slot('theirs')), 7);
            assert.equal(m.hasSlot(m.slot('nobody')), false);
            m.eraseNoWait('mine');
            k.addNoWait(1);
            await x.close();
            assert.equal(await s.map('nat').get('mine'), null);
            assert.equal(await s.counter('n').get(), 111, 'adds are sent as deltas: the store keeps both writers');
          });
        }

        if (v.mode === 'stateless-async') {
          test('stateless-async: many reads in flight at once each get their own answer; a read after a NoWait write sees it', async () => {
            const c = cfg(v);
            const x = await ctxOf(c);
            const m = x.map('nat');
            for (let i = 0; i < 200; i++) m.setNoWait(`f${i}`, i * 3);
            await x.flush();
            const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => m.get(`f${i}`)));
            assert.deepEqual(answers, Array.from({ length: 200 }, (_, i) => i * 3));
            m.setNoWait('f7', -1);
            assert.equal(await m.get('f7'), -1);
            await x.close();
          });
        }

        test('a closed context refuses further use', async () => {
          const x = await ctxOf(cfg(v));
          await x.close();
          assert.throws(() => x.counter('a'), /closed/);
          await x.close(); // idempotent
        });
      });
    }

    // Section VI-B: timers, locks, merging functions. Cassandra's TTL is in whole seconds (a lease or
    // a record lives up to 1 s past its end in the store; reads still end it at its deadline).
    describe('Section VI-B extensions', () => {
      const coarse = () => store.url.startsWith('cassandra');
      const lease = () => (coarse() ? 1000 : 200);

      for (const v of VARIANTS) {
        test(`Timer (${vname(v)}): armed entries expire by themselves, in reads, in the store and in the local wheel`, async () => {
          const c = cfg(v);
          const x = await ctxOf(c);
          const t = x.timer('await');
          const out = new Int32Array(16);
          const t0 = Date.now();
          await t.arm('short', 150);
          const tArm = Date.now(); // short's deadline lies in [t0 + 150, tArm + 150]
          const early = () => Date.now() - t0 < 150; // short still live for certain: a loaded machine may be past it
          const sl = t.slot('long');
          t.armSlotNoWait(sl, 60_000);
          t.armNoWait('cancelled', 60_000);
          t.cancelNoWait('cancelled');
          const has = await t.contains('short');
          const left = await t.remaining('short');
          if (early()) {
            assert.equal(has, true);
            assert.ok(left !== null && left > 0 && left <= 150, `remaining ${left}`);
            assert.equal(t.advance(t0 + 149, out), 0, 'nothing fires before its deadline');
          }
          await x.flush();
          const sv = await storeView(c);
          assert.equal(await sv.timer('await').contains('long'), true, 'the store holds the record');
          assert.equal(await sv.timer('await').contains('cancelled'), false);
          const due = (await sv.timer('await').entries())[1];
          if (early()) assert.equal(due.length, 2);
          // past the deadline: gone from this context's reads and from the store's, whatever the store's TTL granularity
          await sleep(Math.max(0, tArm + 151 - Date.now()));
          assert.equal(await t.contains('short'), false);
          assert.equal(await t.remaining('short'), null);
          assert.equal(await sv.timer('await').contains('short'), false);
          assert.deepEqual((await sv.timer('await').entries())[0], ['long']);
          assert.equal(await t.size(), 1);
          // the local wheel: 'short' fires once, 'long' does not
          const n = t.advance(Date.now(), out);
          assert.equal(n, 1);
          assert.equal(t.keyOf(out[0]!), 'short');
          assert.equal(t.advance(Date.now() + 1000, out), 0, 'fired once only');
          assert.equal(t.advance(Date.now() + 61_000, out), 1, 'the long one fires at its deadline');
          // cancel and clear reach the store
          await t.cancel('long');
          t.armNoWait('c1', 60_000);
          await t.clear();
          t.armNoWait('c2', 60_000);
          await x.close();
          const s2 = await storeView(c);
          assert.deepEqual((await s2.timer('await').entries())[0], ['c2']);
        });

        test(`Timer (${vname(v)}): a new instance with a dead one's ids re-arms its wheel from the store's records`, async () => {
          const c = cfg(v);
          const a = await ctxOf(c);
          a.timer('t').armNoWait('flow1', 3000);
          a.timer('t').armNoWait('flow2', 100);
          await a.close();
          await sleep(120);
          const b = await ctxOf(c);
          const t = b.timer('t');
          await b.load();
          const left = await t.remaining('flow1');
          assert.ok(left !== null && left > 0 && left <= 3000, `remaining ${left}`);
          assert.equal(await t.contains('flow2'), false, 'expired while nobody ran: gone');
          const out = new Int32Array(4);
          assert.equal(t.advance(Date.now(), out), 0);
          assert.equal(t.advance(Date.now() + 3000, out), 1);
          assert.equal(t.keyOf(out[0]!), 'flow1');
          await b.close();
        });
      }

      test('Timer ids are checked: "@" in an id is refused with exit code 2', async () => {
        const x = await ctxOf(cfg({ mode: 'sync' }));
        assert.throws(() => x.timer('a@b'), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /timer "a@b"/.test(e.message));
        assert.throws(() => x.lock('{x}'), (e: Error & { exitCode?: number }) => e.exitCode === 2);
        await assert.rejects(x.lock('l').acquire(0), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /lease/.test(e.message));
        await assert.rejects(x.merged.map('m', 'avg' as never), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /rule/.test(e.message));
        await x.close();
      });

      for (const v of VARIANTS) {
        test(`Lock (${vname(v)}): one owner at a time; another owner can neither release nor renew it`, async () => {
          const name = `l${process.pid}x${++n}`;
          const a = await ctxOf(cfg(v, `A${n}`));
          const b = await ctxOf(cfg(v, `B${n}`));
          const la = a.lock(name), lb = b.lock(name);
          assert.equal(la.key, `nf1@Lock@${name}`);
          assert.notEqual(la.owner, lb.owner);
          assert.equal(await la.acquire(30_000), true);
          assert.equal(await lb.acquire(30_000), false, 'held by A');
          assert.equal(await lb.release(), false, 'B is not the owner: refused');
          assert.equal(await lb.renew(30_000), false);
          const h = await la.holder();
          assert.equal(h?.owner, la.owner, 'A still holds it after B tried to release it');
          // Cassandra's TTL is whole seconds and keeps a lease up to a second longer than asked
          assert.ok(h!.remainingMs > 0 && h!.remainingMs <= 30_000 + (coarse() ? 1000 : 0), `remaining ${h!.remainingMs}`);
          assert.equal(await la.acquire(30_000), true, 'a re-acquire by the owner renews');
          assert.equal(await la.renew(30_000), true);
          assert.equal(await la.release(), true);
          assert.equal(await la.holder(), null);
          assert.equal(await la.release(), false, 'released twice: nothing to release');
          assert.equal(await lb.acquire(30_000), true, 'free again: B takes it');
          assert.equal((await la.holder())?.owner, lb.owner);
          assert.equal(await lb.release(), true);
        });
      }

      test('Lock: a lease runs out by itself, the next owner gets it, the old owner can no longer renew or release it', async () => {
        const name = `lease${process.pid}x${++n}`;
        const a = await ctxOf(cfg({ mode: 'sync' }, `A${n}`));
        const b = await ctxOf(cfg({ mode: 'sync' }, `B${n}`));
        const la = a.lock(name), lb = b.lock(name);
        const t0 = Date.now();
        assert.equal(await la.acquire(lease()), true);
        assert.equal(await lb.acquire(lease()), false);
        assert.equal(await lb.acquireWithin(30_000, 20_000, 5), true, 'the lease expired within 20 s');
        const waited = Date.now() - t0;
        assert.ok(waited >= lease() - 1, `B got it after ${waited} ms, before A's ${lease()} ms lease ran out`);
        assert.equal(await la.renew(lease()), false, 'the old owner cannot renew a lock it lost');
        assert.equal(await la.release(), false, 'nor release it');
        assert.equal((await lb.holder())?.owner, lb.owner);
        assert.equal(await lb.release(), true);
      });

      test('Lock: four owners racing for one lock: exactly one wins each round', async () => {
        const name = `race${process.pid}x${++n}`;
        const xs = await Promise.all([0, 1, 2, 3].map((i) => ctxOf(cfg({ mode: 'sync' }, `R${n}i${i}`))));
        const ls = xs.map((x) => x.lock(name));
        for (let round = 0; round < 3; round++) {
          const won = await Promise.all(ls.map((l) => l.acquire(30_000)));
          assert.equal(won.filter(Boolean).length, 1, `round ${round}: ${JSON.stringify(won)}`);
          const w = ls[won.indexOf(true)]!;
          assert.equal((await w.holder())?.owner, w.owner);
          assert.equal(await w.release(), true);
        }
      });

      test('Lock (async): release() flushes first, so what was written under the lock is in the store when it is free', async () => {
        const name = `fl${process.pid}x${++n}`;
        const c = { ...cfg({ mode: 'async', flusher: 'worker' }), flushMs: 60_000 };
        const a = await ctxOf(c);
        const l = a.lock(name);
        assert.equal(await l.acquire(30_000), true);
        a.counter('shared').addNoWait(7);
        assert.equal(await l.release(), true);
        assert.equal(await (await storeView(c)).counter('shared').get(), 7);
      });

      for (const v of VARIANTS) {
        test(`merged reads (${vname(v)}): one structure over 2 instances x 2 cores, by the documented rule per type`, async () => {
          const nf = `m${process.pid}x${++n}`;
          const base = (ins: string): StateConfigInput => ({ ...cfg(v, ins), nf });
          const xs: StateContext[] = [];
          for (const ins of ['insB', 'insA']) for (const core of [1, 0]) xs.push(await ctxOf(base(ins), core));
          // xs: B1 B0 A1 A0
          const tBefore = Date.now();
          xs.forEach((x, i) => {
            x.counter('pkts').addNoWait(i + 1);
            x.counterMap('load').addToNoWait('srv1', 10);
            x.counterMap('load').addToNoWait(`own${i}`, i + 1);
            x.set('seen').insertNoWait(`s${i % 2}`);
            x.set('seen').insertNoWait(`u${i}`);
            x.map('m').setNoWait('k', 100 + i);
            x.list('l').pushBackNoWait(`e${i}`);
            x.value('v').setNoWait(`v${i}`);
            x.timer('t').armNoWait('k', 10_000 + i * 1000);
            x.timer('t').armNoWait(`own${i}`, 30_000);
          });
          const tAfter = Date.now();
          for (const x of xs.slice(1)) await x.flush(); // xs[0]'s writes are still local (async): its merged read flushes them
          const m = xs[0]!.merged;
          assert.deepEqual((await m.partitions('Counter', 'pkts')).map((p) => `${p.instance}@${p.core}`), ['insA@0', 'insA@1', 'insB@0', 'insB@1']);
          assert.equal(await m.counter('pkts'), 1 + 2 + 3 + 4);
          assert.deepEqual(await m.counterMap('load'), [['own0', 'own1', 'own2', 'own3', 'srv1'], [1, 2, 3, 4, 40]]);
          assert.deepEqual(await m.set('seen'), ['s0', 's1', 'u0', 'u1', 'u2', 'u3']);
          assert.deepEqual(await m.map('m'), [['k'], [103]]);
          assert.deepEqual(await m.map('m', 'min'), [['k'], [100]]);
          assert.deepEqual(await m.map('m', 'sum'), [['k'], [406]]);
          assert.deepEqual(await m.list('l'), ['e3', 'e2', 'e1', 'e0'], 'partition order: insA@0, insA@1, insB@0, insB@1');
          assert.deepEqual(await m.value('v'), { 'insA@0': 'v3', 'insA@1': 'v2', 'insB@0': 'v1', 'insB@1': 'v0' });
          const [tk, td] = await m.timer('t');
          assert.deepEqual(tk, ['k', 'own0', 'own1', 'own2', 'own3']);
          assert.ok(td[0]! >= tBefore + 13_000 && td[0]! <= tAfter + 13_000, `per key the latest deadline: ${td[0]! - tBefore}`);
          assert.equal(await m.counter('nothing'), 0);
          assert.deepEqual(await m.set('nothing'), []);
          // another NF's partitions never count
          const other = await ctxOf({ ...base('insA'), nf: `${nf}z` }, 0);
          other.counter('pkts').addNoWait(1000);
          await other.flush();
          assert.equal(await m.counter('pkts'), 10);
        });
      }
    });

    test('handles are typed: a counter has no map calls (compile-time)', () => {
      const f = (x: StateContext) => {
        // @ts-expect-error addTo is a countermap call
        x.counter('c').addTo('k', 1);
        // @ts-expect-error maps have no add
        x.map('m').addNoWait(1);
      };
      assert.equal(typeof f, 'function');
    });
  });
}
