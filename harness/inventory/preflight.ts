// Preflight before the first trial: every node reachable, tools and their versions, hugepages, ports.
// Collects every problem, then reports them all at once.
import { FlexbenchError, EXIT } from '../exit-codes.js';
import type { Host } from '../hosts/host.js';
import type { NodeInventory } from './schema.js';
import { parseLscpu, orderCores } from './cores.js';
import { parseInterrupts, interruptHotspot, hotspotWarning, ownLines, HOTSPOT_PER_SECOND, HOTSPOT_SINCE_BOOT } from './interrupts.js';

export interface PreflightNeeds {
  testpmd: boolean;
  pktgen: boolean;
  flexbench: boolean;
  redis: boolean;
  hugepages: boolean;
  /** most forwarding cores a trial asks of this node (+1 main lcore for DPDK apps) */
  cores: number;
  /** flexbench NFs: the most cores one of their trials runs on (their port is opened for that many queues) */
  flexbenchCores?: number;
}

export interface NodeReport {
  node: string;
  ok: string[];
  missing: string[];
  versions: Record<string, string>;
  /** CPUs in trial order */
  cores: number[];
  kernel: string;
  cpuModel: string;
  /** what does not stop a run but makes its numbers worth less (a trial CPU the devices interrupt) */
  warnings: string[];
  /** flexbench NFs: what `nf check-port` found for the data port (mode xdp|packet and why) */
  portCheck?: { mode: string; reason: string };
}

async function run(h: Host, argv: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await h.exec(argv, { allowFailure: true, timeoutMs: 20_000 });
    return { ok: r.code === 0, out: `${r.stdout}\n${r.stderr}`.trim() };
  } catch (e) {
    return { ok: false, out: (e as Error).message };
  }
}

