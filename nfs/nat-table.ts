// NAT's mappings, one core's share. A mapping has a dense id m and two small records: a hot one the
// outbound packet reads (last use, the pool address and port: 12 B, five to a cache line) and a cold
// one (the inside flow's words and the FlexState slot: 16 B) that inbound packets, expiry and the
// store read. The checksum deltas are not kept: they are a few additions of what the packet and the
// hot record hold (RFC 1624), cheaper than the cache line a kept delta would cost. The forward table
// (the inside flow's 5-tuple as the inside host sends it) and the reverse table (the reply's 5-tuple
// as the outside host sends it) both lead to m. The pool's pairs are handed out by nfs/nat-pool.ts.
import { CompactFlowTable, COMPACT_MAX_VALUE } from './compact-flow-table.js';
import { PROTO_ICMP, ipToLe } from './packet.js';

/** words per hot record: last use, pool address, pool port | protocol << 16 */
export const HOT_WORDS = 3;
/** last packet, in ms ticks of the NAT's clock; -1 = the id is free */
export const H_LAST = 0;
/** the pool address as the frame holds it (little-endian int32 read) */
export const H_POOL_IP = 1;
/** pool port (little-endian u16 as the frame holds it) | protocol << 16 */
export const H_POOL_PORT_PROTO = 2;
/** words per cold record: the forward 5-tuple's words (as read through int32 views) and the FlexState slot */
export const COLD_WORDS = 4;
/** inside address; on a free id, the next free id (-1: none) */
export const C_SRC = 0;
export const C_DST = 1;
/** the forward ports word (TCP/UDP: both ports as read; ICMP echo: the identifier) */
export const C_PORTS = 2;
/** the FlexState map slot of the mapping's key (-1: none) */
export const C_SLOT = 3;

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

/** an address as a number (a.b.c.d = a << 24 | …) from its little-endian int32 word */
const leToIp = (le: number): number => ipToLe(le) >>> 0;

export class NatMappings {
  readonly fwd: CompactFlowTable;
  readonly rev: CompactFlowTable;
  /** HOT_WORDS per id; re-created when the ids grow (read it again after add) */
  hot: Int32Array;
  /** COLD_WORDS per id; re-created when the ids grow */
  cold: Int32Array;
  /** ids the records have room for */
  private cap: number;
  /** first free id below `high` (-1: none); the next one is in its record's C_SRC */
  private freeHead = -1;
  /** ids handed out so far (ids below it are live or free) */
  high = 0;
  live = 0;

  constructor(expected: number, private readonly shape: PoolShape) {
    this.fwd = new CompactFlowTable(expected);
    this.rev = new CompactFlowTable(expected);
    this.cap = Math.max(64, expected);
    this.hot = new Int32Array(this.cap * HOT_WORDS);
    this.cold = new Int32Array(this.cap * COLD_WORDS);
  }

  /** memory the mappings hold: both tables and both records of every id there is room for */
  get bytes(): number {
    return this.fwd.bytes + this.rev.bytes + this.hot.byteLength + this.cold.byteLength;
  }

  /** grown by 1.5x, as the tables are (a doubling leaves half the records unused after it) */
  private grow(): void {
    this.cap = Math.ceil(this.cap * 1.5);
    const hot = new Int32Array(this.cap * HOT_WORDS);
    hot.set(this.hot);
    this.hot = hot;
    const cold = new Int32Array(this.cap * COLD_WORDS);
    cold.set(this.cold);
    this.cold = cold;
  }

  /** the FlexState slot of mapping m's key (-1: none) */
  slotOf(m: number): number {
    return this.cold[m * COLD_WORDS + C_SLOT]!;
  }

  setSlot(m: number, s: number): void {
    this.cold[m * COLD_WORDS + C_SLOT] = s;
  }

  /** the pool pair of mapping m (from its pool address and port) */
  pairOf(m: number): number {
    const o = m * HOT_WORDS;
    const s = this.shape;
    const a = leToIp(this.hot[o + H_POOL_IP]!) - s.firstIp;
    return a * s.nports + swap16(this.hot[o + H_POOL_PORT_PROTO]! & 0xffff) - s.loPort;
  }

  /**
   * Adds a mapping of the forward 5-tuple (int32 words as read from the frame) to pool pair k; returns
   * its id, or -1 when the id space (16,777,215 live mappings per core) is full. Re-read `hot` after.
   */
  add(src: number, dst: number, ports: number, proto: number, k: number, now: number): number {
    let m: number;
    if (this.freeHead >= 0) {
      m = this.freeHead;
      this.freeHead = this.cold[m * COLD_WORDS + C_SRC]!;
    } else {
      if (this.high > COMPACT_MAX_VALUE) return -1;
      if (this.high === this.cap) this.grow();
      m = this.high++;
    }
    const s = this.shape;
    const a = Math.floor(k / s.nports);
    const poolIp = ipToLe(s.firstIp + a);
    const poolPort = swap16(s.loPort + (k - a * s.nports));
    const h = this.hot;
    const o = m * HOT_WORDS;
    h[o + H_LAST] = now;
    h[o + H_POOL_IP] = poolIp;
    h[o + H_POOL_PORT_PROTO] = poolPort | (proto << 16);
    const c = this.cold;
    const q = m * COLD_WORDS;
    c[q + C_SRC] = src;
    c[q + C_DST] = dst;
    c[q + C_PORTS] = ports;
    c[q + C_SLOT] = -1;
    this.fwd.insert(src, dst, ports, proto, m);
    this.rev.insert(dst, poolIp, revPorts(ports, poolPort, proto), proto, m);
    this.live++;
    return m;
  }

  /** Removes mapping m from both tables; returns its pool pair (the caller releases it). */
  remove(m: number): number {
    const h = this.hot;
    const o = m * HOT_WORDS;
    const c = this.cold;
    const q = m * COLD_WORDS;
    const k = this.pairOf(m);
    const src = c[q + C_SRC]!;
    const dst = c[q + C_DST]!;
    const ports = c[q + C_PORTS]!;
    const pp = h[o + H_POOL_PORT_PROTO]!;
    const proto = pp >>> 16;
    const poolPort = pp & 0xffff;
    const f = this.fwd.find(src, dst, ports, proto);
    if (f >= 0) this.fwd.remove(f);
    const b = this.rev.find(dst, h[o + H_POOL_IP]!, revPorts(ports, poolPort, proto), proto);
    if (b >= 0) this.rev.remove(b);
    h[o + H_LAST] = -1;
    c[q + C_SRC] = this.freeHead;
    this.freeHead = m;
    this.live--;
    return k;
  }
}
