// The FlexState API's types: the handles per structure type, the per-core StateContext, its figures
// and state losses. api.ts is the door NFs import (it re-exports these and opens a context); the
// implementation (context, cache, sync, collector) imports them from here, so nothing cycles back.
import type { StateConfig } from './config.js';
import type { FlushCost, LockHolder, Partition, StructType } from '../drivers/driver.js';

export type { StateConfig, StateConfigInput, StateMode } from './config.js';
import type { StateMode } from './config.js';
export type { LockHolder, Partition, StructType } from '../drivers/driver.js';

interface Handle {
  /** the store key, `nf@instance@core@Type@id` */
  readonly key: string;
  readonly id: string;
}

/** Name-value pair (string value). */
export interface ValueHandle extends Handle {
  get(): Promise<string | null>;
  set(v: string): Promise<void>;
  setNoWait(v: string): void;
  delete(): Promise<void>;
  deleteNoWait(): void;
}

/** Integer counter; async mode sends deltas. */
export interface CounterHandle extends Handle {
  get(): Promise<number>;
  add(v?: number): Promise<void>;
  /** async mode: a typed-array add and a dirty mark */
  addNoWait(v?: number): void;
  set(v: number): Promise<void>;
  setNoWait(v: number): void;
  delete(): Promise<void>;
  deleteNoWait(): void;
  /** async mode only: the cached value, synchronously */
  peek(): number;
}

/** List of strings (a deque). */
export interface ListHandle extends Handle {
  pushBack(v: string): Promise<void>;
  pushBackNoWait(v: string): void;
  pushFront(v: string): Promise<void>;
  pushFrontNoWait(v: string): void;
  /** removes and returns the first element (null when empty) */
  popFront(): Promise<string | null>;
  popBack(): Promise<string | null>;
  at(index: number): Promise<string | null>;
  /** index of the first element equal to v (std::find), -1 if none */
  find(v: string): Promise<number>;
  contains(v: string): Promise<boolean>;
  setAt(index: number, v: string): Promise<void>;
  setAtNoWait(index: number, v: string): void;
  size(): Promise<number>;
  items(): Promise<string[]>;
  clear(): Promise<void>;
  clearNoWait(): void;
}

/** Set of strings. */
export interface SetHandle extends Handle {
  insert(v: string): Promise<void>;
  insertNoWait(v: string): void;
  erase(v: string): Promise<void>;
  eraseNoWait(v: string): void;
  contains(v: string): Promise<boolean>;
  size(): Promise<number>;
  items(): Promise<string[]>;
  clear(): Promise<void>;
  clearNoWait(): void;
}

/** Calls shared by maps and countermaps (string key -> number value). */
interface KeyedHandle extends Handle {
  get(key: string): Promise<number | null>;
  set(key: string, v: number): Promise<void>;
  setNoWait(key: string, v: number): void;
  erase(key: string): Promise<void>;
  eraseNoWait(key: string): void;
  contains(key: string): Promise<boolean>;
  size(): Promise<number>;
  /** all entries, as parallel arrays */
  entries(): Promise<[string[], number[]]>;
  clear(): Promise<void>;
  clearNoWait(): void;
  /** resolve a key once to an integer slot (allocates on first sight; stable for the context's life) */
  slot(key: string): number;
  /**
   * The slot of a key given as a flow's four words (IPv4 source, destination, the two ports, the
   * protocol, as little-endian int32 reads of the packet): new-flow learning without a string on the
   * packet thread (async mode: an integer index). Its store key, `a.b.c.d:p>a.b.c.d:p/proto`, is made
   * off the hot path (by the state thread, or at the first string-keyed call); slot(thatString) is
   * the same slot.
   */
  slotOfFlow(src: number, dst: number, ports: number, proto: number): number;
  /** the key a slot stands for */
  keyOf(slot: number): string;
  setSlotNoWait(slot: number, v: number): void;
  eraseSlotNoWait(slot: number): void;
  /** async mode only: is the slot's key present, synchronously */
  hasSlot(slot: number): boolean;
  /** async mode only: the slot's cached value (0 when absent), synchronously */
  peekSlot(slot: number): number;
  /**
   * async mode only: bytes this structure's keys cost FlexState on this core (the slot buffers both
   * threads share, the local key index, and the state thread's accumulator); the store's own memory is not in it
   */
  bytes?(): number;
}

/** Map from string keys to numbers (encode richer values, e.g. ip<<16|port, into one number). */
export interface MapHandle extends KeyedHandle {}

/** Map of integer counters. */
export interface CounterMapHandle extends KeyedHandle {
  addTo(key: string, v?: number): Promise<void>;
  addToNoWait(key: string, v?: number): void;
  /** the hot-path call: async mode = typed-array add + dirty mark */
  addToSlotNoWait(slot: number, v?: number): void;
}

