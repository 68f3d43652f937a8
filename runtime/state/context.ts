// openState: builds one core's StateContext for the configured mode: sync (straight to the store),
// async with a dedicated state worker thread (default), or async flushed on the calling thread;
// StatelessNF's cache (a local copy in front of a write-through link) and stateless-async (the sync
// link with reads pipelined) share the sync context.
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Partition, Snapshot, StoreConnection } from '../drivers/driver.js';
import { resolveDriver } from '../drivers/registry.js';
import { FlexbenchError, EXIT, type ExitCode } from '../../common/errors.js';
import type { CounterHandle, CounterMapHandle, ListHandle, LockHandle, MapHandle, MergedReads, SetHandle, StateContext, StateLoss, StateStats, StoreOutage, TimerHandle, ValueHandle } from './types.js';
import { Lock, Merged, checkExtId, type StoreAccess } from './extensions.js';
import { parseStateConfig, resolveFlusher, type StateConfig, type StateConfigInput } from './config.js';
import { PartitionCache, P_DIRTY, P_REQ, type SwapMessage } from './cache.js';
import { Collector, lossMirror, type LossPolicy } from './collector.js';
import { SyncHandles, SyncLink } from './sync.js';

/**
 * A standby's state, made ready before it knows its partition: the modules loaded and, for the
 * dedicated state thread, the thread started and connected to the store, so that taking over a dead
 * instance's partition costs the store's round trips only (docs/elasticity.md).
 */
export interface WarmState {
  readonly config: StateConfig;
  /** the warm state thread (async mode, flusher worker); null when the context opens on the calling thread */
  readonly worker: Worker | null;
  /** resolves once the thread is connected (rejects if it could not connect) */
  readonly ready: Promise<void>;
}

/** Resolves when the state worker posts `signal` (warm: connected; ready: its partition opened); rejects on its error reply, error or exit. */
function workerSignal(worker: Worker, signal: 'warm' | 'ready', store: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onMsg = (m: Reply | { t: 'warm' | 'ready' }) => {
      if (m.t === signal) { cleanup(); resolve(); }
      else if (m.t === 'reply' && !m.ok) { cleanup(); reject(new FlexbenchError(m.message, m.exitCode)); }
    };
    const onErr = (e: Error) => { cleanup(); reject(e); };
    const onExit = (code: number) => { cleanup(); reject(new FlexbenchError(`state worker for ${store} exited (${code}) before it was ready`, EXIT.environment)); };
    const cleanup = () => { worker.off('message', onMsg); worker.off('error', onErr); worker.off('exit', onExit); };
    worker.on('message', onMsg);
    worker.on('error', onErr);
    worker.on('exit', onExit);
  });
}

/** flush on the calling thread? (`auto` resolved for one packet core: nf run resolves it with its own count first) */
const onCallingThread = (config: StateConfig): boolean => resolveFlusher(config.flusher, 1, availableParallelism()) === 'thread';

export async function prewarmStateContext(input: StateConfig | StateConfigInput): Promise<WarmState> {
  const config = parseStateConfig(input);
  const driver = await resolveDriver(config.store);
  if (config.mode !== 'async' || driver.inProcess || onCallingThread(config)) return { config, worker: null, ready: Promise.resolve() };
  const worker = new Worker(new URL('./state-worker.js', import.meta.url), { workerData: { config, partition: null } });
  const ready = workerSignal(worker, 'warm', config.store);
  ready.catch(() => undefined); // reported when the warm state is used
  worker.unref();
  return { config, worker, ready };
}

/** Ends a warm state that was never used. */
export async function discardWarmState(w: WarmState): Promise<void> {
  await w.worker?.terminate();
}

export async function openStateContext(input: StateConfig | StateConfigInput, core: number, warm?: WarmState): Promise<StateContext> {
  const config = parseStateConfig(input);
  if (!Number.isInteger(core) || core < 0) throw new FlexbenchError(`openState: core must be an integer >= 0, got ${core}`, EXIT.usage);
  const p: Partition = { nf: config.nf, instance: config.instance, core };
  const driver = await resolveDriver(config.store);
  if (config.mode !== 'async') return new SyncContext(config, p, await driver.connect(config.store, config.driver));
  if (driver.inProcess || onCallingThread(config)) {
    const conn = await driver.connect(config.store, config.driver);
    try {
      const x = new ThreadContext(config, p, conn, await conn.lastSeq(p), await lossMirror(config, p));
      await x.start();
      return x;
    } catch (err) {
      await conn.close().catch(() => {});
      throw err;
    }
  }
  if (warm?.worker && warm.config.store === config.store && warm.config.flushMs === config.flushMs) {
    await warm.ready;
    return WorkerContext.open(config, p, warm.worker);
  }
  if (warm) await discardWarmState(warm);
  return WorkerContext.open(config, p);
}

const emptyStats = (): StateStats => ({ flushes: 0, entries: 0, bytes: 0, roundTrips: 0, retries: 0, outages: [], last: null, lastError: null, losses: [], mergeMs: 0, encodeMs: 0, writes: null, reads: null, busyMs: null, cpuMs: null, wakeups: null });


