// Open-addressing flow table over typed arrays: 5-tuple words -> flow index. No strings, no objects per flow.

const EMPTY = -1;

export class FlowTable {
  private keys: Uint32Array;
  private vals: Int32Array;
  private mask: number;
  size = 0;

  constructor(expected = 1 << 14) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.mask = cap - 1;
    this.keys = new Uint32Array(cap * 4);
    this.vals = new Int32Array(cap).fill(EMPTY);
  }

  /** Flow index stored for (a, b, c, d), or -1. */
  get(a: number, b: number, c: number, d: number): number {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = hash4(a, b, c, d) & mask;
    for (;;) {
      const v = vals[i];
      if (v === EMPTY) return EMPTY;
      const k = i << 2;
      if (keys[k] === a >>> 0 && keys[k + 1] === b >>> 0 && keys[k + 2] === c >>> 0 && keys[k + 3] === d >>> 0) return v;
      i = (i + 1) & mask;
    }
  }

  /** Inserts a key known to be absent (new flows only). */
  put(a: number, b: number, c: number, d: number, v: number): void {
    if ((this.size + 1) * 2 > this.vals.length) this.grow();
    const mask = this.mask;
    let i = hash4(a, b, c, d) & mask;
    while (this.vals[i] !== EMPTY) i = (i + 1) & mask;
    const k = i << 2;
    this.keys[k] = a;
    this.keys[k + 1] = b;
    this.keys[k + 2] = c;
    this.keys[k + 3] = d;
    this.vals[i] = v;
    this.size++;
  }

  private grow(): void {
    const oldK = this.keys;
    const oldV = this.vals;
    const cap = oldV.length * 2;
    this.keys = new Uint32Array(cap * 4);
    this.vals = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < oldV.length; i++) {
      if (oldV[i] !== EMPTY) this.put(oldK[i * 4], oldK[i * 4 + 1], oldK[i * 4 + 2], oldK[i * 4 + 3], oldV[i]);
    }
  }
}

/** murmur3-style mixing of four words. */
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
  return (h ^ (h >>> 16)) >>> 0;
}
