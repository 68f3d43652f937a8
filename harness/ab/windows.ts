// flexbench ab's windows: max-load cells measured in windows of one resident `nf run` per build and unit
// (harness/testbeds/resident.ts), resumed for each window and paused between (docs/regression-gate.md).
import { join } from 'node:path';
import { execa } from 'execa';
import type { Spec } from '../spec/schema.js';
import type { LoadRequest } from '../testbeds/testbed.js';
import type { PcapInfo, PlanTrial, TrialRecord } from '../results/format.js';
import { trialId } from '../plan/plan.js';
import { pcapOf } from '../orchestrate/pcaps.js';
import type { LocalTestbed } from '../testbeds/local.js';
import type { StoreHandle } from '../testbeds/testbed.js';
import { judgeTrial } from '../results/judge.js';
import { ownFields } from '../results/own-time.js';
import { HostLoadSampler } from '../orchestrate/host-load.js';
import { windowBetween, type ResidentNf } from '../testbeds/resident.js';
import { sleep } from '../../common/processes.js';
import type { Build, Role } from './revision.js';

/** One build's resident process for one unit: its command line, the windows it measured, the round it died in. */
export interface Resident {
  nf: ResidentNf;
  command: string;
  windows: number;
  died: number | null;
}

/** Why the spec's cells cannot be measured in windows of resident processes (null: they can). */
export function windowsProblem(spec: Pick<Spec, 'traffic' | 'instances'>, units: readonly Pick<PlanTrial, 'nf'>[], load: LoadRequest | null): string | null {
  if (load) return 'a latency metric is measured at a paced load, a fresh nf run per trial';
  if (spec.traffic.rate !== 'max') return `the spec's traffic.rate is ${spec.traffic.rate} packets/s (windows measure max load)`;
  if (spec.instances !== undefined) return 'the spec runs several instances behind a front-end';
  if (units.some((u) => u.nf === 'testpmd')) return 'testpmd is not a flexbench NF process';
  return null;
}

/** Whether a build's nf run answers samples on stdin (builds before it cannot be measured in windows). */
export async function samplesSupported(b: Build, signal: AbortSignal): Promise<boolean> {
  const r = await execa(process.execPath, [join(b.dir, 'bin', 'flexbench.js'), 'nf', 'run', '--help'], { reject: false, stdin: 'ignore', cancelSignal: signal, forceKillAfterDelay: 3000, timeout: 60_000 });
  return String(r.stdout).includes('--samples-on-stdin');
}

/**
 * One window of a resident process: resumed, run `settle_s`, measured between two samples of its own `window_s`
 * apart, paused again. Returns the trial record's measured fields; throws when the process is gone or does not answer.
 */
export async function measureWindow(res: Resident, o: { settle_s: number; window_s: number; pids: readonly number[]; signal: AbortSignal }): Promise<Partial<TrialRecord>> {
  if (res.nf.exited) throw new Error(res.nf.exited);
  res.nf.resume();
  let a, b, host;
  try {
    await sleep(o.settle_s * 1000, o.signal);
    // the host's load over the window: the process and the store servers are the trial's own
    const sampler = new HostLoadSampler(() => [res.nf.pid, ...o.pids]);
    a = await res.nf.sample(undefined, o.signal);
    await sleep(o.window_s * 1000, o.signal);
    b = await res.nf.sample(undefined, o.signal);
    host = sampler.stop();
  } finally {
    res.nf.pause();
  }
  res.windows += 1;
  const m = windowBetween(a, b);
  const j = judgeTrial(m, { duration_s: o.window_s });
  return {
    status: j.status, reason: j.reason, rx_packets: m.rx_packets, tx_packets: m.tx_packets, rx_pps: m.rx_pps, tx_pps: m.tx_pps, dropped: m.dropped, duration_s: m.duration_s,
    per_core: m.per_core, commands: [res.command], flags: j.flags, host_busy_cores: host?.busy_cores ?? null, host_steal: host?.steal ?? null, ...ownFields(m.own),
    ab_window: { process: 'resident', pid: res.nf.pid, window: res.windows, settle_s: o.settle_s },
  };
}

/**
 * Each build's resident process for every unit, pushed onto `residents[role]` in unit order as each starts: one after
 * the other, so none warms up beside another; each store emptied once, before all of them.
 */
export async function startResidents(o: {
  units: readonly PlanTrial[]; spec: Spec; pcaps: PcapInfo[]; stores: ReadonlyMap<string, StoreHandle | null>; dirs: Record<Role, string>;
  testbeds: Record<Role, LocalTestbed>; residents: Record<Role, Resident[]>; signal: AbortSignal; log: (line: string) => void;
}): Promise<void> {
  for (const h of o.stores.values()) await h?.reset();
  for (let i = 0; i < o.units.length; i++) {
    const u = o.units[i];
    for (const r of ['base', 'head'] as const) {
      if (o.signal.aborted) return;
      const trial: PlanTrial = { ...u, repetition: 0, index: i, trial_id: trialId({ ...u, repetition: 0 }, o.spec.matrix.frame_sizes !== undefined) };
      o.log(`starting the resident nf run of ${r} for ${trial.trial_id}`);
      const s = await o.testbeds[r].startResident({ trial, pcap: pcapOf(o.spec, o.pcaps, u), store: o.stores.get(`${u.store}@${u.location}`) ?? null, runDir: o.dirs[r], instance: r, signal: o.signal });
      o.residents[r].push({ ...s, windows: 0, died: null });
    }
  }
}
