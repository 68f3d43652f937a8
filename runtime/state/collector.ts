// Async mode, state-thread side: merges the packet side's delta buffers into an accumulator, turns it
// into one ordered batch of changes and pushes it with a sequence number, so a flush applies once
// even when its reply was lost. While a flush is unacknowledged, newer changes keep accumulating
// and travel in the next one; a failed flush is retried unchanged, with backoff.
import type { Change, FlushBatch, FlushCost, Partition, Snapshot, StoreConnection } from '../drivers/driver.js';
import { FlexbenchError, EXIT } from '../../common/errors.js';
import { resolveDriver } from '../drivers/registry.js';
import type { StateConfig } from './config.js';
import { C_ACC, C_CLEARED0, C_COUNT0, C_SLOTS, F_ADD, F_ERASE, F_SET, SlotViews, addsDeltas, type SlotTableInit } from './slots.js';
import type { SwapMessage } from './cache.js';
import { flowKeyOfWords } from './flow-key.js';
import type { OnStateLoss, StateLoss, StateStats, StoreOutage } from './types.js';

/** pending entries a table's accumulator keeps room for between flushes */
const ACC_KEEP = 1024;

class RemoteTable {
  readonly v: SlotViews;
  /** string keys by slot; a key given as words has none here: its string is made when a flush carries it */
  readonly keys: string[] = [];
  /**
   * a slot's store key (a word key's string is short-lived: the flush's, not kept per slot); the words are
   * the packet side's, read in the shared buffer (written before the slot's first change)
   */
  keyAt(s: number): string {
    const k = this.keys[s];
    if (k !== undefined) return k;
    // the words buffer is made at the table's first word key, after the views may have been: view it again
    if (4 * s + 3 >= this.v.words.length) this.v.refresh();
    const w = this.v.words;
    return flowKeyOfWords(w[4 * s]!, w[4 * s + 1]!, w[4 * s + 2]!, w[4 * s + 3]!);
  }
  /**
   * The accumulator, sparse: slot -> 1 + its pending entry (0: none), grown with the table's
   * capacity; the entries (slot, flag, abs, delta) in first-change order, an of them.
   */
  apos = new Int32Array(64);
  aslot = new Int32Array(64);
  aflag = new Uint8Array(64);
  aabs = new Float64Array(64);
  adelta = new Float64Array(64);
  an = 0;
  acleared = false;
  private readonly adds: boolean;
  constructor(init: SlotTableInit) {
    this.v = new SlotViews(init);
    this.adds = addsDeltas(init.type);
    Atomics.store(this.v.ctrl, C_ACC, this.aslot.length);
  }

  private ensure(n: number): void {
    if (n <= this.apos.length) return;
    // the packet side's capacity (which bytes() counts 4 B a slot of), or what the slots in use need
    const p = new Int32Array(Math.max(n, this.v.capacity)); p.set(this.apos); this.apos = p;
  }

  /** one more pending entry, for slot s (its index) */
  private entry(s: number): number {
    const e = this.an++;
    if (e === this.aslot.length) {
      const m = 2 * e;
      const sl = new Int32Array(m); sl.set(this.aslot); this.aslot = sl;
      const f = new Uint8Array(m); f.set(this.aflag); this.aflag = f;
      const a = new Float64Array(m); a.set(this.aabs); this.aabs = a;
      const d = new Float64Array(m); d.set(this.adelta); this.adelta = d;
      Atomics.store(this.v.ctrl, C_ACC, m);
    }
    this.aslot[e] = s;
    this.aflag[e] = 0;
    this.aabs[e] = 0;
    this.adelta[e] = 0;
    this.apos[s] = e + 1;
    return e;
  }

  /**
   * after a drain: room for a flush's changes is given back beyond ACC_KEEP entries (a burst of new
   * keys, a first pass over new flows, would otherwise keep it for good; regrowing by doubling copies
   * under twice the entries a flush carries, small beside making their keys)
   */
  private trim(): void {
    if (this.aslot.length <= ACC_KEEP) return;
    this.aslot = new Int32Array(ACC_KEEP);
    this.aflag = new Uint8Array(ACC_KEEP);
    this.aabs = new Float64Array(ACC_KEEP);
    this.adelta = new Float64Array(ACC_KEEP);
    Atomics.store(this.v.ctrl, C_ACC, ACC_KEEP);
  }

