// The NAT pool of one instance, handed to its cores in blocks. The instance's pairs are split in
// contiguous per-core chunks (the paper's partitioning) and each chunk in blocks of `block` pairs from
// its start. A core walks its own chunk's blocks first; when they and the pairs it released are used
// up it takes a block another core gave back (the reserve, oldest first) or one another core never
// touched (from the core with the most such blocks, its highest), so a core with skewed traffic does
// not starve while another holds spare pairs (Section VI-A). A block whose pairs are all free again
// goes to the reserve, for whichever core runs short next, when its core keeps a block's worth of
// other free pairs (so a core at a steady load does not give and take the same block).
//
// Who holds each block lives in one Int32Array over a SharedArrayBuffer the cores share, changed
// only under a spin lock: taking or giving a block costs a lock per `block` pairs, never per packet.
// Correctness rests on one rule: a block is held by at most one core, and a core hands out only pairs
// of blocks it holds, so no pair is handed to two live mappings.
import { BlockCursor, PairQueue } from './pair-queue.js';

/** pairs per block by default */
export const NAT_BLOCK_DEFAULT = 256;
/** at most this many blocks: a huge pool gets larger blocks (the table stays within 8 MiB) */
export const MAX_BLOCKS = 1 << 20;

// shared words: the lock, the reserve queue's head and tail, then per core, then per block
const LOCK = 0;
const Q_HEAD = 1;
const Q_TAIL = 2;
const HEADER = 3;
/** per core: home blocks no longer untouched (by anyone), home blocks skipped at the top (lent), borrowed, lent, returned */
const C_TOUCHED = 0;
const C_TOPSKIP = 1;
const C_BORROWED = 2;
const C_LENT = 3;
const C_RETURNED = 4;
const PER_CORE = 5;
/** block state: 0 = with its home core, never touched; 1 + c = held by core c; -1 = in the reserve */
const FREE_HOME = 0;
const IN_RESERVE = -1;

/** The block size for a pool of `total` pairs: `block`, grown so the pool has at most MAX_BLOCKS blocks. */
export function blockSizeFor(total: number, cores: number, block: number): number {
  if (!Number.isInteger(block) || block < 1) throw new Error(`NAT pool block must be a whole number of pairs >= 1 (got ${block})`);
  return Math.max(block, Math.ceil(total / (MAX_BLOCKS - cores)));
}

/** Words of the shared table for any share of a pool of `total` pairs over `cores` cores. */
export function poolWords(total: number, cores: number, block: number): number {
  const nb = Math.ceil(total / block) + cores;
  return HEADER + PER_CORE * cores + 2 * nb;
}

/** Bytes of the SharedArrayBuffer the cores of one NAT instance share (0: none, nothing to rebalance). */
export function poolSharedBytes(total: number, cores: number, block: number): number {
  if (block === 0 || cores < 2) return 0;
  return 4 * poolWords(total, cores, blockSizeFor(total, cores, block));
}

/** The block table of one instance's pool: `chunks` = the per-core chunk boundaries (cores + 1 of them). */
export class PoolBlocks {
  readonly cores: number;
  /** block b = pairs [starts[b], starts[b + 1]) */
  readonly starts: Float64Array;
  /** core c's home blocks are [first[c], first[c + 1]) */
  readonly first: Int32Array;
  readonly nb: number;
  private readonly w: Int32Array;
  private readonly capacity: number;
  private readonly state: number;
  private readonly queue: number;

  /** `sab`: shared with the other cores (zeroed when made); without it a private table (one core's view) */
  constructor(chunks: readonly number[], readonly block: number, sab?: SharedArrayBuffer) {
    this.cores = chunks.length - 1;
    const starts: number[] = [];
    this.first = new Int32Array(this.cores + 1);
    for (let c = 0; c < this.cores; c++) {
      this.first[c] = starts.length;
      for (let s = chunks[c]!; s < chunks[c + 1]!; s += block) starts.push(s);
    }
    this.first[this.cores] = starts.length;
    this.nb = starts.length;
    starts.push(chunks[this.cores]!);
    this.starts = Float64Array.from(starts);
    const words = sab ? sab.byteLength >> 2 : HEADER + PER_CORE * this.cores + 2 * this.nb;
    this.capacity = (words - HEADER - PER_CORE * this.cores) >> 1;
    if (this.capacity < this.nb) throw new Error(`NAT pool table too small: ${this.nb} blocks, room for ${this.capacity}`);
    this.w = new Int32Array(sab ?? new ArrayBuffer(words * 4), 0, words);
    this.state = HEADER + PER_CORE * this.cores;
    this.queue = this.state + this.capacity;
  }

