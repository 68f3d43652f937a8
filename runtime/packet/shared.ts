// Layout of the small shared control and statistics arrays between the main thread and core workers.

/** Int32 control words (genStop: the offered-load generator stops, the cores drain their queues) */
export const CONTROL = { stop: 0, go: 1, budget: 2, taken: 3, warm: 4, genStop: 5 } as const;
export const CONTROL_WORDS = 6;
/**
 * --packets N on an interface: the kernel spreads flows over the queues unevenly, so the cores share
 * one budget (`budget`: not yet reserved; `taken`: received) instead of fixed per-core quotas.
 * A core reserves up to a burst before rx and hands back what it did not receive.
 */
export const MAX_SHARED_BUDGET = 0x7fffffff;

/** reserve up to `want` packets of the shared budget; 0 when none is left unreserved */
export function reserveBudget(ctl: Int32Array, want: number): number {
  for (;;) {
    const left = Atomics.load(ctl, CONTROL.budget);
    if (left <= 0) return 0;
    const take = left < want ? left : want;
    if (Atomics.compareExchange(ctl, CONTROL.budget, left, left - take) === left) return take;
  }
}
/** Float64 words per core in the stats array: [rx, tx] */
export const STATS_WORDS = 2;
