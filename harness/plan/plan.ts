// Spec -> trial plan: every (store, location), NF, mode, core count, pcap file and repetition, each with a stable id.
// The order trials run in is harness/plan/order.ts's (interleaved rounds by default).
import { plannedRepetitions, type Spec, type ENDPOINT_TEST_NAMES } from '../spec/schema.js';
import type { EndpointMeasure, PlanTrial } from '../results/format.js';

type EndpointTestName = (typeof ENDPOINT_TEST_NAMES)[number];
import { traitsOf } from './nfs.js';
import { serversNeeded } from './order.js';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { frameSizesOf, measurePlan, needsPacing } from '../spec/measure.js';

interface PlanOptions {
  /** why the testbed cannot run a trial (checked once per trial), or null */
  skipReason?: (t: PlanTrial) => string | null;
}

/**
 * The id of a trial; `/f<size>` only when the spec makes frame size an axis (matrix.frame_sizes) and the
 * trial replays frames (an end-host trial's packets are iperf3's and the echo's), so other ids stay as they
 * were; `/<measure>` for a trial between end hosts.
 */
export function trialId(t: Pick<PlanTrial, 'nf' | 'store' | 'location' | 'mode' | 'cores' | 'pcap_index' | 'repetition' | 'measure'> & { frame_size?: number }, frameAxis = false): string {
  return `${t.nf}/${t.store}/${t.location}/${t.mode}/c${t.cores}${frameAxis && !t.measure ? `/f${t.frame_size}` : ''}/p${t.pcap_index}/r${t.repetition}${t.measure ? `/${t.measure}` : ''}`;
}

/** spec endpoints.tests -> the measure of each trial (one trial per test and cell, pcap file, repetition). */
const ENDPOINT_MEASURE_OF: Record<EndpointTestName, EndpointMeasure> = { tcp: 'iperf_tcp', udp: 'iperf_udp', rtt: 'rtt' };
function endpointMeasures(spec: Spec): EndpointMeasure[] {
  return spec.endpoints ? spec.endpoints.tests.map((t) => ENDPOINT_MEASURE_OF[t]) : [];
}

/** One group of a cell's trials: frames of one size replayed by the generator (measure absent), or the end-host tests. */
interface TrialGroup {
  frame_size: number;
  measures: (EndpointMeasure | undefined)[];
  /** the repetitions the group runs in (the first ones) */
  repetitions: number;
}

/**
 * What a cell runs per core count, pcap file and repetition: the generator's trial at each frame size
 * (and, with measure: ndr_pdr or latency, its search and latency trials), then the end-host tests once
 * (their packet sizes are iperf3's and the echo's). A spec with endpoints: runs the generator's trials only
 * when its measure: asks for more than throughput (StatelessNF's Figure 3 beside its Tables 2 and 3).
 */
export function trialGroups(spec: Spec): TrialGroup[] {
  const ends = endpointMeasures(spec);
  const reps = plannedRepetitions(spec.matrix);
  // measure.repetitions (endpoints only): the generator's trials in the first repetitions
  const genReps = Math.min(reps, spec.measure.repetitions ?? reps);
  const frames = ends.length === 0 || needsPacing(spec) ? frameSizesOf(spec).map((f) => ({ frame_size: f, measures: [undefined], repetitions: genReps })) : [];
  return ends.length ? [...frames, { frame_size: spec.traffic.frame_size, measures: ends, repetitions: reps }] : frames;
}

export function pcapCount(spec: Spec): number {
  return spec.traffic.pcaps ? spec.traffic.pcaps.length : spec.traffic.files;
}

/** Reasons that hold on every testbed. */
function intrinsicSkip(t: PlanTrial): string | null {
  if (t.store === 'hashmap' && t.location === 'remote') return 'hashmap lives inside the NF process: it has no remote location';
  if (t.measure && t.testbed !== 'netns') return 'iperf and RTT trials run between the end hosts of testbed netns (client and server namespaces beside the NF)';
  if (t.measure && t.nf === 'testpmd') return 'iperf and RTT trials run a flexbench NF on the end hosts\' path (testpmd has no interface port there)';
  return null;
}

/**
 * Most trials one run may plan: a day of trials at 4 s each, and a run.json of a few tens of MB
 * (trials.jsonl is rewritten after every trial). A bigger study is several specs.
 */
export const MAX_TRIALS = 20_000;