abstract class BaseContext implements StoreAccess {
  protected closed = false;
  readonly merged: MergedReads = new Merged(this);
  constructor(readonly config: StateConfig, readonly partition: Partition) {}
  live(): void {
    if (this.closed) throw new FlexbenchError(`state context ${this.partition.nf}@${this.partition.instance}@${this.partition.core} is closed`, EXIT.usage);
  }
  abstract withStore<T>(f: (conn: StoreConnection) => Promise<T>, settled: boolean): Promise<T>;
  lock(name: string, options: { owner?: string } = {}): LockHandle { this.live(); return new Lock(this, name, options.owner); }
}

/** sync, cache and stateless-async: the store is the state; cache adds a local copy to read from. */
class SyncContext extends BaseContext implements StateContext {
  readonly mode: 'sync' | 'cache' | 'stateless-async';
  private readonly link: SyncLink;
  private readonly h: SyncHandles;
  constructor(config: StateConfig, p: Partition, private readonly conn: StoreConnection) {
    super(config, p);
    this.mode = config.mode as SyncContext['mode'];
    this.link = new SyncLink(conn, p, this.mode === 'stateless-async');
    this.h = new SyncHandles(this.link, this.mode === 'cache');
  }
  value(id: string): ValueHandle { this.live(); return this.h.value(id); }
  counter(id: string): CounterHandle { this.live(); return this.h.counter(id); }
  list(id: string): ListHandle { this.live(); return this.h.list(id); }
  set(id: string): SetHandle { this.live(); return this.h.set(id); }
  map(id: string): MapHandle { this.live(); return this.h.map(id); }
  counterMap(id: string): CounterMapHandle { this.live(); return this.h.counterMap(id); }
  timer(id: string): TimerHandle { this.live(); return this.h.timer(checkExtId('timer', id)); }
  // in call order with everything sent before (a sync store answers in order)
  withStore<T>(f: (conn: StoreConnection) => Promise<T>): Promise<T> { return this.link.run(() => f(this.conn)); }
  poll(): void {}
  flush(): Promise<void> { return this.link.settle(); }
  flushNoWait(): void {}
  // the store is the state in sync mode: nothing to pull, but wait for sends in flight; timers re-arm locally
  async load(): Promise<void> {
    await this.link.settle();
    await this.h.rearmTimers();
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.link.settle();
    } finally {
      await this.conn.close();
    }
  }
  async stats(): Promise<StateStats> { return emptyStats(); }
  // no flush sequence to check: every write is sent to the store as it happens
  onStateLoss(): void {}
  onStoreOutage(): void {}
}

abstract class AsyncContext extends BaseContext {
  readonly mode = 'async' as const;
  protected readonly lossListeners: ((loss: StateLoss) => void)[] = [];
  onStateLoss(listener: (loss: StateLoss) => void): void { this.lossListeners.push(listener); }
  protected lost(loss: StateLoss): void { for (const f of this.lossListeners) f(loss); }
  private readonly outageListeners: ((o: StoreOutage) => void)[] = [];
  onStoreOutage(listener: (o: StoreOutage) => void): void { this.outageListeners.push(listener); }
  protected outaged(o: StoreOutage): void { for (const f of this.outageListeners) f(o); }
  protected abstract readonly cache: PartitionCache;
  value(id: string): ValueHandle { this.live(); return this.cache.value(id); }
  counter(id: string): CounterHandle { this.live(); return this.cache.counter(id); }
  list(id: string): ListHandle { this.live(); return this.cache.list(id); }
  set(id: string): SetHandle { this.live(); return this.cache.set(id); }
  map(id: string): MapHandle { this.live(); return this.cache.map(id); }
  counterMap(id: string): CounterMapHandle { this.live(); return this.cache.counterMap(id); }
  timer(id: string): TimerHandle { this.live(); return this.cache.timer(checkExtId('timer', id)); }
  poll(): void { this.cache.poll(); }
  abstract flush(): Promise<void>;
  /** a connection on this thread for what is not a flush (merged reads, locks) */
  protected abstract storeConn(): Promise<StoreConnection>;
  async withStore<T>(f: (conn: StoreConnection) => Promise<T>, settled: boolean): Promise<T> {
    if (settled) await this.flush();
    return f(await this.storeConn());
  }
}

