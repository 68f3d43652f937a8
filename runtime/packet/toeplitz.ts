// Receive-side scaling as NICs do it: Toeplitz hash of the 5-tuple, a redirection table, one queue per core.
import { ETH_HLEN, ETHERTYPE_IPV4, IPPROTO_TCP, IPPROTO_UDP } from './inet.js';

/** The 40-byte default key of Microsoft's RSS spec, Intel NICs and DPDK (rss_intel_key). */
export const DEFAULT_RSS_KEY = Uint8Array.from([
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
  0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
  0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
]);
const RETA_SIZE = 128;

/**
 * Toeplitz hasher with per-input-byte lookup tables (12 x 256 words): hashing a 5-tuple is
 * 12 table lookups instead of 96 bit steps.
 */
export class Toeplitz {
  private readonly table: Uint32Array;

  constructor(key: Uint8Array = DEFAULT_RSS_KEY, readonly maxInput = 12) {
    if (key.length < maxInput + 4) throw new Error(`RSS key of ${key.length} bytes is too short for ${maxInput}-byte inputs`);
    this.table = new Uint32Array(maxInput * 256);
    for (let i = 0; i < maxInput; i++) {
      for (let b = 0; b < 8; b++) {
        const bit = i * 8 + b; // key window starting at this input bit
        const w = keyWindow(key, bit);
        for (let v = 0; v < 256; v++) if (v & (0x80 >> b)) this.table[i * 256 + v] ^= w;
      }
    }
  }

  /** Hash of input bytes data[off .. off+len) (len <= maxInput). */
  hash(data: Uint8Array, off: number, len: number): number {
    let h = 0;
    for (let i = 0; i < len; i++) h ^= this.table[(i << 8) | data[off + i]];
    return h >>> 0;
  }

  /** Contribution of data[off .. off+len) placed at input byte position `at`. */
  hashAt(at: number, data: Uint8Array, off: number, len: number): number {
    let h = 0;
    for (let i = 0; i < len; i++) h ^= this.table[((at + i) << 8) | data[off + i]];
    return h >>> 0;
  }

  /** Hash of (src IP, dst IP[, src port, dst port]) given as numbers, in network byte order. */
  hashTuple(sip: number, dip: number, sport?: number, dport?: number): number {
    const t = this.table;
    let h =
      t[(0 << 8) | (sip >>> 24)] ^ t[(1 << 8) | ((sip >>> 16) & 255)] ^ t[(2 << 8) | ((sip >>> 8) & 255)] ^ t[(3 << 8) | (sip & 255)] ^
      t[(4 << 8) | (dip >>> 24)] ^ t[(5 << 8) | ((dip >>> 16) & 255)] ^ t[(6 << 8) | ((dip >>> 8) & 255)] ^ t[(7 << 8) | (dip & 255)];
    if (sport !== undefined && dport !== undefined) {
      h ^= t[(8 << 8) | (sport >>> 8)] ^ t[(9 << 8) | (sport & 255)] ^ t[(10 << 8) | (dport >>> 8)] ^ t[(11 << 8) | (dport & 255)];
    }
    return h >>> 0;
  }
}

/** The 32 key bits starting at bit position `bit` (MSB first). */
function keyWindow(key: Uint8Array, bit: number): number {
  let w = 0;
  for (let j = 0; j < 32; j++) {
    const k = bit + j;
    const set = (key[k >> 3] >> (7 - (k & 7))) & 1;
    w = (w << 1) | set;
  }
  return w >>> 0;
}

/** DPDK's default redirection table: entry i -> queue i mod queues. */
export function defaultReta(queues: number, size = RETA_SIZE): Uint16Array {
  const reta = new Uint16Array(size);
  for (let i = 0; i < size; i++) reta[i] = i % queues;
  return reta;
}

/**
 * The RSS hash a NIC would report for an Ethernet frame: IPv4 TCP/UDP over the 4-tuple (12 bytes),
 * other IPv4 over the addresses (8 bytes), anything else 0 (queue 0, as NICs do).
 */
export function frameRssHash(t: Toeplitz, f: Uint8Array, off: number, len: number): number {
  if (len < ETH_HLEN + 20 || ((f[off + 12] << 8) | f[off + 13]) !== ETHERTYPE_IPV4) return 0;
  const ip = off + ETH_HLEN;
  if (f[ip] >> 4 !== 4) return 0;
  const ihl = (f[ip] & 0x0f) * 4;
  const proto = f[ip + 9];
  const fragmented = (((f[ip + 6] << 8) | f[ip + 7]) & 0x3fff) !== 0;
  if (!fragmented && (proto === IPPROTO_TCP || proto === IPPROTO_UDP) && len >= ETH_HLEN + ihl + 4) {
    // src IP, dst IP are contiguous at ip+12; ports at the start of L4: hash 8 + 4 bytes.
    const l4 = ip + ihl;
    return (t.hash(f, ip + 12, 8) ^ t.hashAt(8, f, l4, 4)) >>> 0;
  }
  return t.hash(f, ip + 12, 8);
}

/** Queue (core) that receives a packet with RSS hash h. */
export function queueOf(reta: Uint16Array, h: number): number {
  return reta[h & (reta.length - 1)];
}