  /** forget every pending entry */
  private reset(): void {
    for (let e = 0; e < this.an; e++) this.apos[this.aslot[e]!] = 0;
    this.an = 0;
  }

  /** fold buffer b (no longer written by the packet side) into the accumulator, then zero it */
  merge(b: number): number {
    const v = this.v;
    const ctrl = v.ctrl;
    if (ctrl[C_SLOTS]! > v.capacity) v.refresh();
    this.ensure(ctrl[C_SLOTS]!);
    if (ctrl[C_CLEARED0 + b]) {
      this.reset();
      this.acleared = true;
      ctrl[C_CLEARED0 + b] = 0;
    }
    const n = ctrl[C_COUNT0 + b]!;
    const list = v.list[b], flag = v.flag[b], delta = v.delta[b], abs = v.abs[b];
    const adds = this.adds;
    for (let i = 0; i < n; i++) {
      const s = list[i]!;
      const f = flag[s]!;
      const p = this.apos[s]!;
      const e = p === 0 ? this.entry(s) : p - 1;
      const d = adds ? delta[s]! : 0;
      if (f & (F_SET | F_ERASE)) {
        this.aflag[e] = f;
        this.aabs[e] = abs[s]!;
        this.adelta[e] = d;
      } else {
        this.aflag[e] |= f;
        this.adelta[e] += d;
      }
      flag[s] = 0;
      if (adds) delta[s] = 0;
      abs[s] = 0;
    }
    ctrl[C_COUNT0 + b] = 0;
    return n;
  }

  get pending(): boolean {
    return this.acleared || this.an > 0;
  }

