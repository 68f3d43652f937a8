// `flexbench gen --json`: the round-trip generator's result, its last stdout line (runtime/packet/roundtrip.ts
// writes it, the two-node testbed reads it with parseRoundTripOutput). Counts are the measured phase's.
import { z } from 'zod';
import { FlexbenchError, EXIT } from '../../common/errors.js';
import { latencySummarySchema } from './latency-schema.js';

const count = z.number().int().nonnegative();
const nonneg = z.number().nonnegative();

export const roundTripResultSchema = z.looseObject({
  tool: z.literal('flexbench gen'),
  /** af_xdp:IFACE or af_packet:IFACE */
  port: z.string(),
  /** the paced rate; null when unpaced (--rate max) */
  rate_pps: nonneg.nullable(),
  paced: z.boolean(),
  warmup_s: nonneg,
  duration_s: nonneg,
  drain_ms: nonneg,
  /** rate x duration: what a perfect generator would have sent */
  intended_packets: count,
  /** what it put on the wire */
  sent_packets: count,
  /** packets due that it could not send (TX ring full: it fell behind), part of intended - sent; 0 unpaced (nothing is due) */
  tx_ring_full: count,
  /** IPv4 frames that came back in the phase and its drain */
  received_packets: count,
  /** returns node1's own port dropped (its receive ring full: the generator fell behind receiving), part of the loss */
  rx_missed: count.default(0),
  /** intended - received: what the generator failed to send counts as lost (RFC 9971) */
  lost_packets: count,
  loss_ratio: nonneg,
  /** the measured phase's length on the generator's clock */
  seconds: nonneg,
  sent_pps: nonneg,
  received_pps: nonneg,
  /** frames that came back and were not IPv4 (the node's own traffic), not counted */
  rx_other: count,
  latency_every: count,
  latency: latencySummarySchema.nullable(),
});
export type RoundTripResult = z.infer<typeof roundTripResultSchema>;

/** The result on the last stdout line of `flexbench gen --json`, or a FlexbenchError saying what is wrong. */
export function parseRoundTripOutput(stdout: string): RoundTripResult {
  const last = stdout.trim().split('\n').pop() ?? '';
  let j: unknown;
  try {
    j = JSON.parse(last);
  } catch {
    throw new FlexbenchError(`flexbench gen printed no JSON result (last line: ${JSON.stringify(last.slice(0, 200))})`, EXIT.trialsFailed);
  }
  const r = roundTripResultSchema.safeParse(j);
  if (!r.success) throw new FlexbenchError(`flexbench gen's result does not match its schema: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, EXIT.trialsFailed);
  return r.data;
}
