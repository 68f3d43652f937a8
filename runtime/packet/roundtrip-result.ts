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

/**
 * `flexbench gen --trials-on-stdin`: the generator stays up with its port open and runs one trial per stdin line
 * (FD.io CSIT's and TRex's way: the generator is not started per trial). It says it is ready with one line
 * `{"gen_ready": PORT, "pid": PID}`; each request line is answered by one line carrying its id: the trial's result as above, or
 * `error` (a bad request, nothing sent). A line `end`, or stdin's end, ends it (its port closed, its XDP program gone).
 */
export const genTrialRequestSchema = z.strictObject({
  gen_trial: z.string().min(1),
  rate: z.union([z.literal('max'), z.number().positive()]),
  warmup_s: nonneg,
  duration_s: z.number().positive(),
  latency_every: count,
});
export type GenTrialRequest = z.infer<typeof genTrialRequestSchema>;

/** One answer line of a resident generator: its ready line, a trial's result, or a refused request; null for any other line. */
export function parseGenLine(line: string): { ready: string; pid: number | null } | { id: string; result: RoundTripResult } | { id: string; error: string } | null {
  if (!line.startsWith('{"gen_')) return null;
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof j.gen_ready === 'string') return { ready: j.gen_ready, pid: typeof j.pid === 'number' ? j.pid : null };
  if (typeof j.gen_trial !== 'string') return null;
  if (typeof j.error === 'string') return { id: j.gen_trial, error: j.error };
  const r = roundTripResultSchema.safeParse(j);
  if (!r.success) return { id: j.gen_trial, error: `flexbench gen's result does not match its schema: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  return { id: j.gen_trial, result: r.data };
}
