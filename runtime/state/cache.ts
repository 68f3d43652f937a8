// Async mode, packet side: the per-core local cache. Counters, maps and countermaps live in shared
// typed arrays (slots); values, lists and sets in plain JS with an op log. Nothing here does I/O: a
// swap hands the state thread everything changed since the last swap. Over 400 lines as one cohesive
// thing: the table of every structure type and its swap, which must stay together to stay allocation-free.
import type { Change, Partition, Snapshot } from '../drivers/driver.js';
import { structKey } from '../drivers/driver.js';
import { FlexbenchError, EXIT } from '../../common/errors.js';
import type { CounterHandle, CounterMapHandle, ListHandle, MapHandle, SetHandle, TimerHandle, ValueHandle } from './types.js';
import { TimerWheel } from '../../common/timer-wheel.js';
import { hash4 } from '../../common/flow-hash.js';
import { flowKeyOfWords } from './flow-key.js';
import { C_ACC, C_CLEARED0, C_COUNT0, C_SLOTS, F_DIRTY, F_DIRTY_ADD, F_ERASE, F_SET, SlotViews, addsDeltas, createSlotTable, slotTableBytes, type SlotTableInit } from './slots.js';

/**
 * partition control words: REQ = epoch the state thread asks for, ACK = epoch the packet side switched
 * to, DIRTY = something changed since the last switch (the state thread asks for no swap, and sends
 * nothing, while it is 0: an idle partition costs the packet side nothing)
 */
export const P_REQ = 0;
export const P_ACK = 1;
export const P_DIRTY = 2;
/** the state thread sleeps on ACK (an explicit flush): only then does the packet side notify it */
export const P_WAIT = 3;
/**
 * the state thread sleeps on PARK (it had nothing to send and nothing changed): the packet side's next
 * poll that finds DIRTY set clears it and wakes the thread, so an idle partition costs no timer wake-ups
 */
export const P_PARK = 4;

/** Everything the state thread needs after a swap, besides the shared buffers. */
export interface SwapMessage {
  tables: SlotTableInit[];
  /** flat triples: table index, slot, key (keys given as a flow's words are read from the table's shared words) */
  keys: (number | string)[];
  ops: Change[];
}

const resolved = Promise.resolve();
/** the word keys' index: filled up to this load before it grows */
const FLOW_LOAD = 0.75;
/** its capacities are multiples of this many entries (whole cache lines) */
const FLOW_CAP_STEP = 64;
/**
 * an index entry: slot + 1 in its low 27 bits (maxSlots is at most 2^26), five bits of the key's hash
 * above them, so a probe reads another slot's words (a cache miss) for 1 in 32 of the keys it passes
 */
const FLOW_SLOT_BITS = 27;
const FLOW_SLOT_MASK = (1 << FLOW_SLOT_BITS) - 1;

/** One slotted structure, packet side: current-buffer views swapped at each epoch. */
class LocalTable {
  readonly v: SlotViews;
  value: Float64Array;
  present: Uint8Array;
  delta: Float64Array;
  abs: Float64Array;
  flag: Uint8Array;
  list: Int32Array;
  n = 0;
  b = 0;
  /** slots in use */
  slots = 0;
  /**
   * a slot's string key, null for a key given as words until someone asks for its string; the array
   * itself is made at the first string key (a table keyed by words alone keeps no pointer per slot)
   */
  private keys: (string | null)[] | null = null;
  readonly index = new Map<string, number>();
  /** the shared words of keys given as a flow's words (empty until the first) */
  private words: Int32Array;
  /**
   * slots below this all have their string key in `index` (lookup's last sweep reached it); a slot keyed by
   * words above it may have none yet: its string is made at the first string lookup that misses
   */
  private swept = 0;
  /**
   * words -> tag | slot + 1 (0 = empty): open addressing with linear probing, filled up to FLOW_LOAD; its
   * capacity is not a power of two (a hash's bucket is h * cap / 2^32, as in the NFs' CompactFlowTable)
   * and grows by 1.5x; flowN entries
   */
  private flowIdx: Int32Array | null = null;
  private flowN = 0;
  private flowLimit = 0;
  /** flowIdx's length / 2^32 */
  private flowScale = 0;
  /** does this type write deltas (Counter, CounterMap)? Map and Timer have no delta buffers */
  private readonly adds: boolean;
  /** the partition's control words: [P_DIRTY] is set on the first change of a slot in an epoch */
  readonly pctrl: Int32Array;
  constructor(readonly cache: PartitionCache, readonly init: SlotTableInit) {
    this.pctrl = cache.ctrl;
    this.adds = addsDeltas(init.type);
    this.v = new SlotViews(init);
    this.words = this.v.words;
    this.value = this.v.value;
    this.present = this.v.present;
    this.delta = this.v.delta[0];
    this.abs = this.v.abs[0];
    this.flag = this.v.flag[0];
    this.list = this.v.list[0];
  }

