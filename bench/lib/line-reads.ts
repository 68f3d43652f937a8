// The host's price of a cache line no cache holds: independent random reads of an array the size of
// an NF's 1M-flow table (as the NFs' bucket and record touches are issued: a burst's at once), in ns
// per read beyond the same loop over an array that stays in L1. A packet of a known flow at 1,000,000
// flows pays it once per line its lookup reads, whatever the NF's code does; the bench prints what
// that leaves of the 50,000-flow rate. Run pinned to the DUT's CPU as a child: `node line-reads.js BYTES`
// prints one JSON line.
import { pathToFileURL } from 'node:url';

export interface LineReads {
  /** the array's size */
  bytes: number;
  /** ns per read over the big array, less the same loop's ns over an array in L1 (the loop's own cost) */
  extraNs: number;
  /** ns per read over the big array */
  ns: number;
  /** ns per read over the small one */
  baseNs: number;
}

/** xorshift32 mapped onto the lines by multiply-shift, as the flow tables map a hash: the same sequence every run */
function indices(count: number, lines: number): Int32Array {
  const out = new Int32Array(count);
  let s = 2463534242;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = Math.floor(((s >>> 0) * lines) / 4294967296) << 4; // a line's first int32 (16 per 64-byte line)
  }
  return out;
}

/** the loop both arrays go through: every read independent of the others, so misses overlap as far as the core lets them */
function readAll(a: Int32Array, idx: Int32Array, mask: number): number {
  let t = 0;
  for (let i = 0; i < idx.length; i++) t |= a[idx[i]! & mask]!;
  return t;
}

/** Measures random line reads over `bytes` (best of `tries`, each `reads` reads). */
export function measureLineReads(bytes: number, reads = 1 << 22, tries = 3): LineReads {
  const big = new Int32Array(Math.max(16, Math.floor(bytes / 64) * 16));
  for (let i = 0; i < big.length; i += 1024) big[i] = i; // every page present before the clock starts
  const small = new Int32Array(4096); // 16 KB: stays in L1
  const idx = indices(reads, big.length >> 4);
  let sink = readAll(big, idx, -1) ^ readAll(small, idx, 4095);
  let ns = Infinity;
  let baseNs = Infinity;
  for (let k = 0; k < tries; k++) {
    let t0 = process.hrtime.bigint();
    sink ^= readAll(big, idx, -1);
    ns = Math.min(ns, Number(process.hrtime.bigint() - t0) / reads);
    t0 = process.hrtime.bigint();
    sink ^= readAll(small, idx, 4095);
    baseNs = Math.min(baseNs, Number(process.hrtime.bigint() - t0) / reads);
  }
  if (sink === 0x7fffffff) console.error(''); // keeps the reads observable
  return { bytes: big.byteLength, extraNs: Math.max(0, ns - baseNs), ns, baseNs };
}

/**
 * The rate a packet path would keep if every packet added `lines` reads of `lineNs` each to what it
 * cost at `smallMpps` (where its table was in the caches): 1000 / (1000 / smallMpps + lines × lineNs).
 */
export function rateWithLines(smallMpps: number, lines: number, lineNs: number): number {
  return 1000 / (1000 / smallMpps + lines * lineNs);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const bytes = Number(process.argv[2] ?? 32 * 1024 * 1024);
  console.log(JSON.stringify(measureLineReads(bytes)));
}
