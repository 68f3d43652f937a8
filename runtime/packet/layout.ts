// Lays a capture out once into per-core packet rings (by RSS), so replay is a loop over typed arrays.
import type { PcapFrames } from './pcap.js';
import { IP_ALIGN, slotStride } from './burst.js';
import { Toeplitz, defaultReta, frameRssHash, queueOf } from './toeplitz.js';
import { FlexbenchError, EXIT } from '../../common/errors.js';

/** Most bytes of ring memory one NF run lays a capture out in (all cores together). */
export const MAX_RING_BYTES = 4 * 2 ** 30;

/** One core's share of the capture: packet k at `k * stride + IP_ALIGN` of `data`, burst slots after the ring. */
export interface CoreRing {
  core: number;
  /** packets in the ring (0 when RSS sent this core nothing) */
  count: number;
  stride: number;
  /** ring slots then `burstSize` burst slots */
  data: SharedArrayBuffer;
  /** Int32 frame length per ring packet */
  lens: SharedArrayBuffer;
  /** RSS hash per ring packet (what a NIC leaves in the mbuf) */
  hashes: SharedArrayBuffer;
}

export interface Layout {
  rings: CoreRing[];
  /** queue of each capture packet, in capture order (the offered-load generator walks this) */
  queueOfPacket: SharedArrayBuffer;
  packets: number;
  stride: number;
}

/** Splits frames over `cores` queues by Toeplitz RSS + redirection table and copies each into its ring. */
export function layoutRings(frames: PcapFrames, cores: number, burstSize: number, rss = new Toeplitz(), reta = defaultReta(cores)): Layout {
  const stride = slotStride(frames.maxLength);
  // every slot is as long as the longest frame: a few long frames among millions of short ones multiply
  const ringBytes = (frames.count + cores * burstSize) * stride;
  if (ringBytes > MAX_RING_BYTES) {
    throw new FlexbenchError(`a capture of ${frames.count} frames whose longest has ${frames.maxLength} bytes needs ${(ringBytes / 2 ** 30).toFixed(1)} GiB of rings (each slot holds the longest frame), more than ${MAX_RING_BYTES / 2 ** 30} GiB; use fewer frames, or keep long frames in their own capture`, EXIT.usage);
  }
  const queue = new Uint16Array(new SharedArrayBuffer(frames.count * 2));
  const counts = new Int32Array(cores);
  const hash = new Uint32Array(frames.count);
  for (let i = 0; i < frames.count; i++) {
    const h = frameRssHash(rss, frames.bytes, frames.offsets[i], frames.lengths[i]);
    hash[i] = h;
    const q = queueOf(reta, h);
    queue[i] = q;
    counts[q]++;
  }
  const rings: CoreRing[] = [];
  for (let c = 0; c < cores; c++) {
    rings.push({
      core: c,
      count: counts[c],
      stride,
      data: new SharedArrayBuffer((counts[c] + burstSize) * stride),
      lens: new SharedArrayBuffer(Math.max(1, counts[c]) * 4),
      hashes: new SharedArrayBuffer(Math.max(1, counts[c]) * 4),
    });
  }
  const fill = new Int32Array(cores);
  const u8s = rings.map((r) => new Uint8Array(r.data));
  const lens = rings.map((r) => new Int32Array(r.lens));
  const hashes = rings.map((r) => new Uint32Array(r.hashes));
  for (let i = 0; i < frames.count; i++) {
    const q = queue[i];
    const k = fill[q]++;
    const len = frames.lengths[i];
    u8s[q].set(frames.bytes.subarray(frames.offsets[i], frames.offsets[i] + len), k * stride + IP_ALIGN);
    lens[q][k] = len;
    hashes[q][k] = hash[i];
  }
  return { rings, queueOfPacket: queue.buffer as SharedArrayBuffer, packets: frames.count, stride };
}

/** Splits a total of n packets over the cores that have packets: deterministic, lower cores first. */
export function splitQuota(n: number, rings: { count: number }[]): number[] {
  const active = rings.map((r, i) => (r.count > 0 ? i : -1)).filter((i) => i >= 0);
  const q = rings.map(() => 0);
  if (active.length === 0) return q;
  const base = Math.floor(n / active.length);
  const extra = n % active.length;
  active.forEach((c, j) => (q[c] = base + (j < extra ? 1 : 0)));
  return q;
}
