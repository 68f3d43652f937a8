// iperf3 as the harness drives it (StatelessNF's Table 2: TCP and UDP throughput through the NAT with
// parallel streams): the command lines of both ends, and the numbers read from the client's --json
// report. Pure: nothing is run here.
import { FlexbenchError, EXIT } from '../exit-codes.js';

export interface IperfOptions {
  proto: 'tcp' | 'udp';
  server: string;
  port: number;
  /** parallel streams (-P): each is a connection of its own, so a NAT mapping of its own */
  streams: number;
  /** seconds of traffic (-t) */
  seconds: number;
  /** seconds at the start left out of the totals (-O): slow start, ARP-free paths still settle */
  omit: number;
  /** UDP: total target bitrate in bit/s over all streams (iperf3's -b is per stream); 0 = unlimited */
  udpBitrate: number;
  /** UDP payload bytes (-l): 1472 makes a 1500-byte IP packet, the paper's size */
  udpLength: number;
  /** bind the client's source address */
  bind?: string;
  binary?: string;
}

export function iperfServerArgv(o: { bind: string; port: number; binary?: string }): string[] {
  // one test, then exit (-1): the server never outlives its trial
  return [o.binary ?? 'iperf3', '-s', '-1', '-B', o.bind, '-p', String(o.port), '--json'];
}

export function iperfClientArgv(o: IperfOptions): string[] {
  const a = [o.binary ?? 'iperf3', '-c', o.server, '-p', String(o.port), '-P', String(o.streams), '-t', String(o.seconds), '--json'];
  if (o.omit > 0) a.push('-O', String(o.omit));
  if (o.bind) a.push('-B', o.bind);
  if (o.proto === 'udp') {
    // -b is per stream: the total is split evenly
    const per = o.udpBitrate > 0 ? Math.max(1, Math.floor(o.udpBitrate / o.streams)) : 0;
    a.push('-u', '-b', String(per), '-l', String(o.udpLength));
  }
  return a;
}

/** What one iperf3 test measured (client report: sender totals and the server's receiver totals). */
export interface IperfResult {
  proto: 'tcp' | 'udp';
  streams: number;
  seconds: number;
  /** what arrived at the server, bit/s: the paper's throughput */
  received_bps: number;
  received_bytes: number;
  /** what the client sent, bit/s */
  sent_bps: number;
  sent_bytes: number;
  /** TCP: retransmitted segments; null for UDP */
  retransmits: number | null;
  /** UDP: datagrams lost on the way and out of the total; null for TCP */
  lost_packets: number | null;
  packets: number | null;
  lost_percent: number | null;
  jitter_ms: number | null;
  /** CPU share iperf3 reported on both ends (%), for the host-load note */
  cpu_local_pct: number | null;
  cpu_remote_pct: number | null;
  /** streams that carried nothing at the server (a mapping lost, a connection refused) */
  idle_streams: number;
}

interface Sum {
  seconds?: number;
  bytes?: number;
  bits_per_second?: number | null;
  retransmits?: number;
  lost_packets?: number;
  packets?: number;
  lost_percent?: number;
  jitter_ms?: number;
}

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/**
 * Reads a client's `iperf3 --json` output. An error iperf3 reports, or output that is not its JSON,
 * throws a FlexbenchError saying so; a test that ran but moved nothing is returned as measured (the
 * judge fails it).
 */
export function parseIperfJson(stdout: string): IperfResult {
  let j: { error?: string; start?: { test_start?: { protocol?: string; num_streams?: number; duration?: number } }; end?: Record<string, unknown> };
  try {
    j = JSON.parse(stdout.trim());
  } catch {
    throw new FlexbenchError(`iperf3 printed no JSON report (${stdout.trim().slice(0, 200) || 'nothing'})`, EXIT.trialsFailed);
  }
  if (j.error) throw new FlexbenchError(`iperf3: ${j.error}`, EXIT.trialsFailed);
  const end = j.end ?? {};
  const ts = j.start?.test_start ?? {};
  const proto = ts.protocol === 'UDP' ? 'udp' : 'tcp';
  const sent = (end.sum_sent ?? {}) as Sum;
  const recv = (end.sum_received ?? {}) as Sum;
  // UDP: `sum` is the sender's view with the server's loss count (iperf3 3.x); sum_received has the loss too in 3.12+
  const udpSum = (proto === 'udp' ? (end.sum_received as Sum | undefined) ?? (end.sum as Sum | undefined) : undefined) ?? {};
  const streams = Array.isArray(end.streams) ? (end.streams as { receiver?: Sum; udp?: Sum }[]) : [];
  // TCP streams carry the server's bytes; UDP streams the sender's datagrams and how many of them were lost
  const idle = streams.filter((s) => (s.receiver ? (num(s.receiver.bytes) ?? 0) <= 0 : (num(s.udp?.packets) ?? 0) - (num(s.udp?.lost_packets) ?? 0) <= 0)).length;
  const cpu = (end.cpu_utilization_percent ?? {}) as { host_total?: number; remote_total?: number };
  const seconds = num(recv.seconds) ?? num(sent.seconds) ?? num(ts.duration) ?? 0;
  return {
    proto,
    streams: num(ts.num_streams) ?? streams.length,
    seconds,
    received_bps: num(recv.bits_per_second) ?? 0,
    received_bytes: num(recv.bytes) ?? 0,
    sent_bps: num(sent.bits_per_second) ?? 0,
    sent_bytes: num(sent.bytes) ?? 0,
    retransmits: proto === 'tcp' ? num(sent.retransmits) : null,
    lost_packets: proto === 'udp' ? num(udpSum.lost_packets) : null,
    packets: proto === 'udp' ? num(udpSum.packets) : null,
    lost_percent: proto === 'udp' ? num(udpSum.lost_percent) : null,
    jitter_ms: proto === 'udp' ? num(udpSum.jitter_ms) : null,
    cpu_local_pct: num(cpu.host_total),
    cpu_remote_pct: num(cpu.remote_total),
    idle_streams: idle,
  };
}

/** "Nothing moved => not ok": the reason an iperf3 result is not a measurement, or null. */
export function iperfFailure(r: IperfResult, asked: { streams: number; seconds: number }): string | null {
  if (r.received_bytes <= 0 || r.received_bps <= 0) return `iperf3 ${r.proto}: nothing arrived at the server (${r.sent_bytes} bytes sent)`;
  if (r.seconds < asked.seconds * 0.5) return `iperf3 ${r.proto}: the test ran ${r.seconds.toFixed(2)} s of the ${asked.seconds} s asked`;
  if (r.streams !== asked.streams) return `iperf3 ${r.proto}: ${r.streams} stream(s) ran of the ${asked.streams} asked`;
  if (r.idle_streams > 0) return `iperf3 ${r.proto}: ${r.idle_streams} of ${r.streams} streams carried nothing (a connection the NF did not pass)`;
  return null;
}
