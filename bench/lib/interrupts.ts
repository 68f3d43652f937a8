// Device interrupts per CPU from /proc/interrupts: which CPU the host's devices interrupt while a
// store works. On this host every completion of the disk (virtio_blk) lands on CPU 1, ~1,650 a second
// while Cassandra syncs its commit log for ~400 flushes a second: on the packet core they cost
// counter-async on Cassandra ~20 % (docs/performance.md). The bench reads where they land and keeps
// the DUT off that CPU, as a lab keeps its device interrupts off the cores it measures.
import { readFileSync } from 'node:fs';

/** One snapshot: per numbered interrupt line (a device's), its count in each CPU's column and its name. */
export interface Interrupts {
  /** the CPU of each count column (only online CPUs have one: CPU2 may follow CPU0) */
  cpus: number[];
  lines: Map<string, { counts: number[]; name: string }>;
}

/** Parses /proc/interrupts' text; only numbered lines (devices), not the per-CPU system rows (LOC, RES, CAL…). */
export function parseInterrupts(text: string): Interrupts {
  const rows = text.split('\n');
  const cpus = (rows[0] ?? '').trim().split(/\s+/).filter((c) => /^CPU\d+$/.test(c)).map((c) => Number(c.slice(3)));
  const lines = new Map<string, { counts: number[]; name: string }>();
  for (const row of rows.slice(1)) {
    const m = /^\s*(\d+):(.*)$/.exec(row);
    if (m === null) continue;
    const fields = m[2]!.trim().split(/\s+/);
    const counts = fields.slice(0, cpus.length).map(Number);
    if (counts.length !== cpus.length || counts.some((c) => !Number.isFinite(c))) continue; // a row short of a column is not guessed at
    lines.set(m[1]!, { counts, name: fields.slice(cpus.length).at(-1) ?? '' });
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

/** Device interrupts each CPU (by number) took between two snapshots, and the line that took the most (its name and count). */
export function deviceInterrupts(before: Interrupts, after: Interrupts): { perCpu: Map<number, number>; top: { name: string; count: number } | null } {
  const perCpu = new Map<number, number>(after.cpus.map((c) => [c, 0]));
  const col = new Map(before.cpus.map((c, i) => [c, i]));
  let top: { name: string; count: number } | null = null;
  for (const [irq, a] of after.lines) {
    const b = before.lines.get(irq);
    let sum = 0;
    for (let i = 0; i < after.cpus.length; i++) {
      const cpu = after.cpus[i]!;
      const j = col.get(cpu);
      const d = a.counts[i]! - (b !== undefined && j !== undefined ? b.counts[j]! : 0);
      if (d > 0) {
        perCpu.set(cpu, perCpu.get(cpu)! + d);
        sum += d;
      }
    }
    if (sum > 0 && (top === null || sum > top.count)) top = { name: a.name, count: sum };
  }
  return { perCpu, top };
}

/**
 * The CPU the DUT should run on, of `dut` and `other`: `other` when `dut` took at least `floor`
 * device interrupts a second and more than twice as many as `other` (else `dut`: a swap must buy something clear).
 */
export function quieterCpu(perSecond: ReadonlyMap<number, number>, dut: number, other: number, floor = 100): number {
  const d = perSecond.get(dut) ?? 0;
  const o = perSecond.get(other) ?? 0;
  return d >= floor && d > 2 * o ? other : dut;
}
