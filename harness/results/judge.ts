// Whether a trial's measurement may be recorded "ok": a trial that measured nothing, or less than it was asked
// to measure, is failed with a reason; one whose count is too small to give a steady rate is flagged.
// Every testbed's measurement passes through judgeTrial before it becomes a record.

/** Fewer forwarded packets than this in the window: the rate is kept but flagged as coarse. */
export const MIN_PACKETS = 1000;

/** A window may fall short of the one asked by this fraction (timer and stats-period granularity), no more. */
const WINDOW_TOLERANCE = 0.05;

/** Flag names (the part before ':' of a flag string), for the summary and figures. */
export const FLAG_LOW_COUNT = 'low_count';
export const FLAG_HOST_BUSY = 'host_busy';
const FLAG_SHORT_WINDOW = 'short_window';

/** A window shorter than this share of the one asked is not a measurement of it: the trial fails. */
const MIN_WINDOW_SHARE = 0.5;

/** The part of a measurement the floor looks at. */
export interface Measured {
  rx_packets: number;
  tx_packets: number;
  duration_s: number;
}

interface Judgement {
  status: 'ok' | 'failed';
  /** why the trial failed; null when ok */
  reason: string | null;
  /** what makes an ok trial's rate suspect ("name: detail"), to add to the testbed's own flags */
  flags: string[];
}

interface Floor {
  /** the measured window the trial was asked for, seconds */
  duration_s: number;
  minPackets?: number;
  windowTolerance?: number;
}

/** The flag's name: text before the first ':'. */
export const flagName = (flag: string): string => flag.split(':', 1)[0]!.trim();

/**
 * "Nothing measured => not ok": zero packets received or forwarded inside the window, a window missing
 * or shorter than half the one asked, or a non-finite count fail the trial; a window short by more than
 * the tolerance is flagged `short_window`; fewer forwarded
 * packets than the floor keep it ok with a `low_count` flag (a slow NF, e.g. sync over Cassandra,
 * forwards hundreds of packets/s and is measured, just coarsely).
 */
export function judgeTrial(m: Measured, floor: Floor): Judgement {
  const minPackets = floor.minPackets ?? MIN_PACKETS;
  const tol = floor.windowTolerance ?? WINDOW_TOLERANCE;
  const fail = (reason: string): Judgement => ({ status: 'failed', reason, flags: [] });
  for (const k of ['rx_packets', 'tx_packets', 'duration_s'] as const) {
    if (!Number.isFinite(m[k]) || m[k] < 0) return fail(`measured nothing usable: ${k} is ${m[k]}`);
  }
  const window = `${fmtSeconds(m.duration_s)} window`;
  if (m.duration_s <= 0) return fail(`measured nothing: the window is empty (0 s of the ${fmtSeconds(floor.duration_s)} asked)`);
  if (m.duration_s < floor.duration_s * MIN_WINDOW_SHARE) {
    return fail(`measured window ${fmtSeconds(m.duration_s)} is shorter than half the ${fmtSeconds(floor.duration_s)} asked: the NF did not run through it`);
  }
  if (m.rx_packets === 0) return fail(`measured nothing: no packet received in the ${window}`);
  if (m.tx_packets === 0) return fail(`measured nothing: ${m.rx_packets} packets received but none forwarded in the ${window}`);
  const flags: string[] = [];
  // a store-bound NF on a busy host sees the end of its warm-up a burst late: the rate is still over what it measured
  if (m.duration_s < floor.duration_s * (1 - tol)) flags.push(`${FLAG_SHORT_WINDOW}: measured ${fmtSeconds(m.duration_s)} of the ${fmtSeconds(floor.duration_s)} asked`);
  if (m.tx_packets < minPackets) flags.push(`${FLAG_LOW_COUNT}: ${m.tx_packets} packets forwarded in the ${window} (floor ${minPackets}): the rate is coarse`);
  return { status: 'ok', reason: null, flags };
}

function fmtSeconds(s: number): string {
  return `${Number(s.toPrecision(3))} s`;
}
