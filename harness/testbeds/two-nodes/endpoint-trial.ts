// One trial between end hosts (spec endpoints:, netns only): the flexbench NF on node2's end-host port
// (nat0) until it forwards, one test through it (iperf3 TCP or UDP with parallel streams, or the UDP
// echo's round trip: harness/tools/endpoint-tests.ts), then the NF stopped for its totals. The
// measurement is iperf3's or the echo's; the packet counts are the NF's over its whole run.
import type { WriteStream } from 'node:fs';
import { FlexbenchError, EXIT } from '../../exit-codes.js';
import { shellJoin, type Host, type HostProcess } from '../../hosts/host.js';
import type { EndpointsSpec, Spec } from '../../spec/schema.js';
import type { TrialMeasurement, TrialRequest } from '../testbed.js';
import { type ArgvContext, flexbenchNfArgv } from './argv.js';
import { parseNfProgress, nfRunFlags, parseNfRunOn, nfRunCounts, nfRunStats } from '../../tools/nf-run.js';
import { runEndpointTest, endpointTestCommands, type EndHosts, type EndpointTestKind, type EndpointTestOptions } from '../../tools/endpoint-tests.js';
import type { PlanTrial } from '../../results/format.js';
import { sleep } from '../../../common/processes.js';
import { KILL_GRACE_MS, nodeLog, writeStateConfig } from './trial.js';

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

/** Seconds an end-host trial's NF may run at most (the harness stops it sooner). */
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

/** The commands an end-host trial will run (--dry-run), without running anything. */
export function describeEndpointTrial(env: EndpointTrialEnv, t: PlanTrial): string[] {
  const nf = flexbenchNfArgv(env.argv, t, null, endpointMaxSeconds(env.endpoints, env.traffic, env.startTimeoutS), undefined, { iface: env.nfIface, nfArgs: endpointNfArgs(t.nf, env) });
  return [`node2$ ${shellJoin(nf)}`, ...endpointTestCommands(env.ends, TEST_OF[t.measure ?? '']!, testOptions(env))];
}

export async function runEndpointTrial(env: EndpointTrialEnv, req: TrialRequest, signal: AbortSignal, log: WriteStream, started: HostProcess[]): Promise<TrialMeasurement> {
  const t = req.trial;
  const test = TEST_OF[t.measure ?? ''];
  if (!test) throw new FlexbenchError(`trial ${t.trial_id} has no end-host test`, EXIT.trialsFailed);
  const node2 = env.node2;
  if (!node2) throw new FlexbenchError('node2 is not connected (preflight did not run)', EXIT.environment);
  const write = nodeLog(log);
  const storeUrl = req.store?.url ?? null;
  const stateConfig = await writeStateConfig(node2, env.secretsDir, t, req.store);
  const maxSeconds = endpointMaxSeconds(env.endpoints, env.traffic, env.startTimeoutS);
  const argv = flexbenchNfArgv(env.argv, t, storeUrl, maxSeconds, stateConfig, { iface: env.nfIface, nfArgs: endpointNfArgs(t.nf, env) });
  log.write(`# ${new Date().toISOString()} node2$ ${shellJoin(argv)}\n`);
  let ready = false;
  let tail = '';
  const proc = node2.spawn(argv, {
    signal,
    onStdout: write('node2'),
    onStderr: (c) => {
      write('node2')(c);
      tail += c;
      const lines = tail.split('\n');
      tail = lines.pop() ?? '';
      if (lines.some((l) => parseNfProgress(l))) ready = true;
    },
  });
  started.push(proc);
  let exited = false;
  void proc.done.then(() => (exited = true));
  const readyBy = Date.now() + env.startTimeoutS * 1000;
  while (!ready) {
    if (signal.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);
    if (exited) {
      const r = await proc.done;
      throw new FlexbenchError(`the NF on node2 exited before forwarding (${r.signal ?? `code ${r.code}`}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`, EXIT.trialsFailed);
    }
    if (Date.now() > readyBy) throw new FlexbenchError(`the NF on node2 showed no statistics within ${env.startTimeoutS} s`, EXIT.trialsFailed);
    await sleep(50, signal);
  }
  log.write(`# ${new Date().toISOString()} NF ready on ${env.nfIface}\n`);
  const measured = await runEndpointTest(env.ends, test, testOptions(env), signal, (s) => log.write(s));
  if (exited) throw new FlexbenchError('the NF on node2 stopped during the test; see the trial log', EXIT.trialsFailed);
  log.write(`# ${new Date().toISOString()} test done, stopping the NF with SIGTERM\n`);
  const r = await proc.kill(KILL_GRACE_MS * 2);
  if (signal.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);
  const j = parseNfRunOn('node2', r);
  const flags = nfRunFlags(j);
  return {
    ...nfRunCounts(j),
    commands: [`node2$ ${shellJoin(argv)}`, ...measured.commands],
    flags,
    endpoint: measured,
    nf_stats: nfRunStats(j),
  };
}
