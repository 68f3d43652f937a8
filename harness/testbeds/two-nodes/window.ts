// Window arithmetic of a two-node trial: counters sampled on each tool's own clock, the measured window
// placed on the generator's, the NF's counters mapped onto it; what the generator was asked and whether
// it delivered. Pure functions, pinned by exact-value tests.
import { linePps } from '../../spec/schema.js';
import type { RoundTripResult } from '../../../runtime/packet/roundtrip-result.js';

/**
 * One sample of a counter pair. `at` is on the tool's own clock where it has one (testpmd: TSC time from
 * its per-block rates, see TestpmdClock; nf run: its t=), so neither SSH delays nor a starved printer
 * stretch the window; `arr` is when it reached us.
 */
export interface Sample {
  at: number;
  arr: number;
  rx: number;
  tx: number;
}

/**
 * Offset from a tool's clock to the harness clock: an upper bound of the true one, from its least delayed
 * sample (as NTP does: lines can arrive late and in bunches, a starved process, SSH buffering, never
 * early). Where every line arrives late (a starved testpmd's, 0.8 s and more measured) that bound is
 * loose; the generator's `returned` counts tighten it by causality: the generator cannot have got back
 * what the NF had not yet sent on, so an NF sample with fewer sent on (`tx`) than a generator sample had
 * returned was taken before that generator sample reached us. Returned packets beyond what the generator
 * sent (a peer kernel's own) are discounted as the samples show them.
 */
export function clockOffset(samples: readonly Sample[], returned: readonly Sample[] = []): number {
  let strays = 0;
  for (const r of returned) strays = Math.max(strays, r.rx - r.tx);
  let off = Infinity;
  let j = 0;
  for (const s of samples) {
    off = Math.min(off, s.arr - s.at);
    // counters only grow: the first generator sample past this NF sample's count is the tightest
    while (j < returned.length && returned[j].rx - strays <= s.tx) j++;
    if (j < returned.length) off = Math.min(off, returned[j].arr - s.at);
  }
  return off;
}

/** Counters at time t of the samples' own clock, linear between the samples around it; null outside. */
export function counterAt(samples: readonly Sample[], t: number): { rx: number; tx: number } | null {
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    if (t >= a.at - 1e-9 && t <= b.at + 1e-9) {
      const f = b.at === a.at ? 0 : (t - a.at) / (b.at - a.at);
      return { rx: a.rx + f * (b.rx - a.rx), tx: a.tx + f * (b.tx - a.tx) };
    }
  }
  return null;
}

/** Another tool's counters over [from, to] of the harness clock (its samples mapped by clockOffset, tightened by the generator's `returned` samples). */
export function alignedWindow(samples: readonly Sample[], from: number, to: number, returned: readonly Sample[] = []): { seconds: number; rx: number; tx: number } | null {
  if (samples.length < 2 || !(to > from)) return null;
  const off = clockOffset(samples, returned);
  const a = counterAt(samples, from - off);
  const b = counterAt(samples, to - off);
  if (!a || !b) return null;
  return { seconds: to - from, rx: b.rx - a.rx, tx: b.tx - a.tx };
}

/** Deltas between the last sample at or before `from` and the first at or after `to` (one clock). */
export function windowOf(samples: readonly Sample[], from: number, to: number): { a: Sample; b: Sample; seconds: number; rx: number; tx: number } | null {
  if (samples.length < 2) return null;
  let a = samples[0];
  for (const s of samples) if (s.at <= from + 0.05) a = s;
  const b = samples.find((s) => s.at >= to - 0.05 && s.at > a.at) ?? samples[samples.length - 1];
  if (b.at <= a.at) return null;
  return { a, b, seconds: b.at - a.at, rx: b.rx - a.rx, tx: b.tx - a.tx };
}

/**
 * The rate a trial asks of the generator, null where it asks none. "max" asks Pktgen for
 * `maxPercent` of line rate, so falling short of that is a shortfall too; testpmd as generator has
 * no rate to ask, so only "sent nothing" can be flagged for it.
 */
export function askedPps(rate: number | 'max', generator: 'testpmd' | 'pktgen' | 'flexbench', frameSize: number, linkGbps: number, maxPercent: number): number | null {
  if (rate !== 'max') return rate;
  return generator === 'pktgen' ? Math.round((linePps(frameSize, linkGbps) * maxPercent) / 100) : null;
}

/** Flags for a generator that did not offer what the trial asked (the trial's rate is then suspect). */
export function generatorFlags(sentPps: number, askedPps: number | null, tolerance: number): string[] {
  const flags: string[] = [];
  if (sentPps <= 0) flags.push('generator_sent_nothing');
  else if (askedPps !== null && sentPps < askedPps * (1 - tolerance)) {
    flags.push(`generator_shortfall: sent ${Math.round(sentPps)} pps of ${askedPps} asked (${((sentPps / askedPps) * 100).toFixed(1)}%)`);
  }
  return flags;
}

/** A flexbench gen round trip's flags: a generator that fell short, its full TX ring, its port's missed receives, bad latency stamps. */
export function roundTripFlags(g: RoundTripResult, tolerance: number): string[] {
  const flags = generatorFlags(g.sent_pps, g.paced ? g.rate_pps : null, tolerance);
  if (g.tx_ring_full > 0) flags.push(`generator_tx_ring_full: ${g.tx_ring_full} packets could not be sent (counted as lost)`);
  if (g.rx_missed > 0) flags.push(`generator_rx_missed: node1's port dropped ${g.rx_missed} returned packets (counted as lost: the generator fell behind receiving)`);
  if (g.latency && g.latency.bad_stamps > 0) flags.push(`latency_bad_stamps: ${g.latency.bad_stamps}`);
  return flags;
}

/** A round trip's counts as a trial measures them: rx what the generator offered the NF, tx what came back to node1 (the paper's measurement point). */
export function roundTripCounts(g: RoundTripResult, link: string) {
  return {
    rx_packets: g.sent_packets,
    tx_packets: g.received_packets,
    dropped: Math.max(0, g.sent_packets - g.received_packets),
    duration_s: g.seconds,
    rx_pps: g.sent_pps,
    tx_pps: g.received_pps,
    offered: { intended_packets: g.intended_packets, offered_packets: g.sent_packets, forwarded_packets: g.received_packets },
    latency: g.latency,
    latency_path: g.latency ? `round trip node1 -> ${link} -> NF on node2 -> back to node1 (generator port ${g.port.split(':')[0]}, one clock on node1)` : undefined,
  };
}