/**
 * Named timers (Section VI-B): each entry armed with a TTL is a record in the store that the store
 * itself expires (Redis `SET … PX`, Cassandra `USING TTL`, the hashmap store's timer wheel), and a
 * local timer wheel tells the NF when it fires. After a failure, a new instance's load() re-arms its
 * local wheel from the records still in the store (an absent record = the timer expired).
 * Entries are keyed like map keys (resolve hot ones to a slot once); an entry's value is its
 * deadline in epoch ms. Time: `advance(nowMs)` moves the local wheel, once per burst, with the
 * worker's clock (Date.now() or performance.timeOrigin + performance.now()); the NoWait arm calls
 * count the TTL from that clock, the waiting calls from Date.now().
 */
export interface TimerHandle extends Handle {
  /** arm (or re-arm) `key` to expire `ttlMs` from now */
  arm(key: string, ttlMs: number): Promise<void>;
  armNoWait(key: string, ttlMs: number): void;
  /** the hot-path call: async mode = typed-array write + wheel link, no allocation */
  armSlotNoWait(slot: number, ttlMs: number): void;
  cancel(key: string): Promise<void>;
  cancelNoWait(key: string): void;
  cancelSlotNoWait(slot: number): void;
  /** ms left before `key` expires; null when not armed or expired (sync mode: asks the store) */
  remaining(key: string): Promise<number | null>;
  /** is `key` armed and not expired */
  contains(key: string): Promise<boolean>;
  /** live entries */
  size(): Promise<number>;
  /** live entries and their deadlines (epoch ms), as parallel arrays */
  entries(): Promise<[string[], number[]]>;
  /** cancel every entry */
  clear(): Promise<void>;
  clearNoWait(): void;
  slot(key: string): number;
  keyOf(slot: number): string;
  /**
   * Move the local wheel to `nowMs`: each entry whose deadline passed fires once, its slot written to
   * `out` (at most out.length; the rest at the next call). Returns how many fired. Allocation-free.
   * A fired entry is gone locally; the store expires its record by itself.
   */
  advance(nowMs: number, out: Int32Array): number;
}

/**
 * A lock shared by every instance and core of the NF (Section VI-B): an owner and a lease the store
 * expires by itself, so a dead holder's lock frees itself. Redis: `SET NX PX`, owner-checked renew
 * and release in a script; Cassandra: lightweight transactions (`IF NOT EXISTS`, `IF owner = ?`) with
 * a TTL (whole seconds: at least the lease, at most a second more); hashmap: in-process (one thread's contexts).
 * "Use locks only as a last resort" (the paper): none of this is for the packet path.
 */
export interface LockHandle {
  /** the lock's store key: `nf@Lock@name` */
  readonly key: string;
  readonly name: string;
  /** who this handle acquires as: `instance@core#token` unless given */
  readonly owner: string;
  /** take it for `leaseMs` (or renew it when this owner holds it); false when another owner holds it */
  acquire(leaseMs: number): Promise<boolean>;
  /** acquire, retrying every `retryMs` until `timeoutMs` passed; false on timeout */
  acquireWithin(leaseMs: number, timeoutMs: number, retryMs?: number): Promise<boolean>;
  /** extend the lease; false when this owner does not hold it (any more) */
  renew(leaseMs: number): Promise<boolean>;
  /**
   * give it back; false (nothing changed) when this owner does not hold it. Async mode flushes this
   * context's changes first, so what was written under the lock is in the store before it is free.
   */
  release(): Promise<boolean>;
  /** who holds it now, and for how much longer; null when free */
  holder(): Promise<LockHolder | null>;
}

/** How a merged map combines one key found in several partitions. All are order-independent. */
export type MapMergeRule = 'max' | 'min' | 'sum';

/**
 * Merging functions (Section VI-B): one structure read from every partition of the NF (each instance,
 * each core) and combined into one value, by a fixed rule per type. Reads the store: in async mode
 * this context's own changes are flushed first; other partitions count as far as they have flushed
 * (at most one flush period behind a live instance).
 */
export interface MergedReads {
  /** the partitions (instance, core) holding the structure, sorted by instance then core */
  partitions(type: StructType, id: string): Promise<Partition[]>;
  /** Counter: the sum */
  counter(id: string): Promise<number>;
  /** CounterMap: per key, the sum */
  counterMap(id: string): Promise<[string[], number[]]>;
  /** Map: per key, `rule` over the partitions holding it (default `max`) */
  map(id: string, rule?: MapMergeRule): Promise<[string[], number[]]>;
  /** Set: the union, sorted */
  set(id: string): Promise<string[]>;
  /** List: the partitions' lists concatenated in partition order (instance, core) */
  list(id: string): Promise<string[]>;
  /** Value: each partition's value, by `instance@core` */
  value(id: string): Promise<Record<string, string>>;
  /** Timer: the union of live entries; per key the latest deadline */
  timer(id: string): Promise<[string[], number[]]>;
}

