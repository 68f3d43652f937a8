// The one interface every testbed implements (local here; netns and lab in their own modules).
// The orchestrator drives it in this order:
//   preflight -> prepare -> startStore for every server the plan needs (up for the whole run)
//   -> (reset the trial's store, runTrial)* in the run's order -> stop the stores -> teardown
// teardown is idempotent and also runs after an interrupt or a failure.
import type { z } from 'zod';
import type { Spec } from '../spec/schema.js';
import type { ElasticRecord, Fingerprint, PcapInfo, PerCore, PlanTrial } from '../results/format.js';
import type { HostLoad } from '../orchestrate/host-load.js';
import type { OwnRates } from '../results/own-time.js';
import type { EndpointMeasurement } from '../tools/endpoint-tests.js';
import type { LatencySummary } from '../../runtime/packet/latency.js';
import type { ClusteredStore } from '../../runtime/stores/server.js';

/** What the orchestrator hands a testbed to run one trial. */
export interface TrialRequest {
  trial: PlanTrial;
  /** the pcap this trial replays (a path on the machine running flexbench; the testbed copies it where needed) */
  pcap: PcapInfo;
  traffic: Spec['traffic'];
  flush_ms: number;
  /** the running store for this trial's (store, location); null for store "none" and "hashmap" */
  store: StoreHandle | null;
  /** aborted on Ctrl-C: end every child at once */
  signal: AbortSignal;
  /** the run directory, for per-trial logs */
  runDir: string;
  /** a paced trial (loss-bounded search, latency): overrides traffic.rate and traffic.duration_s (issue 16) */
  load?: LoadRequest;
  /** names the trial's log file apart from its plan trial's (e.g. "search", "latency-50pct") */
  logSuffix?: string;
}

/**
 * One paced trial of a loss-bounded search or a latency measurement: the load the generator offers and
 * how often it stamps. A testbed whose generator cannot pace refuses it (`Testbed.unpaced`).
 */
export interface LoadRequest {
  /** offered load, packets/s over the whole port */
  rate_pps: number;
  /** the measured phase, s (the search's trial duration); traffic.duration_s when absent */
  duration_s?: number;
  /** stamp every Nth packet and report latency (0 or absent: none) */
  latency_every?: number;
  /** the warm-up before the measured phase, s; traffic.warmup_s when absent */
  warmup_s?: number;
  /**
   * run this NF instead of the trial's, store-less: `wire` for the back-to-back calibration (the method's
   * bias). A testbed that cannot must throw rather than run the trial's NF under its name.
   */
  nf?: string;
}

/** What a paced trial counted (RFC 9971: what the generator failed to send counts as lost). */
export interface OfferedCounts {
  /** rate x the measured phase: what a perfect generator would have sent */
  intended_packets: number;
  /** what the generator put on the wire */
  offered_packets: number;
  /** what came back (two-node testbeds) or what the NF sent (local) */
  forwarded_packets: number;
}

/** The measurement of one trial over its measured window (warm-up excluded). */
export interface TrialMeasurement {
  rx_packets: number;
  tx_packets: number;
  dropped: number;
  duration_s: number;
  rx_pps: number;
  tx_pps: number;
  per_core: PerCore[];
  /** the commands the trial ran, as a user could type them */
  commands: string[];
  /** what makes the rate suspect (two-node testbeds: the generator fell short of the asked rate) */
  flags?: string[];
  /** how the NF reached its port (two-node testbeds: af_xdp, af_packet, dpdk; null for a command target) */
  port_mode?: string | null;
  /** the CPUs each process of the trial was given, by role (two-node testbeds: nf, generator) */
  lcores?: Record<string, { main: number | null; workers: number[] }>;
  /** several instances behind a front-end: what it measured (local testbed with spec `instances:`) */
  elastic?: ElasticRecord;
  /** how busy the host was outside the trial's processes (testbeds measuring on this machine; else absent) */
  host?: HostLoad | null;
  /** the NF's rates over the time its cores were not kept waiting for a CPU (results/own-time.ts); null: not measured */
  own?: OwnRates | null;
  /** a paced trial's counts (TrialRequest.load) */
  offered?: OfferedCounts;
  /** latency of the stamped packets (TrialRequest.load.latency_every > 0): what it spans is `latency_path` */
  latency?: LatencySummary | null;
  /** what the latency includes, in words (e.g. "round trip node1 -> veth -> NF -> veth -> node1, AF_XDP both ends") */
  latency_path?: string;
  /** a trial between end hosts (PlanTrial.measure): what iperf3 or the echo measured; the counts above are the NF's */
  endpoint?: EndpointMeasurement;
  /** the NF's own statistics beyond its counts, summed over cores (NAT: flows, expired, pool drops) */
  nf_stats?: Record<string, number>;
  /** a trial of a paced session (Testbed.openPaced): the resident processes it ran in and its 1-based count there */
  resident?: { nf_pid: number; gen_pid: number | null; trial: number };
}

/**
 * The NF and the generator of one plan trial kept up across its paced trials (a search): each `run` only sets the
 * load, lets the NF settle, sends and reads the counters (FD.io CSIT's and TRex's way), instead of starting both
 * processes per trial. A process that died fails the run it was in, and every later one, with its reason.
 */
export interface PacedSession {
  /** one trial at this load (`rate_pps` 'max': the plan trial's own, unpaced, the search starts from) */
  run(load: Omit<LoadRequest, 'rate_pps'> & { rate_pps: number | 'max'; duration_s: number; warmup_s: number }): Promise<TrialMeasurement>;
  /** both processes ended; idempotent */
  close(): Promise<PacedSessionEnd>;
}

