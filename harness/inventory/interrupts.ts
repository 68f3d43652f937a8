// Device interrupts per CPU from /proc/interrupts: which CPU the host's devices interrupt. On this host
// every completion of the disk (virtio_blk) lands on CPU 1, ~1,650 a second while Cassandra syncs its
// commit log for ~400 flushes a second: on the packet core they cost counter-async on Cassandra ~20 %
// (docs/performance.md). Preflight and the local testbed name a trial CPU that takes far more of them than
// any other (a lab keeps them off the cores it measures); ab's resident NFs and the packet bench keep off it.
import { readFileSync } from 'node:fs';

/** One snapshot: per numbered interrupt line (a device's), its count in each CPU's column, its name (the line's last field) and all it says after the counts. */
export interface Interrupts {
  /** the CPU of each count column (only online CPUs have one: CPU2 may follow CPU0) */
  cpus: number[];
  lines: Map<string, { counts: number[]; name: string; desc: string }>;
}

/** Parses /proc/interrupts' text; only numbered lines (devices), not the per-CPU system rows (LOC, RES, CAL…). */
export function parseInterrupts(text: string): Interrupts {
  const rows = text.split('\n');
  const cpus = (rows[0] ?? '').trim().split(/\s+/).filter((c) => /^CPU\d+$/.test(c)).map((c) => Number(c.slice(3)));
  const lines = new Map<string, { counts: number[]; name: string; desc: string }>();
  for (const row of rows.slice(1)) {
    const m = /^\s*(\d+):(.*)$/.exec(row);
    if (m === null) continue;
    const fields = m[2]!.trim().split(/\s+/);
    const counts = fields.slice(0, cpus.length).map(Number);
    if (counts.length !== cpus.length || counts.some((c) => !Number.isFinite(c))) continue; // a row short of a column is not guessed at
    const rest = fields.slice(cpus.length);
    lines.set(m[1]!, { counts, name: rest.at(-1) ?? '', desc: rest.join(' ') });
  }
  return { cpus, lines };
}

export function readInterrupts(): Interrupts | null {
  try {
    return parseInterrupts(readFileSync('/proc/interrupts', 'utf8'));
  } catch {
    return null;
  }
}

/** per-CPU timers that some platforms number like devices (arm64's arch_timer, Xen's timerN virqs, x86's IRQ 0): not a device's */
const PER_CPU_TIMER = /timer|percpu/i;

/** The line that took the most on one CPU. */
export interface TopLine {
  irq: string;
  name: string;
  count: number;
}

/**
 * Device interrupts each CPU (by number) took between two snapshots (since boot when `before` is null), the line
 * that took the most on each CPU and over all of them; lines that `exclude` finds in and per-CPU timers left out.
 * A CPU online only in the second snapshot has no count since the first: it gets 0.
 */
export function deviceInterrupts(before: Interrupts | null, after: Interrupts, exclude: RegExp | null = null): { perCpu: Map<number, number>; topOn: Map<number, TopLine>; top: { name: string; count: number } | null } {
  const perCpu = new Map<number, number>(after.cpus.map((c) => [c, 0]));
  const topOn = new Map<number, TopLine>();
  const col = new Map((before?.cpus ?? []).map((c, i) => [c, i]));
  let top: { name: string; count: number } | null = null;
  for (const [irq, a] of after.lines) {
    if (PER_CPU_TIMER.test(a.desc) || exclude?.test(a.desc)) continue;
    const b = before?.lines.get(irq);
    let sum = 0;
    for (let i = 0; i < after.cpus.length; i++) {
      const cpu = after.cpus[i]!;
      const j = col.get(cpu);
      if (before !== null && j === undefined) continue; // online since the first snapshot: its count is since boot, not since then
      const d = a.counts[i]! - (b !== undefined && j !== undefined ? b.counts[j]! : 0);
      if (d <= 0) continue;
      perCpu.set(cpu, perCpu.get(cpu)! + d);
      if (d > (topOn.get(cpu)?.count ?? 0)) topOn.set(cpu, { irq, name: a.name, count: d });
      sum += d;
    }
    if (sum > 0 && (top === null || sum > top.count)) top = { name: a.name, count: sum };
  }
  return { perCpu, topOn, top };
}

