// A test NF of known capacity: a core that needs 1/R seconds per packet. It forwards at most
// --limit-pps R packets/s (split evenly over the cores) by waiting for a token bucket before each burst,
// so what it cannot take piles up in its queue and what the queue cannot hold is dropped there (missed),
// like an NF whose core is too slow. With --limit-noise N each millisecond's refill is R x (1 - N x u),
// u uniform in [0, 1) from a seeded generator: the capacity wobbles below R the same way on every run.
// The search's tests bracket R with it.
import { performance } from 'node:perf_hooks';
import { Xoshiro128 } from '../runtime/packet/prng.js';
import type { Burst, NetworkFunction, NfModule, NfOptions } from './types.js';

/** Milliseconds of tokens the bucket holds: absorbs an oversleep of the waits below without losing rate. */
export const BUCKET_MS = 3;
/** R when none is given (a spec's matrix can name the NF but has no flag for R) */
export const DEFAULT_LIMIT_PPS = 1_000_000;

class RateLimit implements NetworkFunction {
  private tokens = 0;
  private last = -1;
  private readonly perMs: number;
  private readonly depth: number;
  private readonly rng: Xoshiro128;
  private readonly noise: number;
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));
  private factor = 1;
  private nextDraw = 0;
  private waitedMs = 0;

  constructor(opts: NfOptions & { limitPps: number }) {
    this.noise = opts.limitNoise ?? 0;
    this.perMs = opts.limitPps / opts.cores / 1000;
    this.depth = Math.max(64, this.perMs * BUCKET_MS);
    this.rng = new Xoshiro128(opts.seed ?? 1, opts.core);
  }

  private refill(now: number): void {
    if (this.last < 0) this.last = now;
    if (this.noise > 0 && now >= this.nextDraw) {
      this.factor = 1 - this.noise * (this.rng.nextU32() / 4294967296);
      this.nextDraw = now + 1;
    }
    const t = this.tokens + (now - this.last) * this.perMs * this.factor;
    this.tokens = t < this.depth ? t : this.depth;
    this.last = now;
  }

  process(b: Burst): number {
    const n = b.count;
    let now = performance.now();
    this.refill(now);
    while (this.tokens < n) {
      // the core is still busy with earlier packets: wait (sleep when it is long enough to)
      const ms = (n - this.tokens) / (this.perMs * this.factor);
      if (ms >= 0.05) Atomics.wait(this.sleeper, 0, 0, ms);
      const t = performance.now();
      this.waitedMs += t - now;
      now = t;
      this.refill(now);
    }
    this.tokens -= n;
    return n;
  }

  stats(): Record<string, number> {
    return { limit_pps: this.perMs * 1000, waited_ms: Math.round(this.waitedMs) };
  }
}

export const nf: NfModule = {
  async createNf(_ctx, opts) {
    const limitPps = opts.limitPps ?? DEFAULT_LIMIT_PPS;
    if (!(limitPps > 0)) throw new Error(`--nf ratelimit needs --limit-pps R > 0 (got ${limitPps})`);
    return new RateLimit({ ...opts, limitPps });
  },
};
