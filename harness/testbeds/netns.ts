// The emulated two-node testbed: two network namespaces with their own sshd (harness/netns/), reached
// only over SSH, and then the very code of the lab testbed. DPDK runs with --no-huge and net_af_packet
// on the veths; flexbench NFs use their interface port (AF_XDP or AF_PACKET) on node2's port1.
import os from 'node:os';
import { z } from 'zod';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import type { Spec } from '../spec/schema.js';
import { createEmulation, mountBpffs, planNodes, type Emulation } from '../netns/emulation.js';
import { createEndpoints, planEndpoints, type Endpoints } from '../netns/endpoints.js';
import { LocalHost } from '../hosts/local.js';
import type { EndpointTrialEnv } from './two-nodes/endpoint-trial.js';
import { inventoryObjectSchema, inventoryFromFile, type Inventory } from '../inventory/schema.js';
import { TwoNodeTestbed } from './two-nodes/testbed.js';
import { namespaceTicks } from '../orchestrate/host-load.js';
import { commandTargetSchema } from '../tools/command.js';
import type { Testbed, TestbedOptions, TrialRequest } from './testbed.js';

// `--inventory FILE` / `inventory: { file: … }` reads the file first, as for a lab
export const inventorySchema = z.preprocess(
  inventoryFromFile,
  z
  .strictObject({
    /** names become fbn<suffix>-node1/-node2 (0-6 lowercase letters/digits) */
    suffix: z.string().regex(/^[a-z0-9]{0,6}$/).default(''),
    /** address block 0..49, so two emulations can coexist */
    slot: z.number().int().min(0).max(49).default(0),
    /** mbufs per testpmd (no hugepages here) */
    total_num_mbufs: z.number().int().positive().default(16384),
    start_timeout_s: z.number().positive().max(3600).default(30),
    /** command targets, as in a lab inventory: rehearse a lab's own NFs on the emulation */
    commands: z.record(z.string(), commandTargetSchema).default({}),
    /** traffic generator on node1: testpmd replaying the pcap, a real Pktgen-DPDK on node1's veth, or `flexbench gen` (paces, stamps, receives: NDR/PDR and latency) */
    generator: z.enum(['testpmd', 'pktgen', 'flexbench']).default('testpmd'),
    /** the pktgen binary on this machine (the nodes share its filesystem), e.g. what ../shared/vendor/pktgen/build.sh printed */
    pktgen: z.string().min(1).default('pktgen'),
    /** pktgen: percent of the veth's nominal 10 Gb/s asked for when the spec's rate is "max" */
    pktgen_max_rate_percent: z.number().min(0.01).max(100).default(100),
    /** a trial whose generator sent less than this share of what it was asked is flagged generator_shortfall */
    shortfall_tolerance: z.number().min(0).max(1).default(0.05),
    /** mount a BPF filesystem in both nodes so AF_XDP loads there (default: with generator flexbench, whose latency it is for) */
    bpffs: z.boolean().optional(),
  })
  .default({ suffix: '', slot: 0, total_num_mbufs: 16384, start_timeout_s: 30, commands: {}, generator: 'testpmd', pktgen: 'pktgen', pktgen_max_rate_percent: 100, shortfall_tolerance: 0.05 }),
);
type NetnsOptions = z.output<typeof inventorySchema>;

/** The lab inventory of an emulation (before it exists the SSH key paths are placeholders). */
export function netnsInventory(o: NetnsOptions, root: string, em?: Emulation): Inventory {
  const plan = planNodes(o.suffix, o.slot);
  const cpus = Array.from({ length: os.availableParallelism() }, (_, i) => i);
  const node = (n: typeof plan.node1) => ({
    ssh: { host: n.sshAddress, port: n.sshPort, user: 'root', key: em?.keyPath ?? '<generated per run>', known_hosts: [em?.knownHostsPath ?? '<generated per run>'], strict_host_key_checking: true, connect_timeout_ms: 10000 },
    data_ports: [{ iface: n.dataIface, address: n.dataAddress }],
    store_port: { iface: n.storeIface, address: n.storeAddress },
    tools: { testpmd: 'dpdk-testpmd', pktgen: o.pktgen, node: process.execPath, flexbench: `${root.replace(/\/$/, '')}/bin/flexbench.js`, redis_server: 'redis-server', redis_cli: 'redis-cli' },
    dpdk: { hugepages: false, memory_mb: 512, eal_args: [], total_num_mbufs: o.total_num_mbufs },
    // both namespaces share this machine's CPUs
    cores: cpus,
    exclude_cores: [],
  });
  return inventoryObjectSchema.parse({
    nodes: { node1: node(plan.node1), node2: node(plan.node2) },
    generator: o.generator,
    pktgen_max_rate_percent: o.pktgen_max_rate_percent,
    shortfall_tolerance: o.shortfall_tolerance,
    start_timeout_s: o.start_timeout_s,
    commands: o.commands,
  });
}

