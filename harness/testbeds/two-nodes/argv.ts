// Command lines of a two-node trial: the NF on node2 (testpmd MAC swap, `flexbench nf run`, or a lab's
// own command target) and the generator on node1 (testpmd replaying a pcap, or Pktgen-DPDK). Pure:
// built from the inventory and what preflight learned of the nodes' CPUs, never run here.
import { FlexbenchError, EXIT } from '../../exit-codes.js';
import type { PlanTrial } from '../../results/format.js';
import type { Inventory, NodeInventory } from '../../inventory/schema.js';
import { dpdkLcores } from '../../inventory/cores.js';
import { testpmdArgv, afPacketVdev, pcapReplayVdev } from '../../tools/testpmd.js';
import { pktgenArgv } from '../../tools/pktgen.js';
import { expandArgv, type CommandTarget } from '../../tools/command.js';
import type { PortMode } from './port.js';
import { traitsOf } from '../../plan/nfs.js';

export type NodeName = 'node1' | 'node2';
export type NfKind = 'testpmd' | 'command' | 'flexbench';

/** What the command lines are built from. */
export interface ArgvContext {
  inv: Inventory;
  kind: 'lab' | 'netns';
  commands: Record<string, CommandTarget>;
  /** CPUs of a node in trial order, where known (preflight, or the inventory) */
  cores(node: NodeName): number[] | null;
  flushMs: number;
  /** the spec's nf_options (the test NFs': ratelimit's capacity, noise and seed) */
  nfOptions: { limit_pps?: number; limit_noise?: number; seed?: number };
  /** names DPDK's runtime files of this run (file prefixes) */
  pid: number;
  /** flexbench NFs: the port mode the rule picked for an n-core trial (null before preflight: the NF's own choice) */
  portMode(n: number): PortMode | null;
}

/** The CPUs a process got: DPDK's main lcore (null where there is none) and the rest. */
export interface Lcores {
  main: number | null;
  workers: number[];
}

export function nfKind(commands: Record<string, CommandTarget>, nf: string): NfKind {
  if (nf === 'testpmd') return 'testpmd';
  if (commands[nf]) return 'command';
  return 'flexbench';
}

/** testpmd block-buffers stdout into a pipe: line-buffer it so each statistics block arrives when printed. */
export const lineBuffered = (argv: string[]): string[] => ['stdbuf', '-oL', ...argv];

/** The DPDK runtime-file prefix of a trial's process (its /var/run/dpdk/<prefix> is removed after the trial). */
export const filePrefix = (c: ArgvContext, who: 'n1' | 'n2' | 'pg', index: number): string => `fb${c.kind}${who}-${c.pid}-${index}`;

export function lcores(c: ArgvContext, node: NodeName, n: number): { main: number; workers: number[] } {
  const order = c.cores(node) ?? Array.from({ length: n + 1 }, (_, i) => i);
  const l = dpdkLcores(order, n);
  if (!l) throw new FlexbenchError(`${node} has ${order.length} CPUs (${order.join(',')}), a DPDK app with ${n} forwarding core(s) needs ${n + 1}`, EXIT.trialsFailed);
  return l;
}

function dpdkCommon(node: NodeInventory) {
  return { noHuge: !node.dpdk.hugepages, memoryMb: node.dpdk.memory_mb, totalNumMbufs: node.dpdk.total_num_mbufs, extraEal: node.dpdk.eal_args };
}

/** testpmd on node2: MAC swap on n cores with n queues and RSS, one port looped back on itself. */
export function testpmdNfArgv(c: ArgvContext, t: PlanTrial): string[] {
  const n2 = c.inv.nodes.node2;
  const port = n2.data_ports[0];
  const { main, workers } = lcores(c, 'node2', t.cores);
  return testpmdArgv({
    binary: n2.tools.testpmd,
    lcores: [main, ...workers],
    nbCores: t.cores,
    filePrefix: filePrefix(c, 'n2', t.index),
    vdevs: port.iface && !port.pci ? [afPacketVdev(0, port.iface, t.cores)] : [],
    pci: port.pci ? [port.pci] : [],
    queues: t.cores,
    forwardMode: 'macswap',
    extraApp: ['--port-topology=loop'],
    ...dpdkCommon(n2),
  });
}