  use(b: number): void {
    this.v.ctrl[C_COUNT0 + this.b] = this.n;
    this.b = b;
    this.n = 0;
    this.views();
  }

  private views(): void {
    const b = this.b;
    this.value = this.v.value;
    this.present = this.v.present;
    this.delta = this.v.delta[b];
    this.abs = this.v.abs[b];
    this.flag = this.v.flag[b];
    this.list = this.v.list[b];
    this.words = this.v.words;
  }

  /** the slot of a string key, or undefined (keys given as words included) */
  lookup(key: string): number | undefined {
    const s = this.index.get(key);
    if (s !== undefined || this.swept === this.slots) return s;
    // only the slots made since the last sweep (rescanning them all made each new flow of a table that also
    // has string keys cost a pass over every slot)
    for (let i = this.swept; i < this.slots; i++) if (this.keys === null || this.keys[i] === null) this.keyAt(i);
    this.swept = this.slots;
    return this.index.get(key);
  }

  /** a slot's string key (made, once, for a key given as words) */
  keyAt(s: number): string {
    if (s >= this.slots) return undefined as unknown as string; // (past the last slot, as before)
    const keys = this.keys ?? this.keyArray();
    const k = keys[s];
    if (k !== null) return k as string;
    const w = this.words;
    const f = flowKeyOfWords(w[4 * s]!, w[4 * s + 1]!, w[4 * s + 2]!, w[4 * s + 3]!);
    keys[s] = f;
    this.index.set(f, s);
    return f;
  }

  /** the per-slot string keys, made at the first string key (every slot so far keyed by words) */
  private keyArray(): (string | null)[] {
    const keys: (string | null)[] = new Array(this.slots).fill(null);
    this.keys = keys;
    return keys;
  }

  private newSlot(key: string | null): number {
    const n = this.slots;
    if (n >= this.v.capacity && !this.v.grow(n + 1)) {
      throw new FlexbenchError(`${this.init.type} ${this.init.id}: more than maxSlots=${this.v.capacity} keys on this core (raise maxSlots in the state config)`, EXIT.usage);
    }
    if (n >= this.value.length) this.views();
    if (key !== null) (this.keys ?? this.keyArray()).push(key);
    else if (this.keys !== null) this.keys.push(null);
    this.slots = n + 1;
    this.v.ctrl[C_SLOTS] = n + 1;
    this.pctrl[P_DIRTY] = 1;
    return n;
  }

  slot(key: string): number {
    const s = this.lookup(key);
    if (s !== undefined) return s;
    const n = this.newSlot(key);
    this.index.set(key, n);
    this.cache.newKeys.push(this.init.index, n, key);
    return n;
  }

  /**
   * The slot of a key given as a flow's four words, with no string made here: an integer index
   * (open addressing over slot numbers, the words kept per slot). A key also known by its string
   * (recovered from the store, or given to slot()) is found as that string, once.
   */
  slotOfFlow(a: number, b: number, c: number, d: number): number {
    let idx = this.flowIdx;
    if (idx === null || this.flowN >= this.flowLimit) idx = this.growFlowIdx();
    const end = idx.length;
    const h = hash4(a, b, c, d);
    let i = ((h >>> 0) * this.flowScale) | 0;
    const tag = (h & 31) << FLOW_SLOT_BITS; // (the bucket is of the hash's high bits, the tag its low ones)
    const w0 = this.words;
    for (let e = idx[i]!; e !== 0; e = idx[i]!) {
      if ((e & ~FLOW_SLOT_MASK) === tag) {
        const q = 4 * ((e & FLOW_SLOT_MASK) - 1);
        if (w0[q] === a && w0[q + 1] === b && w0[q + 2] === c && w0[q + 3] === d) return (e & FLOW_SLOT_MASK) - 1;
      }
      if (++i === end) i = 0;
    }
    let s = this.index.size > 0 ? this.lookup(flowKeyOfWords(a, b, c, d)) : undefined;
    if (s === undefined) s = this.newSlot(null);
    // written before the slot is first marked dirty: the state thread reads them after the swap that carries it
    const w = this.words;
    w[4 * s] = a; w[4 * s + 1] = b; w[4 * s + 2] = c; w[4 * s + 3] = d;
    idx[i] = tag | (s + 1);
    this.flowN++;
    return s;
  }

