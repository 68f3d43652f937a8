// Timers longer than Node's limit: setTimeout fires at once (after 1 ms, with a warning) for any delay
// above 2^31-1 ms (about 24.8 days), so `--duration 2147484` would stop a run 2 ms in. A long delay
// is waited out in chunks instead.

/** The longest delay setTimeout honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer {
  clear(): void;
}

/** setTimeout for any finite delay (chunks of at most MAX_TIMER_MS); Infinity never fires. */
export function setLongTimeout(fn: () => void, ms: number): LongTimer {
  let timer: NodeJS.Timeout | undefined;
  let cleared = false;
  const end = performance.now() + ms;
  const arm = (): void => {
    if (cleared || !Number.isFinite(end)) return;
    const left = end - performance.now();
    if (left <= MAX_TIMER_MS) timer = setTimeout(fn, Math.max(0, left));
    else timer = setTimeout(arm, MAX_TIMER_MS);
  };
  arm();
  return {
    clear: () => {
      cleared = true;
      if (timer) clearTimeout(timer);
    },
  };
}
