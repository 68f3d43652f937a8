// A flow table of 16-byte entries for NFs whose per-flow value fits 24 bits (a pool pair index, a
// backend index): 5-tuple words -> value, four entries per cache line, filled up to 80 %, so a
// table of 50,000 flows is 1 MB (about 21 B per flow) and stays in a core's L2 where the earlier
// 32-byte table at half load needed 4 MB. Entry: [a, b, c, tag]; tag = d << 24 | (value + 1), 0 = empty.
import { hash4 } from './flow-hash.js';

const COMPACT_ENTRY_WORDS = 4;
/** the largest value an entry holds */
export const COMPACT_MAX_VALUE = 0xfffffe;
/** grow beyond this load (linear probing over 16-byte entries: a hit reads about one cache line) */
const MAX_LOAD = 0.8;

export class CompactFlowTable {
  /** entries; re-created when the table grows (read it again after insert) */
  data: Int32Array;
  private mask: number;
  private limit: number;
  size = 0;

  constructor(expected = 1 << 14) {
    let cap = 16;
    while (cap * MAX_LOAD < expected) cap *= 2;
    this.mask = cap - 1;
    this.limit = Math.floor(cap * MAX_LOAD);
    this.data = new Int32Array(cap * COMPACT_ENTRY_WORDS);
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
    const data = this.data;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const e = i << 2;
      const t = data[e + 3];
      if (t === 0) return -1;
      if (t >>> 24 === d && data[e] === a && data[e + 1] === b && data[e + 2] === c) return e;
      i = (i + 1) & mask;
    }
  }

  /** the value of the entry at e (from find) */
  value(e: number): number {
    return (this.data[e + 3] & 0xffffff) - 1;
  }

  /** Reads the tag word of hash h's bucket: an independent load the CPU can overlap with others. */
  touch(h: number): number {
    return this.data[((h & this.mask) << 2) + 3];
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
    const mask = this.mask;
    let hole = e >> 2;
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      const t = data[(j << 2) + 3];
      if (t === 0) break;
      const home = hash4(data[j << 2], data[(j << 2) + 1], data[(j << 2) + 2], t >>> 24) & mask;
      // j's entry may fill the hole unless its home lies cyclically in (hole, j]
      if (((j - home) & mask) < ((j - hole) & mask)) continue;
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
    const mask = this.mask;
    let i = hash4(a, b, c, tag >>> 24) & mask;
    while (data[(i << 2) + 3] !== 0) i = (i + 1) & mask;
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
    const cap = (this.mask + 1) * 2;
    this.data = new Int32Array(cap * COMPACT_ENTRY_WORDS);
    this.mask = cap - 1;
    this.limit = Math.floor(cap * MAX_LOAD);
    this.size = 0;
    for (let e = 0; e < old.length; e += COMPACT_ENTRY_WORDS) if (old[e + 3] !== 0) this.place(old[e]!, old[e + 1]!, old[e + 2]!, old[e + 3]!);
  }
}
