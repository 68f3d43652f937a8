// `cassandra://host:port[,…][?consistency=LOCAL_ONE&…]`: FlexState on Apache Cassandra with the
// paper's layout (see schema.ts and names.ts). Prepared statements only. An async flush becomes a
// plan of single-partition units (unlogged batches of at most `batch` entries of one structure,
// counters apart), run with bounded concurrency; a failed flush is resent unchanged by the runtime
// and the plan resumes:
//  - non-counter writes carry fixed write timestamps chosen once per flush, so resending them is
//    idempotent (exactly the same cells);
//  - a counter unit also raises its marker (the counter's `seq`, or the `seq` of its chunk of a
//    countermap) to a target above every value it held, in the same single-partition batch (one
//    mutation: all or nothing), so after an unknown outcome the driver reads the marker and resends
//    only if the unit did not apply: counters stay exact, never replayed blindly.
// An async flush's writes (its units, then the meta row) go on a connection of its own
// (flush-socket.ts: pre-encoded protocol frames, none of the driver's per-request work) when the URL
// names one node and no credentials; everything else (schema, reads, locks, timers) on the driver.
// Over 400 lines as one cohesive thing: the connection that compiles, runs and resumes these plans.
import cassandra from 'cassandra-driver';
import type { Change, FlushBatch, FlushCost, FlushOutcome, LockHolder, Partition, Query, QueryResult, Snapshot, StoreConnection, StoreDriver, StructType } from '../driver.js';
import { emptySnapshot } from '../driver.js';
import { FlexbenchError, EXIT } from '../../../common/errors.js';
import { sleep } from '../../../common/processes.js';
import { keyspaceName, sharedKeyspaceName } from './names.js';
import { parseCassandraUrl, type CassandraUrl } from './url.js';
import { schemaStatements, sharedSchemaStatements, sharedStatements, statements, SHARED_TABLE_COUNT, TABLE_COUNT, TABLES, type SharedStatements, type Statements } from './schema.js';
import { allRefused, connectProblem } from './connect-errors.js';
import { CqlFlushSocket, FlushSocketUnusable, type FlushStmt } from './flush-socket.js';

const Long = cassandra.types.Long;
type Row = cassandra.types.Row;
const long = (n: number) => Long.fromNumber(n);
const num = (v: unknown): number => (v == null ? 0 : v instanceof Long ? v.toNumber() : Number(v));

const DEBUG = !!process.env.FLEXBENCH_CASSANDRA_DEBUG;

interface Stmt { query: string; params: unknown[] }

/** A counter unit's exactly-once marker: a `seq` counter in the unit's own partition. */
interface Marker {
  table: typeof TABLES.counter | typeof TABLES.counterMapSeq;
  key1: string;
  /** countermap chunk index (0 for a plain counter) */
  chunk: number;
  /** the value the unit raises the marker to: above anything it held, so "applied" is marker >= target */
  target: number;
}
const markerKey = (m: { table: string; key1: string; chunk: number }) => `${m.table}/${m.key1}/${m.chunk}`;

/** One single-partition piece of a flush: applied as one batch (one mutation), then marked done. */
interface Unit {
  stmts: Stmt[];
  counter: boolean;
  /** counter units in async flushes; the marker's increment is the last bound value of the last statement */
  marker?: Marker;
  done: boolean;
  /** counter unit whose last attempt failed: it may or may not have applied */
  unknown: boolean;
  entries: number;
}

interface Plan { seq: number; units: Unit[]; ts: number }

/** Per-partition (keyspace) state of this connection. */
interface Part {
  p: Partition;
  ks: string;
  st: Statements;
  lastSeq: number | null;
  /** flush markers known for counter structures (key = markerKey), read once, then tracked */
  markers: Map<string, number>;
  /** countermaps whose chunk markers were all read (absent chunks are then 0 without asking) */
  markersRead: Set<string>;
  plan: Plan | null;
  lock: Promise<unknown>;
  ready: Promise<void> | null;
}

// Rough size on the wire of one bound value ([int length] + bytes), for the flush cost figures.
function paramBytes(v: unknown): number {
  if (typeof v === 'string') return 4 + Buffer.byteLength(v);
  if (Array.isArray(v)) return 4 + 4 + v.reduce((s: number, x) => s + paramBytes(x), 0);
  return 4 + 8;
}

/**
 * what Cassandra answers for a table or keyspace it does not serve (yet): a ring node the keyspace's
 * CREATE has not reached says "Keyspace '…' doesn't exist" (a 3-node ring's failover test, quiet suite)
 */
export const SCHEMA_NOT_YET = /does not exist|doesn't exist|unconfigured table/i;
/** 50 ms doubling: about 12 s in all before the error is the answer */
const SCHEMA_SETTLE_TRIES = 8;

class CassandraConnection implements StoreConnection {
  private readonly parts = new Map<string, Part>();
  private cost: FlushCost = { entries: 0, bytes: 0, roundTrips: 0 };
  private lastTs = 0;
  private readonly cl: number;

