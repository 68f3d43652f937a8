// What the NAT pools hand pairs out of: the current block (its pairs never handed out yet) and the released
// pairs, oldest first (RFC 4787 asks not to reuse a pair soon). The per-core pool (nat-pool.ts) and the
// store-leased pool (nat-lease-pool.ts) each keep one of both.

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

/** The block a pool hands out from: its pairs never handed out yet lie in [next, end). */
export class BlockCursor {
  /** the block, -1 before the first */
  cur = -1;
  next = 0;
  end = 0;

  use(b: number, lo: number, hi: number): void {
    this.cur = b;
    this.next = lo;
    this.end = hi;
  }

  /** pairs of the current block never handed out */
  get left(): number {
    return this.end - this.next;
  }

  /** the next pair never handed out, -1 when the block is used up */
  take(): number {
    return this.next < this.end ? this.next++ : -1;
  }

  /** takes pair k when it lies ahead in the current block; the pairs skipped over go to `freed` */
  claim(k: number, freed: PairQueue): boolean {
    if (this.cur < 0 || k < this.next || k >= this.end) return false;
    for (let j = this.next; j < k; j++) freed.push(j);
    this.next = k + 1;
    return true;
  }
}
