// Async mode, state-thread side: merges the packet side's delta buffers into an accumulator, turns it
// into one ordered batch of changes and pushes it with a sequence number, so a flush applies once
// even when its reply was lost. While a flush is unacknowledged, newer changes keep accumulating
// and travel in the next one; a failed flush is retried unchanged, with backoff.
import type { Change, FlushCost, Partition, StoreConnection } from '../drivers/driver.js';
import { C_CLEARED0, C_COUNT0, C_SLOTS, F_ADD, F_ERASE, F_SET, SlotViews, type SlotTableInit } from './slots.js';
import type { SwapMessage } from './cache.js';
import type { StateStats } from './api.js';

class RemoteTable {
  readonly v: SlotViews;
  readonly keys: string[] = [];
  aflag = new Uint8Array(64);
  aabs = new Float64Array(64);
  adelta = new Float64Array(64);
  alist: number[] = [];
  acleared = false;
  constructor(init: SlotTableInit) {
    this.v = new SlotViews(init);
  }

  private ensure(n: number): void {
    if (n <= this.aflag.length) return;
    const m = Math.max(n, this.aflag.length * 2);
    const f = new Uint8Array(m); f.set(this.aflag); this.aflag = f;
    const a = new Float64Array(m); a.set(this.aabs); this.aabs = a;
    const d = new Float64Array(m); d.set(this.adelta); this.adelta = d;
  }

  /** fold buffer b (no longer written by the packet side) into the accumulator, then zero it */
  merge(b: number): number {
    const v = this.v;
    const ctrl = v.ctrl;
    if (ctrl[C_SLOTS]! > v.capacity) v.refresh();
    this.ensure(ctrl[C_SLOTS]!);
    if (ctrl[C_CLEARED0 + b]) {
      for (const s of this.alist) { this.aflag[s] = 0; this.adelta[s] = 0; }
      this.alist.length = 0;
      this.acleared = true;
      ctrl[C_CLEARED0 + b] = 0;
    }
    const n = ctrl[C_COUNT0 + b]!;
    const list = v.list[b], flag = v.flag[b], delta = v.delta[b], abs = v.abs[b];
    for (let i = 0; i < n; i++) {
      const s = list[i]!;
      const f = flag[s]!;
      if (this.aflag[s] === 0) this.alist.push(s);
      if (f & (F_SET | F_ERASE)) {
        this.aflag[s] = f;
        this.aabs[s] = abs[s]!;
        this.adelta[s] = delta[s]!;
      } else {
        this.aflag[s] |= f;
        this.adelta[s] += delta[s]!;
      }
      flag[s] = 0;
      delta[s] = 0;
      abs[s] = 0;
    }
    ctrl[C_COUNT0 + b] = 0;
    return n;
  }

  get pending(): boolean {
    return this.acleared || this.alist.length > 0;
  }

  /** the accumulator as changes (clear, erases, sets, adds), then reset */
  drain(out: Change[]): void {
    const { type, id } = this.v.init;
    if (this.acleared) out.push({ type, id, op: 'delete' });
    const ek: string[] = [], sk: string[] = [], sv: number[] = [], ak: string[] = [], av: number[] = [];
    for (const s of this.alist) {
      const f = this.aflag[s]!;
      const k = this.keys[s]!;
      if (f & F_ERASE) ek.push(k);
      else if (f & F_SET) { sk.push(k); sv.push(this.aabs[s]!); }
      if (f & F_ADD) { ak.push(k); av.push(this.adelta[s]!); }
      this.aflag[s] = 0; this.adelta[s] = 0; this.aabs[s] = 0;
    }
    this.alist.length = 0;
    this.acleared = false;
    if (type === 'Counter') {
      if (ek.length) out.push({ type, id, op: 'delete' });
      if (sk.length) out.push({ type, id, op: 'set', value: sv[0]! });
      if (ak.length) out.push({ type, id, op: 'add', value: av[0]! });
    } else {
      if (ek.length) out.push({ type: type as 'Map' | 'CounterMap', id, op: 'erase', keys: ek });
      if (sk.length) out.push(type === 'Map' ? { type, id, op: 'set', keys: sk, values: sv } : { type: 'CounterMap', id, op: 'set', keys: sk, values: sv });
      if (ak.length && type === 'CounterMap') out.push({ type, id, op: 'add', keys: ak, values: av });
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Swapper {
  /** get the packet side onto a fresh buffer; resolves with the new epoch */
  swap(): Promise<number>;
}

export class Collector {
  private readonly tables: RemoteTable[] = [];
  private ops: Change[] = [];
  private sending: Promise<void> | null = null;
  private rounding: Promise<void> | null = null;
  private closing = false;
  private deadline = Infinity;
  readonly stats: StateStats = { flushes: 0, entries: 0, bytes: 0, roundTrips: 0, retries: 0, last: null, lastError: null };

  constructor(
    private readonly conn: StoreConnection,
    private readonly p: Partition,
    private seq: number,
    private readonly swapper: Swapper,
    private readonly backoff = { firstMs: 10, maxMs: 1000 },
  ) {}

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
        for (const t of this.tables) if (t) t.merge(b);
      } finally {
        this.rounding = null;
      }
    })();
    return this.rounding;
  }

  private get pending(): boolean {
    return this.ops.length > 0 || this.tables.some((t) => t?.pending);
  }

  /** start sending the accumulator unless a flush is already under way */
  kick(): void {
    if (this.sending || !this.pending) return;
    const changes = this.ops;
    this.ops = [];
    for (const t of this.tables) if (t) t.drain(changes);
    this.sending = this.send({ seq: this.seq + 1, changes }).finally(() => {
      this.sending = null;
    });
    // only close() can make it reject, and close() awaits it: don't report it as unhandled
    this.sending.catch(() => {});
  }

  private async send(batch: { seq: number; changes: Change[] }): Promise<void> {
    let delay = this.backoff.firstMs;
    for (;;) {
      try {
        await this.conn.flush(this.p, batch);
        this.seq = batch.seq;
        const cost: FlushCost = this.conn.lastFlushCost?.() ?? { entries: batch.changes.length, bytes: 0, roundTrips: 1 };
        this.stats.flushes++;
        this.stats.entries += cost.entries;
        this.stats.bytes += cost.bytes;
        this.stats.roundTrips += cost.roundTrips;
        this.stats.last = cost;
        // applied, but the store refused some elements: say so rather than pass it off as a clean flush
        this.stats.lastError = cost.rejected ? `store refused ${cost.rejected.count} element(s) of flush ${batch.seq}: ${cost.rejected.first}` : null;
        return;
      } catch (err) {
        this.stats.retries++;
        this.stats.lastError = (err as Error).message;
        if (this.closing && Date.now() + delay > this.deadline) throw err;
        await sleep(delay);
        delay = Math.min(delay * 2, this.backoff.maxMs);
      }
    }
  }

  /** periodic tick: swap, merge, send if idle */
  async tick(): Promise<void> {
    await this.round();
    this.kick();
  }

  /** everything changed so far, acknowledged by the store */
  async flushAll(): Promise<void> {
    // A round in flight may have had its swap acknowledged before the latest writes (its state
    // thread wakes late): let it finish, then swap again so those writes travel too.
    const inFlight = this.rounding;
    if (inFlight) await inFlight.catch(() => {});
    await this.round();
    for (;;) {
      if (this.sending) await this.sending;
      this.kick();
      if (!this.sending) return;
    }
  }

  /** final flush with a deadline, then disconnect */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    this.deadline = Date.now() + timeoutMs;
    try {
      await this.flushAll();
    } finally {
      await this.conn.close().catch(() => {});
    }
  }
}
