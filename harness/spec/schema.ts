// The one schema of an experiment spec; every type of the spec is inferred from it.
import { z } from 'zod';
import { NF_NAMES } from '../../nfs/registry.js';
import { ORDERS } from '../plan/order.js';
import { MAX_FLOWS, MAX_FILES, MAX_SEED } from '../../runtime/packet/generate.js';
import { parseIpRange, parsePortRange } from '../../runtime/packet/inet.js';
import { eventsSchema, instancesSchema } from './elastic.js';
import { PRESETS } from '../search/goal.js';
import { CONSISTENCY_LEVELS } from '../../runtime/stores/cassandra/ring-shape.js';

/** testpmd is DPDK's (Figure 4); the rest are flexbench NFs run with `flexbench nf run --nf NAME` (nfs/registry.ts). */
export const NFS = ['testpmd', ...NF_NAMES] as const;
export const STORES = ['hashmap', 'redis', 'redis-cluster', 'cassandra', 'cassandra-cluster', 'none'] as const;
export const LOCATIONS = ['local', 'remote'] as const;
/** state modes (runtime/state/config.ts STATE_MODES): FlexState's sync and async, StatelessNF's cache and stateless-async */
export const MODES = ['sync', 'async', 'cache', 'stateless-async'] as const;
/** trial modes: none for NFs without FlexState */

