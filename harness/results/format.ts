// The results format of a run directory (results/<run-id>/): run.json, trials.jsonl, summary.csv.
// Readers (the regression gate) and writers (the harness) share these schemas; types are inferred from them.
import { z } from 'zod';
import { latencySummarySchema } from '../../runtime/packet/latency-schema.js';

export const RESULTS_FORMAT_VERSION = 1;

/** Hardware and software a number was measured on: two runs compare only when these agree. */
export const fingerprintSchema = z.object({
  cpu_model: z.string(),
  /** logical cores the OS offers this process */
  cores: z.number().int(),
  /** the CPUs trials run on, in trial order (a lab's NUMA-first order; here the process's affinity) */
  core_list: z.array(z.number().int()).optional(),
  kernel: z.string(),
  node: z.string(),
  platform: z.string(),
  arch: z.string(),
  memory_gb: z.number(),
  /** version strings of the store servers, e.g. { redis: "7.0.15" }; null when not installed */
  store_versions: z.record(z.string(), z.string().nullable()),
  dpdk_version: z.string().nullable(),
  testbed: z.string(),
  /** NIC model/driver of the data port; null on testbeds without one (local) */
  nic: z.string().nullable(),
});
export type Fingerprint = z.infer<typeof fingerprintSchema>;

const pcapInfoSchema = z.object({
  name: z.string(),
  path: z.string(),
  sha256: z.string(),
  /** null for pcaps given by the user */
  seed: z.number().int().nullable(),
  flows: z.number().int().nullable(),
  frame_size: z.number().int(),
});
export type PcapInfo = z.infer<typeof pcapInfoSchema>;

const perCoreSchema = z.object({ core: z.number().int(), rx_packets: z.number(), tx_packets: z.number() });
export type PerCore = z.infer<typeof perCoreSchema>;

const TRIAL_STATUSES = ['ok', 'failed', 'skipped'] as const;

/** What a trial record measured (see `measure` below). */
export const MEASURE_KINDS = ['throughput', 'search', 'latency', 'calibration', 'iperf_tcp', 'iperf_udp', 'rtt'] as const;
export type MeasureKind = (typeof MEASURE_KINDS)[number];
/** Plan trials measured between two end hosts through the NF (spec `endpoints:`), not by a generator's packet rate. */
export const ENDPOINT_MEASURES = ['iperf_tcp', 'iperf_udp', 'rtt'] as const;
export type EndpointMeasure = (typeof ENDPOINT_MEASURES)[number];
export const isEndpointMeasure = (m: string | undefined): m is EndpointMeasure => (ENDPOINT_MEASURES as readonly string[]).includes(m ?? '');

/** Round trips of one RTT trial, µs (harness/tools/rtt.ts). */
const rttSchema = z.object({
  tool: z.string(), sent: z.number().int(), received: z.number().int(), lost: z.number().int(),
  min_us: z.number().nullable(), avg_us: z.number().nullable(), p50_us: z.number().nullable(), p99_us: z.number().nullable(), max_us: z.number().nullable(),
});

/** One iperf3 test as its client reported it (harness/tools/iperf.ts), rates in Mbit/s. */
const iperfSchema = z.object({
  proto: z.enum(['tcp', 'udp']),
  streams: z.number().int(),
  seconds: z.number(),
  received_mbps: z.number(),
  sent_mbps: z.number(),
  retransmits: z.number().nullable(),
  lost_packets: z.number().nullable(),
  packets: z.number().nullable(),
  lost_percent: z.number().nullable(),
  jitter_ms: z.number().nullable(),
  cpu_local_pct: z.number().nullable(),
  cpu_remote_pct: z.number().nullable(),
});

/** Latency of the stamped packets of one trial: the summary `nf run --json` and `flexbench gen --json` report, as they report it. */
export const latencySchema = latencySummarySchema;
export type LatencyRecord = z.infer<typeof latencySchema>;

/** One goal's result (RFC 9971 §4.8): the relevant bounds, conditional throughput, and whether it is regular. */
const goalResultSchema = z.object({
  goal: z.string(),
  loss_ratio: z.number(),
  exceed_ratio: z.number(),
  width: z.number(),
  regular: z.boolean(),
  irregular_reason: z.string().nullable(),
  lower_bound_pps: z.number().nullable(),
  upper_bound_pps: z.number().nullable(),
  conditional_throughput_pps: z.number().nullable(),
  relative_width: z.number().nullable(),
});