/** Trials expandPlan would make, counted without making them (a matrix may multiply to billions). */
export function countTrials(spec: Spec): number {
  const m = spec.matrix;
  const perCell = m.cores.length * trialGroups(spec).reduce((n, g) => n + g.measures.length * g.repetitions, 0) * pcapCount(spec);
  let cells = m.nfs.filter((nf) => !traitsOf(nf).stateful).length;
  const stores = m.stores.filter((s) => s !== 'none').length;
  for (const nf of m.nfs) {
    const t = traitsOf(nf);
    if (t.stateful) cells += stores * m.locations.length * (t.fixedMode ? 1 : m.modes.filter((x) => t.modes.includes(x)).length);
    if (t.stateful && t.native && m.stores.includes('none')) cells += 1;
  }
  return cells * perCell;
}

export function expandPlan(spec: Spec, opts: PlanOptions = {}): PlanTrial[] {
  const m = spec.matrix;
  // validation refuses such specs with their position; this guards every other way in
  const n = countTrials(spec);
  if (n > MAX_TRIALS) throw new FlexbenchError(`the plan has ${n.toLocaleString('en-US')} trials, more than the ${MAX_TRIALS.toLocaleString('en-US')} one run may hold`, EXIT.usage);
  const files = pcapCount(spec);
  const groups = trialGroups(spec);
  const out: PlanTrial[] = [];
  const push = (nf: string, store: string, location: string, mode: string) => {
    for (const cores of m.cores) {
      for (const { frame_size, measures, repetitions } of groups) {
        for (let p = 0; p < files; p++) {
          for (let r = 0; r < repetitions; r++) {
            for (const measure of measures) {
              const t: PlanTrial = {
                trial_id: '', index: out.length, nf, store, location, mode, cores,
                frame_size, testbed: spec.testbed, pcap_index: p, repetition: r, skip: null,
                ...(measure ? { measure } : {}),
              };
              t.trial_id = trialId(t, m.frame_sizes !== undefined);
              t.skip = intrinsicSkip(t) ?? opts.skipReason?.(t) ?? null;
              out.push(t);
            }
          }
        }
      }
    }
  };
  // NFs without FlexState (testpmd, macswap) run once, store-less, whatever the store/location/mode axes say.
  for (const nf of m.nfs) if (!traitsOf(nf).stateful) push(nf, 'none', 'local', 'none');
  const stateful = m.nfs.filter((n) => traitsOf(n).stateful);
  // store none for an NF that runs Native (StatelessNF's: no store, its state only in its own tables): one store-less cell
  if (m.stores.includes('none')) for (const nf of stateful) if (traitsOf(nf).native) push(nf, 'none', 'local', 'none');
  for (const store of m.stores) {
    if (store === 'none') continue;
    for (const location of m.locations) {
      for (const nf of stateful) {
        const fixed = traitsOf(nf).fixedMode;
        for (const mode of fixed ? [fixed] : m.modes.filter((x) => traitsOf(nf).modes.includes(x))) push(nf, store, location, mode);
      }
    }
  }
  return out;
}

// Measured on the local testbed (2 cores, core-sweep, 2026-12-05): 48 trials of 1 s warm-up + 1 s
// window took 2.9 s each on hashmap, 3.3 s on Redis, 5.9 s on Cassandra (its reset drops keyspaces);
// Cassandra took 10-20 s to answer CQL once its jars were cached.
/** Seconds a trial occupies beyond its warm-up and measured window (process start, stats, stop). */
export const TRIAL_OVERHEAD_S = 1;
/**
 * Seconds an end-host test takes beyond its traffic on an NF already up: the server end listening, iperf3's handshakes,
 * two samples (statelessnf's default, 2026-12-06: 2 s iperf3 tests 2.03-2.15 s, the echo's 1 s and 50 pings 1.45 s).
 */
export const ENDPOINT_OVERHEAD_S = 0.25;
/**
 * Seconds to start and stop the NF of a group of end-host tests (a cell's, of one repetition: Testbed.openEndpoints),
 * paid once a group: started over SSH until it answers a sample, stopped for its totals (the same run: a group's first
 * test 1.0-1.4 s longer than one in its middle, Redis's reset included; its last 0.4-0.5 s).
 */
