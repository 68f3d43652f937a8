// `nf run --samples-on-stdin`: every core's cumulative counts and its thread's CPU and wait times at one instant,
// read by the main thread while the cores run (the contract is result.ts's nfSampleSchema).
import { threadUsage } from '../../common/thread-usage.js';
import { performance } from 'node:perf_hooks';
import { STATS_WORDS } from '../packet/shared.js';
import type { NfSample } from './result.js';

/** Every core's cumulative counters and thread times now (--samples-on-stdin; the contract is result.ts's nfSampleSchema). */
export function sampleCores(id: string, cores: number, stats: Float64Array, tids: readonly (number | null)[]): NfSample {
  const t = performance.now();
  const out: NfSample['cores'] = [];
  for (let c = 0; c < cores; c++) {
    const tid = tids[c];
    const u = tid === null || tid === undefined ? null : threadUsage(tid);
    out.push({ core: c, rx_packets: stats[c * STATS_WORDS], tx_packets: stats[c * STATS_WORDS + 1], cpu_s: u ? u.cpuMs / 1e3 : null, wait_s: u ? u.waitMs / 1e3 : null });
  }
  return { nf_sample: id, pid: process.pid, t_s: t / 1000, cores: out };
}
