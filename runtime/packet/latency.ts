// Latency of sampled packets: one HDR histogram per core (nanoseconds), merged into one summary.
import * as hdr from 'hdr-histogram-js';
import type { z } from 'zod';
import type { latencySummarySchema } from './latency-schema.js';

/** Histogram parameters: 1 ns to 100 s at 3 significant digits (0.1 % relative resolution). */
const BUILD = { lowestDiscernibleValue: 1, highestTrackableValue: 100e9, numberOfSignificantValueDigits: 3 as const };

/** What one core sends back: its histogram (HdrHistogram's compressed base64) and jitter sums. */
export interface CoreLatency {
  hdr: string;
  /** sum of |latency - previous latency| over consecutive samples, ns, and how many differences */
  jitter_sum_ns: number;
  jitter_n: number;
  /** stamps found broken where the packet came back */
  bad_stamps: number;
}

/** One core's recorder: `record` takes milliseconds (what the port measures) and never allocates. */
export class LatencyRecorder {
  private h = hdr.build(BUILD);
  private prev = -1;
  private jitterSum = 0;
  private jitterN = 0;

  record(ms: number): void {
    const ns = ms > 0 ? Math.round(ms * 1e6) : 0;
    this.h.recordValue(ns);
    if (this.prev >= 0) {
      this.jitterSum += Math.abs(ns - this.prev);
      this.jitterN++;
    }
    this.prev = ns;
  }

  /** forget the warm-up's samples */
  reset(): void {
    this.h.reset();
    this.prev = -1;
    this.jitterSum = 0;
    this.jitterN = 0;
  }

  /** the core's latency so far, with the broken stamps its port or receiver counted */
  take(badStamps: number): CoreLatency {
    return { hdr: hdr.encodeIntoCompressedBase64(this.h), jitter_sum_ns: this.jitterSum, jitter_n: this.jitterN, bad_stamps: badStamps };
  }
}

/** The latency fields of a result (µs; `hdr` the merged histogram in ns, compressed base64), as latency-schema.ts reads them. */
export type LatencySummary = z.infer<typeof latencySummarySchema>;

const us = (ns: number) => Math.round(ns) / 1000;

export function mergeLatency(parts: readonly CoreLatency[]): LatencySummary | null {
  if (parts.length === 0) return null;
  const h = hdr.build(BUILD);
  let jSum = 0;
  let jN = 0;
  let bad = 0;
  for (const p of parts) {
    h.add(hdr.decodeFromCompressedBase64(p.hdr));
    jSum += p.jitter_sum_ns;
    jN += p.jitter_n;
    bad += p.bad_stamps;
  }
  const n = h.totalCount;
  return {
    samples: n,
    min_us: n ? us(h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue) : 0,
    mean_us: n ? us(h.mean) : 0,
    p50_us: us(h.getValueAtPercentile(50)),
    p90_us: us(h.getValueAtPercentile(90)),
    p99_us: us(h.getValueAtPercentile(99)),
    p999_us: us(h.getValueAtPercentile(99.9)),
    max_us: us(h.maxValue),
    jitter_us: jN ? us(jSum / jN) : 0,
    bad_stamps: bad,
    hdr: hdr.encodeIntoCompressedBase64(h),
  };
}
