// flexbench ab's windows: max-load cells measured in windows of one resident `nf run` per build and unit
// (harness/testbeds/resident.ts), resumed for each window and paused between, and started anew every epoch (a few
// rounds), so a pair of processes' own offset is one draw per epoch, not one for the run (docs/regression-gate.md).
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
import { EXIT, FlexbenchError } from '../exit-codes.js';
import type { Build, Role } from './revision.js';

/**
 * One build's resident process for one unit and epoch: its command line, the windows it measured, the round it died
 * in and why (a process that exited, or one that could not be started for the epoch: then `nf` is null).
 */
export interface Resident {
  nf: ResidentNf | null;
  command: string;
  epoch: number;
  windows: number;
  died: number | null;
  why: string | null;
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
  if (res.why !== null || res.nf === null) throw new Error(res.why ?? 'no resident process');
  const nf = res.nf;
  if (nf.exited) throw new Error(nf.exited);
  nf.resume();
  let a, b, host;
  try {
    await sleep(o.settle_s * 1000, o.signal);
    // the host's load over the window: the process and the store servers are the trial's own
    const sampler = new HostLoadSampler(() => [nf.pid, ...o.pids]);
    a = await nf.sample(undefined, o.signal);
    await sleep(o.window_s * 1000, o.signal);
    b = await nf.sample(undefined, o.signal);
    host = sampler.stop();
  } finally {
    nf.pause();
  }
  res.windows += 1;
  const m = windowBetween(a, b);
  const j = judgeTrial(m, { duration_s: o.window_s });
  return {
    status: j.status, reason: j.reason, rx_packets: m.rx_packets, tx_packets: m.tx_packets, rx_pps: m.rx_pps, tx_pps: m.tx_pps, dropped: m.dropped, duration_s: m.duration_s,
    per_core: m.per_core, commands: [res.command], flags: j.flags, host_busy_cores: host?.busy_cores ?? null, host_steal: host?.steal ?? null, host_device_irq_per_s: host?.device_irq_per_s ?? null, ...ownFields(m.own),
    ab_window: { process: 'resident', pid: nf.pid, window: res.windows, settle_s: o.settle_s, epoch: res.epoch },
  };
}

/**
 * An epoch's resident processes: each build's for every unit, returned per role in unit order. Started one after the
 * other, so none warms up beside another (the build that starts first alternates from epoch to epoch); each store
 * emptied once, before all of them. A unit's process that died in an earlier epoch is not started again (its cell has
 * failed: `previous`'s dead record is kept). A process that cannot be started fails its cell from `round` on, except
 * in the first epoch, where the error ends the run as any start-up failure does.
 */
export async function startEpoch(o: {
  epoch: number; round: number; previous: Record<Role, Resident[]> | null;
  units: readonly PlanTrial[]; spec: Spec; pcaps: PcapInfo[]; stores: ReadonlyMap<string, StoreHandle | null>; dirs: Record<Role, string>;
  testbeds: Record<Role, LocalTestbed>; signal: AbortSignal; log: (line: string) => void; warn: (line: string) => void;
}): Promise<Record<Role, Resident[]>> {
  const out: Record<Role, Resident[]> = { base: [], head: [] };
  for (const h of o.stores.values()) await h?.reset();
  const roles = o.epoch % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const);
  for (let i = 0; i < o.units.length; i++) {
    const u = o.units[i];
    for (const r of roles) {
      if (o.signal.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);
      const dead = o.previous?.[r][i];
      if (dead && dead.why !== null) {
        out[r][i] = dead;
        continue;
      }
      // one trial id per epoch (r<epoch>), so each process has a log of its own
      const trial: PlanTrial = { ...u, repetition: o.epoch, index: o.epoch * o.units.length + i, trial_id: trialId({ ...u, repetition: o.epoch }, o.spec.matrix.frame_sizes !== undefined) };
      o.log(`epoch ${o.epoch + 1}: starting the resident nf run of ${r} for ${trial.trial_id}`);
      try {
        const s = await o.testbeds[r].startResident({ trial, pcap: pcapOf(o.spec, o.pcaps, u), store: o.stores.get(`${u.store}@${u.location}`) ?? null, runDir: o.dirs[r], instance: r, signal: o.signal });
        out[r][i] = { ...s, epoch: o.epoch, windows: 0, died: null, why: null };
      } catch (e) {
        if (o.epoch === 0 || o.signal.aborted) {
          for (const x of [...out.base, ...out.head]) await x?.nf?.stop();
          throw e;
        }
        const why = `the resident nf run (${trial.trial_id}) did not start: ${(e as Error).message}`;
        o.warn(`${why}, for round ${o.round + 1}: its cell fails`);
        out[r][i] = { nf: null, command: '', epoch: o.epoch, windows: 0, died: o.round + 1, why };
      }
    }
  }
  return out;
}

/** One epoch as ab.json records it: its first round (1-based), how long its processes took to start, their pids per unit. */
export interface EpochRecord {
  epoch: number;
  first_round: number;
  start_s: number;
  pids: Record<Role, (number | null)[]>;
}

/**
 * The epochs of a windows run: the resident processes of the current one, every epoch's (a dead one fails its cell
 * whenever it died), and what each epoch was; `next` ends the current processes and starts the next epoch's.
 */
export class Epochs {
  current: Record<Role, Resident[]> = { base: [], head: [] };
  readonly records: EpochRecord[] = [];
  private readonly all: Record<Role, Resident[][]> = { base: [], head: [] };
  /** the longest an epoch's processes took to start (--max-time: does the next epoch fit) */
  longestStartMs = 0;

  constructor(readonly size: number, private readonly o: Omit<Parameters<typeof startEpoch>[0], 'epoch' | 'round' | 'previous'>) {}

  /** The next epoch, from `round` (0-based) on; returns quietly once the run is aborted (the rounds' loop then ends it). */
  async next(round: number): Promise<void> {
    if (this.o.signal.aborted) return;
    const t0 = Date.now();
    const epoch = this.records.length;
    const previous = epoch > 0 ? this.current : null;
    await this.stop();
    this.current = { base: [], head: [] };
    try {
      this.current = await startEpoch({ ...this.o, epoch, round, previous });
    } catch (e) {
      if (this.o.signal.aborted) return;
      throw e;
    }
    for (const r of ['base', 'head'] as const) this.all[r].push(this.current[r]);
    const ms = Date.now() - t0;
    this.longestStartMs = Math.max(this.longestStartMs, ms);
    this.records.push({ epoch, first_round: round + 1, start_s: ms / 1000, pids: { base: this.current.base.map((x) => x.nf?.pid ?? null), head: this.current.head.map((x) => x.nf?.pid ?? null) } });
  }

  /** The first of a build's processes for units matching `ofUnit` that died, in any epoch. */
  died(role: Role, ofUnit: (unit: number) => boolean): Resident | undefined {
    return this.all[role].flatMap((ep) => ep.filter((x, i) => x.died !== null && ofUnit(i)))[0];
  }

  /** Ends the current epoch's processes (idempotent). */
  async stop(): Promise<void> {
    for (const r of ['base', 'head'] as const) for (const x of this.current[r]) await x.nf?.stop();
  }
}