  private growFlowIdx(): Int32Array {
    if (this.words.length === 0) this.words = this.v.useWords();
    const old = this.flowIdx;
    const cap = old === null ? FLOW_CAP_STEP * 16 : Math.ceil((1.5 * old.length) / FLOW_CAP_STEP) * FLOW_CAP_STEP;
    const idx = new Int32Array(cap);
    const scale = cap / 4294967296;
    const w = this.words;
    if (old !== null) {
      for (let j = 0; j < old.length; j++) {
        const e = old[j]!;
        if (e === 0) continue;
        const q = 4 * ((e & FLOW_SLOT_MASK) - 1);
        let i = ((hash4(w[q]!, w[q + 1]!, w[q + 2]!, w[q + 3]!) >>> 0) * scale) | 0;
        while (idx[i] !== 0) if (++i === cap) i = 0;
        idx[i] = e;
      }
    }
    this.flowIdx = idx;
    this.flowScale = scale;
    this.flowLimit = Math.floor(cap * FLOW_LOAD);
    return idx;
  }

  add(s: number, x: number): void {
    this.value[s] += x;
    this.present[s] = 1;
    this.delta[s] += x;
    const f = this.flag[s]!;
    if (f !== F_DIRTY_ADD) {
      if (f === 0) { this.list[this.n++] = s; this.pctrl[P_DIRTY] = 1; }
      this.flag[s] = f | F_DIRTY_ADD;
    }
  }

  set(s: number, x: number): void {
    this.value[s] = x;
    this.present[s] = 1;
    this.abs[s] = x;
    if (this.adds) this.delta[s] = 0;
    if (this.flag[s] === 0) { this.list[this.n++] = s; this.pctrl[P_DIRTY] = 1; }
    this.flag[s] = F_DIRTY | F_SET;
  }

  erase(s: number): void {
    this.value[s] = 0;
    this.present[s] = 0;
    if (this.adds) this.delta[s] = 0;
    if (this.flag[s] === 0) { this.list[this.n++] = s; this.pctrl[P_DIRTY] = 1; }
    this.flag[s] = F_DIRTY | F_ERASE;
  }

  clear(): void {
    for (let i = 0; i < this.n; i++) {
      const s = this.list[i];
      this.flag[s] = 0;
      if (this.adds) this.delta[s] = 0;
    }
    this.n = 0;
    this.value.fill(0);
    this.present.fill(0);
    this.v.ctrl[C_CLEARED0 + this.b] = 1;
    this.pctrl[P_DIRTY] = 1;
  }

  /** recovery: take the store's contents as the cached state (no dirty marks) */
  loadEntries(keys: string[], values: number[]): void {
    this.value.fill(0);
    this.present.fill(0);
    for (let i = 0; i < keys.length; i++) {
      const s = this.slot(keys[i]!);
      this.value[s] = values[i]!;
      this.present[s] = 1;
    }
  }

  /**
   * Bytes the table's keys cost, as held (capacities, not slots in use): its shared buffers, which
   * both threads read (value 8, present 1, and per epoch abs 8, flag 1, list 4, and delta 8 for the
   * types that add: 35 B a slot for a Map, 51 B for a CounterMap; the words of keys given as a
   * flow's, 16 B, once there is one), the word keys' index, a pointer per slot once there is a string
   * key, and each string key with its Map entry here; and on the state thread its accumulator: the
   * position of each slot's pending change (4 B a slot, grown with the capacity) and the pending
   * changes themselves (slot, flag, abs, delta: 21 B each, room for 1,024 between flushes and for
   * all of a larger flush's while it is made, as the state thread publishes it).
   */
  bytes(): number {
    let n = slotTableBytes(this.init);
    n += (this.flowIdx?.byteLength ?? 0) + (this.keys === null ? 0 : 8 * this.keys.length);
    for (const k of this.index.keys()) n += 48 + k.length; // a Map entry, a string's header and its one-byte characters
    return n + 4 * this.v.capacity + 21 * Atomics.load(this.v.ctrl, C_ACC);
  }

