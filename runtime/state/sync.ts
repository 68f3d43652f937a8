// Sync mode: every call goes to the store and is awaited (the paper's Sync Counter). NoWait calls
// are sent without waiting; a failure surfaces on the next waiting call, flush() or close().
// StatelessNF's modes use the same link: `cache` puts a local copy of counters, maps and countermaps
// in front of it (reads answered from the copy, writes update it and go to the store at once, not
// waited on); `stateless-async` sends a read at once, beside the reads in flight (pipelined), unless a
// write is still on its way: then it waits its turn behind it, so a read always sees this context's writes.
import { flowKeyOfWords } from './flow-key.js';
import type { Change, Partition, Query, StoreConnection } from '../drivers/driver.js';
import { structKey } from '../drivers/driver.js';
import { FlexbenchError, EXIT } from '../../common/errors.js';
import type { CounterHandle, CounterMapHandle, ListHandle, MapHandle, SetHandle, TimerHandle, ValueHandle } from './types.js';
import { TimerWheel } from '../../common/timer-wheel.js';

export class SyncLink {
  // Every call runs after the previous one finished: a cluster client may reorder commands that
  // are in flight together (a MOVED retry overtaking a later command), and order is the contract.
  private tail: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;
  /** writes sent and not yet acknowledged (stateless-async: a read overtakes nothing but reads) */
  private writes = 0;
  private readonly written = (): void => { this.writes--; };
  constructor(readonly conn: StoreConnection, readonly p: Partition, private readonly pipelineReads = false) {}

  private check(): void {
    if (this.failure) {
      const f = this.failure;
      this.failure = null;
      throw f;
    }
  }
  private chain<T>(f: () => Promise<T>): Promise<T> {
    const r = this.tail.then(f, f);
    this.tail = r.catch(() => {});
    return r;
  }
  /** a call that may write, in order; stateless-async counts it so no read overtakes it */
  private ordered<T>(f: () => Promise<T>): Promise<T> {
    if (!this.pipelineReads) return this.chain(f);
    this.writes++;
    const r = this.chain(f);
    r.then(this.written, this.written);
    return r;
  }
  private write(c: Change): Promise<void> {
    return this.ordered(() => this.conn.apply(this.p, c));
  }
  async apply(c: Change): Promise<void> {
    this.check();
    await this.write(c);
  }
  applyNoWait(c: Change): void {
    this.check();
    this.write(c).catch((e: Error) => { this.failure ??= e; });
  }
  /** run `f` after every call sent so far (merged reads, locks) */
  async run<T>(f: () => Promise<T>): Promise<T> {
    this.check();
    return this.ordered(f);
  }
  async query<T>(q: Query): Promise<T> {
    this.check();
    if (this.pipelineReads && this.writes === 0) return (await this.conn.query(this.p, q)) as T;
    return (await this.chain(() => this.conn.query(this.p, q))) as T;
  }
  /** wait for every NoWait call sent so far */
  async settle(): Promise<void> {
    await this.tail;
    this.check();
  }
}

const asyncOnly = (what: string) => new FlexbenchError(`${what} reads the local cache, which exists only in async and cache modes (mode: async or cache)`, EXIT.usage);
const notRead = (what: string) => new FlexbenchError(`${what}: the local copy has not seen this value yet (cache mode: get() it once, or set it, first)`, EXIT.usage);

/** cache mode: values by slot and whether the copy knows them (grown with the slots). */
class LocalCopy {
  vals = new Float64Array(64);
  has = new Uint8Array(64);
  fit(s: number): void {
    if (s < this.has.length) return;
    let n = this.has.length * 2;
    while (n <= s) n *= 2;
    const v = new Float64Array(n);
    v.set(this.vals);
    this.vals = v;
    const h = new Uint8Array(n);
    h.set(this.has);
    this.has = h;
  }
  put(s: number, v: number): void {
    this.fit(s);
    this.vals[s] = v;
    this.has[s] = 1;
  }
  drop(s: number): void {
    if (s < this.has.length) this.has[s] = 0;
  }
  known(s: number): boolean {
    return s < this.has.length && this.has[s] === 1;
  }
  clear(): void {
    this.has.fill(0);
  }
}