/** A search as the cell's throughput record carries it. */
export const searchResultSchema = z.object({
  goals: z.array(goalResultSchema),
  trials: z.number().int(),
  /** seconds of trials summed (overheads included) */
  seconds: z.number(),
  min_load_pps: z.number(),
  max_load_pps: z.number(),
  start_load_pps: z.number(),
  /** why it stopped early (trial budget), or null */
  stopped: z.string().nullable(),
  /**
   * the search's trials ran in one NF and one generator kept up across them (two-node testbeds): their pids, and the
   * NF's own statistics at its end, over every trial of the search (NAT: mappings created, pool drops…); absent: each
   * trial started its own
   */
  resident: z.object({ nf_pid: z.number().int().nullable(), gen_pid: z.number().int().nullable(), nf_stats: z.record(z.string(), z.number()).nullable() }).optional(),
});
export type SearchRecord = z.infer<typeof searchResultSchema>;
/** One event of an elastic trial as measured by the front-end (times in ms; null: did not happen). */
const elasticEventSchema = z.object({
  kind: z.enum(['kill', 'add', 'remove']),
  instance: z.string(),
  at_s: z.number(),
  at_ms: z.number(),
  detected_ms: z.number().nullable(),
  ready_ms: z.number().nullable(),
  /** kill (or add/remove) -> the first packet of a moved flow forwarded by its new instance */
  recovery_ms: z.number().nullable(),
  moved_flows: z.number().int(),
  checked_flows: z.number().int(),
  kept_flows: z.number().int(),
  changed_packets: z.number().int(),
  lost_packets: z.number(),
  loaded: z.array(z.record(z.string(), z.unknown())),
});

/** A store node killed during an elastic trial (store redis-cluster or cassandra-cluster): the node, the cluster's promotion, what the instances' flushes lived through. */
const storeEventSchema = z.object({
  /** as the spec names it (master1, replica2, master-of-ins1; a ring's node2) */
  node: z.string(),
  port: z.number(),
  pid: z.number(),
  /** node: a Cassandra ring's (every node a replica of every partition at RF = nodes; nothing is promoted) */
  role: z.enum(['master', 'replica', 'node']),
  /** a slot the node served (a replica: its master's) */
  slot: z.number(),
  at_s: z.number(),
  /** when it was killed, ms after traffic started */
  at_ms: z.number(),
  killed_epoch_ms: z.number(),
  /** the kill -> a live node seen serving the slot as a master (null: a replica, or never) */
  promoted_ms: z.number().nullable(),
  promoted_port: z.number().nullable(),
  /** per instance core: flushes failing from from_ms to the next one acknowledged at to_ms (ms after the kill) */
  outages: z.array(z.object({ instance: z.string(), core: z.number(), from_ms: z.number(), to_ms: z.number().nullable(), failed: z.number(), error: z.string() })),
  /** the kill -> the last failing partition's first flush acknowledged: the promotion as the driver saw it (null: none failed, or one never recovered) */
  driver_recovered_ms: z.number().nullable(),
  /** flush attempts that failed (and were retried) */
  flushes_failed: z.number(),
  /** packets lost, missed or dropped by the NF from the kill to the end of the window */
  lost_packets: z.number(),
  /** acknowledged flushes the promoted replica did not hold (asynchronous replication), found by the instances */
  state_losses: z.number(),
  counts_lost: z.number(),
});
export type StoreEventRecord = z.infer<typeof storeEventSchema>;