/** testpmd as generator on node1: replays the pcap (net_pcap, infinite_rx) into the data port. Port index of the data port too. */
export function testpmdGenArgv(c: ArgvContext, t: PlanTrial, remotePcap: string): { argv: string[]; dataPort: number } {
  const n1 = c.inv.nodes.node1;
  const port = n1.data_ports[0];
  const { main, workers } = lcores(c, 'node1', 1);
  // PCI devices are probed before virtual ones: with a PCI data port it is port 0 and the pcap port 1
  const usePci = Boolean(port.pci);
  const vdevs = usePci ? [pcapReplayVdev(0, remotePcap)] : [pcapReplayVdev(0, remotePcap), afPacketVdev(1, port.iface!, 1)];
  const argv = testpmdArgv({
    binary: n1.tools.testpmd,
    lcores: [main, ...workers],
    nbCores: 1,
    filePrefix: filePrefix(c, 'n1', t.index),
    vdevs,
    pci: usePci ? [port.pci!] : [],
    forwardMode: 'io',
    ...dpdkCommon(n1),
  });
  return { argv, dataPort: usePci ? 0 : 1 };
}

/**
 * Pktgen's lcores: three or more CPUs: rx and tx on lcores of their own; two: one lcore does both, the main
 * lcore (stated with --main-lcore, the lowest-numbered as DPDK's default would pick) on the other.
 */
function pktgenLcores(order: number[]): { main: number; rx: number; tx: number } {
  if (order.length >= 3) return { main: order[2]!, rx: order[0]!, tx: order[1]! };
  const lo = Math.min(order[0]!, order[1]!);
  const hi = Math.max(order[0]!, order[1]!);
  return { main: lo, rx: hi, tx: hi };
}

export function pktgenGenArgv(c: ArgvContext, t: PlanTrial, remotePcap: string): string[] {
  const n1 = c.inv.nodes.node1;
  const port = n1.data_ports[0];
  const order = c.cores('node1') ?? [0, 1, 2];
  if (order.length < 2) throw new FlexbenchError(`pktgen needs 2 CPUs on node1 (a main lcore and one for its port); node1 has ${order.length}`, EXIT.trialsFailed);
  const { main, rx, tx } = pktgenLcores(order);
  return pktgenArgv({
    binary: n1.tools.pktgen ?? 'pktgen',
    lcores: order.length >= 3 ? [main, rx, tx] : [main, rx],
    filePrefix: filePrefix(c, 'pg', t.index),
    pci: port.pci ? [port.pci] : [],
    vdevs: port.pci ? [] : [afPacketVdev(0, port.iface!, 1)],
    noHuge: !n1.dpdk.hugepages,
    memoryMb: n1.dpdk.memory_mb,
    port: 0,
    rxCore: rx,
    txCore: tx,
    pcap: remotePcap,
    extraEal: n1.dpdk.eal_args,
  });
}

/** A flexbench NF's CPUs: the first n of node2's order (pinned with taskset), null while the order is unknown. */
function flexbenchCpus(c: ArgvContext, n: number): number[] | null {
  const order = c.cores('node2');
  return order && order.length >= n ? order.slice(0, n) : null;
}

/**
 * `stateConfig`: a private file on node2 with the store's credentials (a locked store), read by the NF beside the flags.
 * `on`: another port than node2's data port (the end hosts' nat0) and the NF's own flags for it (NAT's pool and inside).
 */
export function flexbenchNfArgv(c: ArgvContext, t: PlanTrial, storeUrl: string | null, maxSeconds: number, stateConfig?: string, on?: { iface: string; nfArgs: string[] }): string[] {
  const n2 = c.inv.nodes.node2;
  const iface = on?.iface ?? n2.data_ports[0].iface!;
  // the mode is forced, so the NF can never fall back on its own and a cell never mixes modes
  const mode = c.portMode(t.cores);
  const port = mode === 'af_xdp' ? `xdp:${iface}` : mode === 'af_packet' ? `packet:${iface}` : iface;
  const cpus = flexbenchCpus(c, t.cores);
  const a = [...(cpus ? ['taskset', '-c', cpus.join(',')] : []), n2.tools.node, n2.tools.flexbench ?? '<node2.tools.flexbench>', 'nf', 'run', '--nf', t.nf, '--cores', String(t.cores), '--port', port];
  // a stateful NF with store none runs Native (nf run --store none); a store-less NF takes no store flags
  if (t.store === 'none' && t.mode === 'none' && traitsOf(t.nf).stateful) a.push('--store', 'none');
  if (t.store !== 'none') {
    a.push('--store', storeUrl ?? (t.store === 'hashmap' ? 'hashmap:' : `${t.store}://<started by the harness>`));
    a.push('--nf-id', t.nf, '--instance', 'ins1', '--mode', t.mode, '--flush-ms', String(c.flushMs));
    if (stateConfig) a.push('--state-config', stateConfig);
  }
  if (on) a.push(...on.nfArgs);
  const o = c.nfOptions;
  if (t.nf === 'ratelimit') {
    if (o.limit_pps !== undefined) a.push('--limit-pps', String(o.limit_pps));
    if (o.limit_noise !== undefined) a.push('--limit-noise', String(o.limit_noise));
    if (o.seed !== undefined) a.push('--seed', String(o.seed));
  }
  // where the generator's counts (flexbench gen) or the end hosts' tests are the measurement, the NF's rate
  // lines only say it is ready: one every 0.2 s lets the traffic start ~0.8 s sooner than the 1 s default
  // (a paced search runs a dozen trials a cell, each with its own NF)
  if (on || c.inv.generator === 'flexbench') a.push('--progress', '0.2');
  // an upper bound: the harness stops it (SIGTERM -> it prints its JSON line) once the window is measured
  a.push('--duration', String(Math.ceil(maxSeconds)), '--json');
  return a;
}

