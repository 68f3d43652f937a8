// FlexState on one core: counter.add, countermap.addTo and timer.arm (Section VI-B: one arm per
// packet, the local wheel advanced per burst) per second in sync and async mode,
// hashmap and Redis side by side, and what one flush of 50,000 dirty countermap entries costs.
// Async runs the packet loop's shape: bursts of 32 NoWait calls, poll() per burst, a yield to the
// event loop every ~1 ms. Measures and prints; asserts nothing.
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { openState, type StateContext } from '../runtime/state/api.js';
import type { StateConfigInput } from '../runtime/state/config.js';
import { startRedis } from '../runtime/stores/redis.js';
import { flushCost } from './lib/flush-cost.js';

const MEASURE_MS = Number(process.env.BENCH_STATE_MS ?? 1500);
const BURST = 32;
const FLOWS = 50_000;

interface Row { op: string; store: string; mode: string; opsPerS: number; p99GapMs: number; maxGapMs: number; flushes: number }

// gaps between consecutive bursts (ms): the packet loop's view of any stall, flushes included
const gaps = new Float64Array(1 << 22);
let ng = 0;
function gap(ms: number): void {
  if (ng < gaps.length) gaps[ng++] = ms;
}
function gapStats(): { p99GapMs: number; maxGapMs: number } {
  const g = gaps.subarray(0, ng).sort();
  const r = { p99GapMs: g[Math.floor(g.length * 0.99)] ?? 0, maxGapMs: g[g.length - 1] ?? 0 };
  ng = 0;
  return r;
}

type Op = 'counter' | 'countermap' | 'timer';
const TIMER_TTL_MS = 5000;

async function syncRate(ctx: StateContext, op: Op): Promise<Omit<Row, 'op' | 'store' | 'mode'>> {
  const c = ctx.counter('bench');
  const m = ctx.counterMap('bench');
  const t = ctx.timer('bench');
  let n = 0;
  ng = 0;
  const end = performance.now() + MEASURE_MS;
  const t0 = performance.now();
  let last = t0;
  while (performance.now() < end) {
    for (let i = 0; i < BURST; i++, n++) {
      if (op === 'counter') await c.add(1);
      else if (op === 'timer') await t.arm(`f${n % FLOWS}`, TIMER_TTL_MS);
      else await m.addTo(`f${n % FLOWS}`, 1);
    }
    const now = performance.now();
    gap(now - last);
    last = now;
  }
  return { opsPerS: n / ((performance.now() - t0) / 1000), ...gapStats(), flushes: 0 };
}

async function asyncRate(ctx: StateContext, op: Op): Promise<Omit<Row, 'op' | 'store' | 'mode'>> {
  const c = ctx.counter('bench');
  const m = ctx.counterMap('bench');
  const t = ctx.timer('bench');
  const fired = new Int32Array(256);
  const slots = new Int32Array(FLOWS);
  for (let i = 0; i < FLOWS; i++) slots[i] = op === 'timer' ? t.slot(`f${i}`) : m.slot(`f${i}`);
  await ctx.flush();
  const before = (await ctx.stats()).flushes;
  let n = 0;
  let f = 0;
  ng = 0;
  const t0 = performance.now();
  const end = t0 + MEASURE_MS;
  let last = t0;
  let lastYield = t0;
  for (;;) {
    if (op === 'counter') for (let i = 0; i < BURST; i++) c.addNoWait(1);
    else if (op === 'timer') {
      // the burst's clock: advance the wheel once, then arm (re-arm) one timer per packet
      t.advance(performance.timeOrigin + performance.now(), fired);
      for (let i = 0; i < BURST; i++) { t.armSlotNoWait(slots[f]!, TIMER_TTL_MS); f = f + 1 === FLOWS ? 0 : f + 1; }
    } else for (let i = 0; i < BURST; i++) { m.addToSlotNoWait(slots[f]!, 1); f = f + 1 === FLOWS ? 0 : f + 1; }
    n += BURST;
    ctx.poll();
    const now = performance.now();
    if (now - lastYield > 1) {
      await yieldLoop(); // where a same-thread flusher gets its turn
      lastYield = performance.now();
    }
    const after = performance.now();
    gap(after - last);
    last = after;
    if (last > end) break;
  }
  const secs = (performance.now() - t0) / 1000;
  await ctx.flush();
  const g = gapStats();
  return { opsPerS: n / secs, ...g, flushes: (await ctx.stats()).flushes - before };
}