/** Several instances behind the front-end (issue 18): counts over the whole run, the events, the time series file. */
export const elasticRecordSchema = z.object({
  instances: z.array(z.string()),
  /** relative to the run directory: 10 ms buckets of sent, returned, lost, nf_dropped, missed, moved_returned */
  series_file: z.string(),
  bucket_ms: z.number(),
  sent: z.number(),
  returned: z.number(),
  lost: z.number(),
  missed: z.number(),
  nf_dropped: z.number(),
  unanswered: z.number(),
  lost_in_flight: z.number().optional(),
  changed_flows: z.number().int(),
  reference_failover_ms: z.number(),
  events: z.array(elasticEventSchema),
  per_instance: z.record(z.string(), z.object({
    returned: z.number(), pids: z.array(z.number()), recovered: z.number().optional(), adopted: z.number().optional(), exit: z.string().optional(),
    /**
     * a NAT's pool blocks through the store's locks, summed over the processes that served the instance and
     * ended (a killed one says nothing): blocks taken and given back, held at its end, searches that found
     * every block held, new flows dropped for want of a pair (of them, while a block was on its way from the store)
     */
    pool: z.object({ blocks_taken: z.number(), blocks_released: z.number(), blocks_held: z.number(), exhausted: z.number(), drops: z.number(), drops_waiting: z.number().optional() }).optional(),
  })),
  /** a NAT: distinct translated (address, port) pairs the front-end saw, and times a flow left with a pair another flow had (must be 0) */
  pairs: z.object({ used: z.number(), shared: z.number(), first: z.object({ pair: z.string(), flows: z.tuple([z.number(), z.number()]) }).nullable() }).optional(),
  /** store node kills (store redis-cluster, cassandra-cluster) */
  store_events: z.array(storeEventSchema).optional(),
  /** counter NFs: the store's total over every instance and core minus the packets the instances counted as forwarded */
  counter: z.object({
    /** the counter's merged total over every instance and core, read from the store after the run */
    store_total: z.number(),
    /** packets the instances forwarded (each counted once by the NF that forwarded it) */
    forwarded: z.number(),
    /** store_total - forwarded: 0 in sync mode up to in_flight_lost; async: down to minus one flush period of updates of a killed instance */
    difference: z.number(),
    /** packets in flight to an instance when it died: counted or not, never forwarded (the difference's uncertainty) */
    in_flight_lost: z.number(),
    mode: z.string(),
    flush_ms: z.number().nullable(),
  }).nullable().optional(),
});
export type ElasticRecord = z.infer<typeof elasticRecordSchema>;