  size(): number {
    let n = 0;
    const p = this.present;
    for (let i = 0; i < this.slots; i++) n += p[i]!;
    return n;
  }

  entries(): [string[], number[]] {
    const ks: string[] = [];
    const vs: number[] = [];
    for (let i = 0; i < this.slots; i++) {
      if (this.present[i]) {
        ks.push(this.keyAt(i));
        vs.push(this.value[i]!);
      }
    }
    return [ks, vs];
  }
}

export class PartitionCache {
  readonly ctrl = new Int32Array(new SharedArrayBuffer(32));
  epoch = 0;
  readonly tables: LocalTable[] = [];
  newTables: SlotTableInit[] = [];
  newKeys: (number | string)[] = [];
  ops: Change[] = [];
  snapshot: Snapshot | null = null;
  private readonly handles = new Map<string, unknown>();

  constructor(readonly p: Partition, readonly maxSlots: number, private readonly ship: (m: SwapMessage) => void) {}

  /** The packet loop's per-burst call: two loads unless the state thread asked for a swap or sleeps while something changed. */
  poll(): void {
    const c = this.ctrl;
    const req = Atomics.load(c, P_REQ);
    if (req !== this.epoch) this.swap(req);
    else if (Atomics.load(c, P_PARK) !== 0 && c[P_DIRTY] !== 0) this.unpark();
  }

  /** the state thread slept with nothing to do and something changed since: wake it (once: PARK is cleared) */
  private unpark(): void {
    Atomics.store(this.ctrl, P_PARK, 0);
    Atomics.notify(this.ctrl, P_PARK);
  }

  swap(req: number): void {
    const b = req & 1;
    this.ctrl[P_DIRTY] = 0; // what changes from here on lands in the new buffer and marks it again
    for (const t of this.tables) t.use(b);
    this.epoch = req;
    if (this.newTables.length || this.newKeys.length || this.ops.length) {
      this.ship({ tables: this.newTables, keys: this.newKeys, ops: this.ops });
      this.newTables = [];
      this.newKeys = [];
      this.ops = [];
    }
    Atomics.store(this.ctrl, P_ACK, req);
    // a periodic flush finds the acknowledgement at its next tick: no wake-up per flush
    if (Atomics.load(this.ctrl, P_WAIT) !== 0) Atomics.notify(this.ctrl, P_ACK);
  }

  private table(type: 'Counter' | 'Map' | 'CounterMap' | 'Timer', id: string): LocalTable {
    const init = createSlotTable(this.tables.length, type, id, type === 'Counter' ? 1 : this.maxSlots);
    const t = new LocalTable(this, init);
    t.use(this.epoch & 1);
    this.tables.push(t);
    this.newTables.push(init);
    this.ctrl[P_DIRTY] = 1;
    return t;
  }

  private memo<T>(type: string, id: string, make: () => T): T {
    const k = `${type}@${id}`;
    let h = this.handles.get(k) as T | undefined;
    if (!h) this.handles.set(k, (h = make()));
    return h;
  }

  value(id: string): ValueHandle {
    return this.memo('Value', id, () => new AsyncValue(this, id));
  }
  counter(id: string): CounterHandle {
    return this.memo('Counter', id, () => new AsyncCounter(this, id, this.table('Counter', id)));
  }
  list(id: string): ListHandle {
    return this.memo('List', id, () => new AsyncList(this, id));
  }
  set(id: string): SetHandle {
    return this.memo('Set', id, () => new AsyncSet(this, id));
  }
  map(id: string): MapHandle {
    return this.memo('Map', id, () => new AsyncMap(this, id, this.table('Map', id), 'Map'));
  }
  counterMap(id: string): CounterMapHandle {
    return this.memo('CounterMap', id, () => new AsyncCounterMap(this, id, this.table('CounterMap', id), 'CounterMap'));
  }
  timer(id: string): TimerHandle {
    return this.memo('Timer', id, () => new AsyncTimer(this, id, this.table('Timer', id)));
  }

  /** an op-log entry (values, lists, sets) */
  op(c: Change): void {
    this.ops.push(c);
    this.ctrl[P_DIRTY] = 1;
  }

  /** recovery: replace cached state by the snapshot (existing handles and those opened later) */
  load(snap: Snapshot): void {
    this.snapshot = snap;
    for (const h of this.handles.values()) (h as { loadFrom(s: Snapshot): void }).loadFrom(snap);
  }
}

