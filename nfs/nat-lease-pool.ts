// The NAT pool of several instances sharing one store (issue 18, Section VI-A between instances): the
// whole pool is cut in blocks of `block` pairs, and a block is handed out only by the partition
// (instance@core) holding its store lock `natBlock-B` (the state API's Section VI-B lock: owner and
// lease, `SET NX PX` / a lightweight transaction). No static share: a partition starts with one block,
// searched from its share of the pool (so instances do not collide at first), and takes the next one
// when its current block runs low, one block ahead and off the packet path (a lock request the packet
// never waits for); when every block is held, new flows are dropped and the search is retried every
// RETRY_MS for a block someone released or whose lease ran out.
//
// The rule that keeps every (address, port) pair on one live mapping: a pair is handed out only from a
// block whose lock this partition holds; a block is held while a mapping anywhere uses one of its pairs:
//   - its holder renews its lease every lease/3 while it holds it, and releases it once all its pairs
//     are free again and it keeps a block's worth of other free pairs (or at close: a scale-in's free
//     blocks), after its own writes are flushed;
//   - a standby taking over a dead partition has its owner id: it renews the blocks of the mappings it
//     recovers (the lease outlives a failover);
//   - an instance that adopts another's mappings (scale-in, survivors' takeover, scale-out) keeps
//     their blocks' leases alive under the old owner's id while it has a mapping in them, and hands out
//     none of their pairs: the block moves with its mappings and frees itself only when none is left
//     anywhere (its lease runs out);
//   - a dead partition's other blocks free themselves when their lease runs out.
import type { StateContext } from '../runtime/state/api.js';
import { BlockCursor, PairQueue } from './pair-queue.js';

/** lease of a block lock (ms): longer than a failover's recovery, renewed every third of it */
export const NAT_LEASE_DEFAULT_MS = 10_000;
/** a search that found every block held is retried after this long (a new flow meanwhile is dropped) */
const RETRY_MS = 50;
/** blocks tried per search before waiting RETRY_MS (each try is one store round trip) */
const SCAN_MAX = 64;
/** most blocks held ahead, unused: as many as the store's answer takes to come at the rate pairs are taken, plus one */
const MAX_AHEAD = 8;

/** What the pool asks of the store: one leased lock per block, by owner (a partition, `instance@core`). */
export interface BlockLocks {
  acquire(block: number, owner: string, leaseMs: number): Promise<boolean>;
  renew(block: number, owner: string, leaseMs: number): Promise<boolean>;
  release(block: number, owner: string): Promise<boolean>;
  /** the owner holding it now, null when free */
  holder(block: number): Promise<string | null>;
}

/** lock name of block b */
export const blockLockName = (b: number): string => `natBlock-${b}`;

/** The state API's locks of one context as block locks. */
export function contextLocks(ctx: StateContext): BlockLocks {
  return {
    // async: a closed context's throw becomes a rejection the pool counts, never an uncaught error in a timer
    acquire: async (b, owner, lease) => ctx.lock(blockLockName(b), { owner }).acquire(lease),
    renew: async (b, owner, lease) => ctx.lock(blockLockName(b), { owner }).renew(lease),
    release: async (b, owner) => ctx.lock(blockLockName(b), { owner }).release(),
    holder: async (b) => (await ctx.lock(blockLockName(b)).holder())?.owner ?? null,
  };
}

/** the owner id of a partition's blocks: a standby taking over the same instance and core renews them */
export const partitionOwner = (instance: string, core: number): string => `${instance}@${core}`;

// block states, this partition's view
const FREE = 0; // not held by this partition (held by another, or by nobody)
const OWN = 1; // its lock is ours: its pairs are handed out here
const ADOPTED = 2; // held under another owner for mappings adopted here: none of its pairs handed out here
const RELEASING = 3; // our release is in flight: not tried again until it is done
const PENDING = 4; // recovered: its lock asked for, its free pairs not handed out until it is ours

