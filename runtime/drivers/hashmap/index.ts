// `hashmap:` / `hashmap:name`: an in-process store (JavaScript Maps), for benchmarking the runtime
// without a network. One store per URL per thread, so a context opened again in the same thread
// (recovery tests) finds what an earlier one left. Timers expire through a timer wheel advanced by the
// store's clock at each call (and reads never show an entry past its deadline); locks are in-process,
// so they coordinate the contexts of one thread (an NF's cores are threads: use a server store there).
import type { Change, FlushBatch, FlushOutcome, LockHolder, Partition, Query, QueryResult, Snapshot, StoreConnection, StoreDriver, StructType } from '../driver.js';
import { STRUCT_TYPES, emptySnapshot, structKey } from '../driver.js';
import { FlexbenchError, EXIT } from '../../../common/errors.js';
import { TimerWheel } from '../../../common/timer-wheel.js';

type Entry = string | number | string[] | Set<string> | Map<string, number>;

/** A Timer structure: entry -> deadline (epoch ms), each entry also armed in the store's wheel. */
class Timers extends Map<string, number> {}

interface MemoryStore {
  data: Map<string, Entry>;
  seqs: Map<string, number>;
  wheel: TimerWheel;
  /** wheel slot of each armed timer entry, by structure key + NUL + entry */
  tslot: Map<string, number>;
  /** what each wheel slot stands for */
  trec: ([string, string] | null)[];
  tfree: number[];
  locks: Map<string, { owner: string; until: number }>;
}
const stores = new Map<string, MemoryStore>();

function storeFor(url: string): MemoryStore {
  let s = stores.get(url);
  if (!s) stores.set(url, (s = { data: new Map(), seqs: new Map(), wheel: new TimerWheel(1, 1024), tslot: new Map(), trec: [], tfree: [], locks: new Map() }));
  return s;
}

const fired = new Int32Array(256);

/** Expire every timer entry whose deadline passed (the wheel, advanced by this clock reading). */
function sweep(s: MemoryStore, now: number): void {
  for (;;) {
    const n = s.wheel.advance(now, fired);
    for (let i = 0; i < n; i++) {
      const slot = fired[i]!;
      const rec = s.trec[slot];
      if (!rec) continue;
      const [k, name] = rec;
      const t = s.data.get(k);
      if (t instanceof Timers) {
        t.delete(name);
        if (t.size === 0) s.data.delete(k);
      }
      s.tslot.delete(`${k}\u0000${name}`);
      s.trec[slot] = null;
      s.tfree.push(slot);
    }
    if (n < fired.length) return;
  }
}

function disarm(s: MemoryStore, k: string, name: string): void {
  const id = `${k}\u0000${name}`;
  const slot = s.tslot.get(id);
  if (slot === undefined) return;
  s.wheel.cancel(slot);
  s.tslot.delete(id);
  s.trec[slot] = null;
  s.tfree.push(slot);
}

function arm(s: MemoryStore, k: string, name: string, deadline: number): void {
  const id = `${k}\u0000${name}`;
  let slot = s.tslot.get(id);
  if (slot === undefined) {
    slot = s.tfree.pop() ?? s.trec.length;
    s.tslot.set(id, slot);
    s.trec[slot] = [k, name];
  }
  s.wheel.arm(slot, deadline);
}

/** `nf@ins@core@Type@id` -> its fields (null for anything else, e.g. a flush sequence) */
function splitKey(k: string): { p: Partition; type: StructType; id: string } | null {
  const f: number[] = [];
  for (let i = k.indexOf('@'); i >= 0 && f.length < 4; i = k.indexOf('@', i + 1)) f.push(i);
  if (f.length < 4) return null;
  const type = k.slice(f[2]! + 1, f[3]) as StructType;
  if (!STRUCT_TYPES.includes(type)) return null;
  return { p: { nf: k.slice(0, f[0]), instance: k.slice(f[0]! + 1, f[1]), core: Number(k.slice(f[1]! + 1, f[2])) }, type, id: k.slice(f[3]! + 1) };
}

const partKey = (p: Partition) => `${p.nf}@${p.instance}@${p.core}`;

class HashmapConnection implements StoreConnection {
  private readonly s: MemoryStore;
  private cost = { entries: 0, bytes: 0, roundTrips: 0 };
  constructor(readonly url: string) {
    this.s = storeFor(url);
  }

