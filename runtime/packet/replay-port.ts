// Ports over a core's packet ring: replay (loop over the ring as fast as the NF takes packets,
// like DPDK's net_pcap with infinite_rx) and offered load (take only what a pacing generator put
// on the wire; what did not fit was counted as missed by the generator).
import { burstOver, type Burst } from './burst.js';
import type { CoreRing } from './layout.js';
import type { Port } from './port.js';

/** Shared counters between the offered-load generator and the ports (one slot per queue). */
export interface OfferedQueues {
  /** Int32 per queue: packets the generator delivered (wrapping) */
  produced: SharedArrayBuffer;
  /** Int32 per queue: packets the port took (wrapping) */
  consumed: SharedArrayBuffer;
  /** Float64 per queue: packets that found the queue full */
  missed: SharedArrayBuffer;
  /** Int32[1]: 1 once the generator has delivered its last packet (bounded runs) */
  done: SharedArrayBuffer;
  /** descriptors per queue (a NIC's rx ring size) */
  ringSize: number;
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
  private readonly produced?: Int32Array;
  private readonly consumed?: Int32Array;
  private readonly missedArr?: Float64Array;
  private readonly done?: Int32Array;
  private taken = 0;

  constructor(private readonly ring: CoreRing, burstSize: number, offered?: OfferedQueues) {
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
      this.produced = new Int32Array(offered.produced);
      this.consumed = new Int32Array(offered.consumed);
      this.missedArr = new Float64Array(offered.missed);
      this.done = new Int32Array(offered.done);
    }
  }

  rx(max: number): number {
    let want = max;
    if (this.produced !== undefined) {
      const q = this.ring.core;
      const avail = (Atomics.load(this.produced, q) - this.taken) | 0;
      if (avail <= 0) return Atomics.load(this.done!, 0) === 1 && ((Atomics.load(this.produced, q) - this.taken) | 0) === 0 ? -1 : 0;
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
    if (this.consumed !== undefined) {
      this.taken = (this.taken + want) | 0;
      Atomics.store(this.consumed, this.ring.core, this.taken);
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
    return this.missedArr ? this.missedArr[this.ring.core] : 0;
  }

  close(): void {}
}
