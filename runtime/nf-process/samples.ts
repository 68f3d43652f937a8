// `nf run --samples-on-stdin`: every core's cumulative counts and its thread's CPU and wait times at one instant,
// read by the main thread while the cores run (the contract is result.ts's nfSampleSchema).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { STATS_WORDS } from '../packet/shared.js';
import type { NfSample } from './result.js';

/** A thread's time on a CPU and waiting runnable for one (s), read from outside it; null where there is none. */
function taskTimes(tid: number | null): { cpu: number; wait: number } | null {
  if (tid === null) return null;
  try {
    const f = readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1').split(' ');
    return { cpu: Number(f[0]) / 1e9, wait: Number(f[1]) / 1e9 };
  } catch {
    return null;
  }
}

/** Every core's cumulative counters and thread times now (--samples-on-stdin; the contract is result.ts's nfSampleSchema). */
export function sampleCores(id: string, cores: number, stats: Float64Array, tids: readonly (number | null)[]): NfSample {
  const t = performance.now();
  const out: NfSample['cores'] = [];
  for (let c = 0; c < cores; c++) {
    const times = taskTimes(tids[c]);
    out.push({ core: c, rx_packets: stats[c * STATS_WORDS], tx_packets: stats[c * STATS_WORDS + 1], cpu_s: times?.cpu ?? null, wait_s: times?.wait ?? null });
  }
  return { nf_sample: id, t_s: t / 1000, cores: out };
}