export interface LeasedPoolOptions {
  /** pairs in the whole pool */
  total: number;
  block: number;
  /** this partition's owner id (partitionOwner) */
  owner: string;
  /** the pair the search for blocks starts at (this partition's share of the pool) */
  preferred: number;
  leaseMs?: number;
  /** a timer renewing the leases (false in tests that drive renew() themselves) */
  renewTimer?: boolean;
  /** a lock request failed (the store down): said once per kind */
  onError?: (what: string, e: Error) => void;
}

export interface LeasedPoolCounts {
  /** blocks whose lock this partition took (a standby's renewals of its predecessor's blocks included) */
  taken: number;
  /** blocks it gave back (all their pairs free) */
  released: number;
  /** blocks held now */
  held: number;
  /** blocks held for mappings adopted from another owner */
  adopted: number;
  /** searches that found no free block */
  exhausted: number;
  /** renewals refused: a lock this partition thought it held was not (its lease ran out: the store was away longer) */
  lost: number;
  /** adopted or recovered mappings in a block another partition hands out (should stay 0) */
  conflicts: number;
  /** lock requests that failed (store errors) */
  errors: number;
}

export class LeasedPairPool {
  readonly block: number;
  readonly nb: number;
  readonly total: number;
  readonly owner: string;
  readonly leaseMs: number;
  private readonly state: Uint8Array;
  /** per block: live mappings here with a pair in it */
  private readonly live: Int32Array;
  /** ADOPTED blocks: the owner whose lease is kept */
  private readonly foreign = new Map<number, string>();
  /** PENDING blocks: the recovered pairs still live in them */
  private readonly pending = new Map<number, Set<number>>();
  private confirming: Promise<void> | null = null;
  private readonly at = new BlockCursor();
  /** blocks held ahead, not yet used (oldest first) */
  private readonly spares: number[] = [];
  /** blocks to hold ahead: 1 + the store's lock answer time over the time a block lasts (at most MAX_AHEAD) */
  private want = 1;
  /** when the current block was started, and the last lock answer's time (ms) */
  private usedAt = 0;
  private answerMs = 0;
  /** the last search found no free block (cleared by the next one that finds one): a new flow dropped now finds the pool exhausted, not a block on its way */
  dry = false;
  private cursor: number;
  private searching: Promise<void> | null = null;
  private retryAt = 0;
  private readonly freed = new PairQueue();
  private renewing = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private closed = false;
  private readonly c: LeasedPoolCounts = { taken: 0, released: 0, held: 0, adopted: 0, exhausted: 0, lost: 0, conflicts: 0, errors: 0 };
  private readonly errorsSaid = new Set<string>();

  constructor(private readonly locks: BlockLocks, private readonly o: LeasedPoolOptions) {
    if (!Number.isInteger(o.block) || o.block < 1) throw new Error(`NAT pool block must be a whole number of pairs >= 1 (got ${o.block})`);
    this.block = o.block;
    this.total = o.total;
    this.nb = Math.ceil(o.total / o.block);
    this.owner = o.owner;
    this.leaseMs = o.leaseMs ?? NAT_LEASE_DEFAULT_MS;
    this.state = new Uint8Array(this.nb);
    this.live = new Int32Array(this.nb);
    // the search begins at this partition's share (the pool itself is shared)
    this.cursor = Math.floor(Math.max(0, Math.min(o.total - 1, o.preferred)) / this.block);
  }

  /** block of pair k */
  blockOf(k: number): number {
    return Math.floor(k / this.block);
  }

  private first(b: number): number {
    return b * this.block;
  }

  private last(b: number): number {
    return Math.min(this.total, (b + 1) * this.block);
  }

  /** Takes the first block (recovery's blocks first, when a standby) and starts the lease timer; before any packet. */
  async init(): Promise<void> {
    await this.confirming; // a standby's recovered blocks first: their free pairs are handed out before a new block is taken
    if (this.at.cur < 0 && this.spares.length === 0 && this.freed.count === 0) {
      this.startSearch(); // one search at a time: a take() of a standby's first new flow may have started it
      await this.searching;
    }
    if (this.at.cur < 0 && this.spares.length > 0) this.use(this.spares.shift()!);
    this.ahead();
    if (this.o.renewTimer !== false && this.timer === null) {
      this.timer = setInterval(() => void this.renew().catch((e: Error) => this.failed('renew', e)), Math.max(10, Math.floor(this.leaseMs / 3)));
      this.timer.unref?.();
    }
  }