/** One line of trials.jsonl. Rates are packets per second over the measured window (warm-up excluded). */
export const trialRecordSchema = z.object({
  /** stable id of the trial within its plan: the same trial has the same id on --resume */
  trial_id: z.string(),
  index: z.number().int(),
  nf: z.string(),
  store: z.string(),
  location: z.string(),
  /** sync | async, or "none" for testpmd */
  mode: z.string(),
  flush_ms: z.number().nullable(),
  cores: z.number().int(),
  frame_size: z.number().int(),
  testbed: z.string(),
  /** pcap file name (see run.json provenance.pcaps for its hash and seed) */
  pcap: z.string(),
  pcap_sha256: z.string().nullable(),
  repetition: z.number().int(),
  status: z.enum(TRIAL_STATUSES),
  /** why a trial was skipped or failed */
  reason: z.string().nullable(),
  rx_packets: z.number().nullable(),
  tx_packets: z.number().nullable(),
  rx_pps: z.number().nullable(),
  tx_pps: z.number().nullable(),
  dropped: z.number().nullable(),
  /** measured window in seconds */
  duration_s: z.number().nullable(),
  warmup_s: z.number(),
  per_core: z.array(perCoreSchema),
  /** the command(s) the trial ran */
  commands: z.array(z.string()),
  /** what makes an ok trial's rate suspect, e.g. "generator_shortfall: sent … of … asked" (older runs: absent) */
  flags: z.array(z.string()).default([]),
  started_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  /** 0-based round of the run's order (a trial is paired with its reference in the same round) */
  round: z.number().int().optional(),
  /** cores other work kept busy during the trial, outside the trial's own processes (null: not measured here) */
  host_busy_cores: z.number().nullable().optional(),
  /** share of CPU time the hypervisor stole during the trial (0..1; null: not measured) */
  host_steal: z.number().nullable().optional(),
  /**
   * device interrupts a second on each CPU the harness may use during the trial (keys: CPU numbers; null: not
   * measured): a CPU the devices interrupt (a store's disk) costs what runs there (docs/performance.md)
   */
  host_device_irq_per_s: z.record(z.string(), z.number()).nullable().optional(),
  /**
   * rates over the time the NF's cores were not kept waiting for a CPU by other work (results/own-time.ts): what the
   * NF does on cores of its own; null where the NF did not report its threads' wait (testpmd, older nf run)
   */
  rx_pps_own: z.number().nullable().optional(),
  tx_pps_own: z.number().nullable().optional(),
  /** share of the NF cores' window they waited runnable for a CPU another process held (0..1) */
  nf_wait_share: z.number().nullable().optional(),
  /** two-node testbeds: how the NF reached its port (af_xdp | af_packet | dpdk; null: a command target) */
  port_mode: z.string().nullable().optional(),
  /** two-node testbeds: the CPUs each process got, by role ({nf: {main, workers}, generator: {…}}) */
  lcores: z.record(z.string(), z.object({ main: z.number().int().nullable(), workers: z.array(z.number().int()) })).optional(),

  // ---- measure: (docs/ndr-latency.md). Every field below is absent in runs before it (read: throughput). ----
  /**
   * What the record measured. throughput: the plan trial itself, at max load (or traffic.rate): one per
   * plan trial, the only kind summary/compare/plots read as a sample. search: one trial of the NDR/PDR
   * search. latency: a latency trial at one load. calibration: the same latency trial through the `wire`
   * NF (the method's own bias). The last three are sub-records: `parent_trial_id` names their plan trial.
   */
  measure: z.enum(MEASURE_KINDS).optional(),
  /** sub-records: the plan trial they belong to (their own trial_id is "<parent>/search/3", "<parent>/latency/50%", …) */
  parent_trial_id: z.string().optional(),
  /** intended offered load, packets/s (null: as fast as the NF takes it) */
  load_pps: z.number().nullable().optional(),
  /** packets the load meant to offer in the window (load x window) */
  intended_packets: z.number().nullable().optional(),
  /** packets the generator put on the wire in the window (below intended when it fell behind) */
  offered_packets: z.number().nullable().optional(),
  /** packets that made it through: what the NF sent (local) or what came back to the generator (two-node testbeds) */
  forwarded_packets: z.number().nullable().optional(),
  /** (intended - forwarded) / intended: what the generator failed to send counts as lost */
  loss_ratio: z.number().nullable().optional(),
  /** search trials: 1-based order in the search, the goal and phase (coarse: wider, shorter; final: the goal's own) that asked for it */
  search_n: z.number().int().optional(),
  search_goal: z.string().optional(),
  search_phase: z.enum(['coarse', 'final']).optional(),
  /** throughput records of a cell with ndr_pdr: the search's result (RFC 9971), per goal and in total */
  search: searchResultSchema.optional(),
  /** the goals named ndr and pdr, flat: pps = the relevant lower bound (the rate found), upper = the relevant upper bound */
  ndr_pps: z.number().nullable().optional(),
  ndr_lower_pps: z.number().nullable().optional(),
  ndr_upper_pps: z.number().nullable().optional(),
  ndr_conditional_pps: z.number().nullable().optional(),
  ndr_regular: z.boolean().optional(),
  pdr_pps: z.number().nullable().optional(),
  pdr_lower_pps: z.number().nullable().optional(),
  pdr_upper_pps: z.number().nullable().optional(),
  pdr_conditional_pps: z.number().nullable().optional(),
  pdr_regular: z.boolean().optional(),
  /** trials the search needed (the max-load trial it started from not counted) */
  search_trials: z.number().int().optional(),
  /** latency and calibration records: the load as the spec names it ("0" = the low fixed rate, "50%" = of the reference) */
  latency_load: z.string().optional(),
  /** what the fractions are of: pdr (the PDR found, when the cell searched one) or max_load (its forwarding rate at max load) */
  latency_reference: z.enum(['pdr', 'max_load', 'fixed']).optional(),
  /** every Nth packet was stamped */
  latency_every: z.number().int().optional(),
  /** what the latency spans, in words (local: generator enqueue to NF transmit in one process; netns: the veth round trip) */
  latency_path: z.string().optional(),
  /** latency of the stamped packets, µs, and the merged HdrHistogram (ns, compressed base64: hdr-histogram-js decodes it) */
  latency: latencySchema.nullable().optional(),
  /** several instances behind a front-end (spec `instances:`/`events:`): what the front-end measured */
  elastic: elasticRecordSchema.optional(),

  // ---- endpoints: (docs/statelessnf.md): measure iperf_tcp, iperf_udp or rtt. Absent in other runs. ----
  /** iperf trials: what arrived at the server, Mbit/s (the paper's Table 2 throughput) */
  throughput_mbps: z.number().nullable().optional(),
  iperf: iperfSchema.nullable().optional(),
  /** rtt trials: the UDP echo stream's round trips (Table 3), and ping's beside it */
  rtt: rttSchema.nullable().optional(),
  ping: rttSchema.nullable().optional(),
  /** what the NF said beyond its counts (NAT: flows, expired mappings, pool drops…) */
  nf_stats: z.record(z.string(), z.number()).optional(),
  /**
   * flexbench ab's windows: the record is one window of a resident `nf run` (pid) that ran the whole epoch (0-based)
   * of the A/B, resumed for settle_s and then measured for duration_s between two samples of its own counters;
   * window: its 1-based count in that process
   */
  ab_window: z.object({ process: z.literal('resident'), pid: z.number().int(), window: z.number().int(), settle_s: z.number(), epoch: z.number().int().optional() }).optional(),
  /**
   * search trials of a paced session (two-node testbeds): the NF (pid on node2, as it reported itself) and the
   * generator (pid on node1) that stayed up across the search, and this trial's 1-based count in them; end-host
   * trials: the NF kept up across the cell's tests of one repetition (gen_pid null: their traffic is iperf3's or the echo's)
   */
  resident: z.object({ nf_pid: z.number().int(), gen_pid: z.number().int().nullable(), trial: z.number().int() }).optional(),
});
export type TrialRecord = z.infer<typeof trialRecordSchema>;

