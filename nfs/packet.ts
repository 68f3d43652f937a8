// Header access for NFs over a burst's word views (frames are IP-aligned: the IPv4 header is 32-bit aligned).
import type { Burst } from './types.js';

/** The burst's memory as int32 words (b.i32, or a view made once per buffer for ports without it). */
export class Int32Words {
  private u32: Uint32Array | null = null;
  private i32: Int32Array | null = null;

  of(b: Burst): Int32Array {
    if (b.i32 !== undefined) return b.i32;
    if (this.u32 !== b.u32) {
      this.u32 = b.u32;
      this.i32 = new Int32Array(b.u32.buffer, b.u32.byteOffset, b.u32.length);
    }
    return this.i32!;
  }
}

/** EtherType IPv4 as read through the little-endian u16 view. */
const ETH_IPV4_LE = 0x0008;
export const PROTO_TCP = 6;
const PROTO_UDP = 17;

/** The error for a port that breaks the burst contract (frames at off % 4 === 2). */
export function misaligned(b: Burst, i: number): Error {
  return new Error(`frame ${i} of the burst starts at byte ${b.off[i]}: the burst contract wants off % 4 === 2 (IP-aligned, see runtime/packet/burst.ts)`);
}

/** Byte offset of the IPv4 header of frame i, or -1 when it is not an unfragmented IPv4 TCP/UDP frame. */
export function ipv4L4Offset(b: Burst, i: number): number {
  const off = b.off[i];
  const u8 = b.u8;
  if (b.len[i] < 38 || b.u16[(off + 12) >> 1] !== ETH_IPV4_LE) return -1;
  const ip = off + 14;
  const vihl = u8[ip];
  if (vihl >> 4 !== 4) return -1;
  const proto = u8[ip + 9];
  if (proto !== PROTO_TCP && proto !== PROTO_UDP) return -1;
  if (((u8[ip + 6] & 0x3f) | u8[ip + 7]) !== 0) return -1; // fragments carry no ports
  if (b.len[i] < 14 + (vihl & 15) * 4 + 8) return -1;
  return ip;
}

export const PROTO_ICMP = 1;

/** Byte offset of the IPv4 header of frame i when it is an unfragmented ICMP echo request or reply (ping), else -1. */
export function ipv4IcmpEchoOffset(b: Burst, i: number): number {
  const off = b.off[i];
  const u8 = b.u8;
  if (b.len[i] < 42 || b.u16[(off + 12) >> 1] !== ETH_IPV4_LE) return -1;
  const ip = off + 14;
  const vihl = u8[ip];
  if (vihl >> 4 !== 4 || u8[ip + 9] !== PROTO_ICMP || ((u8[ip + 6] & 0x3f) | u8[ip + 7]) !== 0) return -1;
  const l4 = ip + (vihl & 15) * 4;
  if (b.len[i] < l4 - off + 8) return -1;
  const type = u8[l4];
  return (type === 8 || type === 0) && u8[l4 + 1] === 0 ? ip : -1;
}

/**
 * RFC 1624 eq. 3: HC' = ~(~HC + ~m + m'), with the per-flow sum of (~m + m') precomputed in `d`.
 * Works on byte-swapped words as well (one's-complement sums are byte-order independent).
 */
export function csumAdjust(hc: number, d: number): number {
  let s = (~hc & 0xffff) + d;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Folds a one's-complement sum to 16 bits (a precomputed delta then fits in half a word). */
export function fold16(s: number): number {
  s = (s & 0xffff) + (s >>> 16);
  return (s & 0xffff) + (s >>> 16);
}

/** ~m + m' for one 16-bit word change. */
export function wordDelta(oldWord: number, newWord: number): number {
  return (~oldWord & 0xffff) + newWord;
}

/** ~m + m' summed over the two 16-bit halves of a 32-bit word change (as read through u32, little-endian). */
export function word32Delta(oldW: number, newW: number): number {
  return wordDelta(oldW & 0xffff, newW & 0xffff) + wordDelta(oldW >>> 16, newW >>> 16);
}

/** int32 little-endian word of an IPv4 address given as a number (a.b.c.d = a<<24|...). */
export function ipToLe(ip: number): number {
  return ((ip >>> 24) & 255) | (((ip >>> 16) & 255) << 8) | (((ip >>> 8) & 255) << 16) | ((ip & 255) << 24);
}
