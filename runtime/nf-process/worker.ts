// One core: open its state partition, its port and its NF, then loop rx -> NF -> tx in bursts until told to stop.
import { parentPort, workerData } from 'node:worker_threads';
import { threadId, threadUsage } from '../../common/thread-usage.js';
import { performance } from 'node:perf_hooks';
import type { StateConfig, StateContext, StateLoss, StoreOutage, WarmState } from '../state/api.js';
import { NF_REGISTRY, type NfName } from '../../nfs/registry.js';
import type { NfOptions } from '../../nfs/types.js';
import type { CoreRing } from '../packet/layout.js';
import type { Port, IfaceModule } from '../packet/port.js';
import { RingPort, type OfferedQueues } from '../packet/replay-port.js';
import { Capture } from '../packet/capture.js';
import { LatencyRecorder, type CoreLatency } from '../packet/latency.js';
import { STATS_WORDS, CONTROL, reserveBudget } from '../packet/shared.js';
import { LinkPort } from '../packet/link-port.js';
import type { NetworkFunction } from '../../nfs/types.js';

export type PortSpec =
  | { kind: 'ring'; ring: CoreRing; offered?: OfferedQueues }
  | { kind: 'iface'; iface: string; shared: unknown }
  /** a link to a front-end (several instances); instance null: a standby that waits to be assigned one */
  | { kind: 'link'; path: string; instance: string | null };

export interface CoreWorkerData {
  core: number;
  cores: number;
  nf: NfName;
  nfOptions: Omit<NfOptions, 'core' | 'cores'>;
  /** null for stateless NFs */
  state: StateConfig | null;
  port: PortSpec;
  burstSize: number;
  /** packets this core must process (0 = until stopped) */
  quota: number;
  /** the cores share --packets through the control words instead of `quota` (interfaces) */
  sharedBudget: boolean;
  /** the shared budget's total (--packets) */
  total: number;
  /** a warm-up was asked for: watch CONTROL.warm, whose setting opens the measured window */
  warmup: boolean;
  control: SharedArrayBuffer;
  stats: SharedArrayBuffer;
  capture: boolean;
  /** what the NF's cores share (NfModule.sharedBytes), if it asked for any */
  nfShared?: SharedArrayBuffer;
  /** nf run --samples-on-stdin: answer the engine's asks for the NF's statistics while running */
  samples?: boolean;
}

export type CoreMessage =
  /** tid: this thread's kernel id, so the engine can read its CPU and wait times while it runs (nf run --samples-on-stdin) */
  | { type: 'ready'; tid: number | null }
  /** the NF's statistics now, asked by the engine for a sample line (nf run --samples-on-stdin) */
  | { type: 'nf-stats'; core: number; id: string; stats: Record<string, number> }
  | { type: 'done'; core: number; rx: number; tx: number; txDropped: number; missed: number; seconds: number; nfStats: Record<string, number>; nfMessages: string[];
      /** async mode: the state flusher's figures (flushes, entries, bytes, round trips, retries) before the final flush */
      state?: { flushes: number; entries: number; bytes: number; round_trips: number; retries: number; merge_ms: number; encode_ms: number; writes: number | null; reads: number | null; state_thread_busy_ms: number | null; state_thread_cpu_ms: number | null; state_thread_wakeups: number | null; outages?: StoreOutage[] };
      capture?: { bytes: Uint8Array; lens: Int32Array };
      /** counters and time (s after go) at the end of the warm-up; null without one or if the run ended first */
      warm: WindowStart | null;
      /** sampled latency over the measured window (offered load with stamping), else null */
      latency: CoreLatency | null;
      /** the core's thread times at go and at its loop's end (another process holding its CPU shows as wait) */
      times: { start: ThreadTimes | null; end: ThreadTimes | null } }
  | { type: 'error'; core: number; message: string; exitCode?: number }
  /** a flush found the store without this core's last acknowledged flush (the engine reports it, and stops on `fail`) */
  | { type: 'state-loss'; core: number; loss: StateLoss }
  /** this core's flushes started failing (`to` null) or were acknowledged again after failing */
  | { type: 'store-outage'; core: number; outage: StoreOutage };

const ms3 = (ms: number) => Math.round(ms * 1000) / 1000;
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/** This thread's time on a CPU and waiting runnable for one (s), from /proc/thread-self/schedstat; null where there is none. */
export interface ThreadTimes { cpu: number; wait: number }
function threadTimes(): ThreadTimes | null {
  const u = threadUsage();
  return u && { cpu: u.cpuMs / 1e3, wait: u.waitMs / 1e3 };
}