  constructor(readonly url: string, private readonly u: CassandraUrl, private readonly client: cassandra.Client, private readonly own: CqlFlushSocket | null = null) {
    this.cl = consistencyCode(u.consistency);
    // a node that comes back may have come back empty: every partition's schema and last flush are
    // checked again before its next flush
    client.on('hostUp', () => {
      for (const s of this.parts.values()) { s.lastSeq = null; s.ready = null; }
      this.sharedKs.clear(); // an NF's shared keyspace too (locks, its partitions)
    });
  }

  /**
   * Write timestamps (µs) of this connection: increasing; ahead of this host's clock by a second after
   * reading a partition's meta row (readMeta), or by as much as the host that wrote it was ahead.
   */
  private timestamps(n: number): number {
    const t = Math.max(Date.now() * 1000, this.lastTs + 1);
    this.lastTs = t + n;
    return t;
  }

  private fail(what: string, err: unknown): FlexbenchError {
    if (err instanceof FlexbenchError) return err;
    return new FlexbenchError(`store ${this.url}: ${what}: ${(err as Error).message ?? err}`, EXIT.environment, { cause: err });
  }

  private part(p: Partition): Part {
    const ks = keyspaceName(p);
    let s = this.parts.get(ks);
    if (!s) this.parts.set(ks, (s = { p: { nf: p.nf, instance: p.instance, core: p.core }, ks, st: statements(ks), lastSeq: null, markers: new Map(), markersRead: new Set(), plan: null, lock: Promise.resolve(), ready: null }));
    return s;
  }

  /** Serialise the work of one partition (a flush, a pop) so read-modify-write steps never interleave. */
  private async locked<T>(s: Part, fn: () => Promise<T>): Promise<T> {
    const prev = s.lock;
    let release!: () => void;
    s.lock = new Promise<void>((r) => (release = r));
    try {
      await prev.catch(() => {});
      await this.ensureSchema(s);
      return await fn();
    } finally {
      release();
    }
  }

