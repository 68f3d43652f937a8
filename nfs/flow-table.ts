// Keys and values are int32 (read the packet through Int32Array): V8 keeps them unboxed across calls.
// Open-addressing flow table over one typed array: 5-tuple words -> a few value words stored in the
// same 32-byte entry, so a lookup and its values cost one cache line. No strings, no objects per flow.

/** words per entry: 4 key words (the 4th tagged as used) + 4 value words */
const ENTRY_WORDS = 8;
/** first value word of an entry */
export const VALUE = 4;
const USED = 0x80000000 | 0;

export class FlowTable {
  /** entries; re-created when the table grows (read it again after insert) */
  data: Int32Array;
  private mask: number;
  size = 0;

  constructor(expected = 1 << 14) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.mask = cap - 1;
    this.data = new Int32Array(cap * ENTRY_WORDS);
  }

  /** memory the table holds (for the bench's bytes per flow) */
  get bytes(): number {
    return this.data.byteLength;
  }

  /**
   * Base word index of the entry for (a, b, c, d), or -1. The 4th key word must be below 2^31
   * (it holds the IP protocol number here).
   */
  find(a: number, b: number, c: number, d: number): number {
    return this.findFrom(hash4(a, b, c, d), a, b, c, d);
  }

  /**
   * find() with the hash already computed. A burst loop can hash all its packets first and touch
   * their buckets (touch()), so that the cache misses of 32 lookups overlap instead of queueing.
   */
  findFrom(h: number, a: number, b: number, c: number, d: number): number {
    const data = this.data;
    const mask = this.mask;
    const tag = d | USED;
    let i = h & mask;
    for (;;) {
      const e = i * ENTRY_WORDS;
      const t = data[e + 3];
      if (t === 0) return -1;
      if (t === tag && data[e] === a && data[e + 1] === b && data[e + 2] === c) return e;
      i = (i + 1) & mask;
    }
  }

  /** Reads the tag word of hash h's bucket: an independent load the CPU can overlap with others. */
  touch(h: number): number {
    return this.data[(h & this.mask) * ENTRY_WORDS + 3];
  }

  /** Adds a key known to be absent (new flows only); returns its entry's base index (values zeroed). */
  insert(a: number, b: number, c: number, d: number): number {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    return this.place(a, b, c, d);
  }

  private place(a: number, b: number, c: number, d: number): number {
    const data = this.data;
    const mask = this.mask;
    let i = hash4(a, b, c, d) & mask;
    while (data[i * ENTRY_WORDS + 3] !== 0) i = (i + 1) & mask;
    const e = i * ENTRY_WORDS;
    data[e] = a;
    data[e + 1] = b;
    data[e + 2] = c;
    data[e + 3] = d | USED;
    this.size++;
    return e;
  }

  private grow(): void {
    const old = this.data;
    const cap = (this.mask + 1) * 2;
    this.data = new Int32Array(cap * ENTRY_WORDS);
    this.mask = cap - 1;
    this.size = 0;
    for (let e = 0; e < old.length; e += ENTRY_WORDS) {
      if (old[e + 3] === 0) continue;
      const n = this.place(old[e], old[e + 1], old[e + 2], old[e + 3] & ~USED);
      for (let k = VALUE; k < ENTRY_WORDS; k++) this.data[n + k] = old[e + k];
    }
  }
}

/** murmur3-style mixing of four words (an int32; callers mask it). */
export function hash4(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0xcc9e2d51);
  h = Math.imul((h << 15) | (h >>> 17), 0x1b873593) ^ b;
  h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  h = Math.imul(h ^ c, 0xcc9e2d51);
  h = Math.imul((h << 15) | (h >>> 17), 0x1b873593) ^ d;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
