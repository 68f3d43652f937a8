// What a flush of sequence number `seq` does given the store's last whole flush and this connection's
// unfinished plan (pure; pinned by test/runtime/drivers/cassandra-resend.test.ts). The meta row that
// says "flush seq applied whole" goes out pipelined with the plan's units (one wait per flush), so it
// can have applied while a unit of the same attempt did not: then this connection's plan for that seq
// still has pending units, and the resend runs them (counter units ask their markers first) instead
// of taking the flush for a duplicate.

export type FlushStep =
  /** the store holds this flush whole: nothing to send */
  | 'duplicate'
  /** the store lost flushes before this one (store continuity): nothing to send */
  | 'behind'
  /** a different flush arrived while this one's plan is unfinished (the runtime resends unchanged) */
  | 'out-of-order'
  /** compile the plan (none yet) or finish it */
  | 'run';

export interface PlanState {
  seq: number;
  /** some unit not known to have applied */
  pending: boolean;
}

export function flushStep(last: number, seq: number, plan: PlanState | null, resync: boolean): FlushStep {
  const unfinished = plan !== null && plan.seq === seq && plan.pending;
  if (seq <= last && !unfinished) return 'duplicate';
  if (last < seq - 1 && !resync) return 'behind';
  if (plan !== null && plan.seq !== seq) return 'out-of-order';
  return 'run';
}
