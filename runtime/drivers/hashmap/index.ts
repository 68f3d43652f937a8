// `hashmap:` / `hashmap:name`: an in-process store (JavaScript Maps), for benchmarking the runtime
// without a network. One store per URL per thread, so a context opened again in the same thread
// (recovery tests) finds what an earlier one left.
import type { Change, FlushBatch, FlushOutcome, Partition, Query, QueryResult, Snapshot, StoreConnection, StoreDriver, StructType } from '../driver.js';
import { emptySnapshot, structKey } from '../driver.js';
import { FlexbenchError, EXIT } from '../../../common/errors.js';

type Entry = string | number | string[] | Set<string> | Map<string, number>;

interface MemoryStore {
  data: Map<string, Entry>;
  seqs: Map<string, number>;
}
const stores = new Map<string, MemoryStore>();

function storeFor(url: string): MemoryStore {
  let s = stores.get(url);
  if (!s) stores.set(url, (s = { data: new Map(), seqs: new Map() }));
  return s;
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

  async apply(p: Partition, c: Change): Promise<void> {
    this.applyNow(p, c);
  }

  private applyNow(p: Partition, c: Change): void {
    const k = structKey(p, c.type, c.id);
    const d = this.s.data;
    if (c.op === 'delete') { d.delete(k); return; }
    switch (c.type) {
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
    const k = structKey(p, q.type, q.id);
    const e = this.s.data.get(k);
    switch (q.type) {
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
    for (const c of batch.changes) this.applyNow(p, c);
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
      else if ((type === 'Map' || type === 'CounterMap') && e instanceof Map) (type === 'Map' ? snap.maps : snap.counterMaps)[id] = [[...e.keys()], [...e.values()]];
    }
    return snap;
  }

  async dropPartition(p: Partition): Promise<void> {
    const prefix = `${partKey(p)}@`;
    for (const k of [...this.s.data.keys()]) if (k.startsWith(prefix)) this.s.data.delete(k);
    this.s.seqs.delete(partKey(p));
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
