// The round-trip generator (`flexbench gen`): on node1 of a two-node testbed it paces a capture onto an
// interface at a given rate, stamps every Nth packet with its send time, and receives what the NF on
// node2 sends back on the same port, so loss and latency are those of the whole round trip (wire or
// veth out, the NF, back), timed on one clock. A trial is a warm-up, a gap that lets it drain, the
// measured phase and a drain: packets are counted per phase, so what the NF lost while warming up (cold
// flow table, a store connecting) is not the measured phase's loss (FD.io CSIT's separate warm-up trial).
//
// One thread, busy-polling: it sends what is due (rate x elapsed - sent, at least one packet: evenly
// spaced at low rates, not bursts of 32; or, with `burst`, only once that many are due, as a NIC's
// generator sends back to back, so that a kernel port pays its per-call cost once a burst) and then
// takes whatever came back. No allocation per packet:
// the capture's frames are views made once, stamps are typed-array writes.
import { performance } from 'node:perf_hooks';
import { FlexbenchError, EXIT } from '../../common/errors.js';
import { readPcap, type PcapFrames } from './pcap.js';
import { ETHERTYPE_IPV4 } from './inet.js';
import { StampScratch, readStamp, stampProblem, writeStamp } from './stamp.js';
import { LatencyRecorder, mergeLatency } from './latency.js';
import type { SenderPort } from './port.js';
import type { RoundTripResult } from './roundtrip-result.js';

export interface RoundTripOptions {
  /** the capture to send, in order, looping */
  input: string;
  /** packets per second; 'max' sends as fast as the port takes them (unpaced) */
  rate: number | 'max';
  warmupS: number;
  durationS: number;
  /** stamp every Nth packet of the measured phase (0 = no latency) */
  latencyEvery: number;
  /** after each phase, how long to keep receiving before counting it done, ms */
  drainMs: number;
  /** paced: wait until this many packets are due and send them together (1: each as soon as it is due) */
  burst?: number;
}

interface PhaseCounts {
  intended: number;
  sent: number;
  txFull: number;
  received: number;
  /** returns the generator's own port dropped (its receive ring full): lost on node1, not by the NF */
  rxMissed: number;
  seconds: number;
}

/** The capture a round trip sends, checked before any port is opened (bad options are exit 2 with nothing started). */
export interface RoundTripCapture {
  frames: PcapFrames;
}

/** a paced phase's packets due this close to its end still go out when the loop first looks after the end */
const END_SLACK_MS = 2;

/**
 * Packets a paced phase sends now, `elapsedMs` into it: packet k is due at k / rate, so those due and
 * not yet released, once at least `burstOf` are (the phase's last burst goes out as it is); 0 to wait.
 * `ended` (the phase's time is up): its last short burst (fewer than `burstOf`, never due as a whole) goes
 * now, as the loop may first look only after the end, and so do the packets of the phase's last
 * END_SLACK_MS (a loop descheduled just before the end, as on a busy CPU, is late, not behind); a generator
 * behind by more than both sends no more (its shortfall is its own, not made up late).
 */
export function pacedDue(elapsedMs: number, perMs: number, total: number, released: number, burstOf: number, ended = false): number {
  if (ended) {
    const left = total - released;
    return left < burstOf || left <= perMs * END_SLACK_MS ? left : 0;
  }
  const due = Math.min(total, Math.floor(elapsedMs * perMs) + 1) - released;
  return due >= burstOf || (due > 0 && released + due >= total) ? due : 0;
}

/** The options a trial runs with, checked (exit 2 with a sentence); a capture already read is checked for stamps too. */
export function checkRoundTripOptions(o: RoundTripOptions, frames?: PcapFrames): void {
  if (o.rate !== 'max' && !(o.rate > 0 && Number.isFinite(o.rate))) throw new FlexbenchError(`--rate must be positive packets per second or "max" (got ${o.rate})`, EXIT.usage);
  if (!(o.durationS > 0 && Number.isFinite(o.durationS))) throw new FlexbenchError(`--duration must be positive seconds (got ${o.durationS})`, EXIT.usage);
  if (!(o.warmupS >= 0 && Number.isFinite(o.warmupS))) throw new FlexbenchError(`--warmup must be seconds >= 0 (got ${o.warmupS})`, EXIT.usage);
  if (!(Number.isInteger(o.latencyEvery) && o.latencyEvery >= 0)) throw new FlexbenchError(`--latency-every must be an integer >= 0 (got ${o.latencyEvery})`, EXIT.usage);
  if (o.burst !== undefined && !(Number.isInteger(o.burst) && o.burst >= 1 && o.burst <= 1024)) throw new FlexbenchError(`--burst must be an integer from 1 to 1024 (got ${o.burst})`, EXIT.usage);
  if (frames) checkStamps(o, frames);
}

/** Options that stamp: every frame of the capture has room for the stamp (exit 2 with a sentence). */
function checkStamps(o: RoundTripOptions, frames: PcapFrames): void {
  const why = o.latencyEvery > 0 ? stampProblem(frames, o.input) : null;
  if (why) throw new FlexbenchError(why, EXIT.usage);
}

export function loadRoundTripCapture(o: RoundTripOptions): RoundTripCapture {
  // the options once, before the file is read; the stamps once it is
  checkRoundTripOptions(o);
  let frames: PcapFrames;
  try {
    frames = readPcap(o.input);
  } catch (e) {
    throw new FlexbenchError((e as Error).message, EXIT.usage);
  }
  checkStamps(o, frames);
  return { frames };
}

/**
 * Throws away what waits in the port's receive ring (returns of an earlier trial of a resident generator that came
 * back after its drain), so a trial counts only its own packets; gives up after `maxMs`. Returns how many.
 */
