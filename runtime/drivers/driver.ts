// The door between the FlexState runtime and a store: a driver applies changes to one partition
// (nf, instance, core) and answers reads; it knows nothing of packets, caches or flush timers.

/**
 * The structure types, spelled as they appear in store keys. `Timer` (Section VI-B): named timers,
 * each entry a deadline (epoch ms) the store itself expires (Redis PX, Cassandra TTL, a timer wheel).
 */
export const STRUCT_TYPES = ['Value', 'Counter', 'List', 'Set', 'Map', 'CounterMap', 'Timer'] as const;
export type StructType = (typeof STRUCT_TYPES)[number];

/** One core of one NF instance: the unit that owns a private copy of every structure. */
export interface Partition {
  readonly nf: string;
  readonly instance: string;
  readonly core: number;
}

/** Store key of a structure: `nf@instance@core@Type@id` (the paper's Redis layout). */
export function structKey(p: Partition, type: StructType, id: string): string {
  return `${p.nf}@${p.instance}@${p.core}@${type}@${id}`;
}

/**
 * One change to one structure. Sync mode applies them one by one; async mode sends an ordered
 * batch of them per flush (counters and countermaps as deltas).
 */
export type Change =
  | { type: 'Value'; id: string; op: 'set'; value: string }
  | { type: StructType; id: string; op: 'delete' }
  | { type: 'Counter'; id: string; op: 'add' | 'set'; value: number }
  | { type: 'List'; id: string; op: 'pushBack' | 'pushFront'; values: string[] }
  | { type: 'List'; id: string; op: 'popFront' | 'popBack'; count: number }
  | { type: 'List'; id: string; op: 'setAt'; index: number; value: string }
  | { type: 'Set'; id: string; op: 'insert' | 'erase'; values: string[] }
  | { type: 'Map'; id: string; op: 'set'; keys: string[]; values: number[] }
  | { type: 'Map' | 'CounterMap' | 'Timer'; id: string; op: 'erase'; keys: string[] }
  | { type: 'CounterMap'; id: string; op: 'add' | 'set'; keys: string[]; values: number[] }
  /** arm timers: values are deadlines in epoch ms; the store expires each entry at its deadline (one already past is erased) */
  | { type: 'Timer'; id: string; op: 'set'; keys: string[]; values: number[] };

/** Reads (and the two pops, which change the store and return data). */
export type Query =
  | { type: 'Value'; id: string; op: 'get' }
  | { type: 'Counter'; id: string; op: 'get' }
  | { type: 'List'; id: string; op: 'at'; index: number }
  /** index of the first element equal to value, -1 if none */
  | { type: 'List'; id: string; op: 'find'; value: string }
  | { type: 'List'; id: string; op: 'popFront' | 'popBack' }
  | { type: 'List' | 'Set' | 'Map' | 'CounterMap' | 'Timer'; id: string; op: 'size' }
  | { type: 'List' | 'Set'; id: string; op: 'items' }
  | { type: 'Set'; id: string; op: 'has'; value: string }
  /** Timer: the entry's deadline (epoch ms), null when not armed or expired */
  | { type: 'Map' | 'CounterMap' | 'Timer'; id: string; op: 'get'; key: string }
  | { type: 'Map' | 'CounterMap' | 'Timer'; id: string; op: 'has'; key: string }
  /** Timer: live entries only, with their deadlines */
  | { type: 'Map' | 'CounterMap' | 'Timer'; id: string; op: 'entries' };

/** What a query answers: strings/null for values and list elements, numbers for counters and map values. */
export type QueryResult = string | number | boolean | null | string[] | [string[], number[]];

/** One async-mode flush: applied atomically and at most once per (partition, seq). */
export interface FlushBatch {
  readonly seq: number;
  readonly changes: Change[];
  /**
   * Apply even when the store's last sequence number is below `seq - 1` (the runtime found the
   * store had lost acknowledged flushes, reported it, and continues on top of what is left).
   */
  readonly resync?: boolean;
}

/**
 * What a flush found: `applied`; `duplicate` (seq not above the stored one: a resend whose first
 * attempt did apply); `behind` (the store's last sequence number is below seq - 1: it lost flushes
 * it had acknowledged, e.g. restarted empty or from an older copy; nothing was applied).
 */
export type FlushOutcome = 'applied' | 'duplicate' | 'behind';