/** A core's counters when the warm-up ended; `missed` without what still waits in the ring (received later). */
interface WindowStart { rx: number; tx: number; missed: number; txDropped: number; at: number; times: ThreadTimes | null }
// module-level, not closures: capturing the loop's rx/tx would move them out of registers
/** Has the warm-up ended: offered load, at the generator's boundary packet-exactly; else when the engine says so. */
function warmupOver(control: Int32Array, ringPort: RingPort | null): boolean {
  return ringPort !== null ? ringPort.windowOpen() : Atomics.load(control, CONTROL.warm) !== 0;
}
/** Opens the measured window: the counters at its start; latency and bad stamps count from here. */
function windowStart(rx: number, tx: number, port: Port, at: number, lat: LatencyRecorder | null, ringPort: RingPort | null): WindowStart {
  if (lat !== null) lat.reset();
  if (ringPort !== null) ringPort.badStamps = 0;
  return { rx, tx, missed: port.missed() - (port.pending?.() ?? 0), txDropped: port.txDropped?.() ?? 0, at, times: threadTimes() };
}

async function openPort(d: CoreWorkerData): Promise<Port> {
  if (d.port.kind === 'link') return LinkPort.open(d.port.path, { instance: d.port.instance, core: d.core, cores: d.cores, pid: process.pid });
  if (d.port.kind === 'ring') return new RingPort(d.port.ring, d.burstSize, d.port.offered, d.cores);
  const mod = (await import('../packet/iface/index.js' as string)) as IfaceModule;
  return mod.openIfacePort({ queue: d.core, queues: d.cores, burstSize: d.burstSize, iface: d.port.iface, shared: d.port.shared });
}

