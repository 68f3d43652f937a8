// NAT's mappings and its pool, one core's share. A mapping has a dense id m and a 32-byte record;
// the forward table (the inside flow's 5-tuple as the inside host sends it) and the reverse table
// (the reply's 5-tuple as the outside host sends it) both lead to m, so either direction costs one
// hash probe and one record. The pool's pairs are handed out by nfs/nat-pool.ts.
import { CompactFlowTable, COMPACT_MAX_VALUE } from './compact-flow-table.js';
import { PROTO_ICMP, fold16, ipToLe, word32Delta, wordDelta } from './packet.js';

/** words per mapping record */
export const REC_WORDS = 8;
/** record fields: the forward 5-tuple (as read through int32 views), last use, the pool pair, the checksum deltas */
export const R_SRC = 0;
export const R_DST = 1;
export const R_PORTS = 2;
/** last packet, in ms ticks of the NAT's clock; -1 = the id is free */
export const R_LAST = 3;
export const R_POOL_IP = 4;
/** pool port (little-endian u16 as the frame holds it) | protocol << 16 */
export const R_POOL_PORT_PROTO = 5;
/** outbound RFC 1624 deltas: IPv4 header (low 16) | TCP/UDP (high 16) */
export const R_OUT_D = 6;
/** inbound deltas, the same packing */
export const R_IN_D = 7;

/** Byte-swapped u16 (a port as the frame holds it <-> its value). */
export const swap16 = (p: number): number => ((p & 255) << 8) | ((p >>> 8) & 255);

/** What a pool pair index stands for. */
export interface PoolShape {
  /** first pool address (a.b.c.d = a << 24 | …) */
  firstIp: number;
  /** addresses in the pool */
  ips: number;
  loPort: number;
  /** ports per address */
  nports: number;
}

/** A mapping's state-store value: pool address * 65536 + port (what recovery reads back). */
export function pairValue(s: PoolShape, k: number): number {
  const a = Math.floor(k / s.nports);
  return (s.firstIp + a) * 65536 + s.loPort + (k - a * s.nports);
}

/** Inverse of pairValue: the pair index, or -1 when the value is not in the pool. */
export function pairOfValue(s: PoolShape, v: number): number {
  const ip = Math.floor(v / 65536);
  const port = v - ip * 65536;
  const a = ip - s.firstIp;
  const p = port - s.loPort;
  if (a < 0 || a >= s.ips || p < 0 || p >= s.nports) return -1;
  return a * s.nports + p;
}

/**
 * The reply's ports word as read from the frame: the outside port then the pool port; for ICMP echo
 * the identifier alone (the key's "ports" of a ping are its identifier, the sequence left out).
 */
function revPorts(ports: number, poolPort: number, proto: number): number {
  return proto === PROTO_ICMP ? poolPort : (ports >>> 16) | (poolPort << 16);
}

export class NatMappings {
  readonly fwd: CompactFlowTable;
  readonly rev: CompactFlowTable;
  /** REC_WORDS per id */
  rec: Int32Array;
  /** the FlexState map slot of each id's key (-1: none) */
  slot: Int32Array;
  /** the pool pair of each id */
  pair: Float64Array;
  private freeIds: Int32Array;
  private nFree = 0;
  /** ids handed out so far (ids below it are live or free) */
  high = 0;
  live = 0;

  constructor(expected: number, private readonly shape: PoolShape) {
    this.fwd = new CompactFlowTable(expected);
    this.rev = new CompactFlowTable(expected);
    const cap = Math.max(64, expected);
    this.rec = new Int32Array(cap * REC_WORDS);
    this.slot = new Int32Array(cap);
    this.pair = new Float64Array(cap);
    this.freeIds = new Int32Array(cap);
  }

  get bytes(): number {
    return this.fwd.bytes + this.rev.bytes + this.rec.byteLength + this.slot.byteLength + this.pair.byteLength + this.freeIds.byteLength;
  }

  private grow(): void {
    const cap = this.slot.length * 2;
    const rec = new Int32Array(cap * REC_WORDS);
    rec.set(this.rec);
    this.rec = rec;
    const slot = new Int32Array(cap);
    slot.set(this.slot);
    this.slot = slot;
    const pair = new Float64Array(cap);
    pair.set(this.pair);
    this.pair = pair;
    const f = new Int32Array(cap);
    f.set(this.freeIds.subarray(0, this.nFree));
    this.freeIds = f;
  }

  /**
   * Adds a mapping of the forward 5-tuple (int32 words as read from the frame) to pool pair k; returns
   * its id, or -1 when the id space (16,777,215 live mappings per core) is full. Re-read `rec` after.
   */
  add(src: number, dst: number, ports: number, proto: number, k: number, now: number): number {
    let m: number;
    if (this.nFree > 0) m = this.freeIds[--this.nFree]!;
    else {
      if (this.high > COMPACT_MAX_VALUE) return -1;
      if (this.high === this.slot.length) this.grow();
      m = this.high++;
    }
    const s = this.shape;
    const a = Math.floor(k / s.nports);
    const poolIp = ipToLe(s.firstIp + a);
    const poolPort = swap16(s.loPort + (k - a * s.nports));
    const insidePort = ports & 0xffff;
    // outbound: source address and port become the pool's; inbound: destination goes back
    const dOutIp = fold16(word32Delta(src, poolIp));
    const dInIp = fold16(word32Delta(poolIp, src));
    // ICMP's checksum has no pseudo header: the identifier alone changes it
    const icmp = proto === PROTO_ICMP;
    const dOutL4 = fold16((icmp ? 0 : dOutIp) + wordDelta(insidePort, poolPort));
    const dInL4 = fold16((icmp ? 0 : dInIp) + wordDelta(poolPort, insidePort));
    const r = this.rec;
    const o = m * REC_WORDS;
    r[o + R_SRC] = src;
    r[o + R_DST] = dst;
    r[o + R_PORTS] = ports;
    r[o + R_LAST] = now;
    r[o + R_POOL_IP] = poolIp;
    r[o + R_POOL_PORT_PROTO] = poolPort | (proto << 16);
    r[o + R_OUT_D] = dOutIp | (dOutL4 << 16);
    r[o + R_IN_D] = dInIp | (dInL4 << 16);
    this.pair[m] = k;
    this.slot[m] = -1;
    this.fwd.insert(src, dst, ports, proto, m);
    this.rev.insert(dst, poolIp, revPorts(ports, poolPort, proto), proto, m);
    this.live++;
    return m;
  }

  /** Removes mapping m from both tables; returns its pool pair (the caller releases it). */
  remove(m: number): number {
    const r = this.rec;
    const o = m * REC_WORDS;
    const src = r[o + R_SRC]!;
    const dst = r[o + R_DST]!;
    const ports = r[o + R_PORTS]!;
    const pp = r[o + R_POOL_PORT_PROTO]!;
    const proto = pp >>> 16;
    const poolPort = pp & 0xffff;
    const f = this.fwd.find(src, dst, ports, proto);
    if (f >= 0) this.fwd.remove(f);
    const b = this.rev.find(dst, r[o + R_POOL_IP]!, revPorts(ports, poolPort, proto), proto);
    if (b >= 0) this.rev.remove(b);
    r[o + R_LAST] = -1;
    this.freeIds[this.nFree++] = m;
    this.live--;
    return this.pair[m]!;
  }
}