class SyncValue implements ValueHandle {
  readonly key: string;
  constructor(private readonly l: SyncLink, readonly id: string) { this.key = structKey(l.p, 'Value', id); }
  get() { return this.l.query<string | null>({ type: 'Value', id: this.id, op: 'get' }); }
  set(v: string) { return this.l.apply({ type: 'Value', id: this.id, op: 'set', value: String(v) }); }
  setNoWait(v: string) { this.l.applyNoWait({ type: 'Value', id: this.id, op: 'set', value: String(v) }); }
  delete() { return this.l.apply({ type: 'Value', id: this.id, op: 'delete' }); }
  deleteNoWait() { this.l.applyNoWait({ type: 'Value', id: this.id, op: 'delete' }); }
}

class SyncCounter implements CounterHandle {
  readonly key: string;
  /** cache mode: the copy's value, NaN until known */
  private v = NaN;
  constructor(private readonly l: SyncLink, readonly id: string, private readonly local: boolean) { this.key = structKey(l.p, 'Counter', id); }
  get(): Promise<number> {
    if (this.local && !Number.isNaN(this.v)) return Promise.resolve(this.v);
    const r = this.l.query<number>({ type: 'Counter', id: this.id, op: 'get' });
    return this.local ? r.then((x) => (this.v = x)) : r;
  }
  private own(v: number): void { if (this.local && !Number.isNaN(this.v)) this.v += v; }
  add(v = 1) { this.own(v); return this.l.apply({ type: 'Counter', id: this.id, op: 'add', value: v }); }
  addNoWait(v = 1) { this.own(v); this.l.applyNoWait({ type: 'Counter', id: this.id, op: 'add', value: v }); }
  set(v: number) { if (this.local) this.v = v; return this.l.apply({ type: 'Counter', id: this.id, op: 'set', value: v }); }
  setNoWait(v: number) { if (this.local) this.v = v; this.l.applyNoWait({ type: 'Counter', id: this.id, op: 'set', value: v }); }
  delete() { if (this.local) this.v = 0; return this.l.apply({ type: 'Counter', id: this.id, op: 'delete' }); }
  deleteNoWait() { if (this.local) this.v = 0; this.l.applyNoWait({ type: 'Counter', id: this.id, op: 'delete' }); }
  peek(): number {
    if (!this.local) throw asyncOnly(`${this.key}.peek()`);
    if (Number.isNaN(this.v)) throw notRead(`${this.key}.peek()`);
    return this.v;
  }
}

class SyncList implements ListHandle {
  readonly key: string;
  constructor(private readonly l: SyncLink, readonly id: string) { this.key = structKey(l.p, 'List', id); }
  private c(op: 'pushBack' | 'pushFront', v: string): Change { return { type: 'List', id: this.id, op, values: [String(v)] }; }
  pushBack(v: string) { return this.l.apply(this.c('pushBack', v)); }
  pushBackNoWait(v: string) { this.l.applyNoWait(this.c('pushBack', v)); }
  pushFront(v: string) { return this.l.apply(this.c('pushFront', v)); }
  pushFrontNoWait(v: string) { this.l.applyNoWait(this.c('pushFront', v)); }
  popFront() { return this.l.query<string | null>({ type: 'List', id: this.id, op: 'popFront' }); }
  popBack() { return this.l.query<string | null>({ type: 'List', id: this.id, op: 'popBack' }); }
  at(index: number) { return this.l.query<string | null>({ type: 'List', id: this.id, op: 'at', index }); }
  find(v: string) { return this.l.query<number>({ type: 'List', id: this.id, op: 'find', value: String(v) }); }
  async contains(v: string) { return (await this.find(v)) >= 0; }
  setAt(index: number, v: string) { return this.l.apply({ type: 'List', id: this.id, op: 'setAt', index, value: String(v) }); }
  setAtNoWait(index: number, v: string) { this.l.applyNoWait({ type: 'List', id: this.id, op: 'setAt', index, value: String(v) }); }
  size() { return this.l.query<number>({ type: 'List', id: this.id, op: 'size' }); }
  items() { return this.l.query<string[]>({ type: 'List', id: this.id, op: 'items' }); }
  clear() { return this.l.apply({ type: 'List', id: this.id, op: 'delete' }); }
  clearNoWait() { this.l.applyNoWait({ type: 'List', id: this.id, op: 'delete' }); }
}