export function commandNfArgv(c: ArgvContext, t: PlanTrial, storeUrl: string | null, maxSeconds: number, remotePcap: string): string[] {
  const n2 = c.inv.nodes.node2;
  const { workers } = lcores(c, 'node2', t.cores);
  return expandArgv(c.commands[t.nf].argv, {
    iface: n2.data_ports[0].iface ?? '',
    pci: n2.data_ports[0].pci ?? '',
    cores: t.cores,
    corelist: workers.join(','),
    duration: Math.ceil(maxSeconds),
    store: storeUrl ?? '',
    pcap: remotePcap,
    mode: t.mode,
    nf: t.nf,
  });
}

/** `flexbench gen`'s CPU: node1's last (the NF's are node2's first; on a netns machine both share the CPUs). */
function genCpu(c: ArgvContext): number | null {
  const order = c.cores('node1');
  return order && order.length > 0 ? order[order.length - 1]! : null;
}

/** What a `flexbench gen` trial offers: the rate ('max' = unpaced), the measured phase and the stamping. */
export interface GenLoad {
  rate: number | 'max';
  warmup_s: number;
  duration_s: number;
  latency_every: number;
}

/** `flexbench gen` on node1's data port (AF_XDP where it loads, AF_PACKET otherwise), pinned to one CPU, sending the pcap: what both ways it runs share. */
function flexbenchGenCommon(c: ArgvContext, remotePcap: string): string[] {
  const n1 = c.inv.nodes.node1;
  const iface = n1.data_ports[0].iface;
  if (!iface) throw new FlexbenchError(`generator flexbench needs a kernel interface on node1's data port (AF_XDP/AF_PACKET); the inventory gives only PCI ${n1.data_ports[0].pci}`, EXIT.usage);
  const cpu = genCpu(c);
  return [...(cpu !== null ? ['taskset', '-c', String(cpu)] : []), n1.tools.node, n1.tools.flexbench ?? '<node1.tools.flexbench>', 'gen', '--port', iface, '--input', remotePcap];
}

/** The round-trip generator for one trial: its load in its flags, its result as JSON. */
export function flexbenchGenArgv(c: ArgvContext, remotePcap: string, load: GenLoad): string[] {
  return [
    ...flexbenchGenCommon(c, remotePcap),
    '--rate', String(load.rate), '--warmup', String(load.warmup_s), '--duration', String(load.duration_s),
    '--latency-every', String(load.latency_every), '--json',
  ];
}

/** The round-trip generator kept up across a search's trials (`gen --trials-on-stdin`): the load comes per trial on its stdin. */
export function flexbenchResidentGenArgv(c: ArgvContext, remotePcap: string): string[] {
  return [...flexbenchGenCommon(c, remotePcap), '--trials-on-stdin'];
}

/** The CPUs each process of a trial gets, by role, as recorded in the trial (issue: lcores stated, not implied). */
export function placement(c: ArgvContext, t: PlanTrial): Record<string, Lcores> {
  const kind = nfKind(c.commands, t.nf);
  let nf: Lcores;
  if (kind === 'testpmd') nf = lcores(c, 'node2', t.cores);
  else if (kind === 'command') nf = { main: null, workers: lcores(c, 'node2', t.cores).workers };
  else nf = { main: null, workers: flexbenchCpus(c, t.cores) ?? [] };
  let generator: Lcores;
  if (c.inv.generator === 'pktgen') {
    const p = pktgenLcores(c.cores('node1') ?? [0, 1, 2]);
    generator = { main: p.main, workers: [...new Set([p.rx, p.tx])] };
  } else if (c.inv.generator === 'flexbench') {
    const cpu = genCpu(c);
    generator = { main: null, workers: cpu !== null ? [cpu] : [] };
  } else generator = lcores(c, 'node1', 1);
  return { nf, generator };
}

/** How the NF reaches its port: forced AF_XDP/AF_PACKET for flexbench NFs, DPDK's for testpmd; null for a command target. */
export function portModeOf(c: ArgvContext, t: PlanTrial): string | null {
  const kind = nfKind(c.commands, t.nf);
  const port = c.inv.nodes.node2.data_ports[0];
  if (kind === 'testpmd') return port.pci ? 'dpdk' : 'af_packet';
  if (kind === 'command') return null;
  return c.portMode(t.cores);
}
