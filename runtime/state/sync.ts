// Sync mode: every call goes to the store and is awaited (the paper's Sync Counter). NoWait calls
// are sent without waiting; a failure surfaces on the next waiting call, flush() or close().
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
  constructor(readonly conn: StoreConnection, readonly p: Partition) {}

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
  async apply(c: Change): Promise<void> {
    this.check();
    await this.chain(() => this.conn.apply(this.p, c));
  }
  applyNoWait(c: Change): void {
    this.check();
    this.chain(() => this.conn.apply(this.p, c)).catch((e: Error) => { this.failure ??= e; });
  }
  /** run `f` after every call sent so far (merged reads, locks) */
  async run<T>(f: () => Promise<T>): Promise<T> {
    this.check();
    return this.chain(f);
  }
  async query<T>(q: Query): Promise<T> {
    this.check();
    return (await this.chain(() => this.conn.query(this.p, q))) as T;
  }
  /** wait for every NoWait call sent so far */
  async settle(): Promise<void> {
    await this.tail;
    this.check();
  }
}

const asyncOnly = (what: string) => new FlexbenchError(`${what} reads the local cache, which exists only in async mode (mode: async)`, EXIT.usage);

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
  constructor(private readonly l: SyncLink, readonly id: string) { this.key = structKey(l.p, 'Counter', id); }
  get() { return this.l.query<number>({ type: 'Counter', id: this.id, op: 'get' }); }
  add(v = 1) { return this.l.apply({ type: 'Counter', id: this.id, op: 'add', value: v }); }
  addNoWait(v = 1) { this.l.applyNoWait({ type: 'Counter', id: this.id, op: 'add', value: v }); }
  set(v: number) { return this.l.apply({ type: 'Counter', id: this.id, op: 'set', value: v }); }
  setNoWait(v: number) { this.l.applyNoWait({ type: 'Counter', id: this.id, op: 'set', value: v }); }
  delete() { return this.l.apply({ type: 'Counter', id: this.id, op: 'delete' }); }
  deleteNoWait() { this.l.applyNoWait({ type: 'Counter', id: this.id, op: 'delete' }); }
  peek(): number { throw asyncOnly(`${this.key}.peek()`); }
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

class SyncMap implements MapHandle {
  readonly key: string;
  private readonly keys: string[] = [];
  private readonly index = new Map<string, number>();
  constructor(protected readonly l: SyncLink, readonly id: string, protected readonly type: 'Map' | 'CounterMap') { this.key = structKey(l.p, type, id); }
  protected setChange(key: string, v: number): Change {
    return this.type === 'Map' ? { type: 'Map', id: this.id, op: 'set', keys: [key], values: [v] } : { type: 'CounterMap', id: this.id, op: 'set', keys: [key], values: [v] };
  }
  get(key: string) { return this.l.query<number | null>({ type: this.type, id: this.id, op: 'get', key: String(key) }); }
  set(key: string, v: number) { return this.l.apply(this.setChange(String(key), v)); }
  setNoWait(key: string, v: number) { this.l.applyNoWait(this.setChange(String(key), v)); }
  erase(key: string) { return this.l.apply({ type: this.type, id: this.id, op: 'erase', keys: [String(key)] }); }
  eraseNoWait(key: string) { this.l.applyNoWait({ type: this.type, id: this.id, op: 'erase', keys: [String(key)] }); }
  contains(key: string) { return this.l.query<boolean>({ type: this.type, id: this.id, op: 'has', key: String(key) }); }
  size() { return this.l.query<number>({ type: this.type, id: this.id, op: 'size' }); }
  entries() { return this.l.query<[string[], number[]]>({ type: this.type, id: this.id, op: 'entries' }); }
  clear() { return this.l.apply({ type: this.type, id: this.id, op: 'delete' }); }
  clearNoWait() { this.l.applyNoWait({ type: this.type, id: this.id, op: 'delete' }); }
  slot(key: string): number {
    key = String(key);
    let s = this.index.get(key);
    if (s === undefined) { s = this.keys.length; this.keys.push(key); this.index.set(key, s); }
    return s;
  }
  keyOf(slot: number) { return this.keys[slot]!; }
  // sync mode sends the string key with every call anyway
  slotOfFlow(a: number, b: number, c: number, d: number) { return this.slot(flowKeyOfWords(a, b, c, d)); }
  setSlotNoWait(slot: number, v: number) { this.setNoWait(this.keys[slot]!, v); }
  eraseSlotNoWait(slot: number) { this.eraseNoWait(this.keys[slot]!); }
  hasSlot(_slot: number): boolean { throw asyncOnly(`${this.key}.hasSlot()`); }
  peekSlot(_slot: number): number { throw asyncOnly(`${this.key}.peekSlot()`); }
}