  /** memory of the table, the cores' shared one counted a 1/cores share per core */
  get bytes(): number {
    return this.starts.byteLength + this.first.byteLength + this.w.byteLength / this.cores;
  }

  /** the block holding pair k, or -1 when k is not in this instance's share */
  blockOf(k: number): number {
    const s = this.starts;
    if (!(k >= s[0]!) || !(k < s[this.nb]!)) return -1;
    let lo = 0;
    let hi = this.nb - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= k) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  size(b: number): number {
    return this.starts[b + 1]! - this.starts[b]!;
  }

  private lock(): void {
    const w = this.w;
    for (let spins = 0; Atomics.compareExchange(w, LOCK, 0, 1) !== 0; spins++) {
      // held a few instructions by another core: spin, and past that let it run
      if (spins > 1000) Atomics.wait(w, LOCK, 1, 1);
    }
  }

  private unlock(): void {
    Atomics.store(this.w, LOCK, 0);
    Atomics.notify(this.w, LOCK, 1);
  }

  private cw(core: number, field: number): number {
    return HEADER + core * PER_CORE + field;
  }

  /** the home core of block b */
  homeOf(b: number): number {
    let c = 0;
    while (this.first[c + 1]! <= b) c++;
    return c;
  }

  /** Takes a FREE_HOME block for `core` (lock held); keeps the home core's counts. */
  private takeFree(core: number, b: number): void {
    const w = this.w;
    const home = this.homeOf(b);
    w[this.state + b] = 1 + core;
    w[this.cw(home, C_TOUCHED)]!++;
    if (home === core) return;
    w[this.cw(home, C_LENT)]!++;
    w[this.cw(core, C_BORROWED)]!++;
  }

  /** The lowest block of core's own chunk nobody touched, from `from` on; taken. -1: none left (then without the lock: see spareMaybe). */
  takeHome(core: number, from: number): number {
    const end = this.first[core + 1]!;
    if (this.untouched(core) === 0) return -1;
    this.lock();
    try {
      for (let b = Math.max(from, this.first[core]!); b < end; b++) {
        if (this.w[this.state + b] !== FREE_HOME) continue;
        this.takeFree(core, b);
        return b;
      }
      return -1;
    } finally {
      this.unlock();
    }
  }

  /**
   * A block for a core whose own ran out: the reserve's oldest, else the untouched top block of the
   * core with the most. -1: none, said without the lock when there is none (a core whose pool ran dry
   * asks per new flow): untouched counts only fall, so all of them 0 and then the queue seen empty
   * (head read before tail) was, at the tail's read, a moment with nothing to spare.
   */
  takeSpare(core: number): number {
    const w = this.w;
    if (!this.spareMaybe(core)) return -1;
    this.lock();
    try {
      while (w[Q_HEAD] !== w[Q_TAIL]) {
        const b = w[this.queue + (w[Q_HEAD]! % this.capacity)]!;
        w[Q_HEAD] = (w[Q_HEAD]! + 1) | 0;
        if (w[this.state + b] !== IN_RESERVE) continue;
        w[this.state + b] = 1 + core;
        w[this.cw(core, C_BORROWED)]!++;
        return b;
      }
      let best = -1;
      let most = 0;
      for (let d = 0; d < this.cores; d++) {
        if (d === core) continue;
        const n = this.untouched(d);
        if (n > most) {
          most = n;
          best = d;
        }
      }
      if (best < 0) return -1;
      for (let b = this.first[best + 1]! - 1 - w[this.cw(best, C_TOPSKIP)]!; b >= this.first[best]!; b--) {
        w[this.cw(best, C_TOPSKIP)]!++; // the top pointer only moves down: what is above it is no longer FREE_HOME
        if (w[this.state + b] !== FREE_HOME) continue;
        this.takeFree(core, b);
        return b;
      }
      return -1;
    } finally {
      this.unlock();
    }
  }