/** Fields that identify a cell; repetitions and pcap files are samples of one cell. */
export const CELL_FIELDS = ['nf', 'store', 'location', 'mode', 'cores', 'frame_size', 'testbed'] as const;
export type CellKey = Pick<TrialRecord, (typeof CELL_FIELDS)[number]>;

/** A plan trial's own record (throughput), not a search/latency/calibration sub-record. */
export const isCellTrial = (r: Pick<TrialRecord, 'parent_trial_id'>): boolean => r.parent_trial_id === undefined;

export function cellKeyOf(r: CellKey): CellKey {
  return { nf: r.nf, store: r.store, location: r.location, mode: r.mode, cores: r.cores, frame_size: r.frame_size, testbed: r.testbed };
}
export function cellIdOf(r: CellKey): string {
  return CELL_FIELDS.map((f) => String(r[f])).join('|');
}

/**
 * Rates of a cell, Mpps: at max load (tx, rx; tx_mpps_own: forwarded over the time the NF's cores were not kept
 * waiting for a CPU by other work, results/own-time.ts, the rate that holds on a busy machine) and the
 * loss-bounded ones of an NDR/PDR search (lower bounds).
 */
export const RATE_METRICS = ['tx_mpps', 'rx_mpps', 'tx_mpps_own', 'ndr_mpps', 'pdr_mpps'] as const;
/** Latency statistics of a cell at one load (column `load`), µs: higher is worse. */
export const LATENCY_METRICS = ['latency_min_us', 'latency_mean_us', 'latency_p50_us', 'latency_p90_us', 'latency_p99_us', 'latency_p999_us', 'latency_max_us', 'latency_jitter_us'] as const;
/** Measured between end hosts (spec endpoints:): iperf3 throughput in Mbit/s, the UDP echo's round trip in µs. */
export const ENDPOINT_METRICS = ['tcp_mbps', 'udp_mbps', 'udp_loss_pct', 'rtt_min_us', 'rtt_avg_us', 'rtt_p99_us', 'rtt_max_us', 'ping_avg_us'] as const;
export const SUMMARY_METRICS = [...RATE_METRICS, ...LATENCY_METRICS, ...ENDPOINT_METRICS] as const;
export type SummaryMetric = (typeof SUMMARY_METRICS)[number];

/**
 * summary.csv: one row per cell and metric (and load, for latency). Rates in Mpps (million packets per
 * second), latency in µs. The columns after ratio_high belong to measure: ndr_pdr and latency.
 */