/** Everything a partition holds in the store, as loaded for recovery. */
export interface Snapshot {
  values: Record<string, string>;
  counters: Record<string, number>;
  lists: Record<string, string[]>;
  sets: Record<string, string[]>;
  maps: Record<string, [string[], number[]]>;
  counterMaps: Record<string, [string[], number[]]>;
  /** live timers and their deadlines (epoch ms) */
  timers: Record<string, [string[], number[]]>;
}
export function emptySnapshot(): Snapshot {
  return { values: {}, counters: {}, lists: {}, sets: {}, maps: {}, counterMaps: {}, timers: {} };
}

/** Who holds a lock, and for how much longer (ms; the store's granularity: Cassandra's TTL is in seconds). */
export interface LockHolder {
  owner: string;
  remainingMs: number;
}

/** Figures a driver reports about its last flush (for the bench). */
export interface FlushCost {
  entries: number;
  bytes: number;
  roundTrips: number;
  /** time the driver spent turning the batch into what it sends (ms) */
  encodeMs?: number;
  /** socket writes and reads the flush took (drivers that own their socket count them) */
  writes?: number;
  reads?: number;
  /** elements of an applied flush the store refused (e.g. Redis WRONGTYPE on a foreign key), with the first reason */
  rejected?: { count: number; first: string };
}

/** A live connection to one store. Every method may reject with a FlexbenchError naming store and address. */
export interface StoreConnection {
  readonly url: string;
  /** Sync mode: apply one change (not idempotent: a lost reply may or may not have applied). */
  apply(p: Partition, change: Change): Promise<void>;
  /** Reads and pops. */
  query(p: Partition, q: Query): Promise<QueryResult>;
  /**
   * Async mode: apply a whole batch atomically, once. Returns 'duplicate' when `seq` is not above the
   * partition's last applied sequence number (a resend whose first attempt did apply), and 'behind',
   * applying nothing, when that number is below `seq - 1` unless `batch.resync` (store continuity:
   * every flush checks the store still holds the partition's previous flush).
   */
  flush(p: Partition, batch: FlushBatch): Promise<FlushOutcome>;
  /**
   * Lazy replies (a dedicated state thread's periodic flushes): a flush's reply may be left unread
   * until pollReplies() asks for it, so the thread wakes once per flush period, not also per reply.
   * Off (the default) while anyone awaits a flush.
   */
  setLazyReplies?(on: boolean): void;
  pollReplies?(): void;
  /** The partition's last applied flush sequence number (0 if none). */
  lastSeq(p: Partition): Promise<number>;
  /** Recovery: the whole partition. */
  loadPartition(p: Partition): Promise<Snapshot>;
  /** Delete every key of the partition (tests, trials). */
  dropPartition(p: Partition): Promise<void>;
  /**
   * Section VI-B merging functions: every partition (any instance, any core) of NF `nf` that may hold
   * structure `type`/`id` (a superset is allowed: a partition without it reads as empty), sorted by
   * instance, then core.
   */
  partitionsOf(nf: string, type: StructType, id: string): Promise<Partition[]>;
  /**
   * Section VI-B locks, one per (nf, name), shared by every instance and core of the NF. acquire: take
   * the lock for `leaseMs` when nobody holds it (or its lease ran out), or renew it when `owner` holds
   * it already; true when `owner` holds it afterwards. The store expires the lease by itself.
   */
  acquireLock(nf: string, name: string, owner: string, leaseMs: number): Promise<boolean>;
  /** extend the lease, only when `owner` holds the lock; false when it does not (any more) */
  renewLock(nf: string, name: string, owner: string, leaseMs: number): Promise<boolean>;
  /** release, only when `owner` holds the lock; false (nothing changed) when another owner or nobody does */
  releaseLock(nf: string, name: string, owner: string): Promise<boolean>;
  lockHolder(nf: string, name: string): Promise<LockHolder | null>;
  /** Cost of the most recent flush. */
  lastFlushCost?(): FlushCost;
  close(): Promise<void>;
}

export interface StoreDriver {
  /** the label of the store URL (`hashmap`, `redis`, `redis+cluster`, `cassandra`) */
  readonly label: string;
  /**
   * true when the store lives in this thread's memory: async mode then flushes on the same thread
   * (a state worker would see an empty store of its own).
   */
  readonly inProcess: boolean;
  /** Connect; reject with a FlexbenchError (EXIT.environment) naming the store and address when unreachable. */
  connect(url: string, options: Record<string, unknown>): Promise<StoreConnection>;
}