export const ENDPOINT_NF_S = 1.5;
/**
 * Seconds to empty a store between trials, by label (redis-cluster: a node the last trial killed started again and
 * resynced first; cassandra-cluster: the killed node healed, then the instances creating their keyspaces on the ring
 * at QUORUM — failover-ring.yaml measured 56-74 s a trial around a 23 s window, its ETA at 12 s said 2m54s for 4m55s).
 */
export const STORE_RESET_S: Record<string, number> = { redis: 0.5, 'redis-cluster': 2, cassandra: 3, 'cassandra-cluster': 40 };
/** Seconds to start a store server, by label (first start, jars already fetched). */
export const STORE_START_S: Record<string, number> = { redis: 1, 'redis-cluster': 2.5, cassandra: 20, 'cassandra-cluster': 30 };

/**
 * Trials an NDR/PDR search of one goal typically needs (measured: 6-20 per search of two goals against
 * ratelimit and NAT on this host); the estimate, not a bound (max_trials is the bound).
 */
export const SEARCH_TRIALS_PER_GOAL = 8;

/**
 * Seconds a search trial takes beyond its warm-up and phase when the cell's NF and generator stay up (two-node
 * testbeds with generator flexbench, Testbed.openPaced): the generator's two drains and the NF's settling; no store
 * reset (once per cell). Measured on netns: 1.15 s a trial for 0.2 + 0.5 s of traffic.
 */
export const RESIDENT_TRIAL_OVERHEAD_S = 0.45;

/** Whether a spec's searches run in a session kept up per cell (what the estimate can know from the spec alone). */
function residentSearch(spec: Spec): boolean {
  return (spec.testbed === 'netns' || spec.testbed === 'lab') && (spec.inventory as { generator?: unknown } | undefined)?.generator === 'flexbench';
}

/** Estimated seconds of a plan trial (warm-up, window, overhead, the reset of its store before it), its search and latency trials included. */
export function trialSeconds(spec: Spec, t: Pick<PlanTrial, 'store'> & { measure?: PlanTrial['measure'] }): number {
  const reset = STORE_RESET_S[t.store] ?? 0;
  const e = spec.endpoints;
  // end-host trials: a group's NF starts and stops once and its store is emptied once (its share here, each of the
  // group's tests the same); the server end starts per test; an RTT trial is its stream and its pings
  const group = e ? (ENDPOINT_NF_S + reset) / e.tests.length : 0;
  if (e && t.measure === 'rtt') return e.rtt_packets / e.rtt_rate + e.ping_packets * 0.002 + ENDPOINT_OVERHEAD_S + group;
  if (e && t.measure) return spec.traffic.warmup_s + spec.traffic.duration_s + ENDPOINT_OVERHEAD_S + group;
  let s = spec.traffic.warmup_s + spec.traffic.duration_s + TRIAL_OVERHEAD_S + reset;
  const m = measurePlan(spec);
  if (m.ndr_pdr) {
    // a session: its processes start and stop once a cell (one trial's overhead), each trial then only sends and reads
    const resident = residentSearch(spec);
    if (resident) s += TRIAL_OVERHEAD_S;
    const perTrial = m.ndr_pdr.warmup_s + (resident ? RESIDENT_TRIAL_OVERHEAD_S : TRIAL_OVERHEAD_S + reset);
    for (const g of m.ndr_pdr.goals) s += SEARCH_TRIALS_PER_GOAL * perTrial + (SEARCH_TRIALS_PER_GOAL / 2) * (g.initial_trial_duration + g.final_trial_duration) + Math.max(0, g.duration_sum - g.final_trial_duration);
  }
  if (m.latency) s += m.latency.loads.length * (m.latency.calibrate ? 2 : 1) * (m.latency.warmup_s + m.latency.duration_s + TRIAL_OVERHEAD_S + reset);
  return s;
}

/** Estimated seconds to start the store servers the given trials need (each once: they stay up for the run). */
export function storeStartSeconds(trials: readonly PlanTrial[]): number {
  return serversNeeded(trials).reduce((s, g) => s + (STORE_START_S[g.store] ?? 0), 0);
}

/** Estimated seconds for the runnable trials of a plan, store start-ups included. */
export function estimateSeconds(spec: Spec, plan: readonly PlanTrial[]): number {
  const run = plan.filter((t) => !t.skip);
  return run.reduce((s, t) => s + trialSeconds(spec, t), 0) + storeStartSeconds(run);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}