/** Async mode, flushing on the calling thread from a timer (runs only when the packet loop yields). */
class ThreadContext extends AsyncContext implements StateContext {
  protected readonly cache: PartitionCache;
  private readonly collector: Collector;
  private readonly flushTimer: NodeJS.Timeout;
  private ticking = false;
  constructor(config: StateConfig, p: Partition, private readonly conn: StoreConnection, seq: number, mirror: StoreConnection | undefined) {
    super(config, p);
    const policy: LossPolicy = { action: config.onStateLoss, store: config.store, notify: (l) => this.lost(l), outage: (o) => this.outaged(o), mirror };
    this.cache = new PartitionCache(p, config.maxSlots, (m: SwapMessage) => this.collector.receive(m));
    const cache = this.cache;
    this.collector = new Collector(conn, p, seq, {
      async swap() {
        const e = cache.epoch + 1;
        Atomics.store(cache.ctrl, P_REQ, e);
        cache.swap(e);
        return e;
      },
      dirty: () => cache.ctrl[P_DIRTY] !== 0,
    }, undefined, policy);
    // the reply is read when the packet loop yields (its poll phase): send what the timer merged from
    // that same yield, or every flush would take two yields of the loop and keep half the period
    this.collector.chain = true;
    this.flushTimer = setInterval(() => {
      if (this.ticking || this.collector.idle) return; // flush nothing when nothing changed
      this.ticking = true;
      this.collector.tick().finally(() => { this.ticking = false; });
    }, config.flushMs);
    this.flushTimer.unref();
  }
  start(): Promise<void> { return this.collector.start(); }
  protected async storeConn(): Promise<StoreConnection> { return this.conn; }
  flush(): Promise<void> { this.live(); return this.collector.flushAll(); }
  flushNoWait(): void { void this.collector.tick(); }
  async load(): Promise<void> {
    this.live();
    await this.collector.flushAll();
    this.cache.load(await this.conn.loadPartition(this.partition));
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.flushTimer);
    await this.collector.close(this.config.closeTimeoutMs);
  }
  async stats(): Promise<StateStats> { return { ...this.collector.stats }; }
}

type Reply = { t: 'reply'; id: number; ok: true; value?: unknown } | { t: 'reply'; id: number; ok: false; message: string; exitCode: ExitCode } | { t: 'loss'; loss: StateLoss } | { t: 'outage'; outage: StoreOutage };

/** Async mode with a dedicated state worker thread per core: the paper's per-core state thread. */
class WorkerContext extends AsyncContext implements StateContext {
  protected readonly cache: PartitionCache;
  private readonly pollTimer: NodeJS.Timeout;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private dead: Error | null = null;
  /** opened on first use by merged reads and locks: the flushing connection lives in the state worker */
  private side: Promise<StoreConnection> | null = null;

  static async open(config: StateConfig, p: Partition, warm?: Worker): Promise<WorkerContext> {
    const { port1, port2 } = new MessageChannel();
    const cache = new PartitionCache(p, config.maxSlots, (m: SwapMessage) => port1.postMessage(m));
    // a warm state thread (a standby's) is told its partition; otherwise one starts with it
    const worker = warm ?? new Worker(new URL('./state-worker.js', import.meta.url), {
      workerData: { config, partition: p, ctrl: cache.ctrl.buffer, port: port2 },
      transferList: [port2],
    });
    if (warm) warm.postMessage({ t: 'bind', partition: p, ctrl: cache.ctrl.buffer, port: port2 }, [port2]);
    await workerSignal(worker, 'ready', config.store).catch(async (err) => {
      await worker.terminate();
      port1.close();
      throw err;
    });
    return new WorkerContext(config, p, worker, port1, cache);
  }

  private constructor(config: StateConfig, p: Partition, private readonly worker: Worker, private readonly port: MessagePort, cache: PartitionCache) {
    super(config, p);
    this.cache = cache;
    worker.on('message', (m: Reply | { t: 'poll' }) => {
      if (m.t === 'poll') { this.cache.poll(); return; }
      if (m.t === 'loss') { this.lost(m.loss); return; }
      if (m.t === 'outage') { this.outaged(m.outage); return; }
      const r = this.pending.get(m.id);
      if (!r) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.ok) r.resolve(m.value);
      else r.reject(new FlexbenchError(m.message, m.exitCode));
    });
    worker.on('error', (e) => this.die(e));
    worker.on('exit', (code) => this.die(new FlexbenchError(`state worker for ${config.store} exited (${code})`, EXIT.environment)));
    // whenever the packet loop yields, answer the state thread's swap requests
    this.pollTimer = setInterval(() => this.cache.poll(), config.flushMs);
    this.pollTimer.unref();
    worker.unref();
  }

  private die(e: Error): void {
    this.dead ??= e;
    for (const r of this.pending.values()) r.reject(e);
    this.pending.clear();
  }

  private rpc<T>(t: string): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    this.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ t, id });
    });
  }

  flush(): Promise<void> { this.live(); return this.rpc('flush'); }
  flushNoWait(): void { this.live(); this.worker.postMessage({ t: 'tick' }); }
  protected storeConn(): Promise<StoreConnection> {
    this.side ??= resolveDriver(this.config.store).then((d) => d.connect(this.config.store, this.config.driver));
    this.side.catch(() => { this.side = null; });
    return this.side;
  }
  async load(): Promise<void> {
    this.live();
    this.cache.load(await this.rpc<Snapshot>('load'));
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.rpc('close');
    } finally {
      clearInterval(this.pollTimer);
      if (this.side) await this.side.then((c) => c.close(), () => {}).catch(() => {});
      this.dead ??= new Error('closed');
      await this.worker.terminate();
      this.port.close();
    }
  }
  stats(): Promise<StateStats> { return this.rpc('stats'); }
}
