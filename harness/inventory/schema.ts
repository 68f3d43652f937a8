// The two-node inventory (spec `inventory:` or a YAML file it names): SSH, ports, tools, cores.
import { existsSync } from 'node:fs';
import { readInputFile } from '../../common/input-file.js';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { commandTargetSchema } from '../tools/command.js';

/** A list, or one item where one is the natural case (known_hosts: FILE, data_ports: { iface }). */
// (only a value that is a valid item is wrapped, so a wrong one is reported as itself, at its own place)
const listOf = <T extends z.ZodType>(item: T, min = 0) => z.preprocess((v) => (v !== undefined && !Array.isArray(v) && item.safeParse(v).success ? [v] : v), z.array(item).min(min));

const sshSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1).default('root'),
  /** private key file; without it the SSH agent ($SSH_AUTH_SOCK) */
  key: z.string().optional(),
  known_hosts: listOf(z.string()).optional(),
  /** on by default; false only for throwaway nodes */
  strict_host_key_checking: z.boolean().default(true),
  /** at most 10 minutes (a timer of more than 2^31 ms would fire at once) */
  connect_timeout_ms: z.number().int().positive().max(600_000).default(10000),
});

const portSchema = z.strictObject({
  /** kernel interface name (af_packet, AF_XDP, the netns veths) */
  iface: z.string().regex(/^[A-Za-z0-9_.@-]+$/).optional(),
  /** PCI address for DPDK (bound to vfio-pci) */
  pci: z.string().regex(/^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/, 'a PCI address like 0000:81:00.0').optional(),
  /** IPv4 address of this port (store traffic goes to it) */
  address: z.string().regex(/^\d+\.\d+\.\d+\.\d+$/).optional(),
  /** link speed: Pktgen paces in percent of it (25, 40, 100 GbE NICs need it set) */
  speed_gbps: z.number().positive().max(800).default(10),
  /** flexbench NFs on this port (node2's first data port): auto = AF_XDP where the rule allows, else AF_PACKET; xdp = AF_XDP or skip; packet = AF_PACKET */
  port_mode: z.enum(['auto', 'xdp', 'packet']).default('auto'),
}).refine((p) => p.iface || p.pci, { message: 'a port needs iface or pci' });

const nodeSchema = z.strictObject({
  ssh: sshSchema,
  /** data ports; the first carries the trial's traffic */
  data_ports: listOf(portSchema, 1),
  /** the port the remote store is reached over (node1 listens on it, node2 connects through it) */
  store_port: portSchema.optional(),
  tools: z.strictObject({
    testpmd: z.string().default('dpdk-testpmd'),
    pktgen: z.string().optional(),
    node: z.string().default('node'),
    /** flexbench's CLI on the node (bin/flexbench.js of a built checkout) */
    flexbench: z.string().optional(),
    redis_server: z.string().default('redis-server'),
    redis_cli: z.string().default('redis-cli'),
  }).default({ testpmd: 'dpdk-testpmd', node: 'node', redis_server: 'redis-server', redis_cli: 'redis-cli' }),
  dpdk: z.strictObject({
    /** false in the emulation (no hugepages, virtual devices) */
    hugepages: z.boolean().default(true),
    memory_mb: z.number().int().positive().default(1024),
    eal_args: listOf(z.string()).default([]),
    total_num_mbufs: z.number().int().positive().default(65536),
  }).default({ hugepages: true, memory_mb: 1024, eal_args: [], total_num_mbufs: 65536 }),
  /** CPUs in trial order; omitted = derived from `lscpu -p` with the paper's rule */
  cores: z.array(z.number().int().nonnegative()).min(2).optional(),
  /** NUMA node of the data port (default: read from sysfs, else 0) */
  numa_node: z.number().int().nonnegative().optional(),
  /** CPUs never used for trials (e.g. 0 for the OS) */
  exclude_cores: listOf(z.number().int().nonnegative()).default([]),
});