/** a zod refinement: the value as `parse` reads it, its error as the issue */
const parsedBy = (parse: (s: string) => unknown, expected: string) => (v: string, ctx: z.RefinementCtx) => {
  try {
    parse(v);
  } catch (err) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected ${expected}: ${(err as Error).message}` });
  }
};

const TRIAL_MODES = [...MODES, 'none'] as const;
export const TESTBEDS = ['local', 'netns', 'lab'] as const;
const SERIES_FIELDS = ['nf', 'store', 'location', 'mode'] as const;
const METRIC_FIELDS = ['tx_mpps', 'rx_mpps'] as const;
/** what a figure draws: a rate, or the paired ratio of tx rate to the figure's baseline cell */
const FIGURE_METRICS = [...METRIC_FIELDS, 'ratio'] as const;

const posInt = z.number().int().positive();
/** Most cores a trial may ask for (DPDK builds for big hosts stop at 1024 lcores; the harness stops a little later). */
const MAX_CORES = 4096;
/** Fastest offered rate a spec may ask for, packets/s: above 800 GbE at 64 B (1.19 Gpps). */
const MAX_RATE_PPS = 2e9;
const nonEmptyUnique = <T extends z.ZodType>(item: T) =>
  z.array(item).min(1).refine((xs) => new Set(xs.map((x) => JSON.stringify(x))).size === xs.length, { message: 'values must be unique' });

/** One axis value or a list of them; a filter matches any listed value. */
const oneOrMany = <T extends readonly [string, ...string[]]>(values: T) => z.union([z.enum(values), z.array(z.enum(values)).min(1)]);

const trafficSchema = z.strictObject({
  /** Ethernet frame size in bytes (64 = the minimum, as in the paper) */
  frame_size: z.number().int().min(64).max(1518).default(64),
  /** distinct flows (= distinct packets) per pcap file */
  flows: posInt.max(MAX_FLOWS).default(2000),
  /** number of pcap files; every cell is measured once per file and repetition */
  files: posInt.max(MAX_FILES).default(2),
  proto: z.enum(['udp', 'tcp']).default('udp'),
  /** seed of the first pcap; file i uses seed + i */
  seed: z.number().int().nonnegative().max(MAX_SEED).default(1),
  /** given pcap files instead of generated ones (paths relative to the spec file) */
  pcaps: z.array(z.string().min(1)).min(1).max(MAX_FILES).optional(),
  /** measured window per trial, seconds */
  duration_s: z.number().positive().max(3600).default(2),
  /** warm-up before the measured window, seconds (not counted) */
  warmup_s: z.number().nonnegative().max(600).default(0.5),
  /** "max": replay as fast as the NF takes it; a number: offered load in packets per second */
  rate: z.union([z.literal('max'), z.number().min(1).max(MAX_RATE_PPS)]).default('max'),
});

/** A fraction written as a number (0.5) or a percentage ("50%"). */
const fraction = (max: number) =>
  z.union([z.number().min(0).max(max), z.string().regex(/^\d+(\.\d+)?%$/, 'a fraction (0.5) or a percentage such as "50%"').transform((s) => Number(s.slice(0, -1)) / 100).pipe(z.number().min(0).max(max))]);

/** One explicit search goal (RFC 9971 §4.5); ranges beyond the schema's are checked by harness/search/goal.ts. */
const goalSchema = z.strictObject({
  /** what results call it; ndr and pdr also get flat fields (ndr_pps, pdr_pps, …) and summary rows */
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'lower-case letters, digits or "_", e.g. ndr'),
  /** a trial is low-loss when its loss ratio is at most this: 0 (NDR), 0.005 (PDR 0.5 %) */
  loss_ratio: fraction(0.999999),
  /** share of a load's trial seconds that may be high-loss while it is still a lower bound */
  exceed_ratio: fraction(0.999999).default(0),
  /** seconds of a full-length trial */
  final_trial_duration: z.number().positive().max(3600),
  /** seconds of the first, short trials (default: half the final one) */
  initial_trial_duration: z.number().positive().max(3600).optional(),
  /** seconds of trials a load needs before it is a bound (default: the final trial duration) */
  duration_sum: z.number().positive().max(36_000).optional(),
  /** done when (upper - lower) / upper is at most this */
  width: fraction(0.5),
});
export type GoalSpec = z.output<typeof goalSchema>;

const ndrPdrSchema = z.strictObject({
  /** a named set of goals: quick (default; fits a shipped spec's 5 minutes), csit, rfc2544, tst009 */
  preset: z.enum(PRESETS as unknown as ['quick', 'csit', 'rfc2544', 'tst009']).optional(),
  /** explicit goals instead of a preset */
  goals: z.array(goalSchema).min(1).max(8).optional(),
  /** lowest load the search tries, pps (loss there: the goal cannot be met, an irregular result); auto: max load / 1000, at least 1,000 */
  min_load_pps: z.union([z.literal('auto'), z.number().min(1).max(MAX_RATE_PPS)]).default('auto'),
  /** highest load, pps; auto: 1.25 x the forwarding rate at max load (the first trial of every search) */
  max_load_pps: z.union([z.literal('auto'), z.number().min(1).max(MAX_RATE_PPS)]).default('auto'),
  /** warm-up of every search trial, seconds (default: traffic.warmup_s) */
  warmup_s: z.number().nonnegative().max(600).optional(),
  /** safety net: at most this many trials per search (the result is irregular when it runs out) */
  max_trials: posInt.max(1000).default(60),
});

const latencySchema = z.strictObject({
  /** loads to measure at: 0 = the low fixed rate below; others: fractions of the PDR found (of the max-load rate without ndr_pdr) */
  loads: nonEmptyUnique(fraction(1)).default([0, 0.1, 0.5, 0.9]),
  /** load 0, packets/s: low enough that nothing queues (FD.io CSIT's latency stream runs at 9 kpps) */
  low_rate_pps: z.number().min(1).max(MAX_RATE_PPS).default(10_000),
  /** stamp every Nth packet; auto: about 10,000 samples a second (every packet at 10 kpps, every 100th at 1 Mpps) */
  every: z.union([z.literal('auto'), posInt.max(1_000_000)]).default('auto'),
  /** measured window of each latency trial, seconds (default: traffic.duration_s) */
  duration_s: z.number().positive().max(3600).optional(),
  /** beside each latency trial, the same load through the wire NF: the method's own bias */
  calibrate: z.boolean().default(true),
});

/** Options of the test NFs (nfs/ratelimit.ts): what `nf run --limit-pps/--limit-noise/--seed` take. */
const nfOptionsSchema = z.strictObject({
  /** ratelimit: forward at most this many packets/s (its known capacity R) */
  limit_pps: z.number().min(1).max(MAX_RATE_PPS).optional(),
  /** ratelimit: each millisecond's capacity is R x (1 - noise x u), u seeded uniform in [0, 1) */
  limit_noise: z.number().min(0).max(1).optional(),
  /** ratelimit: seed of the noise */
  seed: z.number().int().nonnegative().max(2 ** 31).optional(),
  /**
   * NAT: its pool, passed to nf run on the local testbed (one instance or several): addresses (a
   * prefix), ports (LO-HI) and the block size its cores (and, sharing a store, its instances: taken
   * through the store's locks) hand each other (0: static shares). Unset: nf run's defaults.
   */
  nat_pool: z.strictObject({
    // parsed as nf run parses --nat-ips / --nat-ports (inet.ts), so a spec that validates runs
    ips: z.string().superRefine(parsedBy((r) => { if (!r.includes('/')) throw new Error('no /N'); return parseIpRange(r); }, 'an IPv4 prefix A.B.C.D/N, e.g. 198.19.0.0/28')).optional(),
    ports: z.string().superRefine(parsedBy(parsePortRange, 'a port range LO-HI with 1 <= LO <= HI <= 65535, e.g. 1024-65535')).optional(),
    block: z.number().int().min(0).max(1 << 24).optional(),
  }).optional(),
});

/** What each plan trial measures (combinable); absent: throughput only, as before. */
const measureSchema = z.strictObject({
  /** the forwarding rate at max load (or traffic.rate): always measured, the search starts from it */
  throughput: z.literal(true).default(true),
  /** loss-bounded throughput by RFC 9971's MLRsearch: a preset name, or a mapping */
  ndr_pdr: z.union([z.enum(PRESETS as unknown as ['quick', 'csit', 'rfc2544', 'tst009']), ndrPdrSchema]).optional(),
  /** latency of stamped packets at fixed loads (true: the defaults) */
  latency: z.union([z.literal(true), latencySchema]).optional(),
  /**
   * with endpoints: how many of matrix.repetitions also run the generator's trials (throughput, search,
   * latency), the first ones; the others run the end-host tests only (a search's bounds are its own spread,
   * and it costs a dozen trials). Default: every repetition.
   */
  repetitions: posInt.max(1000).optional(),
});

/** how paired ratios are summarised (harness/results/summary.ts) */
export const RATIO_INTERVALS = ['mean', 'median'] as const;

const matrixSchema = z.strictObject({
  nfs: nonEmptyUnique(z.enum(NFS)),
  /** Ethernet frame sizes as an axis (pcaps are generated per size); absent: traffic.frame_size */
  frame_sizes: nonEmptyUnique(z.number().int().min(64).max(1518)).optional(),
  stores: nonEmptyUnique(z.enum(STORES)).default(['hashmap']),
  locations: nonEmptyUnique(z.enum(LOCATIONS)).default(['local']),
  modes: nonEmptyUnique(z.enum(MODES)).default(['async']),
  cores: nonEmptyUnique(posInt.max(MAX_CORES)),
  /** repetitions per pcap file; auto: rounds until every cell's interval reaches target_ci, at most max_repetitions */
  repetitions: z.union([posInt, z.literal('auto')]).default(1),
  /** with repetitions auto: the relative 95 % half-width to reach, a fraction (0.03) or a percentage ("3%") */
  target_ci: z
    .union([z.number().positive().max(1), z.string().regex(/^\d+(\.\d+)?%$/, 'a percentage such as "3%"').transform((s) => Number(s.slice(0, -1)) / 100)])
    .default(0.03),
  /** with repetitions auto: the cap on repetitions per pcap file */
  max_repetitions: posInt.max(1000).default(10),
  /**
   * the paired ratios' estimate and interval (ratios.csv, summary.csv's ratio columns, repetitions auto, figures):
   * mean: geometric mean, Student-t on ln(ratio); median: median, distribution-free order-statistic interval (6+ pairs)
   */
  ratio_interval: z.enum(RATIO_INTERVALS).default('mean'),
  /** interleaved: round by round, every cell once per round in a seeded random order; sequential: cell by cell */
  order: z.enum(ORDERS).default('interleaved'),
});

/** Repetitions per pcap file the plan holds (the cap when repetitions is auto). */
export function plannedRepetitions(m: Pick<Matrix, 'repetitions' | 'max_repetitions'>): number {
  return m.repetitions === 'auto' ? m.max_repetitions : m.repetitions;
}

/** store redis-cluster: the cluster the harness starts on this machine */
const redisClusterSchema = z.strictObject({
  /** masters, each serving an equal range of the slots */
  masters: posInt.min(3).max(9).default(3),
  /** replicas of each master (a killed master's slots go to one of them) */
  replicas: z.number().int().min(0).max(2).default(1),
  /** cluster-node-timeout: how long a master is unreachable before it is failed and a replica promoted */
  node_timeout_ms: z.number().int().min(100).max(60_000).default(1000),
});

/** store cassandra-cluster: a ring the harness starts on this machine, each node in a network namespace of its own (runtime/stores/cassandra-cluster.ts) */
const cassandraClusterSchema = z.strictObject({
  /** nodes in the ring */
  nodes: z.number().int().min(1).max(5).default(3),
  /** replication factor of the NF's keyspaces (at most nodes; checked with them) */
  replication: z.number().int().min(1).max(5).default(3),
  /** consistency level of the NF's writes and reads */
  consistency: z.enum(CONSISTENCY_LEVELS).default('QUORUM'),
  /** each node's JVM heap */
  heap: z.string().regex(/^\d+[mg]$/, 'like 512m or 1g').default('512m'),
  /** Cassandra's phi_convict_threshold: the live nodes convict a silent one after about 2.3 x this many seconds (Cassandra's default 8) */
  phi_convict_threshold: z.number().min(5).max(16).default(8),
});

const stateSchema = z.strictObject({
  /** async flush period in milliseconds (the paper: 1 ms) */
  flush_ms: z.number().positive().max(60_000).default(1),
  redis_cluster: redisClusterSchema.default(() => redisClusterSchema.parse({})),
  cassandra_cluster: cassandraClusterSchema.default(() => cassandraClusterSchema.parse({})),
  /** async mode, a store found without acknowledged flushes (a promoted replica that had not received them): stop the flushes (fail), go on (warn), write them back (reload); nf run --on-state-loss */
  on_state_loss: z.enum(['fail', 'warn', 'reload']).default('fail'),
});

/** Packets per second of a link at a frame size: each frame also takes 8 bytes of preamble and 12 of gap. */
export function linePps(frameSize: number, gbps = 10): number {
  return (gbps * 1e9) / ((frameSize + 20) * 8);
}

/** The same in Mpps, to two decimals (figures, reports): 14.88 for 64 B at 10 GbE. */
export function lineRateMpps(frameSize: number, gbps = 10): number {
  return Math.round(linePps(frameSize, gbps) / 1e4) / 100;
}

/** A reference: each cell is paired with the cell that has these values instead (same round, same pcap). */
export const baselineSchema = z
  .strictObject({ nf: z.enum(NFS).optional(), store: z.enum(STORES).optional(), location: z.enum(LOCATIONS).optional(), mode: z.enum(TRIAL_MODES).optional() })
  .refine((b) => Object.keys(b).length > 0, { message: 'name at least one of nf, store, location, mode' });

export const figureSchema = z.strictObject({
  /** file name of the figure (plots/<id>.png) */
  id: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "-" or "_"'),
  title: z.string().min(1),
  /** lines: x cores, y Mpps, one line per series; best: bars of the best core count per series; timeseries: forwarded rate over time around the events of an elastic run (instances:/events:) */
  kind: z.enum(['lines', 'best', 'timeseries']).default('lines'),
  /** which trials the figure shows */
  filter: z
    .strictObject({ nf: oneOrMany(NFS).optional(), store: oneOrMany(STORES).optional(), location: oneOrMany(LOCATIONS).optional(), mode: oneOrMany(TRIAL_MODES).optional() })
    .default({}),
  /** the fields that make one line (or bar) */
  series: nonEmptyUnique(z.enum(SERIES_FIELDS)).default(['store', 'location']),
  metric: z.enum(FIGURE_METRICS).default('tx_mpps'),
  /** the reference cell: the cell with these fields replaced (e.g. { store: hashmap }); needed by metric: ratio */
  baseline: baselineSchema.optional(),
  /** dashed reference line in Mpps; null for none; auto: 10 GbE (the paper's link) at the spec's frame size (64 B: 14.88) */
  line_rate_mpps: z.union([z.literal('auto'), z.number().positive()]).nullable().default('auto'),
});

/** iperf3's rates as people write them: 1G, 500M, 10k (bit/s), or a number of bit/s; 0 = unlimited. */
const bitrate = z.union([
  z.number().nonnegative().max(1e12),
  z.string().regex(/^\d+(\.\d+)?[kKmMgG]?$/, 'a bitrate such as 1G, 500M or 10k (bit/s)').transform((x) => Number(x.replace(/[kKmMgG]$/, '')) * ({ k: 1e3, m: 1e6, g: 1e9 }[x.slice(-1).toLowerCase()] ?? 1)),
]);

/** The paper's value of one mode, to print beside ours (StatelessNF's Tables 2 and 3). */
const referenceValues = z.strictObject({ tcp_mbps: z.number().optional(), udp_mbps: z.number().optional(), rtt_us: z.number().optional() });

/**
 * Real traffic between two end hosts through the NF instead of replayed pcaps (StatelessNF's Section 5):
 * iperf3 TCP and UDP with parallel streams (Table 2) and the round trip of a UDP echo stream (Table 3).
 * Every cell runs one trial per test; traffic.duration_s is iperf3's -t, traffic.warmup_s its -O.
 * Testbed netns only (the end hosts are namespaces beside node2).
 */
export const ENDPOINT_TEST_NAMES = ['tcp', 'udp', 'rtt'] as const;
const endpointsSchema = z.strictObject({
  tests: nonEmptyUnique(z.enum(ENDPOINT_TEST_NAMES)).default(['tcp', 'udp', 'rtt']),
  /** parallel connections (iperf3 -P): each its own NAT mapping (the paper: 10) */
  streams: posInt.max(128).default(10),
  /** UDP: total offered bitrate over all streams; 0 = as fast as iperf3 sends (the paper's links were 1 Gbit/s) */
  udp_bitrate: bitrate.default(1e9),
  /** UDP payload bytes: 1472 makes the paper's 1500-byte packets */
  udp_length: posInt.min(16).max(8972).default(1472),
  /** UDP echo datagrams per RTT trial (the paper: 10,000) and their rate */
  rtt_packets: posInt.max(1_000_000).default(10_000),
  rtt_rate: z.number().positive().max(1e6).default(1000),
  /** ping requests beside the UDP echo (0: none) */
  ping_packets: z.number().int().nonnegative().max(100_000).default(100),
  /** NAT: seconds a mapping may stay idle (nf run --nat-timeout) */
  nat_timeout_s: z.number().positive().max(86400).default(30),
  /** the paper's numbers by mode label (native, cache, async, sync), printed beside ours with `source` */
  reference: z
    .strictObject({
      source: z.string().min(1),
      values: z.record(z.string(), referenceValues),
      /** what the paper's Figure 3 (rate before loss by packet size) shows, in words: it prints no numbers */
      figure_3: z.string().min(1).optional(),
    })
    .optional(),
});
export type EndpointsSpec = z.output<typeof endpointsSchema>;

/** Everything a profile may override: the same sections, every field optional (checked again after merging). */
const profileSchema = z.strictObject({
  description: z.string().optional(),
  traffic: z.record(z.string(), z.unknown()).optional(),
  matrix: z.record(z.string(), z.unknown()).optional(),
  state: z.record(z.string(), z.unknown()).optional(),
  measure: z.record(z.string(), z.unknown()).optional(),
  nf_options: z.record(z.string(), z.unknown()).optional(),
  figures: z.array(z.unknown()).optional(),
  endpoints: z.record(z.string(), z.unknown()).optional(),
});

export const specSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, ".", "-" or "_"'),
  description: z.string().default(''),
  testbed: z.enum(TESTBEDS).default('local'),
  /** hosts and links of a netns/lab testbed; its shape is checked by that testbed's own schema */
  inventory: z.unknown().optional(),
  traffic: trafficSchema.default(() => trafficSchema.parse({})),
  matrix: matrixSchema,
  state: stateSchema.default(() => stateSchema.parse({})),
  /** options of the test NFs (ratelimit's capacity and noise) */
  nf_options: nfOptionsSchema.default({}),
  /** what each trial measures: throughput (default), ndr_pdr, latency (docs/ndr-latency.md) */
  measure: measureSchema.default(() => measureSchema.parse({})),
  figures: z.array(figureSchema).default([]),
  endpoints: endpointsSchema.optional(),
  /** the reference of ratios.csv and summary.csv's ratio columns (figures may name their own) */
  baseline: baselineSchema.optional(),
  /** named overrides, chosen with `--profile NAME` (e.g. `paper` for the paper's full parameters) */
  profiles: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), profileSchema).default({}),
  /** several instances of the NF behind a front-end, sharing the store (harness/spec/elastic.ts) */
  instances: instancesSchema.optional(),
  /** kill / add / remove instances during each trial */
  events: eventsSchema.optional(),
});

export type Spec = z.output<typeof specSchema>;
export type MeasureSpec = Spec['measure'];
type Matrix = Spec['matrix'];
export type Figure = Spec['figures'][number];
export type NfName = (typeof NFS)[number];
