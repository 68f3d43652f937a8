// A NAT pool's released pairs, oldest first (RFC 4787 asks not to reuse a pair soon): a growable ring
// of pair indexes. The per-core pool (nat-pool.ts) and the store-leased pool (nat-lease-pool.ts) keep one.

export class PairQueue {
  private ring = new Float64Array(1024);
  private head = 0;
  /** pairs queued */
  count = 0;

  push(k: number): void {
    if (this.count === this.ring.length) {
      const r = new Float64Array(this.ring.length * 2);
      for (let i = 0; i < this.count; i++) r[i] = this.ring[(this.head + i) % this.ring.length]!;
      this.ring = r;
      this.head = 0;
    }
    this.ring[(this.head + this.count) % this.ring.length] = k;
    this.count++;
  }

  /** the oldest pair, taken off the queue; -1 when empty */
  shift(): number {
    if (this.count === 0) return -1;
    const k = this.ring[this.head]!;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
    return k;
  }

  /** drops the pairs in [lo, hi) (a block leaving the pool; rare), the others keep their order */
  dropRange(lo: number, hi: number): void {
    const r = this.ring;
    const L = r.length;
    let kept = 0;
    for (let i = 0; i < this.count; i++) {
      const k = r[(this.head + i) % L]!;
      if (k >= lo && k < hi) continue;
      r[(this.head + kept) % L] = k;
      kept++;
    }
    this.count = kept;
  }

  get bytes(): number {
    return this.ring.byteLength;
  }
}