export async function preflightNode(name: string, h: Host, inv: NodeInventory, needs: PreflightNeeds): Promise<NodeReport> {
  const rep: NodeReport = { node: name, ok: [], missing: [], warnings: [], versions: {}, cores: [], kernel: '', cpuModel: '' };
  const uname = await run(h, ['uname', '-r']);
  rep.kernel = uname.out;
  const lscpu = await run(h, ['lscpu', '-p=CPU,CORE,SOCKET,NODE']);
  const model = await run(h, ['sh', '-c', 'grep -m1 "model name" /proc/cpuinfo | cut -d: -f2']);
  rep.cpuModel = model.out.trim();
  let numa = inv.numa_node;
  const firstPort = inv.data_ports[0];
  if (numa === undefined && firstPort) {
    const path = firstPort.pci ? `/sys/bus/pci/devices/${firstPort.pci}/numa_node` : `/sys/class/net/${firstPort.iface}/device/numa_node`;
    const n = await run(h, ['cat', path]);
    if (n.ok && /^\d+$/.test(n.out)) numa = Number(n.out);
  }
  if (inv.cores) rep.cores = inv.cores.filter((c) => !inv.exclude_cores.includes(c));
  else if (lscpu.ok) rep.cores = orderCores(parseLscpu(lscpu.out), numa, inv.exclude_cores);
  else rep.missing.push(`cannot list CPUs (lscpu -p failed: ${lscpu.out.split('\n').pop()}); give cores: in the inventory`);
  if (rep.cores.length < needs.cores) rep.missing.push(`needs ${needs.cores} CPUs for the largest trial, has ${rep.cores.length} usable (${rep.cores.join(',')})`);
  else rep.ok.push(`${rep.cores.length} CPUs in trial order ${rep.cores.join(',')}`);
  // every CPU in trial order: trials of more cores, a DPDK main lcore, a generator pinned to the last one use them all
  const irq = await interruptWarning(h, name, inv, rep.cores);
  if (irq !== null) rep.warnings.push(irq);

  if (needs.testpmd) {
    const v = await run(h, [inv.tools.testpmd, '-v', '--no-huge', '-m', '64', '--no-pci', '--file-prefix', `fbpf${process.pid}`, '--', '--help']);
    const m = v.out.match(/RTE Version: '([^']+)'/);
    if (m) {
      rep.versions.dpdk = m[1];
      rep.ok.push(`testpmd: ${m[1]}`);
    } else rep.missing.push(`testpmd (${inv.tools.testpmd}) does not run: ${v.out.split('\n').slice(-1)[0] || 'no output'} (Debian: apt-get install dpdk; lab: ansible/ role dpdk)`);
    await run(h, ['rm', '-rf', `/var/run/dpdk/fbpf${process.pid}`]);
  }
  if (needs.pktgen) {
    if (!inv.tools.pktgen) rep.missing.push('generator is pktgen but tools.pktgen (path of the pktgen binary) is not set');
    else {
      const v = await run(h, ['test', '-x', inv.tools.pktgen]);
      if (v.ok) rep.ok.push(`pktgen: ${inv.tools.pktgen}`);
      else rep.missing.push(`pktgen not found or not executable at ${inv.tools.pktgen} (ansible/ role pktgen builds it)`);
    }
  }
  if (needs.flexbench) {
    const nodeV = await run(h, [inv.tools.node, '--version']);
    if (nodeV.ok) rep.versions.node = nodeV.out;
    else rep.missing.push(`Node.js (${inv.tools.node}) not found (ansible/ role nodejs)`);
    if (!inv.tools.flexbench) rep.missing.push('tools.flexbench (path of bin/flexbench.js on the node) is not set');
    else {
      const help = await run(h, [inv.tools.node, inv.tools.flexbench, 'nf', 'run', '--help']);
      if (help.ok && /--port/.test(help.out)) rep.ok.push(`flexbench: ${inv.tools.flexbench}`);
      else rep.missing.push(`flexbench nf run does not work on the node (${inv.tools.flexbench}): ${help.out.split('\n').slice(-1)[0]}`);
      // the NF's port as the largest trial that fits will open it: privileges, bpffs, memlock, queues
      const iface = inv.data_ports[0]?.iface;
      const cores = Math.max(1, Math.min(needs.flexbenchCores ?? 1, rep.cores.length || 1));
      if (help.ok && iface) {
        const chk = await run(h, [inv.tools.node, inv.tools.flexbench, 'nf', 'check-port', '--port', iface, '--cores', String(cores), '--json']);
        const line = chk.out.split('\n').find((l) => l.startsWith('{'));
        if (chk.ok && line) {
          rep.portCheck = JSON.parse(line) as { mode: string; reason: string };
          rep.ok.push(`port ${iface} for flexbench NFs on ${cores} core(s): ${rep.portCheck.reason}`);
        }
        else rep.missing.push(`flexbench NFs cannot open port ${iface} on ${cores} core(s): ${chk.out.split('\n').filter(Boolean).pop() ?? 'no answer'}`);
      }
    }
  }
  if (needs.redis) {
    const v = await run(h, [inv.tools.redis_server, '--version']);
    const m = v.out.match(/v=(\S+)/);
    if (m) {
      rep.versions.redis = m[1];
      rep.ok.push(`redis-server ${m[1]}`);
    } else rep.missing.push(`redis-server (${inv.tools.redis_server}) not found (apt-get install redis-server; ansible/ role redis)`);
  }
  if (needs.hugepages && inv.dpdk.hugepages) {
    const mi = await run(h, ['cat', '/proc/meminfo']);
    const free = Number(mi.out.match(/HugePages_Free:\s+(\d+)/)?.[1] ?? 0);
    const size = Number(mi.out.match(/Hugepagesize:\s+(\d+)/)?.[1] ?? 0);
    const mb = (free * size) / 1024;
    if (mb >= inv.dpdk.memory_mb) rep.ok.push(`hugepages: ${mb} MB free`);
    else rep.missing.push(`hugepages: ${mb} MB free, DPDK needs ${inv.dpdk.memory_mb} MB (ansible/ role hugepages, or dpdk.hugepages: false to run with --no-huge)`);
  }
  for (const p of [...inv.data_ports, ...(inv.store_port ? [inv.store_port] : [])]) {
    if (p.iface) {
      const r = await run(h, ['ip', '-br', 'link', 'show', 'dev', p.iface]);
      if (r.ok) rep.ok.push(`port ${p.iface}: ${r.out.split(/\s+/)[1] ?? ''}`);
      else rep.missing.push(`port ${p.iface}: no such interface`);
      // an address the inventory gives a port must be on it: a store listens there, the NF connects to it
      if (r.ok && p.address) {
        const a = await run(h, ['ip', '-o', '-4', 'addr', 'show', 'dev', p.iface]);
        const have = [...a.out.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!);
        if (!have.includes(p.address)) rep.missing.push(`port ${p.iface}: address ${p.address} is not on it (it has ${have.length ? have.join(', ') : 'no IPv4 address'}); fix the inventory, or \`ip addr add ${p.address}/24 dev ${p.iface}\` on ${name}`);
      }
    } else if (p.pci) {
      const r = await run(h, ['readlink', `/sys/bus/pci/devices/${p.pci}/driver`]);
      const drv = r.out.split('/').pop() ?? '';
      if (!r.ok) rep.missing.push(`port ${p.pci}: no such PCI device or no driver bound`);
      else if (!/vfio-pci|uio_pci_generic|igb_uio|mlx/.test(drv)) rep.missing.push(`port ${p.pci}: bound to ${drv}, not to a DPDK driver (dpdk-devbind.py -b vfio-pci ${p.pci}; ansible/ role nic_binding)`);
      else rep.ok.push(`port ${p.pci}: ${drv}`);
    }
  }
  return rep;
}

