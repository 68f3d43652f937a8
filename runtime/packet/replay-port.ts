// Ports over a core's packet ring: replay (loop over the ring as fast as the NF takes packets,
// like DPDK's net_pcap with infinite_rx) and offered load (take only what a pacing generator put
// on the wire; what did not fit was counted as missed by the generator).
import { performance } from 'node:perf_hooks';
import { burstOver, type Burst } from './burst.js';
import type { CoreRing } from './layout.js';
import type { Port } from './port.js';
import { StampScratch, readStamp, writeStamp } from './stamp.js';


/**
 * Shared counters between the offered-load generator and the ports, each on its own 128-byte
 * line (the generator and a port write different words; sharing a line would make them fight):
 * per queue q, Int32 `produced` (packets delivered, wrapping) at int32 index `line(q, 0)`, Int32
 * `consumed` (packets the port took, wrapping) at `line(q, 1)`, Float64 `missed` (packets that
 * found the queue full) at float64 index `line(q, 2) / 2`; the warm-up boundary at `line(q, 3)`:
 * Int32 `produced` when the warm-up ended, Float64 `missed` then at float64 index `line(q, 3) / 2 + 1`.
 * Int32 `done` (1 once the generator delivered its last packet) at `line(queues, 0)`; Int32 `warmSet`
 * (1 once the generator wrote every queue's boundary) at `line(queues, 1)`.
 *
 * Latency (optional): `stamps` holds one Float64 per descriptor of every queue (queue q's at
 * `q * ringSize`); the generator writes the time it put a sampled packet on the wire into the slot
 * of that packet's descriptor, the port moves it into the frame and clears the slot.
 */
export interface OfferedQueues {
  counters: SharedArrayBuffer;
  /** descriptors per queue (a NIC's rx ring size) */
  ringSize: number;
  /** Float64 per descriptor: a send time (ms since `epoch`) or 0; absent without latency sampling */
  stamps?: SharedArrayBuffer;
  /** performance.timeOrigin + performance.now() of the run's start, ms: every thread stamps relative to it */
  epoch?: number;
}

const LINE_INT32 = 32;
const FIELDS = 4;
/** int32 index of field f (0 produced, 1 consumed, 2 missed, 3 warm-up boundary) of queue q */
export function line(q: number, f: number): number {
  return (q * FIELDS + f) * LINE_INT32;
}
export function createOfferedQueues(queues: number, ringSize: number, latency = false): OfferedQueues {
  const q: OfferedQueues = { counters: new SharedArrayBuffer((queues * FIELDS + 2) * LINE_INT32 * 4), ringSize };
  if (latency) {
    q.stamps = new SharedArrayBuffer(queues * ringSize * 8);
    q.epoch = performance.timeOrigin + performance.now();
  }
  return q;
}
/** index of the `done` word */
export function doneIndex(queues: number): number {
  return line(queues, 0);
}
/** index of the `warmSet` word */
export function warmSetIndex(queues: number): number {
  return line(queues, 1);
}
/** float64 index of queue q's missed count at the warm-up boundary */
export function warmMissedIndex(q: number): number {
  return line(q, 3) / 2 + 1;
}

export class RingPort implements Port {
  readonly burst: Burst;
  readonly kind: string;
  private readonly u8: Uint8Array;
  private readonly lens: Int32Array;
  private readonly hashes: Uint32Array;
  /** per-packet RSS hash of the current burst, as a NIC reports it */
  readonly rssHash: Uint32Array;
  private readonly stride: number;
  private readonly burstBase: number;
  private pos = 0;
  private readonly words?: Int32Array;
  private readonly missedArr?: Float64Array;
  private readonly pIdx: number = 0;
  private readonly cIdx: number = 0;
  private readonly dIdx: number = 0;
  private taken = 0;
  // warm-up boundary: the port takes no packet past it until the worker saw the window open
  private readonly wsIdx: number = 0;
  private boundary = 0;
  private boundaryKnown = false;
  // latency: descriptor stamps, this queue's slot of the next packet, and the stamped packets of this burst
  private readonly stamps?: Float64Array;
  private readonly stampBase: number = 0;
  private readonly ringSize: number = 0;
  private slot = 0;
  private readonly stamped: Int32Array;
  private nStamped = 0;
  private readonly epoch: number = 0;
  private readonly scratch = new StampScratch();
  /** latency sink: called with the latency of each stamped packet sent, ms (set by the worker) */
  onLatency: ((ms: number) => void) | null = null;
  /** stamps that came back broken (the NF rewrote the payload): the measurement cannot be trusted */
  badStamps = 0;