  /** memory the pool takes: per block a state byte and a count, the released-pairs queue */
  get bytes(): number {
    return this.state.byteLength + this.live.byteLength + this.freed.bytes;
  }

  /** pairs this partition can hand out without taking another block */
  get left(): number {
    let n = this.at.left + this.freed.count;
    for (const b of this.spares) n += this.last(b) - this.first(b);
    return n;
  }

  /** a pair index, or -1 when this partition holds none free now (a block is being searched for) */
  take(): number {
    const fresh = this.at.take();
    if (fresh >= 0) {
      this.live[this.at.cur]!++;
      return fresh;
    }
    if (this.freed.count > 0) {
      const k = this.freed.shift();
      this.live[this.blockOf(k)]!++;
      return k;
    }
    if (this.spares.length > 0) {
      this.use(this.spares.shift()!);
      this.ahead();
      return this.take();
    }
    this.startSearch();
    return -1;
  }

  /**
   * A new current block (once per block): how long the last one lasted sets how many to hold ahead,
   * so the next arrives before this one is used up (one block ahead; more when the store answers slowly).
   */
  private use(b: number): void {
    const now = performance.now();
    if (this.at.cur >= 0 && now > this.usedAt) this.want = Math.min(MAX_AHEAD, 1 + Math.ceil(this.answerMs / (now - this.usedAt)));
    this.usedAt = now;
    this.at.use(b, this.first(b), this.last(b));
  }

  /** asks for blocks until `want` are held ahead (off the packet path) */
  private ahead(): void {
    if (this.spares.length < this.want) this.startSearch();
  }

  private startSearch(): void {
    if (this.searching !== null || this.closed || performance.now() < this.retryAt) return;
    this.searching = this.search().finally(() => {
      this.searching = null;
      if (!this.dry && !this.closed) this.ahead(); // wanted more than it found this time, and there were some
    });
  }

  /**
   * Tries blocks from the cursor on until the blocks wanted ahead are held (at least one), at most
   * SCAN_MAX tried; as many asked at once as are missing (one round trip for them all).
   */
  private async search(): Promise<void> {
    let tried = 0;
    let got = 0;
    const tries = Math.min(this.nb, SCAN_MAX);
    while (tried < tries && !this.closed) {
      const need = Math.max(1, this.want - this.spares.length);
      const batch: number[] = [];
      while (batch.length < need && tried < tries) {
        const b = this.cursor;
        this.cursor = b + 1 === this.nb ? 0 : b + 1;
        tried++;
        if (this.state[b] === FREE) batch.push(b);
      }
      if (batch.length === 0) break;
      const t0 = performance.now();
      let oks: boolean[];
      try {
        oks = await Promise.all(batch.map((b) => this.locks.acquire(b, this.owner, this.leaseMs)));
      } catch (e) {
        this.failed('acquire', e as Error);
        break;
      }
      this.answerMs = performance.now() - t0;
      batch.forEach((b, i) => {
        if (!oks[i]) return;
        const now = this.state[b] as number; // it may have changed while the lock was asked for
        if (now !== FREE || this.closed) {
          // adopted meanwhile (its old owner's lease had run out) or closing: give back what we will not hand out
          if (now === ADOPTED || now === FREE) void this.locks.release(b, this.owner).catch(() => undefined);
          return;
        }
        this.state[b] = OWN;
        this.c.taken++;
        this.c.held++;
        this.spares.push(b);
        got++;
      });
      if (this.spares.length >= this.want) break;
    }
    this.dry = got === 0;
    if (!this.dry) return;
    if (this.spares.length === 0) this.c.exhausted++;
    this.retryAt = performance.now() + RETRY_MS;
  }

  /** waits for a block search in flight (tests) */
  async settle(): Promise<void> {
    await this.confirming;
    while (this.searching !== null) await this.searching;
  }

