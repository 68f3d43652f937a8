// The one contract of `flexbench nf run --json`: the last stdout line is one JSON object of this
// schema. The engine writes it (typed by it); the harness's readers (local and two-node testbeds,
// benchmarks) parse it with parseNfRunOutput, so a field renamed on one side fails on both.
import { z } from 'zod';
import { FlexbenchError, EXIT } from '../../common/errors.js';
import { STATE_MODES } from '../state/config.js';
import { latencySummarySchema } from '../packet/latency-schema.js';

const count = z.number().int().nonnegative();
const rate = z.number().nonnegative();

/** the counts a whole run and each of its cores report alike */
const counts = {
  rx_packets: count,
  tx_packets: count,
  /** missed (queue full) + dropped by the NF + refused by the port's TX ring */
  dropped: count,
  missed: count,
  nf_dropped: count,
  tx_dropped: count,
  duration_s: rate,
  rx_mpps: rate,
  /**
   * the window's seconds the core's thread ran on a CPU, and waited runnable for one while something else held it
   * (/proc/thread-self/schedstat; summed over cores for the run); null where the kernel does not say
   */
  cpu_s: rate.nullable().default(null),
  wait_s: rate.nullable().default(null),
};

/** Flushes failing in a row (runtime/state/api.ts StoreOutage): epoch ms of the first failure and of the next flush acknowledged (null: still failing). */
const nfRunStoreOutageSchema = z.object({ from: z.number(), to: z.number().nullable(), failed: count, error: z.string() });

const nfRunCoreSchema = z.looseObject({
  core: z.number().int().nonnegative(),
  ...counts,
  /** the NF's own figures (flows seen, pool left, …) */
  nf: z.record(z.string(), z.number()),
  /** async mode: the state flusher's figures before the final flush */
  state: z.looseObject({ flushes: count, entries: count, bytes: count, round_trips: count, retries: count, merge_ms: rate,
    /** time the driver spent encoding batches; socket writes/reads of the flushes (null: not counted) */
    encode_ms: rate.optional(), writes: count.nullable().optional(), reads: count.nullable().optional(),
    /** the dedicated state thread's busy time since it was ready (null: flushes ran on the packet thread) */
    state_thread_busy_ms: rate.nullable().optional(),
    /** the dedicated state thread's own CPU time and wake-ups (voluntary context switches) since it was ready (null: none, or not known) */
    state_thread_cpu_ms: rate.nullable().optional(), state_thread_wakeups: count.nullable().optional(),
    /** spans in which flushes failed (a store node down) */
    outages: z.array(nfRunStoreOutageSchema).optional() }).optional(),
});

/** A store found without a partition's last acknowledged flush (runtime/state/api.ts StateLoss), per core. */
const nfRunStateLossSchema = z.object({
  core: z.number().int().nonnegative(),
  at: z.string(),
  store: z.string(),
  partition: z.string(),
  flush_seq: count,
  expected_seq: count,
  store_seq: count,
  flushes_lost: count,
  counts_lost: count.nullable(),
  counts_exact: z.boolean(),
  action: z.enum(['fail', 'warn', 'reload']),
  reloaded_entries: count.optional(),
});

/**
 * V8 flags `nf run` sets on itself before its cores' workers start (engine.ts), so every process compiles its packet
 * path the same way: on the measured core, not racing it on a background thread (--no-concurrent-recompilation), and
 * with an inlining budget every hot callee fits in. With V8's default budget (920 bytes of bytecode), which of NAT's
 * callees were inlined depended on the call counts at the moment its burst loop was re-optimised, a moment that
 * differs between processes: one process ran with one set inlined, the next with another, for life (docs/regression-gate.md,
 * "Where the per-process spread comes from"). run.json's provenance records them (`nf_v8_flags`).
 */
export const NF_V8_FLAGS: readonly string[] = ['--no-concurrent-recompilation', '--max-inlined-bytecode-size-cumulative=4000'];

export const nfRunResultSchema = z.looseObject({
  nf: z.string(),
  store: z.string().nullable(),
  /** the state mode (runtime/state/config.ts STATE_MODES); null without a store (Native) */
  mode: z.enum(STATE_MODES).nullable(),
  port: z.string(),
  cores: z.number().int().positive(),
  cores_available: z.number().int().positive(),
  burst: z.number().int().positive(),
  input: z.string().nullable(),
  packets_in_capture: count.nullable(),
  ...counts,
  tx_mpps: rate,
  offered_mpps: rate.nullable(),
  /** offered mode: packets the generator put on the wire in the measured window (accepted + missed) */
  offered_packets: count.nullable().default(null),
  /** offered mode: rate x the generator's window; above offered_packets when the generator fell behind */
  intended_packets: count.nullable().default(null),
  /** offered mode with --latency-every: latency of the sampled packets over the window (runtime/packet/latency-schema.ts) */
  latency: latencySummarySchema.nullable().default(null),
  stopped_by: z.enum(['packets', 'duration', 'signal', 'input', 'state-loss']),
  /** a store came back without acknowledged state (see docs/runtime.md, --on-state-loss) */
  state_lost: z.boolean(),
  /** each loss found, per core: what the store held, what was lost, what was done */
  state_loss: z.array(nfRunStateLossSchema),
  /** seconds excluded before the measured window (every count is the window's) */
  warmup_s: rate,
  /** what the NF says the counts alone do not (a NAT pool exhausted, store reads that failed), per core */
  warnings: z.array(z.string()).default([]),
  per_core: z.array(nfRunCoreSchema),
  output: z.string().nullable(),
});