  constructor(private readonly ring: CoreRing, burstSize: number, offered?: OfferedQueues, queues = 1) {
    if (ring.count === 0) throw new Error(`core ${ring.core} received no packets of the capture`);
    this.kind = offered ? 'offered' : 'replay';
    this.stride = ring.stride;
    this.burstBase = ring.count * ring.stride;
    this.burst = burstOver(ring.data, this.burstBase, ring.stride, burstSize);
    this.u8 = this.burst.u8;
    this.lens = new Int32Array(ring.lens);
    this.hashes = new Uint32Array(ring.hashes);
    this.rssHash = new Uint32Array(burstSize);
    this.stamped = new Int32Array(burstSize);
    if (offered) {
      this.words = new Int32Array(offered.counters);
      this.missedArr = new Float64Array(offered.counters);
      this.pIdx = line(ring.core, 0);
      this.cIdx = line(ring.core, 1);
      this.dIdx = doneIndex(queues);
      this.wsIdx = warmSetIndex(queues);
      if (offered.stamps) {
        this.stamps = new Float64Array(offered.stamps);
        this.ringSize = offered.ringSize;
        this.stampBase = ring.core * offered.ringSize;
        this.epoch = offered.epoch!;
      }
    }
  }

  /**
   * Offered load with a warm-up: true once this queue took every packet the generator had delivered
   * when the warm-up ended (the measured window starts exactly there, packet for packet).
   */
  windowOpen(): boolean {
    if (!this.boundaryKnown && !this.pollBoundary()) return false;
    if (((this.taken - this.boundary) | 0) < 0) return false;
    this.windowSeen = true;
    return true;
  }
  private windowSeen = false;

  /** Set by a worker measuring after a warm-up: rx() then never takes a packet past the boundary. */
  watchBoundary = false;

  private pollBoundary(): boolean {
    const words = this.words!;
    if (Atomics.load(words, this.wsIdx) !== 1) return false;
    this.boundary = Atomics.load(words, line(this.ring.core, 3));
    this.boundaryKnown = true;
    return true;
  }

  rx(max: number): number {
    let want = max;
    const words = this.words;
    if (words !== undefined) {
      const avail = (Atomics.load(words, this.pIdx) - this.taken) | 0;
      if (avail <= 0) return Atomics.load(words, this.dIdx) === 1 && ((Atomics.load(words, this.pIdx) - this.taken) | 0) === 0 ? -1 : 0;
      if (avail < want) want = avail;
      if (this.watchBoundary && !this.windowSeen && (this.boundaryKnown || this.pollBoundary())) {
        // stop at the boundary: the worker opens the window there before the next packet is taken
        const left = (this.boundary - this.taken) | 0;
        if (left <= 0) return 0;
        if (left < want) want = left;
      }
    }
    const b = this.burst;
    const n = this.ring.count;
    const stride = this.stride;
    let pos = this.pos;
    let k = 0;
    while (k < want) {
      // one memmove per contiguous run of ring slots: no per-packet call or allocation
      const run = Math.min(want - k, n - pos);
      this.u8.copyWithin(this.burstBase + k * stride, pos * stride, (pos + run) * stride);
      for (let i = 0; i < run; i++) {
        b.len[k + i] = this.lens[pos + i];
        this.rssHash[k + i] = this.hashes[pos + i];
      }
      k += run;
      pos += run;
      if (pos === n) pos = 0;
    }
    this.pos = pos;
    b.count = want;
    if (this.stamps !== undefined) this.takeStamps(want);
    if (words !== undefined) {
      this.taken = (this.taken + want) | 0;
      Atomics.store(words, this.cIdx, this.taken);
    }
    return want;
  }

  /** Moves the descriptor stamps of the packets just received into their frames' last 12 bytes (checksum kept valid). */
  private takeStamps(n: number): void {
    const st = this.stamps!;
    const u8 = this.u8;
    const b = this.burst;
    let slot = this.slot;
    let m = 0;
    for (let k = 0; k < n; k++) {
      const i = this.stampBase + slot;
      const t = st[i];
      if (t !== 0) {
        st[i] = 0;
        writeStamp(u8, b.off[k], b.len[k], t, this.scratch);
        this.stamped[m++] = k;
      }
      if (++slot === this.ringSize) slot = 0;
    }
    this.slot = slot;
    this.nStamped = m;
  }

  tx(): number {
    // The wire is a sink (like net_null): count what the NF left in the burst.
    const b = this.burst;
    let sent = 0;
    for (let i = 0; i < b.count; i++) if (b.len[i] > 0) sent++;
    if (this.nStamped > 0) this.readStamps();
    return sent;
  }

  /** Latency of each stamped packet the NF sent: now minus the stamp read back from the frame. */
  private readStamps(): void {
    const b = this.burst;
    const now = performance.timeOrigin + performance.now() - this.epoch;
    for (let m = 0; m < this.nStamped; m++) {
      const k = this.stamped[m];
      const len = b.len[k];
      if (len <= 0) continue; // dropped by the NF: no latency
      const t = readStamp(this.u8, b.off[k], len, this.scratch);
      if (t !== t) {
        this.badStamps++;
        continue;
      }
      if (this.onLatency !== null) this.onLatency(now - t);
    }
    this.nStamped = 0;
  }

  missed(): number {
    return this.missedArr ? this.missedArr[line(this.ring.core, 2) / 2] : 0;
  }

  close(): void {}
}
