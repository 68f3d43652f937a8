// NAT's mappings, one core's share. A mapping has a dense id m and two small records: a hot one the
// outbound packet reads (last use, the pool address and port: 12 B, five to a cache line) and a cold
// one (the inside flow's words and the FlexState slot: 16 B) that inbound packets, expiry and the
// store read. The checksum deltas are not kept: they are a few additions of what the packet and the
// hot record hold (RFC 1624), cheaper than the cache line a kept delta would cost. The forward table
// (the inside flow's 5-tuple as the inside host sends it) leads to m. A reply needs no table: a live
// mapping holds its pool pair alone (one pair per 5-tuple), so the pair the reply is sent to leads to m
// through a pair-indexed array (`byPair`, in pages of pairs the core holds a live mapping in, given
// back when their last one goes: about 4 B a mapping) and the mapping's records confirm the reply's
// outside host, port and protocol.
// The pool's pairs are handed out by nfs/nat-pool.ts.
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

/** pairs per page of `byPair` at least (a page is 1 KB); a pool of more than 2^28 pairs gets larger pages, at most 2^20 of them (as nat-pool.ts's blocks) */
const PAGE_SHIFT_MIN = 8;
const MAX_PAGES_LOG2 = 20;
/** add's answer when a live mapping holds the pair already (-1: no id left) */
export const PAIR_HELD = -2;

/** an address as a number (a.b.c.d = a << 24 | …) from its little-endian int32 word */
const leToIp = (le: number): number => ipToLe(le) >>> 0;

export class NatMappings {
  readonly fwd: CompactFlowTable;
  /** per page of pairs: the word of byPair its live count is in (its pairs' words follow), or -1 (no live mapping in it) */
  private readonly pages: Int32Array;
  /** pairs per page (a power of two) */
  private readonly pageSize: number;
  /**
   * the pages in use: per page its live mappings, then per pair its live mapping id + 1 (0: none); re-created when it
   * grows (read it again after add)
   */
  byPair: Int32Array;
  /** words of byPair handed to pages so far */
  private pageWords = 0;
  /** pages given back (their words all 0 again), reused first */
  private readonly freePages: number[] = [];
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
    const pairs = shape.ips * shape.nports;
    this.pageSize = 2 ** Math.max(PAGE_SHIFT_MIN, Math.ceil(Math.log2(Math.max(1, pairs))) - MAX_PAGES_LOG2);
    this.pages = new Int32Array(Math.ceil(pairs / this.pageSize)).fill(-1);
    this.byPair = new Int32Array(0);
    this.cap = Math.max(64, expected);
    this.hot = new Int32Array(this.cap * HOT_WORDS);
    this.cold = new Int32Array(this.cap * COLD_WORDS);
  }

  /** memory the mappings hold: the forward table, the pair index and both records of every id there is room for */
  get bytes(): number {
    return this.fwd.bytes + this.pages.byteLength + this.byPair.byteLength + this.hot.byteLength + this.cold.byteLength;
  }

  /** the word of byPair for pool pair k (a pool may hold more than 2^32 pairs: no bit operations on k), or -1 when its page has no live mapping */
  private pairWord(k: number): number {
    const pg = Math.floor(k / this.pageSize);
    const base = this.pages[pg]!;
    return base < 0 ? -1 : base + 1 + (k - pg * this.pageSize);
  }

  /** pool pair k's word, its page taken (a given-back one first) when it has none; the page's live count is not moved */
  private pairWordFor(k: number): number {
    const pg = Math.floor(k / this.pageSize);
    if (this.pages[pg]! < 0) {
      let base = this.freePages.pop();
      if (base === undefined) {
        const words = this.pageSize + 1;
        if (this.pageWords + words > this.byPair.length) {
          // grown by 1.5x in whole pages, as the records are
          const next = new Int32Array(Math.max(this.pageWords + words, Math.ceil((this.byPair.length * 1.5) / words) * words));
          next.set(this.byPair);
          this.byPair = next;
        }
        base = this.pageWords;
        this.pageWords += words;
      }
      this.pages[pg] = base;
    }
    return this.pairWord(k);
  }

  /**
   * The byPair word of the pool pair a reply is sent to (its destination address and port word as read
   * from the frame; for ICMP echo the identifier), or -1 when its page has no live mapping or it is not a
   * pool pair. A burst computes these first and touches them, as it does the forward buckets.
   */
  replyWord(dst: number, ports: number, proto: number): number {
    const s = this.shape;
    const a = leToIp(dst) - s.firstIp;
    const p = swap16(proto === PROTO_ICMP ? ports & 0xffff : ports >>> 16) - s.loPort;
    if (a < 0 || a >= s.ips || p < 0 || p >= s.nports) return -1;
    return this.pairWord(a * s.nports + p);
  }

  /** Whether a reply from `src` with `ports` (as read) is mapping m's: its protocol, outside host and (TCP/UDP) port. */
  replyIs(m: number, src: number, ports: number, proto: number): boolean {
    if (this.hot[m * HOT_WORDS + H_POOL_PORT_PROTO]! >>> 16 !== proto) return false;
    const q = m * COLD_WORDS;
    const c = this.cold;
    return c[q + C_DST] === src && (proto === PROTO_ICMP || c[q + C_PORTS]! >>> 16 === (ports & 0xffff));
  }

  /** The mapping a reply (its 5-tuple words as read) belongs to, or -1. */
  reply(src: number, dst: number, ports: number, proto: number): number {
    const w = this.replyWord(dst, ports, proto);
    const m = w < 0 ? -1 : this.byPair[w]! - 1;
    return m >= 0 && this.replyIs(m, src, ports, proto) ? m : -1;
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
   * its id, -1 when the id space (16,777,215 live mappings per core) is full, or PAIR_HELD when a live
   * mapping holds k already (never, while the pool hands a pair to one mapping at a time). Re-read `hot` after.
   */
  add(src: number, dst: number, ports: number, proto: number, k: number, now: number): number {
    const held = this.pairWord(k);
    if (held >= 0 && this.byPair[held] !== 0) return PAIR_HELD;
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
    const pw = this.pairWordFor(k);
    this.byPair[pw] = m + 1;
    this.byPair[this.pages[Math.floor(k / this.pageSize)]!]++; // the page's live count
    this.live++;
    return m;
  }

  /** Removes mapping m from the forward table and the pair index; returns its pool pair (the caller releases it). */
  remove(m: number): number {
    const h = this.hot;
    const o = m * HOT_WORDS;
    const c = this.cold;
    const q = m * COLD_WORDS;
    const k = this.pairOf(m);
    const src = c[q + C_SRC]!;
    const dst = c[q + C_DST]!;
    const ports = c[q + C_PORTS]!;
    const proto = h[o + H_POOL_PORT_PROTO]! >>> 16;
    const f = this.fwd.find(src, dst, ports, proto);
    if (f >= 0) this.fwd.remove(f);
    const pg = Math.floor(k / this.pageSize);
    const base = this.pages[pg]!;
    if (base >= 0) this.byPair[base + 1 + (k - pg * this.pageSize)] = 0; // (a live mapping's page is there: a guard, not a case)
    if (base >= 0 && --this.byPair[base] === 0) {
      // its last mapping gone: the page (all 0 again) goes back, so the index follows the live mappings, not the pairs ever used
      this.pages[pg] = -1;
      this.freePages.push(base);
    }
    h[o + H_LAST] = -1;
    c[q + C_SRC] = this.freeHead;
    this.freeHead = m;
    this.live--;
    return k;
  }
}