class SyncCounterMap extends SyncMap implements CounterMapHandle {
  addTo(key: string, v = 1) { return this.l.apply({ type: 'CounterMap', id: this.id, op: 'add', keys: [String(key)], values: [v] }); }
  addToNoWait(key: string, v = 1) { this.l.applyNoWait({ type: 'CounterMap', id: this.id, op: 'add', keys: [String(key)], values: [v] }); }
  addToSlotNoWait(slot: number, v = 1) { this.addToNoWait(this.keyOf(slot), v); }
}

/**
 * Timers in sync mode: every arm and cancel goes to the store (its record expires by itself); the
 * local wheel tells the NF when one fires, and load() re-arms it from the store's records.
 */
class SyncTimer implements TimerHandle {
  readonly key: string;
  private readonly keys: string[] = [];
  private readonly index = new Map<string, number>();
  private clock = Date.now();
  private readonly wheel = new TimerWheel(1, 4096, 64, this.clock);
  constructor(private readonly l: SyncLink, readonly id: string) { this.key = structKey(l.p, 'Timer', id); }
  private now(): number { const n = Date.now(); if (n > this.clock) this.clock = n; return this.clock; }
  slot(key: string): number {
    key = String(key);
    let s = this.index.get(key);
    if (s === undefined) { s = this.keys.length; this.keys.push(key); this.index.set(key, s); }
    return s;
  }
  keyOf(slot: number) { return this.keys[slot]!; }
  private armChange(s: number, ttlMs: number): Change {
    const d = this.clock + ttlMs;
    this.wheel.arm(s, d);
    return { type: 'Timer', id: this.id, op: 'set', keys: [this.keys[s]!], values: [d] };
  }
  arm(key: string, ttlMs: number) { this.now(); return this.l.apply(this.armChange(this.slot(key), ttlMs)); }
  armNoWait(key: string, ttlMs: number) { this.l.applyNoWait(this.armChange(this.slot(key), ttlMs)); }
  armSlotNoWait(slot: number, ttlMs: number) { this.l.applyNoWait(this.armChange(slot, ttlMs)); }
  private cancelChange(s: number): Change {
    this.wheel.cancel(s);
    return { type: 'Timer', id: this.id, op: 'erase', keys: [this.keys[s]!] };
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
  constructor(readonly link: SyncLink) {}
  private memo<T>(k: string, make: () => T): T {
    let h = this.handles.get(k) as T | undefined;
    if (!h) this.handles.set(k, (h = make()));
    return h;
  }
  value(id: string): ValueHandle { return this.memo(`Value@${id}`, () => new SyncValue(this.link, id)); }
  counter(id: string): CounterHandle { return this.memo(`Counter@${id}`, () => new SyncCounter(this.link, id)); }
  list(id: string): ListHandle { return this.memo(`List@${id}`, () => new SyncList(this.link, id)); }
  set(id: string): SetHandle { return this.memo(`Set@${id}`, () => new SyncSet(this.link, id)); }
  map(id: string): MapHandle { return this.memo(`Map@${id}`, () => new SyncMap(this.link, id, 'Map')); }
  counterMap(id: string): CounterMapHandle { return this.memo(`CounterMap@${id}`, () => new SyncCounterMap(this.link, id, 'CounterMap')); }
  timer(id: string): TimerHandle {
    return this.memo(`Timer@${id}`, () => { const t = new SyncTimer(this.link, id); this.timers.push(t); return t; });
  }
  /** recovery: every timer handle's local wheel armed again from the store */
  async rearmTimers(): Promise<void> {
    for (const t of this.timers) await t.rearm();
  }
}
