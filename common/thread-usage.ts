// A thread's own use of a CPU, from Linux's /proc/thread-self: time on a CPU and waiting runnable for
// one (schedstat) and how often it slept and was woken (voluntary context switches, status).
import { readFileSync } from 'node:fs';

export interface ThreadUsage {
  /** time on a CPU (ms) */
  cpuMs: number;
  /** time runnable, waiting for a CPU (ms) */
  waitMs: number;
  /** voluntary context switches: each one a sleep the thread was woken from */
  wakeups: number;
}

/** schedstat's "run-ns wait-ns slices" and status's voluntary_ctxt_switches line; null when malformed */
export function parseThreadUsage(schedstat: string, status: string): ThreadUsage | null {
  const f = schedstat.trim().split(/\s+/);
  const m = /^voluntary_ctxt_switches:\s*(\d+)$/m.exec(status);
  const cpu = Number(f[0]);
  const wait = Number(f[1]);
  if (f.length < 2 || !Number.isFinite(cpu) || !Number.isFinite(wait) || m === null) return null;
  return { cpuMs: cpu / 1e6, waitMs: wait / 1e6, wakeups: Number(m[1]) };
}

/** the calling thread's usage so far; null where /proc has none (not Linux, no schedstat) */
export function threadUsage(): ThreadUsage | null {
  try {
    return parseThreadUsage(readFileSync('/proc/thread-self/schedstat', 'latin1'), readFileSync('/proc/thread-self/status', 'latin1'));
  } catch {
    return null;
  }
}
