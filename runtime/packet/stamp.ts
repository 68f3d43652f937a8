// The latency stamp in a frame's last 12 bytes ("FLXT" + Float64 ms since the sender's epoch), written
// so the frame stays valid: the L4 checksum is updated incrementally (RFC 1624, eqn. 3) over the bytes
// the stamp replaced, so the kernel, a veth peer, tshark or an NF that checks checksums accept it.
// A UDP checksum of 0 (IPv4: "no checksum", RFC 768) stays 0. No allocation: the caller owns the scratch.
import { ETH_HLEN, ETHERTYPE_IPV4, IPPROTO_TCP, IPPROTO_UDP, l4PayloadOffset } from './inet.js';
import type { PcapFrames } from './pcap.js';

/** "FLXT": marks the 12 bytes at a frame's end as a send stamp (magic, then a Float64 of ms since the epoch). */
export const STAMP_MAGIC = 0x54584c46;
/** bytes a stamp takes at the end of a frame */
export const STAMP_BYTES = 12;

/**
 * Why a capture cannot carry a stamp in every frame (the stamp takes a frame's last 12 bytes: they must
 * be L4 payload, never a header the NF reads), naming the first frame that has too little; null when all can.
 */
export function stampProblem(frames: PcapFrames, name: string): string | null {
  for (let i = 0; i < frames.count; i++) {
    const len = frames.lengths[i];
    const start = l4PayloadOffset(frames.bytes, frames.offsets[i], len);
    if (len - start < STAMP_BYTES) {
      return `${name}: packet ${i + 1} (${len} B in the capture) has ${Math.max(0, len - start)} B of payload after its headers; a latency stamp needs ${STAMP_BYTES} B (use larger frames, e.g. frame_size >= ${start + STAMP_BYTES + 4}, or UDP)`;
    }
  }
  return null;
}

/** Reusable bytes of one Float64 (one per port or generator; never shared between threads). */
export class StampScratch {
  readonly f64 = new Float64Array(1);
  readonly b = new Uint8Array(this.f64.buffer);
  /** the 12 bytes the stamp overwrites, kept for the checksum update */
  readonly old = new Uint8Array(STAMP_BYTES);
}

/**
 * Writes a stamp of `ms` into the last 12 bytes of the frame at `off` (length `len`) and fixes its
 * IPv4 TCP/UDP checksum for the change. Bytes past the IP datagram (Ethernet padding) are not in the
 * checksum and change nothing there.
 */
export function writeStamp(u8: Uint8Array, off: number, len: number, ms: number, s: StampScratch): void {
  const at = off + len - STAMP_BYTES;
  const old = s.old;
  for (let j = 0; j < STAMP_BYTES; j++) old[j] = u8[at + j];
  u8[at] = 0x46; // "FLXT", little-endian STAMP_MAGIC
  u8[at + 1] = 0x4c;
  u8[at + 2] = 0x58;
  u8[at + 3] = 0x54;
  s.f64[0] = ms;
  const f = s.b;
  for (let j = 0; j < 8; j++) u8[at + 4 + j] = f[j];
  fixL4Checksum(u8, off, len, at, old);
}

/** The stamp of the frame (ms since the sender's epoch), or NaN when its last 12 bytes carry none. */
export function readStamp(u8: Uint8Array, off: number, len: number, s: StampScratch): number {
  if (len < STAMP_BYTES) return NaN;
  const at = off + len - STAMP_BYTES;
  if (u8[at] !== 0x46 || u8[at + 1] !== 0x4c || u8[at + 2] !== 0x58 || u8[at + 3] !== 0x54) return NaN;
  const f = s.b;
  for (let j = 0; j < 8; j++) f[j] = u8[at + 4 + j];
  return s.f64[0];
}

/** One's-complement sum of bytes at [from, to) of the frame weighted by their parity from the L4 header at `l4`. */
function paritySum(bytes: Uint8Array, bytesBase: number, from: number, to: number, l4: number, frameAt: number): number {
  let sum = 0;
  for (let p = from; p < to; p++) {
    const v = bytes[bytesBase + p - frameAt];
    sum += ((p - l4) & 1) === 0 ? v << 8 : v;
  }
  return sum;
}

const fold = (x: number): number => {
  while (x > 0xffff) x = (x & 0xffff) + Math.floor(x / 0x10000);
  return x;
};

/** RFC 1624 eqn. 3 over the stamp's bytes: HC' = ~(~HC + ~m + m'). */
function fixL4Checksum(u8: Uint8Array, off: number, len: number, at: number, old: Uint8Array): void {
  if (len < ETH_HLEN + 20 || ((u8[off + 12] << 8) | u8[off + 13]) !== ETHERTYPE_IPV4) return;
  const ip = off + ETH_HLEN;
  if (u8[ip] >> 4 !== 4) return;
  // a fragment other than the first carries no L4 header; the first's checksum covers bytes we cannot see
  if ((((u8[ip + 6] << 8) | u8[ip + 7]) & 0x3fff) !== 0) return;
  const proto = u8[ip + 9];
  if (proto !== IPPROTO_UDP && proto !== IPPROTO_TCP) return;
  const l4 = ip + (u8[ip] & 0x0f) * 4;
  const ipEnd = Math.min(off + len, ip + ((u8[ip + 2] << 8) | u8[ip + 3]));
  const csumAt = l4 + (proto === IPPROTO_TCP ? 16 : 6);
  if (csumAt + 2 > off + len) return;
  // only the stamp's bytes inside the L4 payload count (never the checksum field itself: the payload is after it)
  const from = Math.max(at, csumAt + 2);
  const to = Math.min(at + STAMP_BYTES, ipEnd);
  if (from >= to) return;
  const hc = (u8[csumAt] << 8) | u8[csumAt + 1];
  if (proto === IPPROTO_UDP && hc === 0) return; // no checksum: nothing to keep right
  const m = fold(paritySum(old, 0, from, to, l4, at));
  const m2 = fold(paritySum(u8, at, from, to, l4, at));
  let c = ~fold((~hc & 0xffff) + (~m & 0xffff) + m2) & 0xffff;
  // UDP: a computed 0 is sent as 0xffff (0 means "none"); the two are the same one's-complement value
  if (proto === IPPROTO_UDP && c === 0) c = 0xffff;
  u8[csumAt] = c >> 8;
  u8[csumAt + 1] = c & 0xff;
}