  private ensureSchema(s: Part): Promise<void> {
    // the shared keyspace is checked again too after a failure: it may be what is gone, or not served yet
    const forgetShared = () => this.sharedKs.delete(sharedKeyspaceName(s.p.nf));
    s.ready ??= this.whileSchemaSettles(async () => {
      const rs = await this.client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [s.ks], { prepare: true });
      // Schema changes go one at a time (concurrent DDL on one node only adds disagreement).
      if (rs.rowLength < TABLE_COUNT) for (const ddl of schemaStatements(s.ks, this.u.replication)) await this.client.execute(ddl);
      // merged reads find the NF's partitions in its shared keyspace
      const sh = await this.shared(s.p.nf);
      await this.exec(sh.partAdd, [s.p.instance, s.p.core]);
      await this.readMeta(s);
    }, forgetShared).catch((err) => {
      s.ready = null;
      forgetShared();
      throw this.fail(`opening keyspace ${s.ks} (schema and last flush)`, err);
    });
    return s.ready;
  }

  /**
   * Runs a schema-opening step again while Cassandra says a table it was just told to create "does not
   * exist". Every core's state thread and every instance opens the NF's shared keyspace at once, so one
   * of them can see the tables in system_schema before the node serves them (a store-location run beside
   * a busy loop failed 1 two-core NAT trial in 24 so). Bounded: SCHEMA_SETTLE_TRIES tries, 50 ms doubling.
   */
  private async whileSchemaSettles(step: () => Promise<void>, forget: () => void): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        return await step();
      } catch (err) {
        if (i + 1 >= SCHEMA_SETTLE_TRIES || !SCHEMA_NOT_YET.test(String((err as Error)?.message ?? err))) throw err;
        forget();
        await sleep(50 * 2 ** i);
      }
    }
  }

  private readonly sharedKs = new Map<string, Promise<SharedStatements>>();

  /** An NF's shared keyspace (locks, its partitions), created on first use. */
  private shared(nf: string): Promise<SharedStatements> {
    const ks = sharedKeyspaceName(nf);
    let r = this.sharedKs.get(ks);
    if (!r) {
      r = (async () => {
        const rs = await this.client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [ks], { prepare: true });
        if (rs.rowLength < SHARED_TABLE_COUNT) for (const ddl of sharedSchemaStatements(ks, this.u.replication)) await this.client.execute(ddl);
        return sharedStatements(ks);
      })();
      r.catch(() => this.sharedKs.delete(ks));
      this.sharedKs.set(ks, r);
    }
    return r;
  }

  async partitionsOf(nf: string, _type: StructType, _id: string): Promise<Partition[]> {
    try {
      const sh = await this.shared(nf);
      // clustering order: instance, then core
      return (await this.all(sh.partAll, [])).map((r) => ({ nf, instance: r.get('instance') as string, core: r.get('core') as number }));
    } catch (err) {
      throw this.fail(`partitions of ${nf}`, err);
    }
  }

  /** Lightweight transactions at SERIAL: one owner wins however many race; the TTL is the lease (whole seconds). */
  private lwt(query: string, params: unknown[]): Promise<cassandra.types.ResultSet> {
    return this.client.execute(query, params, { prepare: true, consistency: this.cl, serialConsistency: cassandra.types.consistencies.serial, isIdempotent: false });
  }
  /**
   * Cassandra expires a cell when the clock's whole second reaches write-second + TTL, so a TTL of n
   * lives between n - 1 and n seconds: one second more keeps a lease at least as long as asked.
   */
  private static leaseS(ms: number): number {
    return ttlSeconds(ms);
  }

  async acquireLock(nf: string, name: string, owner: string, leaseMs: number): Promise<boolean> {
    try {
      const sh = await this.shared(nf);
      const r = (await this.lwt(sh.lockTake, [name, owner, CassandraConnection.leaseS(leaseMs)])).first();
      if (r?.get('[applied]') === true) return true;
      // held: by this owner (a re-acquire renews the lease) or by another
      if (r?.get('owner') !== owner) return false;
      return (await this.lwt(sh.lockRenew, [CassandraConnection.leaseS(leaseMs), owner, name, owner])).first()?.get('[applied]') === true;
    } catch (err) {
      throw this.fail(`acquire lock ${nf}@Lock@${name}`, err);
    }
  }

  async renewLock(nf: string, name: string, owner: string, leaseMs: number): Promise<boolean> {
    try {
      const sh = await this.shared(nf);
      return (await this.lwt(sh.lockRenew, [CassandraConnection.leaseS(leaseMs), owner, name, owner])).first()?.get('[applied]') === true;
    } catch (err) {
      throw this.fail(`renew lock ${nf}@Lock@${name}`, err);
    }
  }

  async releaseLock(nf: string, name: string, owner: string): Promise<boolean> {
    try {
      const sh = await this.shared(nf);
      return (await this.lwt(sh.lockRelease, [name, owner])).first()?.get('[applied]') === true;
    } catch (err) {
      throw this.fail(`release lock ${nf}@Lock@${name}`, err);
    }
  }

  async lockHolder(nf: string, name: string): Promise<LockHolder | null> {
    try {
      const sh = await this.shared(nf);
      // SERIAL: sees the outcome of every transaction committed so far
      const r = (await this.client.execute(sh.lockGet, [name], { prepare: true, consistency: cassandra.types.consistencies.serial })).first();
      const owner = r?.get('owner') as string | null | undefined;
      if (!owner) return null;
      return { owner, remainingMs: Math.max(0, num(r!.get('ttl')) * 1000) };
    } catch (err) {
      throw this.fail(`lock holder ${nf}@Lock@${name}`, err);
    }
  }

  /**
   * The partition's last whole flush, and its write time: this connection's write timestamps start
   * above it, so an instance recovered on a host whose clock runs behind the dead one's still writes
   * cells that win (a second of margin covers the dead instance's unfinished last flush).
   */
  private async readMeta(s: Part): Promise<number> {
    const r = (await this.exec(s.st.metaGet, [])).first();
    s.lastSeq = num(r?.get('seq'));
    const ts = num(r?.get('ts'));
    if (ts > 0) this.lastTs = Math.max(this.lastTs, ts + 1_000_000);
    return s.lastSeq;
  }

  private exec(query: string, params: unknown[], idempotent = true): Promise<cassandra.types.ResultSet> {
    return this.client.execute(query, params, { prepare: true, consistency: this.cl, isIdempotent: idempotent });
  }

  /** All rows of a query, page by page (collections and whole tables can be large). */
  private async all(query: string, params: unknown[]): Promise<Row[]> {
    const rows: Row[] = [];
    let pageState: string | undefined;
    do {
      const rs = await this.client.execute(query, params, { prepare: true, consistency: this.cl, fetchSize: 5000, pageState });
      rows.push(...rs.rows);
      pageState = rs.pageState ?? undefined;
    } while (pageState);
    return rows;
  }

  private async readList(s: Part, id: string): Promise<string[]> {
    const r = (await this.exec(s.st.listGet, [id])).first();
    return (r?.get('value') as string[] | null) ?? [];
  }

  private async counterMapValues(s: Part, id: string): Promise<Map<string, number>> {
    const m = new Map<string, number>();
    for (const r of await this.all(s.st.cmItems, [id])) {
      const k = r.get('key2') as string | null;
      if (k !== null) m.set(k, num(r.get('value')));
    }
    return m;
  }

  /** A marker's value: tracked once known; `fresh` reads it again (after an unknown outcome). */
  private async marker(s: Part, m: Omit<Marker, 'target'>, fresh = false, cost?: FlushCost): Promise<number> {
    const mk = markerKey(m);
    const known = s.markers.get(mk);
    if (known !== undefined && !fresh) return known;
    if (!fresh && m.table === TABLES.counterMapSeq && s.markersRead.has(m.key1)) return 0;
    if (cost) cost.roundTrips++;
    if (!fresh && m.table === TABLES.counterMapSeq) {
      // every chunk marker of the countermap in one read: a big map has one per `batch` entries
      for (const r of await this.all(s.st.cmSeqAll, [m.key1])) s.markers.set(markerKey({ ...m, chunk: r.get('chunk') as number }), num(r.get('seq')));
      s.markersRead.add(m.key1);
      return s.markers.get(mk) ?? 0;
    }
    const rs = m.table === TABLES.counter ? await this.exec(s.st.counterGet, [m.key1]) : await this.exec(s.st.cmSeqGet, [m.key1, m.chunk]);
    const v = num(rs.first()?.get('seq'));
    s.markers.set(mk, v);
    return v;
  }

  /** A marker for flush `seq`: its target is seq, or one above what it holds (a dead instance may have got that far). */
  private async markerFor(s: Part, table: Marker['table'], key1: string, chunk: number, seq: number, cost: FlushCost): Promise<{ marker: Marker; inc: number }> {
    const m = await this.marker(s, { table, key1, chunk }, false, cost);
    const target = Math.max(seq, m + 1);
    return { marker: { table, key1, chunk, target }, inc: target - m };
  }

  /**
   * Turn ordered changes into single-partition units. `seq` = null for sync-mode apply (no marker).
   * Reads (lists, counters that are set or deleted) happen here, once per plan, so a resend reuses them.
   */
  private async compile(s: Part, changes: readonly Change[], seq: number | null, cost: FlushCost): Promise<Plan> {
    const st = s.st;
    // Fold each structure's ops in order.
    type Fold =
      | { t: 'Value'; v: string | null }
      | { t: 'Counter'; abs: number | null; delta: number }
      | { t: 'List'; ops: Change[] }
      | { t: 'Set' | 'Map' | 'Timer'; cleared: boolean; entries: Map<string, number | true | null> }
      | { t: 'CounterMap'; cleared: boolean; entries: Map<string, { abs: number | null; delta: number }> };
    const folds = new Map<string, Fold>();
    const order: string[] = [];
    for (const c of changes) {
      const fk = `${c.type}\u0000${c.id}`;
      let f = folds.get(fk);
      if (!f) {
        f = c.type === 'Value' ? { t: 'Value', v: null }
          : c.type === 'Counter' ? { t: 'Counter', abs: null, delta: 0 }
          : c.type === 'List' ? { t: 'List', ops: [] }
          : c.type === 'CounterMap' ? { t: 'CounterMap', cleared: false, entries: new Map() }
          : { t: c.type, cleared: false, entries: new Map() };
        folds.set(fk, f);
        order.push(fk);
      }
      switch (f.t) {
        case 'Value':
          f.v = c.op === 'delete' ? null : (c as { value: string }).value;
          break;
        case 'Counter':
          if (c.op === 'delete') { f.abs = 0; f.delta = 0; } else if (c.op === 'set') { f.abs = (c as { value: number }).value; f.delta = 0; } else f.delta += (c as { value: number }).value;
          break;
        case 'List':
          f.ops.push(c);
          break;
        case 'Set':
        case 'Map':
        case 'Timer':
          if (c.op === 'delete') { f.cleared = true; f.entries.clear(); } else if (c.type === 'Set') {
            for (const v of (c as { values: string[] }).values) f.entries.set(v, c.op === 'insert' ? true : null);
          } else {
            const mc = c as { op: 'set' | 'erase'; keys: string[]; values?: number[] };
            for (let i = 0; i < mc.keys.length; i++) f.entries.set(mc.keys[i]!, mc.op === 'erase' ? null : mc.values![i]!);
          }
          break;
        case 'CounterMap':
          if (c.op === 'delete') { f.cleared = true; f.entries.clear(); } else {
            const cc = c as { op: 'add' | 'set' | 'erase'; keys: string[]; values?: number[] };
            for (let i = 0; i < cc.keys.length; i++) {
              const k = cc.keys[i]!;
              let e = f.entries.get(k);
              if (!e) f.entries.set(k, (e = { abs: null, delta: 0 }));
              if (cc.op === 'erase') { e.abs = 0; e.delta = 0; } else if (cc.op === 'set') { e.abs = cc.values![i]!; e.delta = 0; } else e.delta += cc.values![i]!;
            }
          }
          break;
      }
    }
    let n = 0;
    for (const fk of order) { const f = folds.get(fk)!; n += 1 + ('entries' in f ? f.entries.size : 0); }
    const ts0 = this.timestamps(n + 1);
    let tsi = ts0;
    const ts = () => long(tsi++);
    const units: Unit[] = [];
    /** statements in runs of at most `batch`: one request each */
    const chunks = (stmts: Stmt[]): Stmt[][] => Array.from({ length: Math.ceil(stmts.length / this.u.batch) }, (_, i) => stmts.slice(i * this.u.batch, (i + 1) * this.u.batch));
    // Idempotent writes (fixed timestamps) split anywhere.
    const regular = (stmts: Stmt[]) => {
      for (const part of chunks(stmts)) units.push({ stmts: part, counter: false, done: false, unknown: false, entries: part.length });
    };
    for (const fk of order) {
      const f = folds.get(fk)!;
      const id = fk.slice(fk.indexOf('\u0000') + 1);
      switch (f.t) {
        case 'Value':
          regular([f.v === null ? { query: st.valueDel, params: [ts(), id] } : { query: st.valueSet, params: [id, f.v, ts()] }]);
          break;
        case 'List': {
          cost.roundTrips++;
          const l = await this.readList(s, id);
          for (const c of f.ops) {
            if (c.op === 'delete') l.length = 0;
            else if (c.op === 'pushBack') l.push(...(c as { values: string[] }).values);
            else if (c.op === 'pushFront') for (const v of (c as { values: string[] }).values) l.unshift(v);
            else if (c.op === 'popFront') l.splice(0, (c as { count: number }).count);
            else if (c.op === 'popBack') { const k = (c as { count: number }).count; l.splice(Math.max(0, l.length - k), k); }
            else if (c.op === 'setAt') {
              const { index, value } = c as { index: number; value: string };
              const i = index < 0 ? l.length + index : index;
              if (i < 0 || i >= l.length) throw new FlexbenchError(`store ${this.url}: list ${id}: index ${index} out of range`, EXIT.usage);
              l[i] = value;
            }
          }
          regular([l.length === 0 ? { query: st.listDel, params: [ts(), id] } : { query: st.listSet, params: [id, l, ts()] }]);
          break;
        }
        case 'Set':
        case 'Map': {
          const stmts: Stmt[] = [];
          if (f.cleared) stmts.push({ query: f.t === 'Set' ? st.setDel : st.mapDel, params: [ts(), id] });
          for (const [k, v] of f.entries) {
            if (v === null) stmts.push({ query: f.t === 'Set' ? st.setErase : st.mapErase, params: [ts(), id, k] });
            else if (f.t === 'Set') stmts.push({ query: st.setAdd, params: [id, k, ts()] });
            else stmts.push({ query: st.mapSet, params: [id, k, v, ts()] });
          }
          regular(stmts);
          break;
        }
        case 'Timer': {
          // each entry a row with the store's own TTL (whole seconds, rounded up) and its deadline (exact reads)
          const now = Date.now();
          const stmts: Stmt[] = [];
          if (f.cleared) stmts.push({ query: st.timerDel, params: [ts(), id] });
          for (const [k, v] of f.entries) {
            const due = v as number | null;
            if (due === null || due <= now) stmts.push({ query: st.timerErase, params: [ts(), id, k] });
            else stmts.push({ query: st.timerSet, params: [id, k, long(due), ttlSeconds(due - now), ts()] });
          }
          regular(stmts);
          break;
        }
        case 'Counter': {
          let inc = f.delta;
          if (f.abs !== null) {
            cost.roundTrips++;
            inc += f.abs - num((await this.exec(st.counterGet, [id])).first()?.get('value'));
          }
          if (seq === null) {
            if (inc !== 0) units.push({ stmts: [{ query: st.counterAdd, params: [long(inc), id] }], counter: true, done: false, unknown: false, entries: 1 });
            break;
          }
          if (inc === 0) break;
          const { marker, inc: step } = await this.markerFor(s, TABLES.counter, id, 0, seq, cost);
          units.push({ stmts: [{ query: st.counterAddSeq, params: [long(inc), long(step), id] }], counter: true, marker, done: false, unknown: false, entries: 1 });
          break;
        }
        case 'CounterMap': {
          // Absolute values (set, erase, delete) need the current counts: one read of the structure.
          const needsRead = f.cleared || [...f.entries.values()].some((e) => e.abs !== null);
          if (needsRead) cost.roundTrips++;
          const cur = needsRead ? await this.counterMapValues(s, id) : new Map<string, number>();
          const incs = new Map<string, number>();
          if (f.cleared) for (const [k, v] of cur) incs.set(k, -v);
          for (const [k, e] of f.entries) {
            const base = f.cleared ? 0 : (cur.get(k) ?? 0);
            const target = e.abs !== null ? e.abs + e.delta : null;
            const inc = target !== null ? target - base : e.delta;
            incs.set(k, (f.cleared ? (incs.get(k) ?? 0) : 0) + inc);
          }
          const adds: Stmt[] = [];
          for (const [k, inc] of incs) if (inc !== 0) adds.push({ query: st.cmAdd, params: [long(inc), id, k] });
          // Chunks of `batch` entries, each with its own marker (chunk i of any flush uses marker i).
          for (const [chunk, stmts] of chunks(adds).entries()) {
            const entries = stmts.length;
            let marker: Marker | undefined;
            if (seq !== null) {
              const m = await this.markerFor(s, TABLES.counterMapSeq, id, chunk, seq, cost);
              marker = m.marker;
              stmts.push({ query: st.cmSeq, params: [long(m.inc), id, chunk] });
            }
            units.push({ stmts, counter: true, marker, done: false, unknown: false, entries });
          }
          break;
        }
      }
    }
    return { seq: seq ?? 0, units, ts: ts0 };
  }

  /** The flush's own connection while it serves: one node only (no routing to do), nothing it cannot speak. */
  private ownPath(): CqlFlushSocket | null {
    const o = this.own;
    return o !== null && o.unusable === null && this.client.hosts.length <= 1 ? o : null;
  }

  /**
   * A unit's statements as one request: on the flush's own connection when `own` (an async flush),
   * else through the driver (also when the own connection finds it cannot serve the node).
   */
  private async send(stmts: readonly Stmt[], counter: boolean, own: boolean): Promise<void> {
    const o = own ? this.ownPath() : null;
    if (o !== null) {
      try {
        return await o.run(stmts as unknown as readonly FlushStmt[], counter, this.cl);
      } catch (err) {
        if (!(err instanceof FlushSocketUnusable)) throw err;
        if (DEBUG) console.error(`cassandra driver: the flush's own connection is not used: ${err.message}`);
      }
    }
    if (stmts.length === 1) await this.exec(stmts[0]!.query, stmts[0]!.params, !counter);
    else await this.client.batch(stmts as Stmt[], { prepare: true, logged: false, counter, consistency: this.cl, isIdempotent: !counter });
  }

  /** Run the plan's pending units with bounded concurrency; returns how many are still pending. */
  private async run(s: Part, plan: Plan, cost: FlushCost, own = false): Promise<{ pending: number; error: unknown }> {
    const todo = plan.units.filter((x) => !x.done);
    let next = 0;
    let error: unknown = null;
    const worker = async () => {
      while (next < todo.length) {
        const unit = todo[next++]!;
        try {
          const marker = unit.marker;
          if (unit.unknown && marker) {
            // The last attempt may have applied: the marker says whether it did.
            cost.roundTrips++;
            const m = await this.marker(s, marker, true);
            if (DEBUG) console.error(`cassandra driver: flush ${plan.seq} ${markerKey(marker)}: outcome unknown, marker ${m} (target ${marker.target})`);
            if (m >= marker.target) { unit.done = true; unit.unknown = false; s.markers.set(markerKey(marker), m); continue; }
            // Not applied: the marker's increment must still lead to the target from what the store holds now.
            const last = unit.stmts[unit.stmts.length - 1]!;
            last.params[marker.table === TABLES.counter ? 1 : 0] = long(marker.target - m);
            unit.unknown = false;
          }
          cost.roundTrips++;
          for (const q of unit.stmts) cost.bytes += 2 + 16 + 2 + q.params.reduce((a: number, v) => a + paramBytes(v), 0);
          await this.send(unit.stmts, unit.counter, own);
          unit.done = true;
          if (marker) s.markers.set(markerKey(marker), marker.target);
        } catch (err) {
          if (DEBUG) console.error(`cassandra driver: flush ${plan.seq} unit ${unit.marker?.key1 ?? '-'} failed: ${(err as Error).message}`);
          if (unit.counter) unit.unknown = true;
          error ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.u.concurrency, todo.length) }, worker));
    return { pending: plan.units.filter((x) => !x.done).length, error };
  }

  async apply(p: Partition, change: Change): Promise<void> {
    const s = this.part(p);
    await this.locked(s, async () => {
      try {
        const cost: FlushCost = { entries: 0, bytes: 0, roundTrips: 0 };
        const plan = await this.compile(s, [change], null, cost);
        const { error } = await this.run(s, plan, cost);
        if (error) throw error;
      } catch (err) {
        throw this.fail(`${change.type} ${change.id}: ${change.op}`, err);
      }
    });
  }

  async flush(p: Partition, batch: FlushBatch): Promise<FlushOutcome> {
    const s = this.part(p);
    return this.locked(s, async () => {
      try {
        // The last flush is read again after a failure or a node coming back (see connect): a
        // Cassandra restarted empty or from an older copy is found at the next flush, not trusted.
        const last = s.lastSeq ?? (await this.readMeta(s));
        if (batch.seq <= last) {
          // the store holds this flush whole (its meta row is written last): a plan left by an attempt
          // whose reply was lost is finished, not pending
          if (s.plan && s.plan.seq <= last) s.plan = null;
          return 'duplicate';
        }
        if (last < batch.seq - 1 && !batch.resync) {
          // what the markers and an unfinished plan assumed of the store no longer holds
          s.markers.clear();
          s.markersRead.clear();
          s.plan = null;
          return 'behind';
        }
        if (s.plan && s.plan.seq !== batch.seq) {
          throw new FlexbenchError(`store ${this.url}: flush ${batch.seq} of ${s.ks} arrived while flush ${s.plan.seq} is unfinished (a failed flush must be resent unchanged)`, EXIT.usage);
        }
        const cost: FlushCost = { entries: 0, bytes: 0, roundTrips: 0 };
        const io0 = this.own ? { writes: this.own.io.writes, reads: this.own.io.reads } : null;
        // reads the plan needs (lists, counts, markers) count as round trips of the flush that compiles it
        if (!s.plan) s.plan = await this.compile(s, batch.changes, batch.seq, cost);
        const plan = s.plan;
        const { pending, error } = await this.run(s, plan, cost, true);
        if (pending) throw new FlexbenchError(`store ${this.url}: flush ${batch.seq} of ${s.ks}: ${pending} of ${plan.units.length} parts not applied yet (resend to finish): ${(error as Error)?.message ?? error}`, EXIT.environment, { cause: error });
        // only after every unit's reply: the meta row says the flush is applied whole (see 0eed0a7)
        await this.send([{ query: s.st.metaSet, params: [long(batch.seq), long(plan.ts)] }], false, true);
        cost.roundTrips++;
        s.lastSeq = batch.seq;
        s.plan = null;
        cost.entries = plan.units.reduce((a, x) => a + x.entries, 0);
        // beyond FlushCost: CQL statements sent (markers and the meta row included), for the bench
        this.cost = Object.assign(cost, { statements: plan.units.reduce((a, x) => a + x.stmts.length, 0) + 1 });
        // the own connection's socket calls, when it carried the flush
        if (io0 && this.own!.io.writes > io0.writes) Object.assign(cost, { writes: this.own!.io.writes - io0.writes, reads: this.own!.io.reads - io0.reads });
        return 'applied';
      } catch (err) {
        // the node may come back empty: schema and last flush are checked again before the resend
        s.lastSeq = null;
        s.ready = null;
        throw this.fail(`flush ${batch.seq} of ${s.ks}`, err);
      }
    });
  }

  async lastSeq(p: Partition): Promise<number> {
    const s = this.part(p);
    return this.locked(s, async () => {
      try {
        return await this.readMeta(s);
      } catch (err) {
        throw this.fail(`reading the last flush of ${s.ks}`, err);
      }
    });
  }

  async query(p: Partition, q: Query): Promise<QueryResult> {
    const s = this.part(p);
    const st = s.st;
    return this.locked(s, async () => {
      try {
        const first = async (query: string, params: unknown[]) => (await this.exec(query, params)).first();
        switch (q.type) {
          case 'Value': return ((await first(st.valueGet, [q.id]))?.get('value') as string | null) ?? null;
          case 'Timer': {
            const now = Date.now();
            if (q.op === 'get' || q.op === 'has') {
              const d = num((await first(st.timerGet, [q.id, q.key]))?.get('deadline'));
              return q.op === 'has' ? d > now : d > now ? d : null;
            }
            const ks: string[] = [], ds: number[] = [];
            for (const r of await this.all(st.timerItems, [q.id])) { const d = num(r.get('deadline')); if (d > now) { ks.push(r.get('key2') as string); ds.push(d); } }
            return q.op === 'size' ? ks.length : [ks, ds];
          }
          case 'Counter': return num((await first(st.counterGet, [q.id]))?.get('value'));
          case 'List': {
            const l = await this.readList(s, q.id);
            if (q.op === 'size') return l.length;
            if (q.op === 'items') return l;
            if (q.op === 'at') return l[q.index < 0 ? l.length + q.index : q.index] ?? null;
            if (q.op === 'find') return l.indexOf(q.value);
            const v = (q.op === 'popFront' ? l.shift() : l.pop()) ?? null;
            if (v !== null) {
              const ts = long(this.timestamps(1));
              await this.exec(l.length ? st.listSet : st.listDel, l.length ? [q.id, l, ts] : [ts, q.id]);
            }
            return v;
          }
          case 'Set': {
            if (q.op === 'has') return (await first(st.setHas, [q.id, q.value])) != null;
            const items = (await this.all(st.setItems, [q.id])).map((r) => r.get('key2') as string);
            return q.op === 'size' ? items.length : items;
          }
          case 'Map': {
            if (q.op === 'get' || q.op === 'has') {
              const r = await first(st.mapGet, [q.id, q.key]);
              return q.op === 'has' ? r != null : r == null ? null : Number(r.get('value'));
            }
            const rows = await this.all(st.mapItems, [q.id]);
            if (q.op === 'size') return rows.length;
            return [rows.map((r) => r.get('key2') as string), rows.map((r) => Number(r.get('value')))];
          }
          case 'CounterMap': {
            // A count of 0 is an erased entry (counter cells cannot be deleted and written again).
            if (q.op === 'get' || q.op === 'has') {
              const v = num((await first(st.cmGet, [q.id, q.key]))?.get('value'));
              return q.op === 'has' ? v !== 0 : v === 0 ? null : v;
            }
            const m = await this.counterMapValues(s, q.id);
            for (const [k, v] of m) if (v === 0) m.delete(k);
            if (q.op === 'size') return m.size;
            return [[...m.keys()], [...m.values()]];
          }
        }
      } catch (err) {
        throw this.fail(`${q.type} ${q.id}: ${q.op}`, err);
      }
    });
  }

  async loadPartition(p: Partition): Promise<Snapshot> {
    const s = this.part(p);
    const st = s.st;
    return this.locked(s, async () => {
      try {
        const snap = emptySnapshot();
        for (const r of await this.all(st.valueAll, [])) { const v = r.get('value') as string | null; if (v !== null) snap.values[r.get('key1') as string] = v; }
        for (const r of await this.all(st.counterAll, [])) { const v = num(r.get('value')); if (v !== 0) snap.counters[r.get('key1') as string] = v; }
        for (const r of await this.all(st.listAll, [])) { const v = r.get('value') as string[] | null; if (v?.length) snap.lists[r.get('key1') as string] = v; }
        for (const r of await this.all(st.setAll, [])) (snap.sets[r.get('key1') as string] ??= []).push(r.get('key2') as string);
        for (const r of await this.all(st.mapAll, [])) {
          const e = (snap.maps[r.get('key1') as string] ??= [[], []]);
          e[0].push(r.get('key2') as string);
          e[1].push(Number(r.get('value')));
        }
        const now = Date.now();
        for (const r of await this.all(st.timerAll, [])) {
          const d = num(r.get('deadline'));
          if (d <= now) continue;
          const e = (snap.timers[r.get('key1') as string] ??= [[], []]);
          e[0].push(r.get('key2') as string);
          e[1].push(d);
        }
        for (const r of await this.all(st.cmAll, [])) {
          const k = r.get('key2') as string | null;
          const v = num(r.get('value'));
          if (k === null || v === 0) continue;
          const e = (snap.counterMaps[r.get('key1') as string] ??= [[], []]);
          e[0].push(k);
          e[1].push(v);
        }
        return snap;
      } catch (err) {
        throw this.fail(`loading ${s.ks}`, err);
      }
    });
  }

  async dropPartition(p: Partition): Promise<void> {
    const s = this.part(p);
    await s.lock.catch(() => {});
    try {
      await this.client.execute(`DROP KEYSPACE IF EXISTS ${s.ks}`);
      const sh = await this.shared(p.nf);
      await this.exec(sh.partDel, [p.instance, p.core]);
    } catch (err) {
      throw this.fail(`dropping ${s.ks}`, err);
    } finally {
      this.parts.delete(s.ks);
    }
  }

  lastFlushCost(): FlushCost {
    return this.cost;
  }

  async close(): Promise<void> {
    this.own?.close();
    await this.client.shutdown();
    // cassandra-driver 4.10 can leave a host's pool timers running after shutdown when the node was
    // restarted while connected (seen in the kill test: the process never exited); close every host it ever had.
    for (const h of seenHosts.get(this.client) ?? []) await h.shutdown(false).catch(() => {});
  }
}