/**
 * The NF of a group of end-host tests kept up across them (Testbed.openEndpoints): each `run` is one test through it,
 * its record's counts the NF's over the test and `resident` the NF it ran on. An NF that died fails the test it was in
 * and every later one with its reason.
 */
export interface EndpointSession {
  run(req: Omit<TrialRequest, 'load' | 'logSuffix'>): Promise<TrialMeasurement>;
  /** the NF ended; idempotent */
  close(): Promise<PacedSessionEnd>;
}

/** What a paced session's NF said at its end (its --json): its statistics and flags, or why it has none. */
export interface PacedSessionEnd {
  nf_stats: Record<string, number> | null;
  flags: string[];
  /** the NF died by itself (its exit and last lines) */
  died: string | null;
  /** the session's NF and generator processes (as they reported themselves; null: never learnt) */
  nf_pid: number | null;
  gen_pid: number | null;
}

/** A running store server as the NF must address it. */
export interface StoreHandle {
  store: string;
  location: string;
  /** what `flexbench nf run --store` takes, e.g. redis://127.0.0.1:6390 */
  url: string;
  /** empty the store between trials */
  reset(): Promise<void>;
  /** driver options the NF needs beyond the URL (credentials of a locked store): handed over in a private file, never printed */
  driverOptions?: Record<string, string>;
  /** stop the server; idempotent */
  stop(): Promise<void>;
  /** its processes on this machine (their CPU time is the trial's own, not other work) */
  pids?: number[];
  /** the version the server answered with once started, when it says */
  version?: string | null;
  /** a store made of nodes (redis-cluster, cassandra-cluster): what a spec's store node kill needs */
  nodes?: StoreNodes;
}

/** The nodes of a clustered store, as a store node kill uses them (runtime/stores/server.ts's ClusteredStore). */
export type StoreNodes = Pick<ClusteredStore, 'resolve' | 'kill' | 'waitPromoted'>;

export interface PrepareContext {
  spec: Spec;
  plan: readonly PlanTrial[];
  pcaps: readonly PcapInfo[];
  runDir: string;
  signal: AbortSignal;
  log: (line: string) => void;
}

export interface Testbed {
  readonly kind: string;
  /**
   * Why this trial cannot run on this testbed (e.g. more cores than a node has, a store server that is
   * not installed, "remote" on a one-node testbed), or null if it can. Called at plan time: pure, fast.
   */
  skipReason(trial: PlanTrial): string | null;
  /** The commands a trial will run (for --dry-run), without running anything. */
  describeTrial(trial: PlanTrial, pcap: PcapInfo, spec: Spec): string[];
  /** Check tools and nodes are there (throw FlexbenchError with EXIT.environment if not). Starts nothing. */
  preflight(spec: Spec): Promise<void>;
  /** Hardware/software fingerprint of the node that runs the NF. */
  fingerprint(): Promise<Fingerprint>;
  /** Copy pcaps, set up links; before the first trial. */
  prepare(ctx: PrepareContext): Promise<void>;
  /** Start the store server for (store, location); null when the store needs no server (hashmap, none). */
  startStore(store: string, location: string, signal: AbortSignal): Promise<StoreHandle | null>;
  /**
   * Why this testbed's generator cannot offer a paced load (NDR/PDR search, latency), or null when it can.
   * The orchestrator asks before the first trial of a `measure:` that needs pacing and refuses the run
   * with this sentence (exit 2); absent = the testbed paces.
   */
  unpaced?(latency: boolean): string | null;
  /**
   * Start the trial's NF and generator for a run of paced trials (a search) and keep them up until closed; null where
   * this testbed (or this trial's NF or generator) cannot, and the caller runs each trial with runTrial. The caller
   * empties the store before, once: the trials share the NF's state, as a search's warm-ups build it.
   */
  openPaced?(req: Omit<TrialRequest, 'load' | 'logSuffix'>): Promise<PacedSession | null>;
  /**
   * Start one NF for a group of trials between end hosts (PlanTrial.measure: a cell's tests of one repetition, at most
   * `tests`) and keep it up until closed; each `run` is one test through it. The caller empties the store before,
   * once. Absent: each such trial is a runTrial of its own.
   */
  openEndpoints?(req: Omit<TrialRequest, 'load' | 'logSuffix'>, tests: number): Promise<EndpointSession>;
  /** Run one trial to completion; throws on failure (the orchestrator records it as failed with the message). */
  runTrial(req: TrialRequest): Promise<TrialMeasurement>;
  /** Stop everything this testbed started, in reverse order; idempotent, never throws. */
  teardown(): Promise<void>;
}

export interface TestbedOptions {
  spec: Spec;
  /** the spec's inventory after the module's inventorySchema (if any) */
  inventory: unknown;
  /** repository root (to find bin/flexbench.js) */
  root: string;
}

/** What a testbed module (harness/testbeds/<kind>.ts) exports. */
export interface TestbedModule {
  createTestbed(opts: TestbedOptions): Testbed | Promise<Testbed>;
  /** validates `inventory:` in specs for this testbed (positions and "did you mean" come for free) */
  inventorySchema?: z.ZodType;
  /**
   * Why this testbed cannot offer this NF a paced load, known from the spec alone (validate refuses it at
   * matrix.nfs[i]); null if it can. What only a built testbed knows (its generator) is `Testbed.unpaced`.
   */
  pacingProblem?(nf: string): string | null;
}
