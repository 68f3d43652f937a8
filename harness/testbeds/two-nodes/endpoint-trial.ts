// The trials between end hosts (spec endpoints:, netns only): the flexbench NF on node2's end-host port (nat0),
// one `nf run --samples-on-stdin` kept up across a cell's tests of one repetition (the store emptied once before
// the first, as a search's session), and each test through it (iperf3 TCP or UDP with parallel streams, or the
// UDP echo's round trip: harness/tools/endpoint-tests.ts) between two samples of its counters. The measurement is
// iperf3's or the echo's; the packet counts are the NF's over the test (the difference of the two samples).
import type { WriteStream } from 'node:fs';
import { FlexbenchError, EXIT } from '../../exit-codes.js';
import { shellJoin, type Host } from '../../hosts/host.js';
import type { EndpointsSpec, Spec } from '../../spec/schema.js';
import type { PacedSessionEnd, StoreHandle, TrialMeasurement } from '../testbed.js';
import { type ArgvContext, flexbenchNfArgv } from './argv.js';
import { runEndpointTest, endpointTestCommands, type EndHosts, type EndpointTestKind, type EndpointTestOptions } from '../../tools/endpoint-tests.js';
import type { PlanTrial } from '../../results/format.js';
import { windowBetween } from '../resident.js';
import { writeStateConfig } from './trial.js';
import { NodeResidentNf } from './resident-trial.js';

export interface EndpointTrialEnv {
  argv: ArgvContext;
  /** null before the nodes are connected (--dry-run) */
  node2: Host | null;
  ends: EndHosts;
  /** the NF's port on node2 and what a NAT there translates */
  nfIface: string;
  pool: string;
  inside: string;
  endpoints: EndpointsSpec;
  traffic: Spec['traffic'];
  startTimeoutS: number;
  secretsDir: string;
}

const TEST_OF: Record<string, EndpointTestKind> = { iperf_tcp: 'tcp', iperf_udp: 'udp', rtt: 'rtt' };
/** iperf3's port on the server end (the echo takes the next one) */
const IPERF_PORT = 5201;

/** The NF's own flags on the end hosts' path: a NAT translates the client's net into the pool and drops what it cannot translate. */
export function endpointNfArgs(nf: string, e: Pick<EndpointTrialEnv, 'pool' | 'inside'> & { endpoints: Pick<EndpointsSpec, 'nat_timeout_s'> }): string[] {
  if (nf !== 'nat') return [];
  // pass: ICMP (ping) reaches the server untranslated and comes back over the server's route to the client's net
  return ['--nat-ips', e.pool, '--nat-inside', e.inside, '--nat-timeout', String(e.endpoints.nat_timeout_s), '--nat-other', 'pass'];
}

/** Seconds an end-host test may keep its NF up at most (the harness stops it sooner; a group's NF: this per test). */
export function endpointMaxSeconds(e: EndpointsSpec, traffic: Spec['traffic'], startTimeoutS: number): number {
  return startTimeoutS * 2 + traffic.warmup_s + traffic.duration_s + e.rtt_packets / e.rtt_rate + e.ping_packets * 0.01 + 60;
}

/** The options of the test from the spec: iperf3's window is traffic.duration_s, its omitted start traffic.warmup_s. */
function testOptions(env: Pick<EndpointTrialEnv, 'endpoints' | 'traffic'>): EndpointTestOptions {
  const e = env.endpoints;
  return {
    streams: e.streams, seconds: env.traffic.duration_s, omit: Math.round(env.traffic.warmup_s), udpBitrate: e.udp_bitrate, udpLength: e.udp_length,
    rttPackets: e.rtt_packets, rttRate: e.rtt_rate, pingPackets: e.ping_packets, port: IPERF_PORT,
  };
}

/** The NF's command line for a group of `tests` end-host tests (no store URL and state config: --dry-run). */
function endpointNfArgv(env: EndpointTrialEnv, t: PlanTrial, tests: number, storeUrl: string | null, stateConfig: string | undefined): string[] {
  const maxSeconds = endpointMaxSeconds(env.endpoints, env.traffic, env.startTimeoutS) * tests;
  return [...flexbenchNfArgv(env.argv, t, storeUrl, maxSeconds, stateConfig, { iface: env.nfIface, nfArgs: endpointNfArgs(t.nf, env) }), '--samples-on-stdin'];
}

