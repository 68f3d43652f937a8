// The own-time rate: packets per second of the time an NF's cores were not kept waiting for a CPU by other work.
// On a shared or busy machine another process takes turns on the NF's CPU; the kernel counts, per thread, the time
// it waited runnable (/proc/thread-self/schedstat, reported by `nf run` per core as wait_s). A core's own-time rate
// is its packets over its window minus that wait: the rate it had while it held a CPU, which is what the NF does
// on a core of its own (the paper's setting; CSIT's clocks per packet ask the same). A core that sleeps (a
// sync store round trip) is not waiting for a CPU, so its sleep stays in the denominator: the rate is never
// inflated by idling, only relieved of the turns other processes took.

/** One core's window: packets, the window's length and the time its thread waited for a CPU (seconds). */
interface CoreTimes {
  rx_packets: number;
  tx_packets: number;
  duration_s: number;
  wait_s: number | null;
}

/** Below this share of a window left to the core itself, the rate is not stated (a few scheduler ticks say nothing). */
export const MIN_OWN_SHARE = 0.05;

export interface OwnRates {
  rx_pps: number;
  tx_pps: number;
  /** the cores' wait over their windows, summed (s) */
  wait_s: number;
  /** share of the cores' windows they waited for a CPU (0..1) */
  wait_share: number;
}

/**
 * Sum over cores of packets / (window − wait). Null when any core did not report its wait (an older `nf run`,
 * a kernel without schedstat, testpmd) or waited for nearly all of its window.
 */
export function ownRates(cores: readonly CoreTimes[]): OwnRates | null {
  if (cores.length === 0) return null;
  let rx = 0;
  let tx = 0;
  let wait = 0;
  let window = 0;
  for (const c of cores) {
    if (c.wait_s === null || !(c.duration_s > 0)) return null;
    const w = Math.min(Math.max(c.wait_s, 0), c.duration_s);
    const own = c.duration_s - w;
    if (own < MIN_OWN_SHARE * c.duration_s) return null;
    rx += c.rx_packets / own;
    tx += c.tx_packets / own;
    wait += w;
    window += c.duration_s;
  }
  return { rx_pps: rx, tx_pps: tx, wait_s: wait, wait_share: wait / window };
}

/** The trial record's own-time fields from a testbed's measurement (null where it was not measured). */
export function ownFields(own: OwnRates | null | undefined): { rx_pps_own: number | null; tx_pps_own: number | null; nf_wait_share: number | null } {
  if (!own) return { rx_pps_own: null, tx_pps_own: null, nf_wait_share: null };
  return { rx_pps_own: own.rx_pps, tx_pps_own: own.tx_pps, nf_wait_share: Math.round(own.wait_share * 1000) / 1000 };
}