const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(0));
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

export async function run(): Promise<void> {
  const redis = await startRedis();
  try {
    const stores = [['hashmap', `hashmap:bench${process.pid}`], ['redis', redis.url]] as const;
    const variants = [
      { mode: 'sync', cfg: { mode: 'sync' } },
      { mode: 'async/worker', cfg: { mode: 'async', flusher: 'worker' } },
      { mode: 'async/thread', cfg: { mode: 'async', flusher: 'thread' } },
    ] as const;
    const rows: Row[] = [];
    let inst = 0;
    for (const op of ['counter', 'countermap', 'timer'] as const) {
      for (const [sname, url] of stores) {
        for (const v of variants) {
          // hashmap lives in the caller's memory: its async mode always flushes on the same thread
          if (sname === 'hashmap' && v.mode === 'async/worker') continue;
          const ctx = await openState({ nf: 'bench', instance: `i${process.pid}-${inst++}`, store: url, flushMs: 1, ...v.cfg } as StateConfigInput, 0);
          try {
            const r = v.cfg.mode === 'sync' ? await syncRate(ctx, op) : await asyncRate(ctx, op);
            rows.push({ op: op === 'counter' ? 'counter.add' : op === 'timer' ? 'timer.arm' : 'countermap.addTo', store: sname, mode: sname === 'hashmap' && v.mode !== 'sync' ? 'async' : v.mode, ...r });
          } finally {
            await ctx.close();
          }
        }
      }
    }
    console.log(`ops/s on one core, ${MEASURE_MS} ms each; async = bursts of ${BURST} NoWait calls + poll(), flushMs 1; countermap over ${FLOWS} keys`);
    console.log('gap = time between consecutive bursts as the packet loop sees it (sync: per burst of awaited calls)');
    console.log(`${pad('operation', 18)}${pad('store', 9)}${pad('mode', 14)}${lpad('ops/s', 11)}${lpad('x sync', 10)}${lpad('x hashmap', 11)}${lpad('flushes', 9)}${lpad('p99 gap ms', 12)}${lpad('max gap ms', 12)}`);
    for (const r of rows) {
      const sync = rows.find((x) => x.op === r.op && x.store === r.store && x.mode === 'sync')!;
      const hm = rows.find((x) => x.op === r.op && x.store === 'hashmap' && (x.mode === r.mode || (r.mode.startsWith('async') && x.mode === 'async')));
      console.log(
        `${pad(r.op, 18)}${pad(r.store, 9)}${pad(r.mode, 14)}${lpad(fmt(r.opsPerS), 11)}${lpad(`${(r.opsPerS / sync.opsPerS).toFixed(1)}x`, 10)}` +
          `${lpad(hm ? `${(r.opsPerS / hm.opsPerS).toFixed(2)}x` : '-', 11)}${lpad(String(r.flushes), 9)}${lpad(r.p99GapMs.toFixed(3), 12)}${lpad(r.maxGapMs.toFixed(1), 12)}`,
      );
    }
    console.log(`\nflush of ${FLOWS} dirty countermap entries (one flush, timed from the packet side's flush() call)`);
    console.log(`${pad('store', 22)}${lpad('entries', 9)}${lpad('bytes', 11)}${lpad('round trips', 13)}${lpad('ms', 9)}${lpad('bytes/entry', 13)}`);
    for (const [name, url, cfg] of [['hashmap', `hashmap:flush${process.pid}`, {}], ['redis async/worker', redis.url, { flusher: 'worker' }], ['redis async/thread', redis.url, { flusher: 'thread' }]] as const) {
      const f = await flushCost(url, cfg as Partial<StateConfigInput>);
      console.log(`${pad(name, 22)}${lpad(String(f.entries), 9)}${lpad(String(f.bytes), 11)}${lpad(String(f.roundTrips), 13)}${lpad(f.ms.toFixed(1), 9)}${lpad(f.entries ? (f.bytes / f.entries).toFixed(1) : '-', 13)}`);
    }
  } finally {
    await redis.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