/** The end hosts' commands run on this machine, inside their namespaces. */
const endHost = new LocalHost('end hosts');

class NetnsTestbed extends TwoNodeTestbed {
  private em: Emulation | null = null;
  private ends: Endpoints | null = null;

  constructor(opts: TestbedOptions, private readonly netns: NetnsOptions) {
    super(opts, netnsInventory(netns, opts.root), 'netns', netns.commands);
  }

  override async preflight(spec: Spec): Promise<void> {
    if (process.getuid?.() !== 0) throw new FlexbenchError('testbed netns needs root (network namespaces, veths, sshd in each node)', EXIT.environment);
    // the nodes exist only while the run does: built here, removed in teardown (and swept at the next start)
    this.em = await createEmulation({ suffix: this.netns.suffix, slot: this.netns.slot });
    this.inv = netnsInventory(this.netns, this.opts.root, this.em);
    try {
      // AF_XDP on both veth ends: AF_PACKET's TPACKET_V3 hands packets over only when a block retires
      // (1-2 ms at low rates), which would swamp a round trip of microseconds
      if (this.netns.bpffs ?? (this.netns.generator === 'flexbench' || spec.endpoints !== undefined)) await mountBpffs(this.em);
      // end hosts for iperf/RTT trials: a client and a server namespace beside node2, the NF's port nat0 between them
      if (spec.endpoints) this.ends = await createEndpoints(planEndpoints(this.em.id, this.netns.slot));
      await super.preflight(spec);
    } catch (e) {
      await this.teardown();
      throw e;
    }
  }

  /** Every process of the emulated nodes and end hosts is the trial's: they share this machine's CPUs with whatever else runs. */
  protected override ownTicks(): (() => number) | null {
    if (!this.em) return null;
    return namespaceTicks([this.em.node1.ns, this.em.node2.ns, ...(this.ends ? [this.ends.client.ns, this.ends.server.ns] : [])]);
  }

  /** The emulation while it runs (tests look inside). */
  get emulation(): Emulation | null {
    return this.em;
  }

  protected override endpointEnv(req: TrialRequest, secretsDir: string): EndpointTrialEnv | null {
    const e = this.opts.spec.endpoints;
    if (!e) return null;
    // before preflight (--dry-run) the names are the plan's; nothing runs then
    const ep = this.ends ?? planEndpoints(planNodes(this.netns.suffix, this.netns.slot).id, this.netns.slot);
    const inNs = (ns: string) => (argv: string[]) => ['ip', 'netns', 'exec', ns, ...argv];
    return {
      argv: this.argv,
      node2: this.hosts.node2 ?? null,
      ends: { host: endHost, inClient: inNs(ep.client.ns), inServer: inNs(ep.server.ns), serverAddress: ep.server.address, clientAddress: ep.client.address, flexbench: [process.execPath, `${this.opts.root.replace(/\/$/, '')}/bin/flexbench.js`] },
      nfIface: ep.nfIface,
      pool: ep.pool,
      inside: ep.client.net,
      endpoints: e,
      traffic: req.traffic,
      startTimeoutS: this.inv.start_timeout_s,
      secretsDir,
    };
  }

  override async teardown(): Promise<void> {
    await super.teardown();
    await this.ends?.destroy().catch(() => undefined);
    this.ends = null;
    const em = this.em;
    this.em = null;
    await em?.destroy().catch(() => undefined);
  }
}

export function createTestbed(opts: TestbedOptions): Testbed {
  return new NetnsTestbed(opts, inventorySchema.parse(opts.inventory));
}