class SyncSet implements SetHandle {
  readonly key: string;
  constructor(private readonly l: SyncLink, readonly id: string) { this.key = structKey(l.p, 'Set', id); }
  insert(v: string) { return this.l.apply({ type: 'Set', id: this.id, op: 'insert', values: [String(v)] }); }
  insertNoWait(v: string) { this.l.applyNoWait({ type: 'Set', id: this.id, op: 'insert', values: [String(v)] }); }
  erase(v: string) { return this.l.apply({ type: 'Set', id: this.id, op: 'erase', values: [String(v)] }); }
  eraseNoWait(v: string) { this.l.applyNoWait({ type: 'Set', id: this.id, op: 'erase', values: [String(v)] }); }
  contains(v: string) { return this.l.query<boolean>({ type: 'Set', id: this.id, op: 'has', value: String(v) }); }
  size() { return this.l.query<number>({ type: 'Set', id: this.id, op: 'size' }); }
  items() { return this.l.query<string[]>({ type: 'Set', id: this.id, op: 'items' }); }
  clear() { return this.l.apply({ type: 'Set', id: this.id, op: 'delete' }); }
  clearNoWait() { this.l.applyNoWait({ type: 'Set', id: this.id, op: 'delete' }); }
}

/** Sync-mode slots: numbers given to string keys in the order first seen (the store is sent the key). */
class KeySlots {
  readonly keys: string[] = [];
  private readonly index = new Map<string, number>();
  slot(key: string): number {
    let s = this.index.get(key);
    if (s === undefined) { s = this.keys.length; this.keys.push(key); this.index.set(key, s); }
    return s;
  }
}