  /** the accumulator as changes (clear, erases, sets, adds), then reset; returns the sum of the adds */
  drain(out: Change[]): number {
    const { type, id } = this.v.init;
    if (this.acleared) out.push({ type, id, op: 'delete' });
    const ek: string[] = [], sk: string[] = [], sv: number[] = [], ak: string[] = [], av: number[] = [];
    let counts = 0;
    for (let e = 0; e < this.an; e++) {
      const f = this.aflag[e]!;
      const k = this.keyAt(this.aslot[e]!);
      if (f & F_ERASE) ek.push(k);
      else if (f & F_SET) { sk.push(k); sv.push(this.aabs[e]!); }
      if (f & F_ADD) { ak.push(k); av.push(this.adelta[e]!); counts += this.adelta[e]!; }
    }
    this.reset();
    this.acleared = false;
    this.trim();
    if (type === 'Counter') {
      if (ek.length) out.push({ type, id, op: 'delete' });
      if (sk.length) out.push({ type, id, op: 'set', value: sv[0]! });
      if (ak.length) out.push({ type, id, op: 'add', value: av[0]! });
    } else {
      if (ek.length) out.push({ type: type as 'Map' | 'CounterMap' | 'Timer', id, op: 'erase', keys: ek });
      if (sk.length) out.push(type === 'Map' || type === 'Timer' ? { type, id, op: 'set', keys: sk, values: sv } : { type: 'CounterMap', id, op: 'set', keys: sk, values: sv });
      if (ak.length && type === 'CounterMap') out.push({ type, id, op: 'add', keys: ak, values: av });
    }
    return counts;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Swapper {
  /** get the packet side onto a fresh buffer; resolves with the new epoch */
  swap(): Promise<number>;
  /** did the packet side change anything since the last swap (absent: assume it did) */
  dirty?(): boolean;
  /**
   * a swap may have been asked for (and answered) before the caller's latest writes: a flush that
   * must carry them completes that one and then swaps again
   */
  pipelined?: boolean;
}

/** Cumulative counts acknowledged, per flush sequence number, kept for this many flushes. */
const RING = 1 << 16;

/** What to do when a flush finds the store lost acknowledged flushes, and whom to tell. */
export interface LossPolicy {
  action: OnStateLoss;
  /** the store's URL, for the report */
  store: string;
  notify: (loss: StateLoss) => void;
  /** told when flushes start failing and when one is acknowledged again (a copy each time) */
  outage?: (o: StoreOutage) => void;
  /** reload: an in-process store mirroring what the store acknowledged (the hashmap driver) */
  mirror?: StoreConnection;
}

export class Collector {
  private readonly tables: RemoteTable[] = [];
  private ops: Change[] = [];
  private sending: Promise<void> | null = null;
  private rounding: Promise<void> | null = null;
  private closing = false;
  /** send what waits as soon as the flush in flight is acknowledged (the state thread's lazy replies) */
  chain = false;
  private deadline = Infinity;
  /** fail: the loss that stopped this partition's flushes (nothing more is written) */
  private failed: StateLoss | null = null;
  /** the outage under way (flushes failing since), null while flushes succeed */
  private outage: StoreOutage | null = null;
  // sum of every counter/countermap increment acknowledged, and its value at each recent seq
  private counted = 0;
  private readonly countedAt = new Float64Array(RING);
  /** below this seq, and at it, the store held things this collector did not count */
  private floorSeq: number;
  private readonly touched = new Map<string, { type: Change['type']; id: string }>();
  readonly stats: StateStats = { flushes: 0, entries: 0, bytes: 0, roundTrips: 0, retries: 0, outages: [], last: null, lastError: null, losses: [], mergeMs: 0, encodeMs: 0, writes: null, reads: null, busyMs: null, cpuMs: null, wakeups: null };

  constructor(
    private readonly conn: StoreConnection,
    private readonly p: Partition,
    private seq: number,
    private readonly swapper: Swapper,
    private readonly backoff = { firstMs: 10, maxMs: 1000 },
    private readonly loss: LossPolicy = { action: 'fail', store: conn.url, notify: () => {} },
  ) {
    this.floorSeq = seq;
  }

  /** reload: seed the mirror with what the store holds now (a recovered partition's state) */
  async start(): Promise<void> {
    const m = this.loss.mirror;
    if (!m) return;
    const snap = await this.conn.loadPartition(this.p);
    const changes = this.rewrite(snap, false);
    for (const c of changes) await m.apply(this.p, c);
    this.remember(changes);
  }

  receive(m: SwapMessage): void {
    for (const t of m.tables) this.tables[t.index] = new RemoteTable(t);
    for (let i = 0; i < m.keys.length; i += 3) this.tables[m.keys[i] as number]!.keys[m.keys[i + 1] as number] = m.keys[i + 2] as string;
    for (const c of m.ops) this.ops.push(c);
  }

  /** one swap + merge; concurrent callers share it */
  round(): Promise<void> {
    this.rounding ??= (async () => {
      try {
        const e = await this.swapper.swap();
        const b = (e - 1) & 1;
        const t0 = performance.now();
        for (const t of this.tables) if (t) t.merge(b);
        this.stats.mergeMs += performance.now() - t0;
      } finally {
        this.rounding = null;
      }
    })();
    return this.rounding;
  }

  /** a swap, merge or flush under way (a flush in flight waits for its reply, or for its retry) */
  get busy(): boolean {
    return this.sending !== null || this.rounding !== null;
  }

  /** something merged and not yet sent (a flush in flight makes the next wait) */
  get pending(): boolean {
    return this.ops.length > 0 || this.tables.some((t) => t?.pending);
  }

  /** start sending the accumulator unless a flush is already under way */
  kick(): void {
    if (this.sending || this.failed || !this.pending) return;
    const t0 = performance.now();
    const changes = this.ops;
    this.ops = [];
    let counts = 0;
    for (const t of this.tables) if (t) counts += t.drain(changes);
    this.stats.mergeMs += performance.now() - t0;
    this.sending = this.send({ seq: this.seq + 1, changes }, counts).finally(() => {
      this.sending = null;
      // lazy replies: the reply is read at a tick, which merged while this flush was out: send that
      // now, from the same wake-up, instead of at the next tick
      if (this.chain) this.kick();
    });
    // only close() can make it reject, and close() awaits it: don't report it as unhandled
    this.sending.catch(() => {});
  }

  private async send(batch: FlushBatch, counts: number): Promise<void> {
    let delay = this.backoff.firstMs;
    const own = batch.changes; // a reload puts the acknowledged state before them
    for (;;) {
      const tried = Date.now();
      try {
        const outcome = await this.conn.flush(this.p, batch);
        if (outcome === 'behind') {
          batch = await this.lost(batch, own);
          if (this.failed) return;
          continue;
        }
        if (this.outage) {
          this.outage.to = Date.now();
          this.loss.outage?.({ ...this.outage });
          this.outage = null;
        }
        this.seq = batch.seq;
        this.counted += counts;
        this.countedAt[batch.seq % RING] = this.counted;
        if (this.loss.mirror) {
          await this.loss.mirror.flush(this.p, { seq: batch.seq, changes: own, resync: true });
          this.remember(own);
        }
        const cost: FlushCost = this.conn.lastFlushCost?.() ?? { entries: batch.changes.length, bytes: 0, roundTrips: 1 };
        this.stats.flushes++;
        this.stats.entries += cost.entries;
        this.stats.bytes += cost.bytes;
        this.stats.roundTrips += cost.roundTrips;
        this.stats.encodeMs += cost.encodeMs ?? 0;
        if (cost.writes !== undefined) this.stats.writes = (this.stats.writes ?? 0) + cost.writes;
        if (cost.reads !== undefined) this.stats.reads = (this.stats.reads ?? 0) + cost.reads;
        this.stats.last = cost;
        // applied, but the store refused some elements: say so rather than pass it off as a clean flush
        this.stats.lastError = cost.rejected ? `store refused ${cost.rejected.count} element(s) of flush ${batch.seq}: ${cost.rejected.first}` : null;
        return;
      } catch (err) {
        this.stats.retries++;
        this.stats.lastError = (err as Error).message;
        if (!this.outage) {
          // from the attempt's start: a client may retry inside one attempt (a cluster's redirections) before it fails
          this.stats.outages.push((this.outage = { from: tried, to: null, failed: 1, error: (err as Error).message }));
          this.loss.outage?.({ ...this.outage });
        } else this.outage.failed++;
        if (this.closing && Date.now() + delay > this.deadline) throw err;
        await sleep(delay);
        delay = Math.min(delay * 2, this.backoff.maxMs);
      }
    }
  }

  /**
   * The store no longer holds this partition's last acknowledged flush: report what was lost, then
   * stop writing (fail), continue on top of what is left (warn), or write the acknowledged state
   * back first (reload). Returns the batch to send next.
   */
  private async lost(batch: FlushBatch, own: Change[]): Promise<FlushBatch> {
    const storeSeq = await this.conn.lastSeq(this.p);
    const expected = batch.seq - 1;
    const floor = Math.max(this.floorSeq, storeSeq);
    const inRing = expected - floor < RING;
    const at = (q: number) => (q <= this.floorSeq ? this.countedAt[this.floorSeq % RING]! : this.countedAt[q % RING]!);
    const exact = storeSeq >= this.floorSeq && inRing;
    const loss: StateLoss = {
      at: new Date().toISOString(),
      store: this.loss.store,
      partition: `${this.p.nf}@${this.p.instance}@${this.p.core}`,
      flush_seq: batch.seq,
      expected_seq: expected,
      store_seq: storeSeq,
      flushes_lost: expected - floor, // those lost before were reported then
      counts_lost: inRing ? this.counted - at(floor) : null,
      counts_exact: exact,
      action: this.loss.action,
    };
    let next: FlushBatch = { ...batch, resync: true };
    if (this.loss.action === 'fail') {
      this.failed = loss;
      this.stats.lastError = stateLossMessage(loss);
    } else if (this.loss.action === 'reload' && this.loss.mirror) {
      const rewrite = this.rewrite(await this.loss.mirror.loadPartition(this.p), true);
      loss.reloaded_entries = rewrite.length;
      next = { seq: batch.seq, changes: rewrite.concat(own), resync: true };
    }
    if (loss.reloaded_entries === undefined) {
      // warn: what the store holds of ours starts again at this flush (on top of whatever it kept)
      this.floorSeq = batch.seq - 1;
      this.countedAt[this.floorSeq % RING] = this.counted;
    }
    this.stats.losses.push(loss);
    this.loss.notify(loss);
    return next;
  }

  /** the structures a snapshot holds as absolute writes (with `clear`, each first deleted, the touched ones too) */
  private rewrite(snap: Snapshot, clear: boolean): Change[] {
    const out: Change[] = [];
    if (clear) for (const t of this.touched.values()) out.push({ type: t.type, id: t.id, op: 'delete' });
    for (const [id, v] of Object.entries(snap.values)) out.push({ type: 'Value', id, op: 'set', value: v });
    for (const [id, v] of Object.entries(snap.counters)) out.push({ type: 'Counter', id, op: 'set', value: v });
    for (const [id, v] of Object.entries(snap.lists)) if (v.length) out.push({ type: 'List', id, op: 'pushBack', values: v });
    for (const [id, v] of Object.entries(snap.sets)) if (v.length) out.push({ type: 'Set', id, op: 'insert', values: v });
    for (const [id, [k, v]] of Object.entries(snap.maps)) if (k.length) out.push({ type: 'Map', id, op: 'set', keys: k, values: v });
    for (const [id, [k, v]] of Object.entries(snap.counterMaps)) if (k.length) out.push({ type: 'CounterMap', id, op: 'set', keys: k, values: v });
    for (const [id, [k, v]] of Object.entries(snap.timers)) if (k.length) out.push({ type: 'Timer', id, op: 'set', keys: k, values: v });
    return out;
  }

  private remember(changes: readonly Change[]): void {
    for (const c of changes) {
      const k = `${c.type}@${c.id}`;
      if (!this.touched.has(k)) this.touched.set(k, { type: c.type, id: c.id });
    }
  }

  /** nothing changed on the packet side and nothing waits here: a periodic tick has nothing to do */
  get idle(): boolean {
    return this.swapper.dirty?.() === false && !this.pending;
  }

  /** periodic tick: swap and merge if the packet side changed anything, send if idle */
  async tick(): Promise<void> {
    if (this.swapper.dirty?.() !== false) await this.round();
    this.kick();
  }

  /** everything changed so far, acknowledged by the store (rejects once a state loss stopped the flushes) */
  async flushAll(): Promise<void> {
    // A round in flight may have had its swap acknowledged before the latest writes (its state
    // thread wakes late): let it finish, then swap again so those writes travel too.
    const inFlight = this.rounding;
    if (inFlight) await inFlight.catch(() => {});
    if (this.swapper.pipelined) await this.round();
    await this.round();
    for (;;) {
      if (this.sending) await this.sending;
      if (this.failed) throw new FlexbenchError(stateLossMessage(this.failed), EXIT.environment);
      this.kick();
      if (!this.sending) return;
    }
  }

  /** final flush with a deadline, then disconnect */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    this.deadline = Date.now() + timeoutMs;
    try {
      // after a loss with action fail nothing more is written: the store stays as it came back
      await this.flushAll().catch((err) => { if (!this.failed) throw err; });
    } finally {
      await this.conn.close().catch(() => {});
      await this.loss.mirror?.dropPartition(this.p).catch(() => {});
      await this.loss.mirror?.close().catch(() => {});
    }
  }
}

/** One sentence for stderr and errors: where, what the store held, what was lost, what happens next. */
export function stateLossMessage(l: StateLoss): string {
  const what = l.counts_lost === null ? '' : `, ${l.counts_exact ? '' : 'at least '}${l.counts_lost} counted increments`;
  const next = l.action === 'fail' ? 'flushes stopped (--on-state-loss fail)' : l.action === 'warn' ? 'continuing on top of what it kept (--on-state-loss warn)' : `acknowledged state written back (${l.reloaded_entries ?? 0} changes, --on-state-loss reload)`;
  return `state lost: store ${l.store} holds flush ${l.store_seq} of partition ${l.partition}, which had acknowledged flush ${l.expected_seq} (${l.flushes_lost} acknowledged flushes lost${what}); ${next}`;
}

/**
 * onStateLoss reload: an in-process store (hashmap driver, private to this partition) that mirrors
 * what the store acknowledged, so it can be written back; in-process stores themselves need none.
 */
export async function lossMirror(config: StateConfig, p: Partition): Promise<StoreConnection | undefined> {
  if (config.onStateLoss !== 'reload' || config.store.startsWith('hashmap:')) return undefined;
  const url = `hashmap:flexbench-loss-mirror-${p.nf}@${p.instance}@${p.core}-${process.pid}-${Math.random().toString(36).slice(2)}`;
  return (await resolveDriver(url)).connect(url, {});
}
