// The per-core state thread (async mode): asks the packet side for its delta buffer every flushMs,
// merges it and pushes it to the store, so the packet loop never waits on I/O.
import { performance } from 'node:perf_hooks';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Partition } from '../drivers/driver.js';
import { resolveDriver } from '../drivers/registry.js';
import { FlexbenchError, EXIT } from '../../common/errors.js';
import { threadUsage, type ThreadUsage } from '../../common/thread-usage.js';
import type { StateConfig } from './config.js';
import { P_ACK, P_DIRTY, P_PARK, P_REQ, P_WAIT, type SwapMessage } from './cache.js';
import { Collector, lossMirror } from './collector.js';


// partition null: a standby's warm state thread, connected before it learns which partition it serves (a bind message)
const wd = workerData as { config: StateConfig; partition: Partition | null; ctrl?: SharedArrayBuffer; port?: MessagePort };
const { config } = wd;
let p = wd.partition as Partition;
let ctrl = new Int32Array(wd.ctrl ?? new SharedArrayBuffer(64));
let port = wd.port as MessagePort;
interface Bind { t: 'bind'; partition: Partition; ctrl: SharedArrayBuffer; port: MessagePort }
const parent = parentPort!;
type WaitAsync = (a: Int32Array, i: number, v: number, t?: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

function errorReply(id: number, err: unknown) {
  const e = err as Error;
  return { t: 'reply', id, ok: false, message: e?.message ?? String(err), exitCode: err instanceof FlexbenchError ? err.exitCode : EXIT.environment };
}

let collector: Collector;
let elu0: ReturnType<typeof performance.eventLoopUtilization>;
let usage0: ThreadUsage | null = null;
/** this thread's CPU time and wake-ups since it was ready (null where /proc has none) */
function usage(): { cpuMs: number | null; wakeups: number | null } {
  const u = usage0 === null ? null : threadUsage();
  return u === null ? { cpuMs: null, wakeups: null } : { cpuMs: u.cpuMs - usage0!.cpuMs, wakeups: u.wakeups - usage0!.wakeups };
}
try {
  const driver = await resolveDriver(config.store);
  const conn = await driver.connect(config.store, config.driver);
  if (wd.partition === null) {
    parent.postMessage({ t: 'warm' });
    const b = await new Promise<Bind>((resolve) => parent.once('message', (m: Bind) => resolve(m)));
    p = b.partition;
    ctrl = new Int32Array(b.ctrl);
    port = b.port;
  }
  const seq = await conn.lastSeq(p).catch(async (err) => { await conn.close().catch(() => {}); throw err; });
  let epoch = 0;
  let wantPoll = 0;
  /** the epoch asked of the packet side and not yet taken (0: none) */
  let asked = 0;
  const ask = (): number => {
    if (asked === 0) {
      asked = epoch + 1;
      Atomics.store(ctrl, P_REQ, asked);
    }
    return asked;
  };
  collector = new Collector(conn, p, seq, {
    async swap() {
      const req = ask();
      for (;;) {
        const a = Atomics.load(ctrl, P_ACK);
        if (a === req) break;
        // an explicit flush/close/load: the packet thread is idle awaiting us, so nudge it
        if (wantPoll) parent.postMessage({ t: 'poll' });
        Atomics.store(ctrl, P_WAIT, 1);
        const r = waitAsync(ctrl, P_ACK, a, wantPoll ? 5 : 100);
        if (r.async) await r.value;
        Atomics.store(ctrl, P_WAIT, 0);
      }
      asked = 0;
      epoch = req;
      // messages posted before the ACK are already queued: drain them synchronously
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) collector.receive(m.message as SwapMessage);
      return req;
    },
    dirty: () => Atomics.load(ctrl, P_DIRTY) !== 0,
    pipelined: true,
  }, undefined, { action: config.onStateLoss, store: config.store, notify: (loss) => parent.postMessage({ t: 'loss', loss }), outage: (outage) => parent.postMessage({ t: 'outage', outage }), mirror: await lossMirror(config, p) });
  await collector.start();
  // periodic flushes read their replies at the next tick (one wake-up per flush period), and the
  // collector sends what that tick merged as soon as the reply is in; an awaited flush reads at once
  const lazy = (on: boolean) => { conn.setLazyReplies?.(on); collector.chain = on; };
  lazy(true);
  let ticking = false;
  let closing = false;
  // Each tick takes the buffer the packet side switched away from since the previous tick (it
  // answers a request at its next burst), sends it, and asks for the next one: one flush per
  // flushMs without waking either thread for the handshake, and nothing at all while nothing changes.
  const tick = () => {
    conn.pollReplies?.(); // a reply waiting in the kernel is read in this wake-up's poll phase
    if (ticking) return;
    if (asked === 0) {
      if (Atomics.load(ctrl, P_DIRTY) !== 0) ask();
      else if (!collector.pending && !collector.busy && wantPoll === 0) { park(); return; }
      if (collector.pending) collector.kick(); // what a flush in flight made wait
      return;
    }
    if (Atomics.load(ctrl, P_ACK) !== asked) return; // not switched yet
    ticking = true;
    collector.round().then(() => {
      collector.kick();
      if (Atomics.load(ctrl, P_DIRTY) !== 0) ask();
    }).catch(() => {}).finally(() => { ticking = false; });
  };
  let timer: NodeJS.Timeout | null = setInterval(tick, config.flushMs);
  // Nothing changed, nothing to send, no reply awaited: sleep until the packet side's next change
  // (its poll wakes this thread) instead of waking every flushMs for nothing. PARK_MS bounds the
  // sleep should a wake-up ever be missed (the packet side's DIRTY is a plain store).
  const PARK_MS = 100;
  const park = () => {
    Atomics.store(ctrl, P_PARK, 1);
    if (Atomics.load(ctrl, P_DIRTY) !== 0) { Atomics.store(ctrl, P_PARK, 0); return; }
    clearInterval(timer!);
    timer = null;
    const r = waitAsync(ctrl, P_PARK, 1, PARK_MS);
    if (r.async) void (r.value as Promise<string>).then(unpark);
    else unpark();
  };
  /** ticking again (the packet side woke us, the bound ran out, or a message came) */
  const unpark = () => {
    Atomics.store(ctrl, P_PARK, 0);
    if (timer !== null || closing) return;
    timer = setInterval(tick, config.flushMs);
    tick();
  };

  parent.on('message', async (m: { t: string; id: number }) => {
    try {
      if (m.t === 'tick') { unpark(); void collector.tick(); return; }
      if (m.t === 'stats') { parent.postMessage({ t: 'reply', id: m.id, ok: true, value: { ...collector.stats, busyMs: performance.eventLoopUtilization(elu0).active, ...usage() } }); return; }
      if (wantPoll++ === 0) lazy(false);
      if (m.t !== 'close') unpark(); // (an awaited flush does not park: wantPoll)
      try {
        if (m.t === 'flush') {
          await collector.flushAll();
          parent.postMessage({ t: 'reply', id: m.id, ok: true });
        } else if (m.t === 'load') {
          await collector.flushAll();
          parent.postMessage({ t: 'reply', id: m.id, ok: true, value: await conn.loadPartition(p) });
        } else if (m.t === 'close') {
          closing = true;
          if (timer !== null) clearInterval(timer);
          timer = null;
          Atomics.store(ctrl, P_PARK, 0);
          try {
            await collector.close(config.closeTimeoutMs);
            parent.postMessage({ t: 'reply', id: m.id, ok: true });
          } catch (err) {
            parent.postMessage(errorReply(m.id, new FlexbenchError(`final flush to ${config.store} failed after ${config.closeTimeoutMs} ms: ${(err as Error).message}`, EXIT.environment)));
          }
          parent.close();
          port.close();
        }
      } finally {
        if (--wantPoll === 0) lazy(true);
      }
    } catch (err) {
      parent.postMessage(errorReply(m.id, err));
    }
  });
  // the state thread's own cost: its event loop's busy time from here on (on a shared CPU, what it takes from the packet thread)
  elu0 = performance.eventLoopUtilization();
  usage0 = threadUsage();
  parent.postMessage({ t: 'ready' });
} catch (err) {
  parent.postMessage(errorReply(0, err));
}