const IRQ_SAMPLE_S = 1;

/**
 * Whether one of the trial CPUs takes most of the node's device interrupts, since boot or in a second's sample (a
 * device that interrupts only under load, as a disk a store syncs, shows since boot); its data ports' own lines left out.
 */
async function interruptWarning(h: Host, name: string, inv: NodeInventory, cpus: number[]): Promise<string | null> {
  if (cpus.length === 0) return null;
  const r = await run(h, ['sh', '-c', `cat /proc/interrupts && sleep ${IRQ_SAMPLE_S} && echo @@ && cat /proc/interrupts`]);
  const [a, b] = r.out.split('\n@@\n');
  if (!r.ok || b === undefined) return null; // no /proc/interrupts (not Linux): nothing to say
  const exclude = ownLines(inv.data_ports.flatMap((p) => [p.iface ?? '', p.pci ?? '']));
  const before = parseInterrupts(a!);
  const after = parseInterrupts(b);
  const keepOff = `Leave it out of this node's trials (inventory nodes.${name}.exclude_cores)`;
  const now = interruptHotspot(before, after, cpus, HOTSPOT_PER_SECOND * IRQ_SAMPLE_S, exclude);
  if (now !== null) return hotspotWarning(now, IRQ_SAMPLE_S, keepOff);
  const boot = interruptHotspot(null, after, cpus, HOTSPOT_SINCE_BOOT, exclude);
  return boot !== null ? hotspotWarning(boot, null, keepOff) : null;
}

/** Throws one FlexbenchError (EXIT.environment) listing every problem of every node. */
export function assertPreflight(reports: NodeReport[]): void {
  const bad = reports.filter((r) => r.missing.length > 0);
  if (bad.length === 0) return;
  const lines = bad.flatMap((r) => [`${r.node}:`, ...r.missing.map((m) => `  - ${m}`)]);
  throw new FlexbenchError(`preflight failed:\n${lines.join('\n')}`, EXIT.environment);
}

export function formatPreflight(reports: NodeReport[]): string {
  return reports.map((r) => [`${r.node}: ${r.missing.length ? 'MISSING' : 'ok'}`, ...r.ok.map((o) => `  ok  ${o}`), ...r.warnings.map((w) => `  ~~  ${w}`), ...r.missing.map((m) => `  !!  ${m}`)].join('\n')).join('\n');
}
