// The latency summary as JSON (runtime/packet/latency.ts's LatencySummary is its type): one schema for every
// process that reports it (`nf run --json`, `flexbench gen --json`) and every reader.
import { z } from 'zod';

const count = z.number().int().nonnegative();
const us = z.number().nonnegative();

/** microseconds; hdr = the merged HdrHistogram (ns), compressed base64 */
export const latencySummarySchema = z.object({
  samples: count,
  min_us: us,
  mean_us: us,
  p50_us: us,
  p90_us: us,
  p99_us: us,
  p999_us: us,
  max_us: us,
  /** mean absolute difference of consecutive samples (per core), the RFC 3550 spirit without smoothing */
  jitter_us: us,
  bad_stamps: count,
  hdr: z.string(),
});
