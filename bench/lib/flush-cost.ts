// What one asynchronous flush of FLUSH_FLOWS dirty countermap entries costs a store: shared by the
// FlexState bench (hashmap, Redis) and the Cassandra bench, so both time the same work.
import { openState, type StateConfigInput } from '../../runtime/state/api.js';

export const FLUSH_FLOWS = 50_000;

export interface FlushCost {
  ms: number;
  entries: number;
  bytes: number;
  roundTrips: number;
  /** Cassandra: CQL statements in the flush */
  statements?: number;
}

let runs = 0;

/** Fill a fresh partition, flush it, dirty every entry once more and time that one flush. */
export async function flushCost(store: string, cfg: Partial<StateConfigInput>): Promise<FlushCost> {
  // a fresh partition each time: every call writes FLUSH_FLOWS new entries
  const ctx = await openState({ nf: 'bench', instance: `flush${process.pid}x${runs++}`, store, mode: 'async', flushMs: 60_000, ...cfg } as StateConfigInput, 0);
  try {
    const m = ctx.counterMap('flows');
    const slots = new Int32Array(FLUSH_FLOWS);
    for (let i = 0; i < FLUSH_FLOWS; i++) slots[i] = m.slot(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${1024 + (i % 50000)}`);
    await ctx.flush();
    for (let i = 0; i < FLUSH_FLOWS; i++) m.addToSlotNoWait(slots[i]!, 1 + (i % 7));
    const t = performance.now();
    await ctx.flush();
    const ms = performance.now() - t;
    const last = (await ctx.stats()).last as Omit<FlushCost, 'ms'> | undefined;
    return { ms, ...(last ?? { entries: 0, bytes: 0, roundTrips: 0 }) };
  } finally {
    await ctx.close();
  }
}