class SyncMap implements MapHandle {
  readonly key: string;
  private readonly slots = new KeySlots();
  /** cache mode: the local copy reads are answered from */
  protected readonly c: LocalCopy | null;
  constructor(protected readonly l: SyncLink, readonly id: string, protected readonly type: 'Map' | 'CounterMap', local: boolean) {
    this.key = structKey(l.p, type, id);
    this.c = local ? new LocalCopy() : null;
  }
  protected setChange(key: string, v: number): Change {
    return this.type === 'Map' ? { type: 'Map', id: this.id, op: 'set', keys: [key], values: [v] } : { type: 'CounterMap', id: this.id, op: 'set', keys: [key], values: [v] };
  }
  get(key: string): Promise<number | null> {
    key = String(key);
    const c = this.c;
    if (c === null) return this.l.query<number | null>({ type: this.type, id: this.id, op: 'get', key });
    const s = this.slot(key);
    if (c.known(s)) return Promise.resolve(c.vals[s]!);
    // a miss: the store's answer fills the copy (nothing found is not remembered: another writer may add it)
    return this.l.query<number | null>({ type: this.type, id: this.id, op: 'get', key }).then((v) => {
      if (v !== null && !c.known(s)) c.put(s, v);
      return v;
    });
  }
  set(key: string, v: number) { key = String(key); this.c?.put(this.slot(key), v); return this.l.apply(this.setChange(key, v)); }
  setNoWait(key: string, v: number) { key = String(key); this.c?.put(this.slot(key), v); this.l.applyNoWait(this.setChange(key, v)); }
  erase(key: string) { key = String(key); this.c?.drop(this.slot(key)); return this.l.apply({ type: this.type, id: this.id, op: 'erase', keys: [key] }); }
  eraseNoWait(key: string) { key = String(key); this.c?.drop(this.slot(key)); this.l.applyNoWait({ type: this.type, id: this.id, op: 'erase', keys: [key] }); }
  contains(key: string): Promise<boolean> {
    key = String(key);
    if (this.c !== null && this.c.known(this.slot(key))) return Promise.resolve(true);
    return this.l.query<boolean>({ type: this.type, id: this.id, op: 'has', key });
  }
  size() { return this.l.query<number>({ type: this.type, id: this.id, op: 'size' }); }
  entries() { return this.l.query<[string[], number[]]>({ type: this.type, id: this.id, op: 'entries' }); }
  clear() { this.c?.clear(); return this.l.apply({ type: this.type, id: this.id, op: 'delete' }); }
  clearNoWait() { this.c?.clear(); this.l.applyNoWait({ type: this.type, id: this.id, op: 'delete' }); }
  slot(key: string): number { return this.slots.slot(String(key)); }
  keyOf(slot: number) { return this.slots.keys[slot]!; }
  // sync mode sends the string key with every call anyway
  slotOfFlow(a: number, b: number, c: number, d: number) { return this.slot(flowKeyOfWords(a, b, c, d)); }
  setSlotNoWait(slot: number, v: number) { this.setNoWait(this.slots.keys[slot]!, v); }
  eraseSlotNoWait(slot: number) { this.eraseNoWait(this.slots.keys[slot]!); }
  hasSlot(slot: number): boolean {
    if (this.c === null) throw asyncOnly(`${this.key}.hasSlot()`);
    return this.c.known(slot);
  }
  peekSlot(slot: number): number {
    if (this.c === null) throw asyncOnly(`${this.key}.peekSlot()`);
    return this.c.known(slot) ? this.c.vals[slot]! : 0;
  }
}

class SyncCounterMap extends SyncMap implements CounterMapHandle {
  /** cache mode: an add moves a value the copy knows; one it does not know is read from the store when asked */
  private own(key: string, v: number): void {
    const c = this.c;
    if (c === null) return;
    const s = this.slot(key);
    if (c.known(s)) c.vals[s] += v;
  }
  addTo(key: string, v = 1) { key = String(key); this.own(key, v); return this.l.apply({ type: 'CounterMap', id: this.id, op: 'add', keys: [key], values: [v] }); }
  addToNoWait(key: string, v = 1) { key = String(key); this.own(key, v); this.l.applyNoWait({ type: 'CounterMap', id: this.id, op: 'add', keys: [key], values: [v] }); }
  addToSlotNoWait(slot: number, v = 1) { this.addToNoWait(this.keyOf(slot), v); }
}

/**
 * Timers in sync mode: every arm and cancel goes to the store (its record expires by itself); the
 * local wheel tells the NF when one fires, and load() re-arms it from the store's records.
 */