  /**
   * A mapping with pair k is gone. Ours: the pair is free again (false when not ours). An adopted
   * block with no mapping left here is no longer renewed: its lease runs out unless another adopter keeps it.
   */
  release(k: number): boolean {
    const b = this.blockOf(k);
    if (!(b >= 0 && b < this.nb)) return false;
    if (this.state[b] === PENDING) {
      if (this.pending.get(b)!.delete(k)) this.live[b]!--;
      return false;
    }
    if (this.state[b] === ADOPTED) {
      if (--this.live[b]! === 0) this.dropAdopted(b);
      return false;
    }
    if (this.state[b] !== OWN) return false;
    this.freed.push(k);
    if (--this.live[b]! === 0) this.maybeGiveBack(b);
    return true;
  }

  /** A block all free again goes back to the store when this partition keeps a block's worth of other free pairs. */
  private maybeGiveBack(b: number): void {
    if (b === this.at.cur) return;
    const size = this.last(b) - this.first(b);
    if (this.freed.count - size < this.block) return;
    this.giveBack(b);
  }

  private giveBack(b: number): void {
    const lo = this.first(b);
    const hi = this.last(b);
    this.freed.dropRange(lo, hi);
    this.state[b] = RELEASING;
    this.c.held--;
    this.c.released++;
    this.locks.release(b, this.owner).then(
      () => { if (this.state[b] === RELEASING) this.state[b] = FREE; },
      (e: Error) => { this.failed('release', e); if (this.state[b] === RELEASING) this.state[b] = FREE; },
    );
  }

  /** Takes pair k if it is ahead in the current block (never handed out); false otherwise. */
  claimOne(k: number): boolean {
    if (this.at.claim(k, this.freed)) {
      this.live[this.at.cur]!++;
      return true;
    }
    return false;
  }

  /**
   * Recovery (a standby with the dead partition's owner id): the pairs its mappings held are kept at
   * once (the dead partition's lease still holds their blocks: nobody else hands them out), and their
   * blocks' locks are asked for in the background (a takeover does not wait for them): a block whose
   * lock is ours (renewed) or free (taken) becomes ours and its other pairs free; a block another owner
   * holds (mappings the dead partition had adopted) is kept under that owner's lease, none of its pairs
   * handed out. Returns per pair whether the mapping may be kept (a pair listed twice: only the first).
   */
  claim(used: readonly number[]): Uint8Array {
    const ok = new Uint8Array(used.length);
    const blocks: number[] = [];
    for (let i = 0; i < used.length; i++) {
      const k = used[i]!;
      const b = this.blockOf(k);
      if (!(b >= 0 && b < this.nb)) continue;
      let set = this.pending.get(b);
      if (set === undefined) {
        if (this.state[b] !== FREE) continue; // held here already
        this.pending.set(b, (set = new Set()));
        this.state[b] = PENDING;
        this.c.held++;
        blocks.push(b);
      }
      if (set.has(k)) continue;
      set.add(k);
      this.live[b]!++;
      ok[i] = 1;
    }
    if (blocks.length) this.confirming = Promise.all(blocks.map((b) => this.confirm(b))).then(() => undefined);
    return ok;
  }

  /** A recovered block's lock: ours (its free pairs handed out from now on) or another's (kept under its lease). */
  private async confirm(b: number): Promise<void> {
    let holder: string | null = null;
    try {
      if (!(await this.locks.acquire(b, this.owner, this.leaseMs))) holder = await this.locks.holder(b);
      else holder = this.owner;
    } catch (e) {
      this.failed('acquire', e as Error);
    }
    const set = this.pending.get(b)!;
    this.pending.delete(b);
    if (holder === this.owner) {
      this.state[b] = OWN;
      this.c.taken++;
      for (let j = this.first(b); j < this.last(b); j++) if (!set.has(j)) this.freed.push(j);
      return;
    }
    // another owner's (or unknown: the store did not answer): its pairs stay out of this pool
    this.state[b] = ADOPTED;
    this.foreign.set(b, holder ?? this.owner);
    this.c.adopted++;
    if (holder === null) this.c.lost++;
    if (this.live[b] === 0) this.dropAdopted(b); // every recovered mapping of it already gone
  }