  private get<T extends Entry>(key: string, make: () => T, check: (e: Entry) => boolean): T {
    let e = this.s.data.get(key);
    if (e === undefined) this.s.data.set(key, (e = make()));
    else if (!check(e)) throw new FlexbenchError(`store ${this.url}: key ${key} holds another type`, EXIT.usage);
    return e as T;
  }
  private list(k: string) { return this.get<string[]>(k, () => [], Array.isArray); }
  private set(k: string) { return this.get<Set<string>>(k, () => new Set(), (e) => e instanceof Set); }
  private map(k: string) { return this.get<Map<string, number>>(k, () => new Map(), (e) => e instanceof Map); }
  // Like Redis, an emptied collection does not exist.
  private prune(k: string): void {
    const e = this.s.data.get(k);
    if ((Array.isArray(e) && e.length === 0) || ((e instanceof Set || e instanceof Map) && e.size === 0)) this.s.data.delete(k);
  }

  private timers(k: string) { return this.get<Timers>(k, () => new Timers(), (e) => e instanceof Timers); }

  async apply(p: Partition, c: Change): Promise<void> {
    sweep(this.s, Date.now());
    this.applyNow(p, c);
  }

  private applyNow(p: Partition, c: Change, now = Date.now()): void {
    const k = structKey(p, c.type, c.id);
    const d = this.s.data;
    if (c.op === 'delete') {
      const t = d.get(k);
      if (t instanceof Timers) for (const name of t.keys()) disarm(this.s, k, name);
      d.delete(k);
      return;
    }
    switch (c.type) {
      case 'Timer': {
        const t = this.timers(k);
        if (c.op === 'erase') for (const name of c.keys) { t.delete(name); disarm(this.s, k, name); }
        else {
          for (let i = 0; i < c.keys.length; i++) {
            const name = c.keys[i]!, due = c.values[i]!;
            // a deadline already past (a flush that waited) expires the entry at once
            if (due <= now) { t.delete(name); disarm(this.s, k, name); continue; }
            t.set(name, due);
            arm(this.s, k, name, due);
          }
        }
        this.prune(k);
        return;
      }
      case 'Value': d.set(k, c.value); return;
      case 'Counter': {
        const cur = d.get(k);
        d.set(k, c.op === 'add' ? (typeof cur === 'number' ? cur : 0) + c.value : c.value);
        return;
      }
      case 'List': {
        const l = this.list(k);
        if (c.op === 'pushBack') l.push(...c.values);
        else if (c.op === 'pushFront') for (const v of c.values) l.unshift(v);
        else if (c.op === 'popFront') l.splice(0, c.count);
        else if (c.op === 'popBack') l.splice(Math.max(0, l.length - c.count), c.count);
        else if (c.op === 'setAt') {
          const i = c.index < 0 ? l.length + c.index : c.index;
          if (i < 0 || i >= l.length) throw new FlexbenchError(`store ${this.url}: ${k}: index ${c.index} out of range`, EXIT.usage);
          l[i] = c.value;
        }
        this.prune(k);
        return;
      }
      case 'Set': {
        const s = this.set(k);
        for (const v of c.values) c.op === 'insert' ? s.add(v) : s.delete(v);
        this.prune(k);
        return;
      }
      case 'Map':
      case 'CounterMap': {
        const m = this.map(k);
        if (c.op === 'erase') for (const key of c.keys) m.delete(key);
        else if (c.op === 'set') for (let i = 0; i < c.keys.length; i++) m.set(c.keys[i]!, c.values[i]!);
        else for (let i = 0; i < c.keys.length; i++) m.set(c.keys[i]!, (m.get(c.keys[i]!) ?? 0) + c.values[i]!);
        this.prune(k);
        return;
      }
    }
  }

  async query(p: Partition, q: Query): Promise<QueryResult> {
    const now = Date.now();
    sweep(this.s, now);
    const k = structKey(p, q.type, q.id);
    const e = this.s.data.get(k);
    switch (q.type) {
      case 'Timer': {
        const t = e instanceof Timers ? e : new Timers();
        if (q.op === 'size') return t.size;
        if (q.op === 'entries') return [[...t.keys()], [...t.values()]];
        const due = t.get(q.key);
        const live = due !== undefined && due > now;
        return q.op === 'has' ? live : live ? due : null;
      }
      case 'Value': return typeof e === 'string' ? e : null;
      case 'Counter': return typeof e === 'number' ? e : 0;
      case 'List': {
        const l = Array.isArray(e) ? e : [];
        if (q.op === 'size') return l.length;
        if (q.op === 'items') return [...l];
        if (q.op === 'at') return l[q.index < 0 ? l.length + q.index : q.index] ?? null;
        if (q.op === 'find') return l.indexOf(q.value);
        const v = (q.op === 'popFront' ? l.shift() : l.pop()) ?? null;
        this.prune(k);
        return v;
      }
      case 'Set': {
        const s = e instanceof Set ? e : new Set<string>();
        if (q.op === 'size') return s.size;
        if (q.op === 'items') return [...s];
        return s.has((q as { value: string }).value);
      }
      case 'Map':
      case 'CounterMap': {
        const m = e instanceof Map ? e : new Map<string, number>();
        if (q.op === 'size') return m.size;
        if (q.op === 'entries') return [[...m.keys()], [...m.values()]];
        if (q.op === 'has') return m.has(q.key);
        if (q.op === 'get') return m.get(q.key) ?? null;
        return null;
      }
    }
  }