export type NfRunResult = z.infer<typeof nfRunResultSchema>;

/** The result from `nf run --json`'s stdout (its last non-empty line); a clear error if it is not one. */
export function parseNfRunOutput(stdout: string): NfRunResult {
  const last = stdout.trim().split('\n').pop() ?? '';
  let j: unknown;
  try {
    j = JSON.parse(last);
  } catch {
    throw new FlexbenchError(`nf run did not end with a JSON line (last line: ${JSON.stringify(last.slice(0, 200))})`, EXIT.environment);
  }
  const r = nfRunResultSchema.safeParse(j);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new FlexbenchError(`nf run JSON does not match its contract at "${i.path.join('.') || '(top)'}": ${i.message} (${last.slice(0, 200)})`, EXIT.environment);
  }
  return r.data;
}

/** A store outage or a state loss as `nf run` says it on stderr the moment it happens (a process killed later has said it already). */
export type NfRunStateEvent =
  | { core: number; kind: 'store outage'; outage: z.infer<typeof nfRunStoreOutageSchema> }
  | { core: number; kind: 'state loss'; loss: z.infer<typeof nfRunStateLossSchema> };

const STATE_EVENT_LINE = /^nf run: core (\d+): (store outage|state loss) (\{.*\})$/;

/** The stderr line of a state event: `nf run: core C: store outage {json}` / `… state loss {json}`. */
export function stateEventLine(e: NfRunStateEvent): string {
  return `nf run: core ${e.core}: ${e.kind} ${JSON.stringify(e.kind === 'store outage' ? e.outage : e.loss)}`;
}

/** The state events among stderr lines (other lines are skipped). */
export function parseStateEvents(text: string): NfRunStateEvent[] {
  const out: NfRunStateEvent[] = [];
  for (const line of text.split('\n')) {
    const m = STATE_EVENT_LINE.exec(line.trim());
    if (!m) continue;
    try {
      const v = JSON.parse(m[3]!) as Record<string, unknown>;
      const core = Number(m[1]);
      if (m[2] === 'store outage') out.push({ core, kind: 'store outage', outage: nfRunStoreOutageSchema.parse(v) });
      else out.push({ core, kind: 'state loss', loss: nfRunStateLossSchema.parse({ ...v, core }) });
    } catch {
      /* a line cut by a kill: not an event */
    }
  }
  return out;
}

/**
 * `nf run --samples-on-stdin`: each line on stdin is answered with one stdout line, the cumulative counters of every
 * core and its thread's CPU and wait times at one instant of a monotonic clock. The difference of two samples is
 * exactly what ran between them, so a caller that pauses and resumes the process (flexbench ab's windows) measures a
 * window of any length without the process starting or stopping. `nf_sample` echoes the line asked with.
 */
export const nfSampleSchema = z.object({
  nf_sample: z.string(),
  /** the answering process's pid (a caller that keeps one process up across trials records it per trial) */
  pid: z.number().int().optional(),
  /** seconds on the process's monotonic clock (performance.now): only differences mean anything */
  t_s: z.number(),
  cores: z.array(z.object({
    core: z.number().int(),
    rx_packets: z.number(),
    tx_packets: z.number(),
    /** the core thread's time on a CPU and waiting runnable for one (s, /proc schedstat); null where there is none */
    cpu_s: z.number().nullable(),
    wait_s: z.number().nullable(),
  })),
  /**
   * asked with a line `ID nf`: the NF's own statistics (NAT: mappings created, pool drops…) summed over its cores,
   * read right after the counters; null when a core did not answer within 2 s
   */
  nf: z.record(z.string(), z.number()).nullable().optional(),
});
export type NfSample = z.infer<typeof nfSampleSchema>;

/** One sample line, or null when the line is not one (the final --json result, anything else). */
export function parseNfSample(line: string): NfSample | null {
  if (!line.startsWith('{"nf_sample"')) return null;
  try {
    const r = nfSampleSchema.safeParse(JSON.parse(line));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