  /** untouched home blocks of core d (a count that only falls) */
  private untouched(d: number): number {
    return this.first[d + 1]! - this.first[d]! - Atomics.load(this.w, this.cw(d, C_TOUCHED));
  }

  /** whether another core has an untouched block or the reserve one (without the lock; false is final, see takeSpare) */
  private spareMaybe(core: number): boolean {
    for (let d = 0; d < this.cores; d++) if (d !== core && this.untouched(d) > 0) return true;
    const head = Atomics.load(this.w, Q_HEAD);
    return Atomics.load(this.w, Q_TAIL) !== head;
  }

  /** Recovery and takeover: core takes block b if nobody touched it (any core's home). */
  takeUntouched(core: number, b: number): boolean {
    this.lock();
    try {
      if (this.w[this.state + b] !== FREE_HOME) return false;
      this.takeFree(core, b);
      return true;
    } finally {
      this.unlock();
    }
  }

  /** A block core holds, all its pairs free, goes to the reserve. */
  giveBack(core: number, b: number): void {
    const w = this.w;
    this.lock();
    try {
      if (w[this.state + b] !== 1 + core) throw new Error(`NAT pool: core ${core} gives back block ${b} it does not hold`);
      w[this.state + b] = IN_RESERVE;
      w[this.queue + (w[Q_TAIL]! % this.capacity)] = b;
      w[Q_TAIL] = (w[Q_TAIL]! + 1) | 0;
      w[this.cw(core, C_RETURNED)]!++;
    } finally {
      this.unlock();
    }
  }

  /** whether core holds block b (a plain read: only core itself moves a block it holds) */
  holds(core: number, b: number): boolean {
    return this.w[this.state + b] === 1 + core;
  }

  /** pairs of core's own chunk nobody touched yet (a snapshot) */
  untouchedPairs(core: number): number {
    let n = 0;
    for (let b = this.first[core]!; b < this.first[core + 1]!; b++) if (Atomics.load(this.w, this.state + b) === FREE_HOME) n += this.size(b);
    return n;
  }

  /** pairs in the reserve (a snapshot) */
  reservePairs(): number {
    let n = 0;
    for (let b = 0; b < this.nb; b++) if (Atomics.load(this.w, this.state + b) === IN_RESERVE) n += this.size(b);
    return n;
  }

  counts(core: number): { borrowed: number; lent: number; returned: number } {
    return {
      borrowed: Atomics.load(this.w, this.cw(core, C_BORROWED)),
      lent: Atomics.load(this.w, this.cw(core, C_LENT)),
      returned: Atomics.load(this.w, this.cw(core, C_RETURNED)),
    };
  }
}

/**
 * One core's pairs: the block it hands out from in order, then the pairs it released, oldest first
 * (a port just freed is not reused at once: the far end may still hold the old connection's
 * TIME_WAIT), then a block from the table. Pair indices are those of the whole pool.
 */
export class PairPool {
  /** this core's own chunk [start, end) */
  readonly start: number;
  readonly end: number;
  private readonly at = new BlockCursor();
  private homeNext: number;
  private readonly freed = new PairQueue();
  /** per block: pairs of it that live mappings of this core hold */
  private readonly live: Int32Array;

  constructor(readonly blocks: PoolBlocks, readonly core: number) {
    this.start = blocks.starts[blocks.first[core]!]!;
    this.end = blocks.starts[blocks.first[core + 1]!]!;
    this.homeNext = blocks.first[core]!;
    this.live = new Int32Array(blocks.nb);
  }

  /** A pool of its own, no other core to share with: [start, end) in blocks of `block` (the paper's static partition). */
  static alone(start: number, end: number, block = NAT_BLOCK_DEFAULT): PairPool {
    return new PairPool(new PoolBlocks([start, end], blockSizeFor(end - start, 1, block)), 0);
  }

  /** memory this core's pool takes: its released-pairs queue, per-block counts, its share of the block table */
  get bytes(): number {
    return this.freed.bytes + this.live.byteLength + this.blocks.bytes;
  }