export const SUMMARY_COLUMNS = [
  ...CELL_FIELDS, 'metric', 'unit', 'n', 'mean', 'sd', 'median', 'ci95_low', 'ci95_high', 'min', 'max', 'n_failed', 'n_skipped',
  'cv', 'mde_pct', 'n_flagged', 'flags', 'ci_method', 'baseline', 'ratio', 'ratio_low', 'ratio_high',
  'load', 'load_pps', 'bound_low', 'bound_high', 'conditional', 'n_irregular', 'search_trials', 'bias', 'bias_n', 'n_outliers',
] as const;
const optNum = z.coerce.number().nullable().optional();
export const summaryRowSchema = z.object({
  nf: z.string(),
  store: z.string(),
  location: z.string(),
  mode: z.string(),
  cores: z.coerce.number().int(),
  frame_size: z.coerce.number().int(),
  testbed: z.string(),
  /**
   * rx_mpps (packets the NF received) or tx_mpps (packets it forwarded: the paper's "transmission rate") at
   * max load; ndr_mpps / pdr_mpps (the search's relevant lower bound per repetition); latency_*_us at `load`
   */
  metric: z.enum(SUMMARY_METRICS),
  unit: z.enum(['Mpps', 'us', 'Mbit/s', '%']),
  /** successful trials (pcap files x repetitions) */
  n: z.coerce.number().int(),
  mean: z.coerce.number().nullable(),
  sd: z.coerce.number().nullable(),
  median: z.coerce.number().nullable(),
  ci95_low: z.coerce.number().nullable(),
  ci95_high: z.coerce.number().nullable(),
  min: z.coerce.number().nullable(),
  max: z.coerce.number().nullable(),
  n_failed: z.coerce.number().int(),
  n_skipped: z.coerce.number().int(),
  /** coefficient of variation of the samples (sd / mean) */
  cv: optNum,
  /** minimum detectable effect, % of the mean: the smallest change a comparison of two such cells detects (95 %, power 0.8) */
  mde_pct: optNum,
  /** ok trials carrying a flag (low_count, host_busy, generator_shortfall, …) */
  n_flagged: z.coerce.number().int().nullable().optional(),
  /** the flag names seen, ';'-separated */
  flags: z.string().nullable().optional(),
  /** how ci95_low/high were computed */
  ci_method: z.string().nullable().optional(),
  /** the reference of the ratio columns, e.g. "store=hashmap" (tx_mpps rows) */
  baseline: z.string().nullable().optional(),
  /** geometric mean of the per-round ratios tx / baseline tx, and its 95 % interval (log scale) */
  ratio: optNum,
  ratio_low: optNum,
  ratio_high: optNum,
  /** latency rows: the load as the spec names it ("0" = the low fixed rate, "10%" of the reference); empty otherwise */
  load: z.string().nullable().optional(),
  /** latency rows: the mean offered load, packets/s */
  load_pps: optNum,
  /** ndr/pdr rows: the lowest relevant lower bound and the highest relevant upper bound over the repetitions, Mpps */
  bound_low: optNum,
  bound_high: optNum,
  /** ndr/pdr rows: mean conditional throughput (RFC 9971 appendix B), Mpps */
  conditional: optNum,
  /** ndr/pdr rows: searches whose result is irregular (goal not met at the minimum load, max load a lower bound, budget) */
  n_irregular: z.coerce.number().int().nullable().optional(),
  /** ndr/pdr rows: mean trials per search */
  search_trials: optNum,
  /** latency rows: the same statistic through the wire (the method's bias) at the same load, µs, and its samples */
  bias: optNum,
  bias_n: z.coerce.number().int().nullable().optional(),
  /** samples far from the others on the log scale (modified z-score above 3.5, results/stats.ts logOutliers); empty below 4 samples */
  n_outliers: z.coerce.number().int().nullable().optional(),
});
export type SummaryRow = z.infer<typeof summaryRowSchema>;

const planTrialSchema = z.object({
  trial_id: z.string(),
  index: z.number().int(),
  nf: z.string(),
  store: z.string(),
  location: z.string(),
  mode: z.string(),
  cores: z.number().int(),
  frame_size: z.number().int(),
  testbed: z.string(),
  pcap_index: z.number().int(),
  repetition: z.number().int(),
  /** set when the plan already knows the trial cannot run here */
  skip: z.string().nullable(),
  /** endpoints: the test this trial runs (absent: the generator's packet-rate trial) */
  measure: z.enum(ENDPOINT_MEASURES).optional(),
});
export type PlanTrial = z.infer<typeof planTrialSchema>;

/** A trial's file name stem in its run directory (its log under logs/, its window's files): "0012-nat_redis_local_async_c1_p0_r1". */
export function trialStem(t: Pick<PlanTrial, 'index' | 'trial_id'>): string {
  return `${String(t.index).padStart(4, '0')}-${t.trial_id.replace(/\//g, '_')}`;
}