/**
 * A CQL TTL (whole seconds) that keeps a cell at least `ms`: Cassandra ends a cell when the clock's
 * whole second reaches its write second + TTL, i.e. after TTL - 1 to TTL seconds, so one more.
 */
export function ttlSeconds(ms: number): number {
  return Math.ceil(ms / 1000) + 1;
}

/** `LOCAL_QUORUM` -> the driver's `localQuorum` code; the URL parser already checked the name. */
export function consistencyCode(name: string): number {
  const key = name.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof typeof cassandra.types.consistencies;
  const code = cassandra.types.consistencies[key];
  if (typeof code !== 'number') throw new FlexbenchError(`consistency level ${name} is not known to cassandra-driver`, EXIT.usage);
  return code;
}

/** How long connection refusals (nothing listens) are retried before connect() gives up. */
const REFUSED_GIVE_UP_MS = 2000;

/**
 * The async flush's own connection (flush-socket.ts) for a single-node URL without credentials;
 * FLEXBENCH_CASSANDRA_FLUSH_SOCKET=0 keeps every flush on the driver (to compare the two paths).
 */
function ownFlushSocket(u: CassandraUrl, options: Record<string, unknown>): CqlFlushSocket | null {
  if (process.env.FLEXBENCH_CASSANDRA_FLUSH_SOCKET === '0' || u.contactPoints.length !== 1 || options.password !== undefined) return null;
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(u.contactPoints[0]!);
  if (!m) return null;
  return new CqlFlushSocket({ host: m[1]!, port: Number(m[2]), connectTimeoutMs: Math.min(5000, u.timeoutMs), requestTimeoutMs: 12_000 });
}