class AsyncValue implements ValueHandle {
  readonly key: string;
  private v: string | null = null;
  constructor(private readonly c: PartitionCache, readonly id: string) {
    this.key = structKey(c.p, 'Value', id);
    if (c.snapshot) this.loadFrom(c.snapshot);
  }
  loadFrom(s: Snapshot): void {
    this.v = s.values[this.id] ?? null;
  }
  get() { return Promise.resolve(this.v); }
  set(v: string) { this.setNoWait(v); return resolved; }
  setNoWait(v: string) {
    this.v = String(v);
    const last = this.c.ops[this.c.ops.length - 1];
    // a value set again before the flush: only the last one travels
    if (last && last.type === 'Value' && last.id === this.id && last.op === 'set') last.value = this.v;
    else this.c.op({ type: 'Value', id: this.id, op: 'set', value: this.v });
  }
  delete() { this.deleteNoWait(); return resolved; }
  deleteNoWait() {
    this.v = null;
    this.c.op({ type: 'Value', id: this.id, op: 'delete' });
  }
}

class AsyncCounter implements CounterHandle {
  readonly key: string;
  constructor(private readonly c: PartitionCache, readonly id: string, private readonly t: LocalTable) {
    this.key = structKey(c.p, 'Counter', id);
    t.slot('');
    if (c.snapshot) this.loadFrom(c.snapshot);
  }
  loadFrom(s: Snapshot): void {
    const v = s.counters[this.id];
    this.t.loadEntries(v === undefined ? [] : [''], v === undefined ? [] : [v]);
  }
  get() { return Promise.resolve(this.t.value[0]!); }
  peek() { return this.t.value[0]!; }
  add(v = 1) { this.t.add(0, v); return resolved; }
  addNoWait(v = 1) {
    // inlined LocalTable.add: this is the hot path
    const t = this.t;
    t.value[0] += v;
    t.present[0] = 1;
    t.delta[0] += v;
    const f = t.flag[0]!;
    if (f !== F_DIRTY_ADD) {
      if (f === 0) { t.list[t.n++] = 0; t.pctrl[P_DIRTY] = 1; }
      t.flag[0] = f | F_DIRTY_ADD;
    }
  }
  set(v: number) { this.t.set(0, v); return resolved; }
  setNoWait(v: number) { this.t.set(0, v); }
  delete() { this.t.erase(0); return resolved; }
  deleteNoWait() { this.t.erase(0); }
}

class AsyncList implements ListHandle {
  readonly key: string;
  private items_: string[] = [];
  constructor(private readonly c: PartitionCache, readonly id: string) {
    this.key = structKey(c.p, 'List', id);
    if (c.snapshot) this.loadFrom(c.snapshot);
  }
  loadFrom(s: Snapshot): void {
    this.items_ = [...(s.lists[this.id] ?? [])];
  }
  private log(op: 'pushBack' | 'pushFront', v: string): void {
    const last = this.c.ops[this.c.ops.length - 1];
    // consecutive pushes to one list travel as one change
    if (last && last.type === 'List' && last.id === this.id && last.op === op) last.values.push(v);
    else this.c.op({ type: 'List', id: this.id, op, values: [v] });
  }
  private pop(op: 'popFront' | 'popBack'): string | null {
    if (this.items_.length === 0) return null;
    const v = op === 'popFront' ? this.items_.shift()! : this.items_.pop()!;
    const last = this.c.ops[this.c.ops.length - 1];
    if (last && last.type === 'List' && last.id === this.id && last.op === op) last.count++;
    else this.c.op({ type: 'List', id: this.id, op, count: 1 });
    return v;
  }
  pushBack(v: string) { this.pushBackNoWait(v); return resolved; }
  pushBackNoWait(v: string) { v = String(v); this.items_.push(v); this.log('pushBack', v); }
  pushFront(v: string) { this.pushFrontNoWait(v); return resolved; }
  pushFrontNoWait(v: string) { v = String(v); this.items_.unshift(v); this.log('pushFront', v); }
  popFront() { return Promise.resolve(this.pop('popFront')); }
  popBack() { return Promise.resolve(this.pop('popBack')); }
  at(i: number) { return Promise.resolve(this.items_[i < 0 ? this.items_.length + i : i] ?? null); }
  find(v: string) { return Promise.resolve(this.items_.indexOf(String(v))); }
  contains(v: string) { return Promise.resolve(this.items_.includes(String(v))); }
  setAt(i: number, v: string) { try { this.setAtNoWait(i, v); return resolved; } catch (e) { return Promise.reject(e); } }
  setAtNoWait(i: number, v: string) {
    const j = i < 0 ? this.items_.length + i : i;
    if (j < 0 || j >= this.items_.length) throw new FlexbenchError(`${this.key}: index ${i} out of range (size ${this.items_.length})`, EXIT.usage);
    this.items_[j] = String(v);
    this.c.op({ type: 'List', id: this.id, op: 'setAt', index: j, value: String(v) });
  }
  size() { return Promise.resolve(this.items_.length); }
  items() { return Promise.resolve([...this.items_]); }
  clear() { this.clearNoWait(); return resolved; }
  clearNoWait() { this.items_ = []; this.c.op({ type: 'List', id: this.id, op: 'delete' }); }
}