async function main(d: CoreWorkerData): Promise<void> {
  const control = new Int32Array(d.control);
  const stats = new Float64Array(d.stats, d.core * STATS_WORDS * 8, STATS_WORDS);
  const mod = await NF_REGISTRY[d.nf].load();
  let ctx: StateContext | null = null;
  let port: Port | null = null;
  let answerStats: ((m: unknown) => void) | null = null;
  // a listener on parentPort keeps the worker up: gone before its last message
  const stopAnswering = () => {
    if (answerStats) parentPort!.off('message', answerStats);
    answerStats = null;
  };
  try {
    let stateCfg = d.state;
    let adopt: string[] = [];
    let nfOptions = d.nfOptions;
    // a standby: connected and counted ready, it opens the state of the instance it is assigned
    // (a dead one's id: its partitions are recovered) only when the front-end says so
    const standby = d.port.kind === 'link' && d.port.instance === null;
    let link: LinkPort | null = null as LinkPort | null;
    let warmState: WarmState | undefined;
    if (standby) {
      link = (await openPort(d)) as LinkPort;
      port = link as Port;
      // a warm standby: its state thread started and connected now, so a takeover costs the store's round trips
      if (d.state) warmState = await (await import('../state/api.js')).prewarmState(d.state);
      parentPort!.postMessage({ type: 'ready', tid: threadId() } satisfies CoreMessage);
      const a = await link.assignment();
      if (a === null) {
        if (warmState) await (await import('../state/api.js')).discardWarmState(warmState);
        // never needed: the run ended with this standby unused
        await link.close();
        port = null;
        parentPort!.postMessage({ type: 'done', core: d.core, rx: 0, tx: 0, txDropped: 0, missed: 0, seconds: 0, nfStats: { standby_unused: 1 }, nfMessages: [], warm: null, latency: null, times: { start: null, end: null } } satisfies CoreMessage);
        return;
      }
      if (stateCfg) stateCfg = { ...stateCfg, instance: a.instance };
      adopt = a.adopt;
      if (a.share) nfOptions = { ...nfOptions, natShare: a.share };
    }
    const tLoad = performance.now();
    if (stateCfg) ctx = await (await import('../state/api.js')).openState(stateCfg, d.core, warmState);
    const tOpened = performance.now();
    ctx?.onStateLoss((loss) => parentPort!.postMessage({ type: 'state-loss', core: d.core, loss } satisfies CoreMessage));
    ctx?.onStoreOutage((outage) => parentPort!.postMessage({ type: 'store-outage', core: d.core, outage } satisfies CoreMessage));
    // Recovery: in async mode an NF reads its local cache, so the partition a dead instance left in
    // the store is loaded into it before the NF starts (sync-mode reads go to the store anyway).
    if (ctx !== null && ctx.mode === 'async') await ctx.load();
    const tLoaded = performance.now();
    const nf = await mod.createNf(ctx, { ...nfOptions, core: d.core, cores: d.cores, ...(d.nfShared ? { shared: d.nfShared } : {}) });
    if (d.samples) {
      // answered between chunks of bursts (the loop yields to the event loop every millisecond), off the packet path
      answerStats = (m: unknown) => {
        const q = m as { type?: string; id?: string } | null;
        if (q?.type === 'nf-stats') parentPort!.postMessage({ type: 'nf-stats', core: d.core, id: q.id ?? '', stats: nf.stats?.() ?? {} } satisfies CoreMessage);
      };
      parentPort!.on('message', answerStats);
    }
    let adopted = 0;
    for (const other of adopt) adopted += await adoptFrom(nf, stateCfg, other, d.core);
    const opened: Port = port ?? (await openPort(d));
    port = opened;
    if (opened instanceof LinkPort) link = opened;
    const capture = d.capture ? new Capture() : null;
    const b = port.burst;
    const B = Math.min(d.burstSize, b.capacity);
    const asyncNf = nf.processAsync !== undefined;
    const pollState = ctx !== null && ctx.mode === 'async';
    // offered load: the window opens packet-exactly at the generator's warm-up boundary (port.windowOpen)
    const ringPort = port instanceof RingPort && d.port.kind === 'ring' && d.port.offered !== undefined ? port : null;
    const lat = ringPort !== null && d.port.kind === 'ring' && d.port.offered?.stamps !== undefined ? new LatencyRecorder() : null;
    if (lat !== null) ringPort!.onLatency = (ms) => lat.record(ms);
    if (ringPort !== null && d.warmup) ringPort.watchBoundary = true;
    if (!standby) parentPort!.postMessage({ type: 'ready', tid: threadId() } satisfies CoreMessage);
    while (Atomics.load(control, CONTROL.go) === 0 && Atomics.load(control, CONTROL.stop) === 0) {
      Atomics.wait(control, CONTROL.go, 0, 20);
    }
    // the front-end sends this core packets from now on
    // what a takeover spent: opening the partition (a state thread, the store connection), loading it, building the NF
    link?.ready(stateCfg?.instance ?? (d.port.kind === 'link' ? d.port.instance : null) ?? '', {
      load_ms: ms3(performance.now() - tLoad), open_ms: ms3(tOpened - tLoad), fetch_ms: ms3(tLoaded - tOpened), nf_ms: ms3(performance.now() - tLoaded), adopted,
    });
    let idle = false;
    let rx = 0;
    let tx = 0;
    const shared = d.sharedBudget;
    let remaining = d.quota > 0 && !shared ? d.quota : Infinity;
    const t0 = performance.now();
    const times0 = threadTimes();
    let tEnd = t0;
    let lastYield = t0;
    let warm: WindowStart | null = null;
    const watchWarm = d.warmup;
    let dropsCounted = 0;
    let adopting: Promise<void> | null = null;
    let adoptError: Error | null = null;
    outer: for (;;) {
      // A chunk of bursts between stop checks and event-loop yields keeps the loop tight.
      for (let k = 0; k < 64; k++) {
        let want = remaining < B ? remaining : B;
        if (shared) {
          want = reserveBudget(control, B);
          if (want === 0) {
            // every packet is reserved: done once the other cores' reservations came in
            if (Atomics.load(control, CONTROL.taken) >= d.total) break outer;
            break;
          }
        }
        const n = port.rx(want);
        if (shared) {
          const got = n > 0 ? n : 0;
          if (got < want) Atomics.add(control, CONTROL.budget, want - got);
          if (got > 0) Atomics.add(control, CONTROL.taken, got);
        }
        if (n <= 0) {
          if (n < 0) break outer;
          idle = true;
          break;
        }
        if (asyncNf) await nf.processAsync!(b);
        else nf.process(b);
        if (pollState) ctx!.poll();
        const sent = port.tx();
        if (capture !== null) capture.add(b);
        rx += n;
        tx += sent;
        remaining -= n;
        if (remaining === 0) break outer;
        if (shared && Atomics.load(control, CONTROL.taken) >= d.total) break outer;
        // per burst (one Atomics load each): a chunk of a store-bound NF can take seconds
        if (watchWarm && warm === null && warmupOver(control, ringPort)) warm = windowStart(rx, tx, port, (performance.now() - t0) / 1000, lat, ringPort);
        if (asyncNf && Atomics.load(control, CONTROL.stop) !== 0) break outer;
      }
      stats[0] = rx;
      stats[1] = tx;
      if (Atomics.load(control, CONTROL.stop) !== 0) break;
      const now = performance.now();
      // no packets flowing: the warm-up still ends on time
      if (watchWarm && warm === null && warmupOver(control, ringPort)) warm = windowStart(rx, tx, port, (now - t0) / 1000, lat, ringPort);
      if (shared && now - lastYield >= 1) {
        // a packet the port dropped (queue full) arrived too: it counts against --packets, or a
        // sender of exactly N would leave the run waiting for packets that will never come
        const drops = port.missed() - (port.pending?.() ?? 0);
        if (drops > dropsCounted) {
          const delta = drops - dropsCounted;
          dropsCounted = drops;
          Atomics.sub(control, CONTROL.budget, delta);
          if (Atomics.add(control, CONTROL.taken, delta) + delta >= d.total) break;
        }
      }
      if (link !== null) {
        // a link's packets arrive through the event loop: wait for them instead of spinning a shared core
        // a scale-in's adoption loads in the background while this core keeps forwarding its own flows
        // (the removed instance's flows come here only once every survivor said ADOPTED); awaited here,
        // it stopped every flow of the core for as long as opening the store took (Cassandra: ~300 ms)
        if (adoptError !== null) throw adoptError;
        if (link.pendingAdopt !== null && adopting === null) {
          const want = link.pendingAdopt;
          const l = link;
          link.pendingAdopt = null;
          const t = performance.now();
          adopting = (async () => {
            let k = 0;
            for (const other of want.adopt) k += await adoptFrom(nf, stateCfg, other, d.core);
            l.adopted({ adopted: k, load_ms: ms3(performance.now() - t) });
          })().then(
            () => { adopting = null; },
            (err: unknown) => { adopting = null; adoptError = err as Error; },
          );
        }
        if (idle) await link.wait(5);
        else if (now - lastYield >= 1) await yieldToLoop();
        idle = false;
        lastYield = performance.now();
      } else if (now - lastYield >= 1) {
        await yieldToLoop(); // lets state timers and I/O run (async flushes, store replies)
        lastYield = performance.now();
      }
    }
    tEnd = performance.now();
    const times1 = threadTimes();
    stats[0] = rx;
    stats[1] = tx;
    // an adoption still loading finishes before the NF and its state close under it
    await adopting;
    if (adoptError !== null) throw adoptError;
    await nf.close?.();
    const nfStats = nf.stats?.() ?? {};
    const nfMessages = nf.messages?.() ?? [];
    let state: Extract<CoreMessage, { type: 'done' }>['state'];
    if (ctx?.mode === 'async') {
      const st = await ctx.stats();
      state = { flushes: st.flushes, entries: st.entries, bytes: st.bytes, round_trips: st.roundTrips, retries: st.retries, merge_ms: ms3(st.mergeMs), encode_ms: ms3(st.encodeMs), writes: st.writes, reads: st.reads, state_thread_busy_ms: st.busyMs === null ? null : ms3(st.busyMs), state_thread_cpu_ms: st.cpuMs === null ? null : ms3(st.cpuMs), state_thread_wakeups: st.wakeups, ...(st.outages.length ? { outages: st.outages } : {}) };
    }
    if (ctx) {
      const c = ctx;
      ctx = null;
      await c.close(); // final flush: the store now holds everything this core did
    }
    const latency = lat !== null ? lat.take(ringPort!.badStamps) : null;
    const missed = port.missed();
    const txDropped = (port as Port).txDropped?.() ?? 0;
    await port.close();
    port = null;
    const cap = capture?.take();
    stopAnswering();
    parentPort!.postMessage(
      { type: 'done', core: d.core, rx, tx, txDropped, missed, seconds: (tEnd - t0) / 1000, nfStats, nfMessages, state, capture: cap, warm, latency, times: { start: times0, end: times1 } } satisfies CoreMessage,
      cap ? [cap.bytes.buffer as ArrayBuffer, cap.lens.buffer as ArrayBuffer] : [],
    );
  } catch (err) {
    stopAnswering();
    const e = err as Error & { exitCode?: number };
    try {
      await port?.close();
      await ctx?.close();
    } catch {
      // the first error is the one to report
    }
    parentPort!.postMessage({ type: 'error', core: d.core, message: e.message ?? String(err), exitCode: e.exitCode } satisfies CoreMessage);
  }
}

/**
 * Scale-out and scale-in: the NF takes over the flows another instance kept, reading that instance's
 * partition of this core (its last flushed state) through a read-only sync context.
 */
async function adoptFrom(nf: NetworkFunction, state: StateConfig | null, other: string, core: number): Promise<number> {
  if (state === null || nf.adopt === undefined) return 0;
  const from = await (await import('../state/api.js')).openState({ ...state, instance: other, mode: 'sync' }, core);
  try {
    return await nf.adopt(from);
  } finally {
    await from.close();
  }
}

await main(workerData as CoreWorkerData);
