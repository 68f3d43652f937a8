// Ports over a core's packet ring: replay (loop over the ring as fast as the NF takes packets,
// like DPDK's net_pcap with infinite_rx) and offered load (take only what a pacing generator put
// on the wire; what did not fit was counted as missed by the generator).
import { burstOver, type Burst } from './burst.js';
import type { CoreRing } from './layout.js';
import type { Port } from './port.js';

/**
 * Shared counters between the offered-load generator and the ports, each on its own 128-byte
 * line (the generator and a port write different words; sharing a line would make them fight):
 * per queue q, Int32 `produced` (packets delivered, wrapping) at int32 index `line(q, 0)`, Int32
 * `consumed` (packets the port took, wrapping) at `line(q, 1)`, Float64 `missed` (packets that
 * found the queue full) at float64 index `line(q, 2) / 2`; Int32 `done` (1 once the generator
 * delivered its last packet) at `line(queues, 0)`.
 */
export interface OfferedQueues {
  counters: SharedArrayBuffer;
  /** descriptors per queue (a NIC's rx ring size) */
  ringSize: number;
}

const LINE_INT32 = 32;
/** int32 index of field f (0 produced, 1 consumed, 2 missed) of queue q */
export function line(q: number, f: number): number {
  return (q * 3 + f) * LINE_INT32;
}
export function createOfferedQueues(queues: number, ringSize: number): OfferedQueues {
  return { counters: new SharedArrayBuffer((queues * 3 + 1) * LINE_INT32 * 4), ringSize };
}
/** index of the `done` word */
export function doneIndex(queues: number): number {
  return line(queues, 0);
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
    if (offered) {
      this.words = new Int32Array(offered.counters);
      this.missedArr = new Float64Array(offered.counters);
      this.pIdx = line(ring.core, 0);
      this.cIdx = line(ring.core, 1);
      this.dIdx = doneIndex(queues);
    }
  }

  rx(max: number): number {
    let want = max;
    const words = this.words;
    if (words !== undefined) {
      const avail = (Atomics.load(words, this.pIdx) - this.taken) | 0;
      if (avail <= 0) return Atomics.load(words, this.dIdx) === 1 && ((Atomics.load(words, this.pIdx) - this.taken) | 0) === 0 ? -1 : 0;
      if (avail < want) want = avail;
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
    if (words !== undefined) {
      this.taken = (this.taken + want) | 0;
      Atomics.store(words, this.cIdx, this.taken);
    }
    return want;
  }

  tx(): number {
    // The wire is a sink (like net_null): count what the NF left in the burst.
    const b = this.burst;
    let sent = 0;
    for (let i = 0; i < b.count; i++) if (b.len[i] > 0) sent++;
    return sent;
  }

  missed(): number {
    return this.missedArr ? this.missedArr[line(this.ring.core, 2) / 2] : 0;
  }

  close(): void {}
}
