// A hashed timing wheel over integer slots (Varghese & Lauck, scheme 6): arming, cancelling and firing
// are O(1) per timer, with intrusive doubly-linked bucket lists in typed arrays, so a packet loop arms a
// timer per packet without allocating and advances the wheel once per burst with its own clock. No
// setTimeout per entry: nothing fires until advance() is called. Used by FlexState's Timer structure
// (local notification) and by the in-process hashmap store (its TTL).

const NONE = -1;

export class TimerWheel {
  private readonly mask: number;
  private readonly head: Int32Array;
  private next: Int32Array;
  private prev: Int32Array;
  /** bucket a slot is linked into, NONE when not armed */
  private where: Int32Array;
  private due: Float64Array;
  /** the last tick whose bucket is done (the clock's own tick is revisited: later deadlines in it remain) */
  private tick: number;
  private armed = 0;

  /**
   * `tickMs`: resolution; `buckets` (a power of two): one turn of the wheel is tickMs × buckets;
   * `nowMs`: the clock the wheel starts at (the clock advance() is given later: epoch ms by default)
   */
  constructor(readonly tickMs = 1, buckets = 4096, capacity = 64, nowMs = Date.now()) {
    if (!(tickMs > 0)) throw new RangeError(`timer wheel: tickMs must be > 0, got ${tickMs}`);
    if (!Number.isInteger(buckets) || buckets < 1 || (buckets & (buckets - 1)) !== 0) throw new RangeError(`timer wheel: buckets must be a power of two, got ${buckets}`);
    this.mask = buckets - 1;
    this.head = new Int32Array(buckets).fill(NONE);
    this.next = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.where = new Int32Array(capacity).fill(NONE);
    this.due = new Float64Array(capacity);
    this.tick = Math.floor(nowMs / tickMs) - 1;
  }

  /** timers armed and not yet fired or cancelled */
  get size(): number {
    return this.armed;
  }

  /** slots the per-slot arrays hold now (they grow on arm) */
  get capacity(): number {
    return this.where.length;
  }

  private grow(slot: number): void {
    const n = Math.max(slot + 1, this.where.length * 2);
    const i32 = (a: Int32Array, fill: number) => { const b = new Int32Array(n).fill(fill); b.set(a); return b; };
    this.next = i32(this.next, 0);
    this.prev = i32(this.prev, 0);
    this.where = i32(this.where, NONE);
    const d = new Float64Array(n); d.set(this.due); this.due = d;
  }

  /** the deadline a slot is armed for (NaN when not armed) */
  deadline(slot: number): number {
    return slot < this.where.length && this.where[slot] !== NONE ? this.due[slot]! : NaN;
  }

  isArmed(slot: number): boolean {
    return slot < this.where.length && this.where[slot] !== NONE;
  }

  /** (re)arm `slot` to fire at the first advance() whose clock reaches `deadlineMs` */
  arm(slot: number, deadlineMs: number): void {
    if (slot >= this.where.length) this.grow(slot);
    if (this.where[slot] !== NONE) this.unlink(slot);
    const t = Math.floor(deadlineMs / this.tickMs);
    // a deadline already behind the wheel goes into the next bucket it will visit
    const b = (t > this.tick ? t : this.tick + 1) & this.mask;
    this.due[slot] = deadlineMs;
    const h = this.head[b]!;
    this.next[slot] = h;
    this.prev[slot] = NONE;
    if (h !== NONE) this.prev[h] = slot;
    this.head[b] = slot;
    this.where[slot] = b;
    this.armed++;
  }

  cancel(slot: number): boolean {
    if (slot >= this.where.length || this.where[slot] === NONE) return false;
    this.unlink(slot);
    return true;
  }

  private unlink(slot: number): void {
    const b = this.where[slot]!;
    const n = this.next[slot]!, p = this.prev[slot]!;
    if (p !== NONE) this.next[p] = n;
    else this.head[b] = n;
    if (n !== NONE) this.prev[n] = p;
    this.where[slot] = NONE;
    this.armed--;
  }

  /**
   * Move the wheel to `nowMs`: every timer whose deadline is <= nowMs fires (is disarmed and written
   * to `out`, in bucket order). Returns how many were written; when `out` is full the rest fire at the
   * next call. Allocation-free.
   */
  advance(nowMs: number, out: Int32Array): number {
    const to = Math.floor(nowMs / this.tickMs);
    if (this.armed === 0) { if (to - 1 > this.tick) this.tick = to - 1; return 0; }
    let n = 0;
    // past one whole turn every bucket is visited once
    const last = Math.min(to, this.tick + this.mask + 1);
    for (let t = this.tick + 1; t <= last; t++) {
      const b = t & this.mask;
      let s = this.head[b]!;
      while (s !== NONE) {
        const nx = this.next[s]!;
        if (this.due[s]! <= nowMs) {
          if (n === out.length) { this.tick = t - 1; return n; }
          this.unlink(s);
          out[n++] = s;
        }
        s = nx;
      }
    }
    if (to - 1 > this.tick) this.tick = to - 1;
    return n;
  }

  /** disarm everything */
  clear(): void {
    this.head.fill(NONE);
    this.where.fill(NONE);
    this.armed = 0;
  }
}