/** Since boot, a CPU must have taken this many to be named: a few thousand are any host's start-up. */
export const HOTSPOT_SINCE_BOOT = 100_000;
/** Between two snapshots, a CPU must have taken this many a second to be named (as the bench moves its DUT at). */
export const HOTSPOT_PER_SECOND = 100;

/** The one rule for a CPU the devices interrupt: `floor` at least and more than twice the busiest other CPU's. */
const standsOut = (count: number, other: number, floor: number): boolean => count >= floor && count > 2 * other;

/**
 * The CPU the DUT should run on, of `dut` and `other`: `other` when `dut` took at least `floor`
 * device interrupts a second and more than twice as many as `other` (else `dut`: a swap must buy something clear).
 */
export function quieterCpu(perSecond: ReadonlyMap<number, number>, dut: number, other: number, floor = HOTSPOT_PER_SECOND): number {
  return standsOut(perSecond.get(dut) ?? 0, perSecond.get(other) ?? 0, floor) ? other : dut;
}

/** A CPU that takes far more of a node's device interrupts than any other. */
export interface InterruptHotspot {
  cpu: number;
  /** device interrupts it took (between the snapshots, or since boot) */
  count: number;
  /** its share of every CPU's */
  share: number;
  /** the line that took most of them on that CPU */
  top: TopLine;
}

/** A pattern for a data port's own lines (its interface names and PCI addresses, as whole words), null for none. */
export function ownLines(names: readonly string[]): RegExp | null {
  const esc = names.filter((n) => n.length > 0).map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return esc.length ? new RegExp(`(^|[^\\w.:])(${esc.join('|')})($|[^\\w.:])`) : null;
}

/**
 * The CPU of `cpus` (those trials may run on) that took the most device interrupts between two snapshots (since
 * boot when `before` is null), if it took `floor` at least and more than twice as many as any other CPU of the node;
 * lines that `exclude` finds in (the trial's own data port: its queues interrupt where they are meant to) and
 * per-CPU timers left out. null on a node of one CPU: there is nowhere else for them to go.
 */
export function interruptHotspot(before: Interrupts | null, after: Interrupts, cpus: readonly number[], floor: number, exclude: RegExp | null = null): InterruptHotspot | null {
  if (after.cpus.length < 2) return null;
  const { perCpu, topOn } = deviceInterrupts(before, after, exclude);
  const [cpu, count] = [...perCpu].reduce((x, y) => (y[1] > x[1] ? y : x));
  const next = Math.max(...[...perCpu].filter(([c]) => c !== cpu).map(([, n]) => n));
  if (!cpus.includes(cpu) || !standsOut(count, next, floor)) return null;
  const total = [...perCpu.values()].reduce((x, y) => x + y, 0);
  return { cpu, count, share: count / total, top: topOn.get(cpu)! };
}

/**
 * The warning for a hotspot counted since boot (`seconds` null) or over `seconds`: what it costs a trial there and
 * the ways out (`keepOff`: how this testbed leaves a CPU out, said first: the kernel keeps some queues' interrupts
 * where it put them).
 */
export function hotspotWarning(h: InterruptHotspot, seconds: number | null, keepOff: string): string {
  const n = seconds !== null ? `${Math.round(h.count / seconds)} a second` : `${h.count.toLocaleString('en-US')} since boot`;
  const line = `IRQ ${h.top.irq}${h.top.name ? ` ${h.top.name}` : ''}`;
  return `CPU ${h.cpu}, where trials may run, takes more than twice the device interrupts of any other CPU (${(100 * h.share).toFixed(0)} % of them, ${n}; most: ${line}): ` +
    `a process measured there pays for each (a Cassandra-backed NF ~20 % on this project's test host, for the disk's: docs/performance.md). ` +
    `${keepOff}, or move them where the kernel lets you (/proc/irq/${h.top.irq}/smp_affinity_list; not a managed queue's, as virtio-blk's or NVMe's)`;
}