  /** pairs this core can still hand out without borrowing: its current block, released ones, its chunk's untouched blocks */
  get left(): number {
    return this.at.left + this.freed.count + this.blocks.untouchedPairs(this.core);
  }

  /** a pair index, or -1 when neither this core nor another has one */
  take(): number {
    const fresh = this.at.take();
    if (fresh >= 0) {
      this.live[this.at.cur]!++;
      return fresh;
    }
    return this.refill();
  }

  private refill(): number {
    const home = this.blocks.takeHome(this.core, this.homeNext);
    if (home >= 0) {
      this.homeNext = home + 1;
      this.use(home);
      return this.take();
    }
    if (this.freed.count > 0) {
      const k = this.freed.shift();
      this.live[this.blocks.blockOf(k)]!++;
      return k;
    }
    const b = this.blocks.takeSpare(this.core);
    if (b < 0) return -1;
    this.use(b);
    return this.take();
  }

  private use(b: number): void {
    this.at.use(b, this.blocks.starts[b]!, this.blocks.starts[b + 1]!);
  }

  /** whether pair k is in a block this core holds (a pair it may have handed out) */
  owns(k: number): boolean {
    const b = this.blocks.blockOf(k);
    return b >= 0 && this.blocks.holds(this.core, b);
  }

  /** Pair k, handed out by this core, is free again; false (nothing done) when it is not this core's. */
  release(k: number): boolean {
    const b = this.blocks.blockOf(k);
    if (b < 0 || !this.blocks.holds(this.core, b)) return false;
    this.freed.push(k);
    if (--this.live[b]! === 0) this.maybeGiveBack(b);
    return true;
  }

  /** A block all free again (its own or borrowed) goes to the reserve when this core keeps a block's worth of other free pairs. */
  private maybeGiveBack(b: number): void {
    const bl = this.blocks;
    if (b === this.at.cur || bl.cores === 1) return;
    const size = bl.size(b);
    if (this.freed.count - size < bl.block) return;
    // its pairs leave the released queue (rare: once per block), the others keep their order
    const lo = bl.starts[b]!;
    const hi = bl.starts[b + 1]!;
    this.freed.dropRange(lo, hi);
    bl.giveBack(this.core, b);
  }

  /** Takes pair k if it was never handed out (of its current block, or of a block nobody touched); false when it may be in use. */
  claimOne(k: number): boolean {
    if (this.at.claim(k, this.freed)) {
      this.live[this.at.cur]!++;
      return true;
    }
    const b = this.blocks.blockOf(k);
    if (b < 0 || !this.blocks.takeUntouched(this.core, b)) return false;
    for (let j = this.blocks.starts[b]!; j < this.blocks.starts[b + 1]!; j++) if (j !== k) this.freed.push(j);
    this.live[b] = 1;
    return true;
  }

  /**
   * Recovery: the pairs a dead instance's mappings held, taken with the blocks they lie in (a block
   * another core already holds is refused: its mappings get new pairs); the blocks' other pairs are
   * free. Returns per pair whether it is this core's now (a pair listed twice: only the first).
   */
  claim(used: readonly number[]): Uint8Array {
    const ok = new Uint8Array(used.length);
    const byBlock = new Map<number, number[]>();
    for (let i = 0; i < used.length; i++) {
      const b = this.blocks.blockOf(used[i]!);
      if (b < 0) continue;
      let l = byBlock.get(b);
      if (!l) byBlock.set(b, (l = []));
      l.push(i);
    }
    for (const [b, idx] of [...byBlock].sort((x, y) => x[0] - y[0])) {
      if (!this.blocks.takeUntouched(this.core, b)) continue; // held already (by another core, or this one: taken twice)
      const taken = new Set<number>();
      for (const i of idx) {
        if (taken.has(used[i]!)) continue;
        taken.add(used[i]!);
        ok[i] = 1;
      }
      for (let j = this.blocks.starts[b]!; j < this.blocks.starts[b + 1]!; j++) if (!taken.has(j)) this.freed.push(j);
      this.live[b] = taken.size;
    }
    return ok;
  }

  /** blocks this core took from other cores or the reserve, lent to others, and gave back */
  counts(): { borrowed: number; lent: number; returned: number } {
    return this.blocks.counts(this.core);
  }
}