/** The commands an end-host trial will run (--dry-run), without running anything: its group's NF, then its test. */
export function describeEndpointTrial(env: EndpointTrialEnv, t: PlanTrial): string[] {
  const nf = endpointNfArgv(env, t, env.endpoints.tests.length, null, undefined);
  return [`node2$ ${shellJoin(nf)}   (one NF for the cell's end-host tests of this repetition)`, ...endpointTestCommands(env.ends, TEST_OF[t.measure ?? '']!, testOptions(env))];
}

/**
 * One NF on the end hosts' path kept up across a group of end-host tests (a cell's, of one repetition): each test runs
 * between two samples of its counters. The NF that dies fails the test it was in and every later one with its exit
 * and last lines (NodeResidentNf's words), never an ok that measured nothing.
 */
export class EndpointNfSession {
  private n = 0;

  private constructor(private readonly env: EndpointTrialEnv, private readonly nf: NodeResidentNf, private readonly argv: string[], private readonly signal: AbortSignal) {}

  /** The group's NF up on the end-host port (its first sample answered), for `tests` tests at most. */
  static async open(env: EndpointTrialEnv, t: PlanTrial, store: StoreHandle | null, tests: number, signal: AbortSignal, log: WriteStream): Promise<EndpointNfSession> {
    const node2 = env.node2;
    if (!node2) throw new FlexbenchError('node2 is not connected (preflight did not run)', EXIT.environment);
    const stateConfig = await writeStateConfig(node2, env.secretsDir, t, store);
    const argv = endpointNfArgv(env, t, tests, store?.url ?? null, stateConfig);
    const nf = new NodeResidentNf({ node2, nfArgv: argv, log, signal });
    try {
      await nf.up(env.startTimeoutS);
    } catch (e) {
      await nf.stop(0).catch(() => undefined);
      throw e;
    }
    log.write(`# ${new Date().toISOString()} resident NF (pid ${nf.pid}) up on ${env.nfIface}\n`);
    return new EndpointNfSession(env, nf, argv, signal);
  }

  /** One test through the NF, written to the test's own log; its counts are the NF's between two samples around it. */
  async run(t: PlanTrial, log: WriteStream): Promise<TrialMeasurement> {
    const test = TEST_OF[t.measure ?? ''];
    if (!test) throw new FlexbenchError(`trial ${t.trial_id} has no end-host test`, EXIT.trialsFailed);
    if (this.nf.exited) throw new FlexbenchError(this.nf.exited, EXIT.trialsFailed);
    const n = ++this.n;
    const a = await this.nf.channel.sample(undefined, this.signal);
    log.write(`# ${new Date().toISOString()} test ${n} on the resident NF on node2 (pid ${this.nf.pid}): node2$ ${shellJoin(this.argv)}\n`);
    let measured;
    try {
      measured = await runEndpointTest(this.env.ends, test, testOptions(this.env), this.signal, (s) => log.write(s));
    } catch (e) {
      // a test that failed because its NF died fails with the NF's exit: one more sample finds out
      await this.nf.channel.sample(undefined, this.signal).catch(() => undefined);
      if (this.nf.exited && !this.signal.aborted) throw new FlexbenchError(this.nf.exited, EXIT.trialsFailed);
      throw e;
    }
    // the NF's own statistics at the test's end, over its life so far (the group's tests before this one too)
    const b = await this.nf.channel.sample(undefined, this.signal, true);
    const w = windowBetween(a, b);
    return {
      rx_packets: w.rx_packets, tx_packets: w.tx_packets, dropped: w.dropped, duration_s: w.duration_s, rx_pps: w.rx_pps, tx_pps: w.tx_pps, per_core: w.per_core,
      commands: [`node2$ ${shellJoin(this.argv)}`, ...measured.commands],
      flags: [],
      endpoint: measured,
      ...(b.nf ? { nf_stats: b.nf } : {}),
      resident: { nf_pid: this.nf.pid ?? -1, gen_pid: null, trial: n },
    };
  }

  /** The NF stopped: its --json's statistics and flags (state lost, its warnings), or why it has none. */
  close(): Promise<PacedSessionEnd> {
    return this.nf.stop(this.n);
  }
}