export const runJsonSchema = z.object({
  format_version: z.literal(RESULTS_FORMAT_VERSION),
  run_id: z.string(),
  /** "running" while trials run; "complete"; "incomplete" after an interrupt or a crash (resume with --resume) */
  status: z.enum(['running', 'complete', 'incomplete']),
  spec_file: z.string(),
  profile: z.string().nullable(),
  /** the spec exactly as written (parsed YAML) */
  spec_given: z.unknown(),
  /** after defaults, the chosen profile and normalisation: what the plan was expanded from */
  spec_resolved: z.record(z.string(), z.unknown()),
  plan: z.array(planTrialSchema),
  provenance: z.object({
    flexbench_version: z.string(),
    git_commit: z.string().nullable(),
    git_dirty: z.boolean().nullable(),
    command: z.string(),
    fingerprint: fingerprintSchema,
    pcaps: z.array(pcapInfoSchema),
    started_at: z.string(),
    ended_at: z.string().nullable(),
    /** every time the run was resumed */
    resumed_at: z.array(z.string()),
    /** cores other work kept busy just before the first trial (local and netns testbeds; null: not measured) */
    host_busy_cores: z.number().nullable().optional(),
    /** versions of the store servers the run actually started (as they answered), e.g. { cassandra: "5.0.2" } */
    store_started: z.record(z.string(), z.string().nullable()).optional(),
    /** the ETA printed at the start and the wall time the trials took, seconds (to check the estimate) */
    eta_s: z.number().nullable().optional(),
    /** the estimate before it was scaled by how it held in earlier runs here (absent in older runs: eta_s was that) */
    eta_model_s: z.number().nullable().optional(),
    wall_s: z.number().nullable().optional(),
    /** the V8 flags each `nf run` of this build set on itself (runtime/nf-process/result.ts NF_V8_FLAGS); absent in older runs */
    nf_v8_flags: z.array(z.string()).optional(),
  }),
  /** the order trials ran in: interleaved rounds from this seed (replay with --seed), or sequential */
  order: z.object({
    kind: z.enum(['interleaved', 'sequential']), seed: z.number().int(), rounds: z.number().int(),
    /** within a round, a cell and its baseline cell run back to back (absent in runs before blocks: false) */
    blocked: z.boolean().optional(),
    /** a cell's end-host tests of one repetition run back to back, one unit of the shuffle (absent in runs before: false) */
    grouped: z.boolean().optional(),
  }).optional(),
  /** repetitions auto: rounds run, and the cells that did not reach the target interval ("cell: ±x%") */
  auto: z.object({ target_ci: z.number(), rounds_run: z.number().int(), unreached: z.array(z.string()) }).nullable().optional(),
  /** with a baseline: per comparison group, its cells ordered by paired ratio (>, ≈ within the margin, ~ unresolved) and every pair's relation (results/ordering.ts) */
  orderings: z.array(z.object({
    figure: z.string(), baseline: z.string(), metric: z.enum(['tx_mpps', 'tx_mpps_own']), group: z.string(), order: z.string(),
    pairs: z.array(z.object({
      hi: z.string(), lo: z.string(), relation: z.enum(['apart', 'within', 'unresolved']), ratio: z.number(), low: z.number().nullable(), high: z.number().nullable(),
    })).optional(),
  })).optional(),
  counts: z.object({ planned: z.number().int(), ok: z.number().int(), failed: z.number().int(), skipped: z.number().int(), missing: z.number().int() }),
});
export type RunJson = z.infer<typeof runJsonSchema>;

/** ratios.csv: per cell, the paired ratio of its tx rate to its reference's, round by round. */
export const RATIO_COLUMNS = [...CELL_FIELDS, 'figure', 'baseline', 'metric', 'n_pairs', 'ratio', 'ratio_low', 'ratio_high', 'method'] as const;
export interface RatioRow extends CellKey {
  /** the figure whose baseline this is; empty for the spec's top-level baseline */
  figure: string;
  baseline: string;
  /** the rate divided: tx_mpps (forwarded) or tx_mpps_own (forwarded over the time the NF's cores held a CPU) */
  metric: 'tx_mpps' | 'tx_mpps_own';
  n_pairs: number;
  ratio: number | null;
  ratio_low: number | null;
  ratio_high: number | null;
  method: string;
}