export function discardReceived(port: SenderPort, maxMs: number): number {
  const until = performance.now() + maxMs;
  let n = 0;
  for (;;) {
    const k = port.rx(port.burst.capacity);
    port.burst.count = 0;
    if (k <= 0) return n;
    n += k;
    if (performance.now() >= until) return n;
  }
}

export function runRoundTrip(port: SenderPort, o: RoundTripOptions, capture: RoundTripCapture = loadRoundTripCapture(o)): RoundTripResult {
  const frames = capture.frames;
  const u8 = port.burst.u8;
  const slot = port.burst.slotBytes;
  const n = frames.count;
  const views: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    if (frames.lengths[i] > slot) throw new FlexbenchError(`${o.input}: packet ${i + 1} has ${frames.lengths[i]} B; the port's frames hold ${slot} B`, EXIT.usage);
    views.push(frames.bytes.subarray(frames.offsets[i], frames.offsets[i] + frames.lengths[i]));
  }
  const lens = Int32Array.from({ length: n }, (_, i) => frames.lengths[i]);
  port.idleSleep = false;
  const scratch = new StampScratch();
  const rec = new LatencyRecorder();
  const epoch = performance.now();
  const burst = port.burst;
  let j = 0;
  let badStamps = 0;
  let rxOther = 0;

  // receives what came back; stamps count only at or after `since` (ms since epoch), i.e. the measured phase's own
  const receive = (since: number): number => {
    let got = 0;
    // drain what came back (up to 64 bursts a pass): a receiver that falls behind its sender loses the
    // returns in its own ring, which would read as the NF's loss
    for (let rounds = 0; rounds < 64; rounds++) {
      const k = port.rx(burst.capacity);
      if (k <= 0) break;
      const now = performance.now() - epoch;
      for (let i = 0; i < k; i++) {
        const off = burst.off[i];
        const len = burst.len[i];
        if (len < 34 || ((u8[off + 12] << 8) | u8[off + 13]) !== ETHERTYPE_IPV4) {
          rxOther++; // the node's own traffic (IPv6 ND, LLDP): not ours
          continue;
        }
        got++;
        if (since < 0) continue;
        const t = readStamp(u8, off, len, scratch);
        if (t !== t) continue;
        if (t < since || t > now) {
          if (t > now) badStamps++;
          continue;
        }
        rec.record(now - t);
      }
      burst.count = 0;
    }
    return got;
  };

  const phase = (seconds: number, stamp: boolean): PhaseCounts => {
    const perMs = o.rate === 'max' ? Infinity : o.rate / 1000;
    const missed0 = port.missed();
    const t0 = performance.now();
    const since = stamp ? t0 - epoch : -1;
    const every = stamp ? o.latencyEvery : 0;
    let untilStamp = every;
    let sent = 0;
    let released = 0;
    let txFull = 0;
    let received = 0;
    const endMs = seconds * 1000;
    // packet k is due at k / rate: ceil(rate x D) of them fall in the phase
    const total = perMs === Infinity ? Infinity : Math.ceil(endMs * perMs);
    const burstOf = o.burst ?? 1;
    let now = t0;
    for (;;) {
      now = performance.now();
      const el = now - t0;
      const ended = el >= endMs;
      if (ended && perMs === Infinity) break;
      let due = perMs === Infinity ? burst.capacity : pacedDue(el, perMs, total, released, burstOf, ended);
      // paced, the phase's last short burst still goes out after its end (left unsent it counted as the DUT's loss)
      if (ended && due === 0) break;
      if (due > 0) {
        if (due > 1024) due = 1024; // at most this many between two receive passes
        for (let k = 0; k < due; k++) {
          const at = port.txReserve();
          if (at < 0) {
            // the TX ring is full: paced, the generator fell behind (intended but never sent: lost);
            // unpaced, nothing was due, the port just takes no more for now
            if (perMs !== Infinity) txFull += due - k;
            break;
          }
          const len = lens[j];
          u8.set(views[j], at);
          if (every > 0 && --untilStamp === 0) {
            untilStamp = every;
            writeStamp(u8, at, len, performance.now() - epoch, scratch);
          }
          port.txCommit(len);
          if (++j === n) j = 0;
          sent++;
        }
        port.txFlush();
        released += due;
      }
      received += receive(since);
    }
    const seconds_ = (now - t0) / 1000;
    // drain: whatever is still on its way back belongs to this phase
    const drainUntil = performance.now() + o.drainMs;
    while (performance.now() < drainUntil) received += receive(since);
    const intended = perMs === Infinity ? sent + txFull : total;
    return { intended, sent, txFull, received, rxMissed: Math.max(0, port.missed() - missed0), seconds: seconds_ };
  };

  if (o.warmupS > 0) phase(o.warmupS, false);
  rec.reset();
  const m = phase(o.durationS, o.latencyEvery > 0);
  const lat = o.latencyEvery > 0 ? mergeLatency([rec.take(badStamps)]) : null;
  return {
    tool: 'flexbench gen',
    port: port.kind,
    rate_pps: o.rate === 'max' ? null : o.rate,
    paced: o.rate !== 'max',
    warmup_s: o.warmupS,
    duration_s: o.durationS,
    drain_ms: o.drainMs,
    intended_packets: m.intended,
    sent_packets: m.sent,
    tx_ring_full: m.txFull,
    received_packets: m.received,
    rx_missed: m.rxMissed,
    lost_packets: Math.max(0, m.intended - m.received),
    loss_ratio: m.intended > 0 ? Math.max(0, m.intended - m.received) / m.intended : 0,
    seconds: m.seconds,
    sent_pps: m.sent / m.seconds,
    received_pps: m.received / m.seconds,
    rx_other: rxOther,
    latency_every: o.latencyEvery,
    latency: lat,
  };
}
