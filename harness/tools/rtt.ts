// Round trips through an NF as numbers: the per-packet samples of the UDP echo or of ping, summarised
// as min/avg/median/p99/max in microseconds (Table 3 gives one mean per mode; the spread says how far
// that mean can be trusted). Pure.
import { mean, percentile } from '../results/stats.js';

export interface RttSummary {
  /** what measured it: udp_echo or ping */
  tool: string;
  sent: number;
  received: number;
  lost: number;
  min_us: number | null;
  avg_us: number | null;
  p50_us: number | null;
  p99_us: number | null;
  max_us: number | null;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

export function summarizeRtt(tool: string, sent: number, samplesUs: ArrayLike<number>): RttSummary {
  const xs: number[] = [];
  for (let i = 0; i < samplesUs.length; i++) if (Number.isFinite(samplesUs[i])) xs.push(samplesUs[i]);
  const has = xs.length > 0;
  return {
    tool,
    sent,
    received: xs.length,
    lost: Math.max(0, sent - xs.length),
    min_us: has ? r1(Math.min(...xs)) : null,
    avg_us: has ? r1(mean(xs)) : null,
    p50_us: has ? r1(percentile(xs, 50)) : null,
    p99_us: has ? r1(percentile(xs, 99)) : null,
    max_us: has ? r1(Math.max(...xs)) : null,
  };
}

/** iputils ping's per-reply lines ("... icmp_seq=3 ttl=63 time=0.123 ms") -> round trips in µs, and the count it sent. */
export function parsePing(stdout: string): { sent: number; rtt_us: number[] } {
  const rtt: number[] = [];
  for (const m of stdout.matchAll(/icmp_seq=\d+ .*?time=([\d.]+) ms/g)) rtt.push(Number(m[1]) * 1000);
  const t = /(\d+) packets transmitted/.exec(stdout);
  return { sent: t ? Number(t[1]) : rtt.length, rtt_us: rtt };
}

/** "Nothing came back => not ok": the reason an RTT measurement is not one, or null. */
export function rttFailure(r: RttSummary): string | null {
  if (r.sent === 0) return `${r.tool}: nothing was sent`;
  if (r.received === 0) return `${r.tool}: none of ${r.sent} probes came back`;
  return null;
}