class SyncTimer implements TimerHandle {
  readonly key: string;
  private readonly slots = new KeySlots();
  private clock = Date.now();
  private readonly wheel = new TimerWheel(1, 4096, 64, this.clock);
  constructor(private readonly l: SyncLink, readonly id: string) { this.key = structKey(l.p, 'Timer', id); }
  private now(): number { const n = Date.now(); if (n > this.clock) this.clock = n; return this.clock; }
  slot(key: string): number { return this.slots.slot(String(key)); }
  keyOf(slot: number) { return this.slots.keys[slot]!; }
  private armChange(s: number, ttlMs: number): Change {
    const d = this.clock + ttlMs;
    this.wheel.arm(s, d);
    return { type: 'Timer', id: this.id, op: 'set', keys: [this.slots.keys[s]!], values: [d] };
  }
  arm(key: string, ttlMs: number) { this.now(); return this.l.apply(this.armChange(this.slot(key), ttlMs)); }
  armNoWait(key: string, ttlMs: number) { this.l.applyNoWait(this.armChange(this.slot(key), ttlMs)); }
  armSlotNoWait(slot: number, ttlMs: number) { this.l.applyNoWait(this.armChange(slot, ttlMs)); }
  private cancelChange(s: number): Change {
    this.wheel.cancel(s);
    return { type: 'Timer', id: this.id, op: 'erase', keys: [this.slots.keys[s]!] };
  }
  cancel(key: string) { return this.l.apply(this.cancelChange(this.slot(key))); }
  cancelNoWait(key: string) { this.l.applyNoWait(this.cancelChange(this.slot(key))); }
  cancelSlotNoWait(slot: number) { this.l.applyNoWait(this.cancelChange(slot)); }
  async remaining(key: string) {
    const d = await this.l.query<number | null>({ type: 'Timer', id: this.id, op: 'get', key: String(key) });
    if (d === null) return null;
    const left = d - this.now();
    return left > 0 ? left : null;
  }
  contains(key: string) { return this.l.query<boolean>({ type: 'Timer', id: this.id, op: 'has', key: String(key) }); }
  size() { return this.l.query<number>({ type: 'Timer', id: this.id, op: 'size' }); }
  entries() { return this.l.query<[string[], number[]]>({ type: 'Timer', id: this.id, op: 'entries' }); }
  clear() { this.wheel.clear(); return this.l.apply({ type: 'Timer', id: this.id, op: 'delete' }); }
  clearNoWait() { this.wheel.clear(); this.l.applyNoWait({ type: 'Timer', id: this.id, op: 'delete' }); }
  advance(nowMs: number, out: Int32Array): number {
    if (nowMs > this.clock) this.clock = nowMs;
    return this.wheel.advance(nowMs, out);
  }
  /** recovery: arm the local wheel from the records the store still holds */
  async rearm(): Promise<void> {
    const [ks, ds] = await this.entries();
    this.wheel.clear();
    for (let i = 0; i < ks.length; i++) this.wheel.arm(this.slot(ks[i]!), ds[i]!);
  }
}

export class SyncHandles {
  private readonly handles = new Map<string, unknown>();
  private readonly timers: SyncTimer[] = [];
  /** local: cache mode's local copy in front of the store */
  constructor(readonly link: SyncLink, private readonly local = false) {}
  private memo<T>(k: string, make: () => T): T {
    let h = this.handles.get(k) as T | undefined;
    if (!h) this.handles.set(k, (h = make()));
    return h;
  }
  value(id: string): ValueHandle { return this.memo(`Value@${id}`, () => new SyncValue(this.link, id)); }
  counter(id: string): CounterHandle { return this.memo(`Counter@${id}`, () => new SyncCounter(this.link, id, this.local)); }
  list(id: string): ListHandle { return this.memo(`List@${id}`, () => new SyncList(this.link, id)); }
  set(id: string): SetHandle { return this.memo(`Set@${id}`, () => new SyncSet(this.link, id)); }
  map(id: string): MapHandle { return this.memo(`Map@${id}`, () => new SyncMap(this.link, id, 'Map', this.local)); }
  counterMap(id: string): CounterMapHandle { return this.memo(`CounterMap@${id}`, () => new SyncCounterMap(this.link, id, 'CounterMap', this.local)); }
  timer(id: string): TimerHandle {
    return this.memo(`Timer@${id}`, () => { const t = new SyncTimer(this.link, id); this.timers.push(t); return t; });
  }
  /** recovery: every timer handle's local wheel armed again from the store */
  async rearmTimers(): Promise<void> {
    for (const t of this.timers) await t.rearm();
  }
}