/** What a flush does when the store lost acknowledged flushes (`--on-state-loss`). */
export type OnStateLoss = 'fail' | 'warn' | 'reload';

/**
 * A store found without this partition's last acknowledged flush (restarted empty, or from an older
 * copy): what it held, what was lost, what the runtime did. Field names as in `nf run --json`.
 */
export interface StateLoss {
  /** when it was found (ISO 8601) */
  at: string;
  store: string;
  /** `nf@instance@core` */
  partition: string;
  /** the flush that found it */
  flush_seq: number;
  /** the last flush the store had acknowledged */
  expected_seq: number;
  /** the last flush the store holds now (0: it came back empty) */
  store_seq: number;
  /** acknowledged flushes the store no longer holds */
  flushes_lost: number;
  /** sum of counter and countermap increments acknowledged and no longer held; null when not known */
  counts_lost: number | null;
  /** false when counts_lost is a lower bound (the store also lost what it held before this context counted) */
  counts_exact: boolean;
  action: OnStateLoss;
  /** reload: changes written back to restore what the store had acknowledged */
  reloaded_entries?: number;
}

/** Flushes failing in a row, then one acknowledged: how long this partition could not write (epoch ms, this machine's clock). */
export interface StoreOutage {
  /** the start of the first flush attempt that failed */
  from: number;
  /** the first flush acknowledged after it (null: still failing when asked) */
  to: number | null;
  /** attempts that failed in between */
  failed: number;
  /** the first failure's message */
  error: string;
}

export interface StateStats {
  /** flushes acknowledged by the store */
  flushes: number;
  /** entries (changes) sent in those flushes */
  entries: number;
  bytes: number;
  roundTrips: number;
  /** flushes that failed and were retried */
  retries: number;
  /** spans in which flushes failed, from the first failure to the next flush acknowledged (a store node's failover) */
  outages: StoreOutage[];
  /** last flush's cost */
  last: FlushCost | null;
  /** last error the flusher met (cleared on success) */
  lastError: string | null;
  /** every state loss found (async mode) */
  losses: StateLoss[];
  /** time the flusher spent merging the packet side's buffers and turning them into a batch (ms) */
  mergeMs: number;
  /** time drivers spent encoding the batches (ms; 0 where a driver does not say) */
  encodeMs: number;
  /** socket writes and reads of the flushes (null where the driver does not count them) */
  writes: number | null;
  reads: number | null;
  /** a dedicated state thread: time its event loop was busy since it was ready (ms); null when flushing on the packet thread */
  busyMs: number | null;
  /**
   * a dedicated state thread: its own CPU time since it was ready (ms, the kernel's schedstat; on a
   * CPU it shares with the packet thread, what it took from it) and how often it went to sleep and
   * was woken again (voluntary context switches); null when flushing on the packet thread or unknown
   */
  cpuMs: number | null;
  wakeups: number | null;
}

/** One core's state: its private partition of every structure. */
export interface StateContext {
  readonly config: StateConfig;
  readonly partition: Partition;
  readonly mode: StateMode;
  value(id: string): ValueHandle;
  counter(id: string): CounterHandle;
  list(id: string): ListHandle;
  set(id: string): SetHandle;
  map(id: string): MapHandle;
  counterMap(id: string): CounterMapHandle;
  /** Section VI-B: named timers whose records the store expires (id without "@", "{", "}") */
  timer(id: string): TimerHandle;
  /** Section VI-B: a lock shared by every instance and core of this NF */
  lock(name: string, options?: { owner?: string }): LockHandle;
  /** Section VI-B merging functions: one structure over every partition of this NF */
  readonly merged: MergedReads;
  /**
   * Async mode: call once per burst (one Atomics load): hands the state thread its delta buffer when
   * it asked for it. A timer also calls it whenever the packet loop yields. No-op in sync mode.
   */
  poll(): void;
  /** push every change made so far and wait until the store acknowledged it */
  flush(): Promise<void>;
  flushNoWait(): void;
  /** recovery: replace this partition's cached state with what the store holds */
  load(): Promise<void>;
  /** final flush, then disconnect; after it the store holds exactly the state this context produced */
  close(): Promise<void>;
  stats(): Promise<StateStats>;
  /**
   * Async mode: called once per state loss a flush finds (the store came back without this
   * partition's last acknowledged flush), after the action of `onStateLoss` was taken.
   */
  onStateLoss(listener: (loss: StateLoss) => void): void;
  /**
   * Async mode: called when this partition's flushes start failing (`to` null) and again when one is
   * acknowledged after them (a store node down and back, a failover), so a process killed in between
   * has said so already.
   */
  onStoreOutage(listener: (outage: StoreOutage) => void): void;
}