/** Every host:port of a store URL (redis+cluster lists several) names a port from 1 to 65535 (or none: the store's default). */
function storeUrlPortsOk(url: string): boolean {
  const m = /^[a-z+]+:\/\/(?:[^@/]*@)?([^/?#]*)\/?$/.exec(url);
  if (!m || !m[1]) return false;
  return m[1].split(',').every((hp) => {
    const p = /^(?:\[[0-9A-Fa-f:.]+\]|[^:\[\]\s]+)(?::(\d+))?$/.exec(hp);
    return p !== null && (p[1] === undefined || (Number(p[1]) >= 1 && Number(p[1]) <= 65535));
  });
}

const storeEndpointSchema = z.strictObject({
  /** a server already running (e.g. installed by ansible), as the NF addresses it */
  url: z.string().regex(/^[a-z+]+:\/\//).refine(storeUrlPortsOk, 'a store URL like redis://host:port, each port from 1 to 65535'),
});

export const inventoryObjectSchema = z.strictObject({
  nodes: z.strictObject({ node1: nodeSchema, node2: nodeSchema }),
  /** traffic generator on node1: testpmd replays at full speed; pktgen paces in percent of line rate; flexbench (`flexbench gen`) paces, stamps and receives (NDR/PDR, latency) */
  generator: z.enum(['testpmd', 'pktgen', 'flexbench']).default('testpmd'),
  /** pktgen only: percent of line rate used when the spec asks for "max" */
  pktgen_max_rate_percent: z.number().min(0.01).max(100).default(100),
  /** pre-started stores by name and location; otherwise redis is started over SSH per run */
  stores: z
    .record(
      z.string(),
      z.strictObject({
        local: storeEndpointSchema.optional(),
        remote: storeEndpointSchema.optional(),
        /** a file on this (the harness) host holding the store's password: the one of running servers (ansible's vault), or the one a Redis flexbench starts gets (default: generated per run, kept in the run's secrets/) */
        password_file: z.string().min(1).optional(),
        /** the role to log in as where the store has users (Cassandra: flexbench, as the ansible role creates) */
        username: z.string().min(1).optional(),
      }),
    )
    .default({}),
  /** NFs run by a command template instead of `flexbench nf run` (e.g. the paper's C++ NFs), by NF name */
  commands: z.record(z.string(), commandTargetSchema).default({}),
  /** how long to wait for a generator to start forwarding, s */
  start_timeout_s: z.number().positive().max(3600).default(30),
  /** a trial whose generator sent less than this share of the asked rate is flagged */
  shortfall_tolerance: z.number().min(0).max(1).default(0.05),
});

export type Inventory = z.output<typeof inventorySchema>;
export type NodeInventory = z.output<typeof nodeSchema>;

/** `inventory: { file: PATH, ...overrides }` reads PATH (YAML, relative to the working directory) first (lab and netns). */
export function inventoryFromFile(v: unknown, ctx: z.RefinementCtx): unknown {
  if (!v || typeof v !== 'object' || !('file' in v)) return v;
  const { file, ...rest } = v as { file: unknown };
  if (typeof file !== 'string') return v;
  const path = resolve(file);
  if (!existsSync(path)) {
    ctx.addIssue({ code: 'custom', path: ['file'], message: `inventory file not found: ${path}` });
    return z.NEVER;
  }
  let base: unknown;
  try {
    base = parseYaml(readInputFile(path, 2 ** 20, 'inventory file').toString('utf8'));
  } catch (e) {
    if ((e as Error).name === 'FlexbenchError') {
      ctx.addIssue({ code: 'custom', path: ['file'], message: (e as Error).message });
      return z.NEVER;
    }
    ctx.addIssue({ code: 'custom', path: ['file'], message: `inventory file ${path} is not valid YAML: ${(e as Error).message}` });
    return z.NEVER;
  }
  const b = base as Record<string, unknown> | null;
  const inner = b && typeof b === 'object' && 'inventory' in b ? (b.inventory as Record<string, unknown>) : b;
  return { ...(inner ?? {}), ...rest };
}

export const inventorySchema = z.preprocess(inventoryFromFile, inventoryObjectSchema);
