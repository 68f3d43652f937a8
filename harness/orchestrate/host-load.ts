// How busy the host was during a trial outside the trial's own processes: /proc/stat's busy time over the
// CPUs this process may use, minus the CPU time of the trial's processes (the NF or testpmd, its store
// server, this harness), sampled while they run; the share the hypervisor stole; and the device interrupts
// each of those CPUs took (a store's disk interrupts one CPU: docs/performance.md).
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { allowedCpus } from '../provenance.js';
import { readInterrupts, deviceInterrupts, type Interrupts } from '../inventory/interrupts.js';

/** From this many cores kept busy by other work a trial is flagged host_busy (and the run warns). */
export const HOST_BUSY_CORES = 0.25;

const SAMPLE_MS = 200;

interface CpuSample {
  busy: number;
  total: number;
  steal: number;
}

/** Busy, total and steal jiffies of the given CPUs from /proc/stat (iowait counts as idle). */
export function parseCpuSample(stat: string, cpus: readonly number[]): CpuSample | null {
  let busy = 0;
  let total = 0;
  let steal = 0;
  let seen = 0;
  for (const m of stat.matchAll(/^cpu(\d+)\s+(.*)$/gm)) {
    if (!cpus.includes(Number(m[1]))) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    const t = f.slice(0, 8).reduce((a, b) => a + b, 0); // user nice system idle iowait irq softirq steal
    busy += t - f[3]! - (f[4] ?? 0) - (f[7] ?? 0);
    steal += f[7] ?? 0;
    total += t;
    seen++;
  }
  return seen ? { busy, total, steal } : null;
}

/** The fields of /proc/<pid>/stat after the command name (field 3 of the whole line is [0]); null when it is gone. */
function statFields(pid: number | 'self'): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' '); // the command name may hold spaces
  } catch {
    return null;
  }
}

/** utime + stime of a process in clock ticks (all its threads), from /proc/<pid>/stat; null when it is gone. */
export function processTicks(pid: number): number | null {
  const f = statFields(pid);
  return f && Number(f[11]) + Number(f[12]); // fields 14 and 15 of the whole line
}

/** utime + stime + cutime + cstime (its reaped children's too) from a /proc/<pid>/stat line's fields after the name. */
const withChildren = (f: readonly string[]) => Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);

/**
 * The trial's own CPU on an emulated testbed: every process inside the given network namespaces (the nodes'
 * sshd, NF, generator, store server, end hosts) and this harness's children (its ssh clients), each with what
 * its reaped children used, so a process that ended inside the window still counts as the trial's.
 * A namespace that does not exist is left out; ticks are summed over /proc at each call.
 */
export function namespaceTicks(names: readonly string[]): () => number {
  const inodes = new Set<string>();
  for (const n of names) {
    try {
      inodes.add(`net:[${statSync(`/run/netns/${n}`).ino}]`);
    } catch {
      // not (or no longer) there
    }
  }
  return () => {
    // this harness's own time is the sampler's; its reaped children's (ssh clients that ended) is added here
    const sf = statFields('self')!;
    let sum = Number(sf[13]) + Number(sf[14]);
    for (const d of readdirSync('/proc')) {
      if (d.charCodeAt(0) > 57) continue; // not a pid
      const f = statFields(Number(d));
      if (f === null) continue; // gone meanwhile
      try {
        if (Number(f[1]) === process.pid || inodes.has(readlinkSync(`/proc/${d}/ns/net`))) sum += withChildren(f);
      } catch {
        // gone meanwhile
      }
    }
    return sum;
  };
}

export interface HostLoad {
  /** cores kept busy by other work, on average over the trial */
  busy_cores: number;
  /** stolen share of CPU time, 0..1 */
  steal: number;
  /** device interrupts a second on each CPU this process may use (keys: CPU numbers); null: /proc/interrupts unread */
  device_irq_per_s: Record<string, number> | null;
}

interface Sample {
  cpu: CpuSample;
  own: number;
  irq: Interrupts | null;
  /** performance.now() of the sample */
  at: number;
}

/** Device interrupts a second on each of `cpus` between two snapshots `seconds` apart (rounded to whole ones). */
export function irqRates(a: Interrupts, b: Interrupts, seconds: number, cpus: readonly number[]): Record<string, number> {
  const per = deviceInterrupts(a, b).perCpu;
  return Object.fromEntries(cpus.filter((c) => per.has(c)).map((c) => [String(c), Math.round(per.get(c)! / seconds)]));
}

/** Samples the host while a trial runs; stop() gives the load over the span where every trial process lived. */
export class HostLoadSampler {
  private readonly cpus = allowedCpus();
  private first: Sample | null = null;
  private last: Sample | null = null;
  private readonly timer: NodeJS.Timeout;

  /** pids: the trial's processes, each while it lives; more: CPU ticks of further own processes (namespaceTicks) */
  constructor(private readonly pids: () => readonly number[], private readonly more?: () => number) {
    this.tick();
    this.timer = setInterval(() => this.tick(), SAMPLE_MS);
    this.timer.unref();
  }

  private tick(): void {
    let cpu: CpuSample | null;
    try {
      cpu = parseCpuSample(readFileSync('/proc/stat', 'utf8'), this.cpus);
    } catch {
      return; // no /proc: not measured
    }
    if (!cpu) return;
    let own = 0;
    for (const pid of new Set([process.pid, ...this.pids()])) {
      const t = processTicks(pid);
      if (t === null) return; // a trial process is gone: the span ends at the sample before
      own += t;
    }
    own += this.more?.() ?? 0;
    const s = { cpu, own, irq: readInterrupts(), at: performance.now() };
    if (!this.first) this.first = s;
    else this.last = s;
  }

  stop(): HostLoad | null {
    clearInterval(this.timer);
    const a = this.first;
    const b = this.last;
    if (!a || !b || b.cpu.total <= a.cpu.total) return null;
    const perCpu = (b.cpu.total - a.cpu.total) / this.cpus.length;
    const other = Math.max(0, b.cpu.busy - a.cpu.busy - (b.own - a.own));
    return {
      busy_cores: Math.round((other / perCpu) * 100) / 100,
      steal: Math.round(((b.cpu.steal - a.cpu.steal) / (b.cpu.total - a.cpu.total)) * 1000) / 1000,
      device_irq_per_s: a.irq && b.irq ? irqRates(a.irq, b.irq, (b.at - a.at) / 1000, this.cpus) : null,
    };
  }
}