  async flush(p: Partition, batch: FlushBatch): Promise<FlushOutcome> {
    const pk = partKey(p);
    const last = this.s.seqs.get(pk) ?? 0;
    if (batch.seq <= last) return 'duplicate';
    if (last < batch.seq - 1 && !batch.resync) return 'behind';
    const now = Date.now();
    sweep(this.s, now);
    for (const c of batch.changes) this.applyNow(p, c, now);
    this.s.seqs.set(pk, batch.seq);
    let entries = 0;
    for (const c of batch.changes) entries += 'keys' in c ? c.keys.length : 'values' in c && Array.isArray(c.values) ? c.values.length : 1;
    this.cost = { entries, bytes: 0, roundTrips: 0 };
    return 'applied';
  }

  async lastSeq(p: Partition): Promise<number> {
    return this.s.seqs.get(partKey(p)) ?? 0;
  }

  async loadPartition(p: Partition): Promise<Snapshot> {
    sweep(this.s, Date.now());
    const snap = emptySnapshot();
    const prefix = `${partKey(p)}@`;
    for (const [k, e] of this.s.data) {
      if (!k.startsWith(prefix)) continue;
      const rest = k.slice(prefix.length);
      const at = rest.indexOf('@');
      const type = rest.slice(0, at) as StructType;
      const id = rest.slice(at + 1);
      if (type === 'Value' && typeof e === 'string') snap.values[id] = e;
      else if (type === 'Counter' && typeof e === 'number') snap.counters[id] = e;
      else if (type === 'List' && Array.isArray(e)) snap.lists[id] = [...e];
      else if (type === 'Set' && e instanceof Set) snap.sets[id] = [...e];
      else if (type === 'Timer' && e instanceof Timers) snap.timers[id] = [[...e.keys()], [...e.values()]];
      else if ((type === 'Map' || type === 'CounterMap') && e instanceof Map) (type === 'Map' ? snap.maps : snap.counterMaps)[id] = [[...e.keys()], [...e.values()]];
    }
    return snap;
  }

  async dropPartition(p: Partition): Promise<void> {
    const prefix = `${partKey(p)}@`;
    for (const [k, e] of [...this.s.data]) {
      if (!k.startsWith(prefix)) continue;
      if (e instanceof Timers) for (const name of e.keys()) disarm(this.s, k, name);
      this.s.data.delete(k);
    }
    this.s.seqs.delete(partKey(p));
  }

  async partitionsOf(nf: string, type: StructType, id: string): Promise<Partition[]> {
    sweep(this.s, Date.now());
    const out: Partition[] = [];
    for (const k of this.s.data.keys()) {
      const f = splitKey(k);
      if (f && f.p.nf === nf && f.type === type && f.id === id) out.push(f.p);
    }
    return out.sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : a.core - b.core));
  }

  private liveLock(nf: string, name: string, now: number) {
    const k = `${nf}@Lock@${name}`;
    const l = this.s.locks.get(k);
    if (l && l.until <= now) { this.s.locks.delete(k); return { k, l: undefined }; }
    return { k, l };
  }

  async acquireLock(nf: string, name: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = Date.now();
    const { k, l } = this.liveLock(nf, name, now);
    if (l && l.owner !== owner) return false;
    this.s.locks.set(k, { owner, until: now + leaseMs });
    return true;
  }

  async renewLock(nf: string, name: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = Date.now();
    const { l } = this.liveLock(nf, name, now);
    if (!l || l.owner !== owner) return false;
    l.until = now + leaseMs;
    return true;
  }

  async releaseLock(nf: string, name: string, owner: string): Promise<boolean> {
    const { k, l } = this.liveLock(nf, name, Date.now());
    if (!l || l.owner !== owner) return false;
    this.s.locks.delete(k);
    return true;
  }

  async lockHolder(nf: string, name: string): Promise<LockHolder | null> {
    const now = Date.now();
    const { l } = this.liveLock(nf, name, now);
    return l ? { owner: l.owner, remainingMs: l.until - now } : null;
  }

  lastFlushCost() {
    return this.cost;
  }

  async close(): Promise<void> {}
}

export const driver: StoreDriver = {
  label: 'hashmap',
  inProcess: true,
  async connect(url: string) {
    return new HashmapConnection(url.trim());
  },
};

/** Forget every in-process store of this thread (tests). */
export function resetHashmapStores(): void {
  stores.clear();
}
