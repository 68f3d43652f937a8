// One measurement between two end hosts through an NF: iperf3 TCP or UDP with parallel streams
// (StatelessNF's Table 2), or the round trip (Table 3: a UDP echo stream of minimum-size datagrams, and
// ping beside it). The server end starts first and is known to listen before the client starts; both
// are ended when the measurement is (nothing outlives it). The NF itself is the caller's.
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { shellJoin, type Host, type HostProcess } from '../hosts/host.js';
import { sleep } from '../../common/processes.js';
import { iperfClientArgv, iperfServerArgv, parseIperfJson, iperfFailure, type IperfResult } from './iperf.js';
import { summarizeRtt, parsePing, rttFailure, type RttSummary } from './rtt.js';
import { MIN_UDP_PAYLOAD } from './udp-echo.js';

export const ENDPOINT_TESTS = ['tcp', 'udp', 'rtt'] as const;
export type EndpointTestKind = (typeof ENDPOINT_TESTS)[number];

export interface EndpointTestOptions {
  streams: number;
  seconds: number;
  omit: number;
  udpBitrate: number;
  udpLength: number;
  rttPackets: number;
  rttRate: number;
  pingPackets: number;
  /** iperf3's port, the echo's is port + 1 */
  port: number;
}

/** Where the two ends run: argv wrappers into their namespaces (or over SSH), and their addresses. */
export interface EndHosts {
  host: Host;
  inClient(argv: string[]): string[];
  inServer(argv: string[]): string[];
  serverAddress: string;
  clientAddress: string;
  /** `node bin/flexbench.js` as the end hosts run it (the echo) */
  flexbench: string[];
}

export interface EndpointMeasurement {
  test: EndpointTestKind;
  iperf: IperfResult | null;
  rtt: RttSummary | null;
  ping: RttSummary | null;
  commands: string[];
}

interface Ctx {
  h: EndHosts;
  signal: AbortSignal;
  log: (line: string) => void;
  started: HostProcess[];
}

function spawnLogged(c: Ctx, who: 'client' | 'server', argv: string[]): HostProcess {
  c.log(`# ${new Date().toISOString()} ${who}$ ${shellJoin(argv)}\n`);
  const p = c.h.host.spawn(argv, { signal: c.signal, onStderr: (s) => c.log(s.split('\n').filter(Boolean).map((l) => `[${who}] ${l}\n`).join('')) });
  c.started.push(p);
  return p;
}

/** Waits until something in the server's namespace listens on the port (iperf3 -s --json prints nothing until it ends). */
async function awaitListening(c: Ctx, proto: 'tcp' | 'udp', port: number, server: HostProcess, ms: number): Promise<void> {
  const end = Date.now() + ms;
  let exited = false;
  void server.done.then(() => (exited = true));
  for (;;) {
    const r = await c.h.host.exec(c.h.inServer(['ss', '-Hn', proto === 'tcp' ? '-lt' : '-lu', `sport = :${port}`]), { allowFailure: true });
    if (r.code === 0 && r.stdout.trim()) return;
    if (exited) {
      const d = await server.done;
      throw new FlexbenchError(`the server end exited before listening (${d.signal ?? `code ${d.code}`}): ${(d.stderr || d.stdout).trim().slice(-300)}`, EXIT.trialsFailed);
    }
    if (Date.now() > end) throw new FlexbenchError(`the server end did not listen on ${proto} port ${port} within ${ms / 1000} s`, EXIT.trialsFailed);
    await sleep(50, c.signal);
  }
}

const iperfArgv = (h: EndHosts, proto: 'tcp' | 'udp', o: EndpointTestOptions) => ({
  server: h.inServer(iperfServerArgv({ bind: h.serverAddress, port: o.port })),
  client: h.inClient(iperfClientArgv({ proto, server: h.serverAddress, port: o.port, streams: o.streams, seconds: o.seconds, omit: o.omit, udpBitrate: o.udpBitrate, udpLength: o.udpLength, bind: h.clientAddress })),
});

const rttArgv = (h: EndHosts, o: EndpointTestOptions) => ({
  server: h.inServer([...h.flexbench, 'echo', 'serve', '--bind', h.serverAddress, '--port', String(o.port + 1), '--duration', '600']),
  probe: h.inClient([...h.flexbench, 'echo', 'probe', '--to', h.serverAddress, '--port', String(o.port + 1), '--bind', h.clientAddress, '--count', String(o.rttPackets), '--rate', String(o.rttRate), '--size', String(MIN_UDP_PAYLOAD), '--json', '--samples']),
  ping: h.inClient(['ping', '-n', '-c', String(o.pingPackets), '-i', '0.002', '-s', '18', '-W', '1', h.serverAddress]),
});

