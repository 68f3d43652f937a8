// A thread's own use of a CPU, from Linux's /proc/thread-self: time on a CPU and waiting runnable for
// one (schedstat) and how often it slept and was woken (voluntary context switches, status).
import { readFileSync, readlinkSync } from 'node:fs';

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

/** The calling thread's usage so far, or thread `tid`'s of this process (read from outside it); null where /proc has none (not Linux, no schedstat). */
// (tid is no `null`: a thread whose id is unknown must not read as the calling thread's usage)
export function threadUsage(tid?: number): ThreadUsage | null {
  const dir = tid === undefined ? '/proc/thread-self' : `/proc/self/task/${tid}`;
  try {
    return parseThreadUsage(readFileSync(`${dir}/schedstat`, 'latin1'), readFileSync(`${dir}/status`, 'latin1'));
  } catch {
    return null;
  }
}

/** The calling thread's kernel id (/proc/thread-self is "PID/task/TID"), for another thread to read its usage; null where there is none. */
export function threadId(): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}