interface HostLike { shutdown(waitForPending: boolean): Promise<void> }
const seenHosts = new WeakMap<cassandra.Client, Set<HostLike>>();

export const driver: StoreDriver = {
  label: 'cassandra',
  inProcess: false,
  async connect(url: string, options: Record<string, unknown>) {
    const u = parseCassandraUrl(url, options);
    const client = new cassandra.Client({
      contactPoints: u.contactPoints,
      localDataCenter: u.localDataCenter,
      queryOptions: { prepare: true, consistency: consistencyCode(u.consistency) },
      socketOptions: { connectTimeout: Math.min(5000, u.timeoutMs), readTimeout: 12_000 },
      // Come back quickly after a Cassandra restart: flushes are resent every second at most.
      policies: { reconnection: new cassandra.policies.reconnection.ConstantReconnectionPolicy(250) },
      // a locked lab's Cassandra (PasswordAuthenticator): credentials as driver options, from a private config file
      ...(typeof options.password === 'string' ? { authProvider: new cassandra.auth.PlainTextAuthProvider(typeof options.username === 'string' ? options.username : 'flexbench', options.password) } : {}),
    });
    const hosts = new Set<HostLike>();
    seenHosts.set(client, hosts);
    const see = (h: unknown) => { if (h && typeof (h as HostLike).shutdown === 'function') hosts.add(h as HostLike); };
    client.on('hostAdd', see);
    client.on('hostUp', see);
    client.on('hostDown', see);
    const t0 = Date.now();
    // a port where nothing listens will not start answering by waiting: give up on refusals soon
    const refusedGiveUp = Math.min(u.timeoutMs, REFUSED_GIVE_UP_MS);
    let last: unknown;
    for (;;) {
      try {
        await client.connect();
        for (const h of client.hosts.values()) see(h);
        return new CassandraConnection(url.trim(), u, client, ownFlushSocket(u, options));
      } catch (err) {
        last = err;
      }
      const waited = Date.now() - t0;
      if (waited >= u.timeoutMs || (allRefused(last) && waited >= refusedGiveUp)) break;
      await sleep(500);
    }
    await client.shutdown().catch(() => {});
    const within = allRefused(last) ? refusedGiveUp : u.timeoutMs;
    throw new FlexbenchError(`store ${url}: Cassandra not reachable within ${within} ms: ${connectProblem(last)}`, EXIT.environment, { cause: last });
  },
};