class AsyncSet implements SetHandle {
  readonly key: string;
  private s = new Set<string>();
  constructor(private readonly c: PartitionCache, readonly id: string) {
    this.key = structKey(c.p, 'Set', id);
    if (c.snapshot) this.loadFrom(c.snapshot);
  }
  loadFrom(s: Snapshot): void {
    this.s = new Set(s.sets[this.id] ?? []);
  }
  private log(op: 'insert' | 'erase', v: string): void {
    const last = this.c.ops[this.c.ops.length - 1];
    if (last && last.type === 'Set' && last.id === this.id && last.op === op) last.values.push(v);
    else this.c.op({ type: 'Set', id: this.id, op, values: [v] });
  }
  insert(v: string) { this.insertNoWait(v); return resolved; }
  insertNoWait(v: string) { v = String(v); if (!this.s.has(v)) { this.s.add(v); this.log('insert', v); } }
  erase(v: string) { this.eraseNoWait(v); return resolved; }
  eraseNoWait(v: string) { v = String(v); if (this.s.delete(v)) this.log('erase', v); }
  contains(v: string) { return Promise.resolve(this.s.has(String(v))); }
  size() { return Promise.resolve(this.s.size); }
  items() { return Promise.resolve([...this.s]); }
  clear() { this.clearNoWait(); return resolved; }
  clearNoWait() { this.s.clear(); this.c.op({ type: 'Set', id: this.id, op: 'delete' }); }
}

class AsyncMap implements MapHandle {
  readonly key: string;
  constructor(protected readonly c: PartitionCache, readonly id: string, protected readonly t: LocalTable, private readonly type: 'Map' | 'CounterMap') {
    this.key = structKey(c.p, type, id);
    if (c.snapshot) this.loadFrom(c.snapshot);
  }
  loadFrom(s: Snapshot): void {
    const e = (this.type === 'Map' ? s.maps : s.counterMaps)[this.id];
    this.t.loadEntries(e?.[0] ?? [], e?.[1] ?? []);
  }
  slot(key: string) { return this.t.slot(String(key)); }
  keyOf(slot: number) { return this.t.keyAt(slot); }
  slotOfFlow(a: number, b: number, c: number, d: number) { return this.t.slotOfFlow(a, b, c, d); }
  get(key: string) {
    const s = this.t.lookup(String(key));
    return Promise.resolve(s !== undefined && this.t.present[s] ? this.t.value[s]! : null);
  }
  set(key: string, v: number) { this.t.set(this.slot(key), v); return resolved; }
  setNoWait(key: string, v: number) { this.t.set(this.slot(key), v); }
  setSlotNoWait(s: number, v: number) { this.t.set(s, v); }
  erase(key: string) { this.eraseNoWait(key); return resolved; }
  eraseNoWait(key: string) {
    const s = this.t.lookup(String(key));
    if (s !== undefined && this.t.present[s]) this.t.erase(s);
  }
  eraseSlotNoWait(s: number) { if (this.t.present[s]) this.t.erase(s); }
  contains(key: string) {
    const s = this.t.lookup(String(key));
    return Promise.resolve(s !== undefined && this.t.present[s] === 1);
  }
  hasSlot(s: number) { return this.t.present[s] === 1; }
  peekSlot(s: number) { return this.t.value[s]!; }
  size() { return Promise.resolve(this.t.size()); }
  entries() { return Promise.resolve(this.t.entries()); }
  clear() { this.t.clear(); return resolved; }
  clearNoWait() { this.t.clear(); }
  bytes() { return this.t.bytes(); }
}