  /** no mapping here uses adopted block b any more: its lease is no longer kept from here */
  private dropAdopted(b: number): void {
    this.state[b] = FREE;
    this.foreign.delete(b);
    this.c.held--;
    this.c.adopted--;
  }

  /** block b, held by `owner`, now has its first mapping here (adopted): its lease is kept from here */
  private adoptBlock(b: number, owner: string): void {
    this.state[b] = ADOPTED;
    this.foreign.set(b, owner);
    this.live[b] = 1;
    this.c.held++;
    this.c.adopted++;
  }

  /**
   * Scale-in, a survivors' takeover, scale-out: mappings adopted from partition `from` keep their pairs;
   * their blocks are kept under `from`'s lease while a mapping here uses one (renewed at once: the
   * removed instance is gone). False: the pair lies in a block this partition hands out or recovered (a conflict).
   */
  adoptPair(k: number, from: string): boolean {
    const b = this.blockOf(k);
    if (!(b >= 0 && b < this.nb)) return false;
    const s = this.state[b];
    // a recovered block waiting for its lock is this partition's too: adopting into it would wipe its recovered count
    if (s === OWN || s === RELEASING || s === PENDING) {
      this.c.conflicts++;
      return false;
    }
    if (s === ADOPTED) this.live[b]!++;
    else this.adoptBlock(b, from);
    return true;
  }

  /** Renews every lease this partition keeps (its blocks, and adopted ones under their owner's id). */
  async renew(): Promise<void> {
    if (this.renewing || this.closed) return;
    this.renewing = true;
    try {
      const jobs: Promise<void>[] = [];
      for (let b = 0; b < this.nb; b++) {
        const s = this.state[b];
        if (s === OWN) {
          jobs.push(this.locks.renew(b, this.owner, this.leaseMs).then((ok) => { if (!ok && this.state[b] === OWN) this.c.lost++; }, (e: Error) => this.failed('renew', e)));
        } else if (s === ADOPTED) {
          const owner = this.foreign.get(b)!;
          // the old owner's lease, kept; held under another name (adopted through an instance that had
          // adopted it), that name's lease is kept from now on; if it ran out, taken again under the old name
          jobs.push(this.locks.renew(b, owner, this.leaseMs).then(async (ok) => {
            if (ok || this.state[b] !== ADOPTED) return;
            const h = await this.locks.holder(b);
            if (h !== null && h !== this.owner) {
              this.foreign.set(b, h);
              if (await this.locks.renew(b, h, this.leaseMs)) return;
            }
            if (!(await this.locks.acquire(b, owner, this.leaseMs))) this.c.lost++;
          }).catch((e: Error) => this.failed('renew', e)));
        }
      }
      await Promise.all(jobs);
    } finally {
      this.renewing = false;
    }
  }

  /**
   * Scale-in or the end: the blocks with no mapping left go back to the store; those with live
   * mappings get a fresh lease, kept by whoever adopts the mappings.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.settle();
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const jobs: Promise<unknown>[] = [];
    for (let b = 0; b < this.nb; b++) {
      if (this.state[b] !== OWN) continue;
      if (this.live[b] === 0) {
        this.state[b] = RELEASING;
        this.c.held--;
        this.c.released++;
        jobs.push(this.locks.release(b, this.owner).catch((e: Error) => this.failed('release', e)));
      } else jobs.push(this.locks.renew(b, this.owner, this.leaseMs).catch((e: Error) => this.failed('renew', e)));
    }
    await Promise.all(jobs);
  }

  private failed(what: string, e: Error): void {
    this.c.errors++;
    if (this.errorsSaid.has(what)) return;
    this.errorsSaid.add(what);
    this.o.onError?.(what, e);
  }

  counts(): LeasedPoolCounts {
    return { ...this.c };
  }

  /** blocks this partition holds now (ours, then adopted), for tests and messages */
  heldBlocks(): { own: number[]; adopted: number[] } {
    const own: number[] = [];
    const adopted: number[] = [];
    for (let b = 0; b < this.nb; b++) {
      if (this.state[b] === OWN) own.push(b);
      else if (this.state[b] === ADOPTED) adopted.push(b);
    }
    return { own, adopted };
  }
}