/** The commands a test runs, in order (--dry-run). */
export function endpointTestCommands(h: EndHosts, test: EndpointTestKind, o: EndpointTestOptions): string[] {
  if (test === 'rtt') {
    const a = rttArgv(h, o);
    return [`server$ ${shellJoin(a.server)}`, `client$ ${shellJoin(a.probe)}`, ...(o.pingPackets > 0 ? [`client$ ${shellJoin(a.ping)}`] : [])];
  }
  const a = iperfArgv(h, test, o);
  return [`server$ ${shellJoin(a.server)}`, `client$ ${shellJoin(a.client)}`];
}

async function runIperf(c: Ctx, proto: 'tcp' | 'udp', o: EndpointTestOptions): Promise<{ r: IperfResult; commands: string[] }> {
  const { server: sArgv, client: cArgv } = iperfArgv(c.h, proto, o);
  const server = spawnLogged(c, 'server', sArgv);
  await awaitListening(c, 'tcp', o.port, server, 10_000); // iperf3's control connection is TCP for both protocols
  c.log(`# ${new Date().toISOString()} client$ ${shellJoin(cArgv)}\n`);
  // bounded: a path that drops the control connection's end would leave iperf3 waiting for ever
  const done = await c.h.host.exec(cArgv, { signal: c.signal, allowFailure: true, timeoutMs: (o.seconds + o.omit + 30) * 1000 });
  if (c.signal.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);
  await server.kill(2000);
  c.log(done.stdout.length > 20_000 ? `${done.stdout.slice(0, 20_000)}\n[client] …\n` : done.stdout);
  const r = parseIperfJson(done.stdout);
  const why = iperfFailure(r, { streams: o.streams, seconds: o.seconds });
  if (why) throw new FlexbenchError(why, EXIT.trialsFailed);
  return { r, commands: [`server$ ${shellJoin(sArgv)}`, `client$ ${shellJoin(cArgv)}`] };
}

async function runRtt(c: Ctx, o: EndpointTestOptions): Promise<{ rtt: RttSummary; ping: RttSummary | null; commands: string[] }> {
  const port = o.port + 1;
  const { server: sArgv, probe: pArgv, ping: gArgv } = rttArgv(c.h, o);
  const server = spawnLogged(c, 'server', sArgv);
  try {
    await awaitListening(c, 'udp', port, server, 15_000);
    c.log(`# ${new Date().toISOString()} client$ ${shellJoin(pArgv)}\n`);
    const p = await c.h.host.exec(pArgv, { signal: c.signal, allowFailure: true, timeoutMs: (o.rttPackets / o.rttRate + 30) * 1000 });
    if (c.signal.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);
    let j: { sent: number; samples_us: (number | null)[] };
    try {
      j = JSON.parse(p.stdout.trim().split('\n').pop() ?? '');
    } catch {
      throw new FlexbenchError(`echo probe printed no result (${(p.stderr || p.stdout).trim().slice(-300)})`, EXIT.trialsFailed);
    }
    const rtt = summarizeRtt('udp_echo', j.sent, j.samples_us.map((x) => (x === null ? NaN : x)));
    c.log(`[client] udp echo: ${JSON.stringify(rtt)}\n`);
    const why = rttFailure(rtt);
    if (why) throw new FlexbenchError(`${why} (through the NF: are both directions forwarded?)`, EXIT.trialsFailed);
    const commands = [`server$ ${shellJoin(sArgv)}`, `client$ ${shellJoin(pArgv)}`];
    let ping: RttSummary | null = null;
    if (o.pingPackets > 0) {
      // ICMP beside the UDP echo: what an NF that passes ICMP untranslated adds (or not) to a round trip
      c.log(`# ${new Date().toISOString()} client$ ${shellJoin(gArgv)}\n`);
      const g = await c.h.host.exec(gArgv, { signal: c.signal, allowFailure: true, timeoutMs: (o.pingPackets * 0.01 + 15) * 1000 });
      const pp = parsePing(g.stdout);
      ping = summarizeRtt('ping', pp.sent, pp.rtt_us);
      c.log(`[client] ping: ${JSON.stringify(ping)}\n`);
      commands.push(`client$ ${shellJoin(gArgv)}`);
    }
    return { rtt, ping, commands };
  } finally {
    await server.kill(2000);
  }
}

/** Runs one test between the end hosts; throws (a failed trial) when it measured nothing. */
export async function runEndpointTest(h: EndHosts, test: EndpointTestKind, o: EndpointTestOptions, signal: AbortSignal, log: (s: string) => void): Promise<EndpointMeasurement> {
  const c: Ctx = { h, signal, log, started: [] };
  try {
    if (test === 'rtt') {
      const r = await runRtt(c, o);
      return { test, iperf: null, rtt: r.rtt, ping: r.ping, commands: r.commands };
    }
    const r = await runIperf(c, test, o);
    return { test, iperf: r.r, rtt: null, ping: null, commands: r.commands };
  } finally {
    await Promise.all(c.started.map((p) => p.kill(2000).catch(() => undefined)));
  }
}