class AsyncCounterMap extends AsyncMap implements CounterMapHandle {
  addTo(key: string, v = 1) { this.t.add(this.slot(key), v); return resolved; }
  addToNoWait(key: string, v = 1) { this.t.add(this.slot(key), v); }
  addToSlotNoWait(s: number, v = 1) {
    // inlined LocalTable.add: the hot path
    const t = this.t;
    t.value[s] += v;
    t.present[s] = 1;
    t.delta[s] += v;
    const f = t.flag[s]!;
    if (f !== F_DIRTY_ADD) {
      if (f === 0) { t.list[t.n++] = s; t.pctrl[P_DIRTY] = 1; }
      t.flag[s] = f | F_DIRTY_ADD;
    }
  }
}

/**
 * Timers, packet side: a slotted table whose value is the deadline (epoch ms), flushed like a map's
 * sets and erases (the driver turns each deadline into the store's own TTL), and a local timer wheel
 * for the NF's notification. An entry that fires here is dropped locally without a change: the store
 * expires its record by itself (a set still waiting for the flush carries a past deadline: erased).
 */
class AsyncTimer implements TimerHandle {
  readonly key: string;
  private clock = Date.now();
  private readonly wheel = new TimerWheel(1, 4096, 64, this.clock);
  constructor(private readonly c: PartitionCache, readonly id: string, private readonly t: LocalTable) {
    this.key = structKey(c.p, 'Timer', id);
    if (c.snapshot) this.loadFrom(c.snapshot);
  }
  loadFrom(s: Snapshot): void {
    const e = s.timers[this.id];
    this.t.loadEntries(e?.[0] ?? [], e?.[1] ?? []);
    // recovery: the records still in the store arm the local wheel again (the paper's re-arm)
    this.wheel.clear();
    const t = this.t;
    for (let i = 0; i < t.slots; i++) if (t.present[i]) this.wheel.arm(i, t.value[i]!);
  }
  private now(): number {
    const n = Date.now();
    if (n > this.clock) this.clock = n;
    return this.clock;
  }
  private live(s: number | undefined, now: number): boolean {
    return s !== undefined && this.t.present[s] === 1 && this.t.value[s]! > now;
  }
  slot(key: string) { return this.t.slot(String(key)); }
  keyOf(slot: number) { return this.t.keyAt(slot); }
  arm(key: string, ttlMs: number) { this.now(); this.armSlotNoWait(this.slot(key), ttlMs); return resolved; }
  armNoWait(key: string, ttlMs: number) { this.armSlotNoWait(this.slot(key), ttlMs); }
  armSlotNoWait(s: number, ttlMs: number) {
    const d = this.clock + ttlMs;
    this.t.set(s, d);
    this.wheel.arm(s, d);
  }
  cancel(key: string) { this.cancelNoWait(key); return resolved; }
  cancelNoWait(key: string) {
    const s = this.t.lookup(String(key));
    if (s !== undefined) this.cancelSlotNoWait(s);
  }
  cancelSlotNoWait(s: number) {
    if (this.t.present[s]) this.t.erase(s);
    this.wheel.cancel(s);
  }
  remaining(key: string) {
    const now = this.now();
    const s = this.t.lookup(String(key));
    return Promise.resolve(this.live(s, now) ? this.t.value[s!]! - now : null);
  }
  contains(key: string) { return Promise.resolve(this.live(this.t.lookup(String(key)), this.now())); }
  size() {
    const now = this.now();
    let n = 0;
    for (let i = 0; i < this.t.slots; i++) if (this.live(i, now)) n++;
    return Promise.resolve(n);
  }
  entries() {
    const now = this.now();
    const ks: string[] = [], vs: number[] = [];
    for (let i = 0; i < this.t.slots; i++) if (this.live(i, now)) { ks.push(this.t.keyAt(i)); vs.push(this.t.value[i]!); }
    return Promise.resolve<[string[], number[]]>([ks, vs]);
  }
  clear() { this.clearNoWait(); return resolved; }
  clearNoWait() { this.t.clear(); this.wheel.clear(); }
  advance(nowMs: number, out: Int32Array): number {
    if (nowMs > this.clock) this.clock = nowMs;
    const n = this.wheel.advance(nowMs, out);
    const t = this.t;
    for (let i = 0; i < n; i++) {
      const s = out[i]!;
      t.present[s] = 0;
      t.value[s] = 0;
    }
    return n;
  }
}
