// Device interrupts per CPU from /proc/interrupts: which CPU the host's devices interrupt while a
// store works. On this host every completion of the disk (virtio_blk) lands on CPU 1, ~1,650 a second
// while Cassandra syncs its commit log for ~400 flushes a second: on the packet core they cost
// counter-async on Cassandra ~20 % (docs/performance.md). The bench reads where they land and keeps
// the DUT off that CPU, as a lab keeps its device interrupts off the cores it measures.
import { readFileSync } from 'node:fs';

/** One snapshot: per numbered interrupt line (a device's), its count on each CPU and its name. */
export interface Interrupts {
  cpus: number;
  lines: Map<string, { counts: number[]; name: string }>;
}

/** Parses /proc/interrupts' text; only numbered lines (devices), not the per-CPU system rows (LOC, RES, CAL…). */
export function parseInterrupts(text: string): Interrupts {
  const rows = text.split('\n');
  const cpus = (rows[0] ?? '').trim().split(/\s+/).filter((c) => /^CPU\d+$/.test(c)).length;
  const lines = new Map<string, { counts: number[]; name: string }>();
  for (const row of rows.slice(1)) {
    const m = /^\s*(\d+):(.*)$/.exec(row);
    if (m === null) continue;
    const fields = m[2]!.trim().split(/\s+/);
    const counts = fields.slice(0, cpus).map(Number);
    if (counts.length !== cpus || counts.some((c) => !Number.isFinite(c))) continue;
    lines.set(m[1]!, { counts, name: fields.slice(cpus).at(-1) ?? '' });
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

/** Device interrupts each CPU took between two snapshots, and the line that took the most (its name and count). */
export function deviceInterrupts(before: Interrupts, after: Interrupts): { perCpu: number[]; top: { name: string; count: number } | null } {
  const perCpu = new Array<number>(after.cpus).fill(0);
  let top: { name: string; count: number } | null = null;
  for (const [irq, a] of after.lines) {
    const b = before.lines.get(irq);
    let sum = 0;
    for (let c = 0; c < after.cpus; c++) {
      const d = a.counts[c]! - (b?.counts[c] ?? 0);
      if (d > 0) {
        perCpu[c]! += d;
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
export function quieterCpu(perSecond: readonly number[], dut: number, other: number, floor = 100): number {
  const d = perSecond[dut] ?? 0;
  const o = perSecond[other] ?? 0;
  return d >= floor && d > 2 * o ? other : dut;
}
