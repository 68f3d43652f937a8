// A flow table of 16-byte entries for NFs whose per-flow value fits 24 bits (a pool pair index, a
// backend index): 5-tuple words -> value, four entries per cache line, filled up to 80 %. Its
// capacity is not a power of two (a hash maps to a bucket by multiply-shift, h * cap / 2^32) and
// grows by 1.5x, so the table never sits at 40 % load after a doubling: sized for 50,000 flows it
// takes 20.0 B per flow there, 25.7 B at 1,000,000 and 29.2 B at 10,000,000 (33.6 B at 1,000,000
// with power-of-two doubling).
// Entry: [a, b, c, tag]; tag = d << 24 | (value + 1), 0 = empty.
import { hash4 } from '../common/flow-hash.js';

const COMPACT_ENTRY_WORDS = 4;
/** the largest value an entry holds */
export const COMPACT_MAX_VALUE = 0xfffffe;
/** grow beyond this load (linear probing over 16-byte entries: a hit reads about one cache line) */
const MAX_LOAD = 0.8;
/** capacities are multiples of this many entries (whole cache lines) */
const CAP_STEP = 64;

function capacityFor(entries: number): number {
  return Math.max(CAP_STEP, Math.ceil(entries / MAX_LOAD / CAP_STEP) * CAP_STEP);
}

export class CompactFlowTable {
  /** entries; re-created when the table grows (read it again after insert) */
  data: Int32Array;
  /** entries the table holds room for */
  private cap: number;
  /** cap / 2^32: a hash's bucket is (h >>> 0) * scale, truncated */
  private scale: number;
  private limit: number;
  size = 0;

  constructor(expected = 1 << 14) {
    this.cap = 0;
    this.scale = 0;
    this.limit = 0;
    this.data = this.alloc(capacityFor(expected));
  }

  private alloc(cap: number): Int32Array {
    this.cap = cap;
    this.scale = cap / 4294967296;
    this.limit = Math.floor(cap * MAX_LOAD);
    return new Int32Array(cap * COMPACT_ENTRY_WORDS);
  }

  /** the bucket hash h starts at (0..cap-1) */
  home(h: number): number {
    return ((h >>> 0) * this.scale) | 0;
  }

  /** memory the table holds (for the bench's bytes per flow) */
  get bytes(): number {
    return this.data.byteLength;
  }

  /** Base word index of the entry for (a, b, c, d), or -1; d must be below 256 (the IP protocol). */
  find(a: number, b: number, c: number, d: number): number {
    return this.findFrom(hash4(a, b, c, d), a, b, c, d);
  }

  /** find() with the hash already computed (a burst hashes and touches first, so misses overlap). */
  findFrom(h: number, a: number, b: number, c: number, d: number): number {
    return this.findAt((((h >>> 0) * this.scale) | 0) << 2, a, b, c, d);
  }

  /** the word index of hash h's bucket, where findAt starts (valid until the table grows) */
  at(h: number): number {
    return (((h >>> 0) * this.scale) | 0) << 2;
  }

  /** find() from the bucket at(h) gave: a burst computes every packet's bucket, touches them all, then looks up. */
  findAt(e: number, a: number, b: number, c: number, d: number): number {
    const data = this.data;
    const end = data.length;
    for (;;) {
      const t = data[e + 3];
      if (t === 0) return -1;
      if (t >>> 24 === d && data[e] === a && data[e + 1] === b && data[e + 2] === c) return e;
      e += 4;
      if (e === end) e = 0;
    }
  }

  /** the value of the entry at e (from find) */
  value(e: number): number {
    return (this.data[e + 3] & 0xffffff) - 1;
  }

  /** Adds a key known to be absent (new flows only) with its value (0..COMPACT_MAX_VALUE); returns its entry. */
  insert(a: number, b: number, c: number, d: number, value: number): number {
    if (this.size + 1 > this.limit) this.grow();
    return this.place(a, b, c, (d << 24) | (value + 1));
  }

  /**
   * Removes the entry at e (from find): backward-shift deletion, so linear probing needs no
   * tombstones and a table whose flows come and go (NAT mappings that expire) never silts up.
   * Entries after e may move: an entry index found before a remove is stale after it.
   */
  remove(e: number): void {
    const data = this.data;
    const cap = this.cap;
    const dist = (from: number, to: number) => (to >= from ? to - from : to + cap - from);
    let hole = e >> 2;
    let j = hole;
    for (;;) {
      j = j + 1 === cap ? 0 : j + 1;
      const t = data[(j << 2) + 3];
      if (t === 0) break;
      const home = this.home(hash4(data[j << 2]!, data[(j << 2) + 1]!, data[(j << 2) + 2]!, t! >>> 24));
      // j's entry may fill the hole unless its home lies cyclically in (hole, j]
      if (dist(home, j) < dist(hole, j)) continue;
      const h = hole << 2;
      const s = j << 2;
      data[h] = data[s];
      data[h + 1] = data[s + 1];
      data[h + 2] = data[s + 2];
      data[h + 3] = t;
      hole = j;
    }
    data[(hole << 2) + 3] = 0;
    this.size--;
  }

  private place(a: number, b: number, c: number, tag: number): number {
    const data = this.data;
    const cap = this.cap;
    let i = this.home(hash4(a, b, c, tag >>> 24));
    while (data[(i << 2) + 3] !== 0) i = i + 1 === cap ? 0 : i + 1;
    const e = i << 2;
    data[e] = a;
    data[e + 1] = b;
    data[e + 2] = c;
    data[e + 3] = tag;
    this.size++;
    return e;
  }

  private grow(): void {
    const old = this.data;
    this.data = this.alloc(Math.ceil((this.cap * 1.5) / CAP_STEP) * CAP_STEP);
    this.size = 0;
    for (let e = 0; e < old.length; e += COMPACT_ENTRY_WORDS) if (old[e + 3] !== 0) this.place(old[e]!, old[e + 1]!, old[e + 2]!, old[e + 3]!);
  }
}
