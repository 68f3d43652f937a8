// The paper's core order: physical cores of the NIC's NUMA node first, then the other nodes' physical
// cores, then the hyperthread siblings (NIC node first); an n-core trial takes the first n.
import { FlexbenchError, EXIT } from '../exit-codes.js';

interface CpuRow {
  cpu: number;
  core: number;
  socket: number;
  node: number;
}

/** Parse `lscpu -p=CPU,CORE,SOCKET,NODE` (comment lines start with #; empty NODE means 0). */
export function parseLscpu(text: string): CpuRow[] {
  const rows: CpuRow[] = [];
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (!l || l.startsWith('#')) continue;
    const [cpu, core, socket, node] = l.split(',');
    if (!/^\d+$/.test(cpu ?? '') || !/^\d+$/.test(core ?? '')) throw new FlexbenchError(`lscpu -p output: cannot read line "${l}" (expected CPU,CORE,SOCKET,NODE)`, EXIT.environment);
    rows.push({ cpu: Number(cpu), core: Number(core), socket: Number(socket || 0), node: Number(node || 0) });
  }
  if (rows.length === 0) throw new FlexbenchError('lscpu -p output lists no CPU', EXIT.environment);
  return rows;
}

/**
 * Order CPUs for trials. `exclude` drops CPUs (e.g. the one the OS keeps for housekeeping);
 * `nicNode` is the NUMA node of the data port (default the lowest node).
 */
export function orderCores(rows: CpuRow[], nicNode?: number, exclude: number[] = []): number[] {
  const nodes = [...new Set(rows.map((r) => r.node))].sort((a, b) => a - b);
  const home = nicNode ?? nodes[0];
  const usable = rows.filter((r) => !exclude.includes(r.cpu));
  // the first CPU of each physical core (socket, core) is the "physical" one; the rest are hyperthreads
  const seen = new Set<string>();
  const physical: CpuRow[] = [];
  const siblings: CpuRow[] = [];
  for (const r of [...usable].sort((a, b) => a.cpu - b.cpu)) {
    const k = `${r.socket}/${r.core}`;
    if (seen.has(k)) siblings.push(r);
    else {
      seen.add(k);
      physical.push(r);
    }
  }
  const homeFirst = (xs: CpuRow[]) => [...xs.filter((r) => r.node === home), ...xs.filter((r) => r.node !== home).sort((a, b) => a.node - b.node || a.cpu - b.cpu)];
  return [...homeFirst(physical), ...homeFirst(siblings)].map((r) => r.cpu);
}

/** lcores for a DPDK app with n forwarding cores: the first n of the order forward, the next is the main lcore. */
export function dpdkLcores(order: number[], n: number): { main: number; workers: number[] } | null {
  if (order.length < n + 1) return null;
  return { main: order[n], workers: order.slice(0, n) };
}
