// measure: beyond throughput, for one plan trial: the NDR/PDR search (RFC 9971) from its max-load
// forwarding rate, each search trial a real paced trial on the testbed, and latency at fixed loads with
// the wire beside it (the method's bias). Every trial becomes a sub-record of the plan trial, written
// as it ends; the plan trial's own record gets the search's result.
import type { Spec } from '../spec/schema.js';
import { measurePlan, loadLabel, stampEvery, type NdrPdrPlan, type LatencyPlan } from '../spec/measure.js';
import type { Testbed, StoreHandle, TrialMeasurement, TrialRequest, LoadRequest, PacedSession } from '../testbeds/testbed.js';

/** A paced trial's load as measure: asks it (every field given). */
type PacedLoad = Required<Pick<LoadRequest, 'rate_pps' | 'duration_s' | 'warmup_s' | 'latency_every'>> & Pick<LoadRequest, 'nf'>;
import type { PcapInfo, PlanTrial, TrialRecord, SearchRecord, MeasureKind } from '../results/format.js';
import { judgeTrial } from '../results/judge.js';
import { measuredFields } from './measured.js';
import { mlrSearch } from '../search/mlr.js';
import { formatRate } from '../progress/progress.js';

/** What the orchestrator hands over for one plan trial. */
export interface MeasureContext {
  spec: Spec;
  tb: Testbed;
  trial: PlanTrial;
  pcap: PcapInfo;
  store: StoreHandle | null;
  signal: AbortSignal;
  runDir: string;
  /** the plan trial's record so far (cell fields, round): sub-records copy it */
  base: TrialRecord;
  log(line: string): void;
  /** a sub-record is done: keep it and write trials.jsonl */
  emit(rec: TrialRecord): void;
  /** the NF and generator the plan trial's max-load trial ran in (openCellSession): the search goes on in them, then closes them */
  session?: PacedSession | null;
}

/** What the plan trial's own record gains. */
export interface MeasureOutcome {
  fields: Partial<TrialRecord>;
  flags: string[];
}

/** The lowest automatic minimum load, packets/s: below it a trial of a second holds too few packets to see a loss ratio. */
const MIN_AUTO_LOAD_PPS = 1000;
/** max_load_pps auto: this much above the forwarding rate at max load (the search may then find the NF is faster paced than replayed). */
const AUTO_MAX_FACTOR = 1.25;

/** Search bounds from the spec and the forwarding rate at max load (RFC 9971: the search starts there). */
export function searchLoads(p: Pick<NdrPdrPlan, 'min_load_pps' | 'max_load_pps'>, maxLoadRate: number): { min: number; max: number; start: number } {
  const max = p.max_load_pps === 'auto' ? Math.max(maxLoadRate * AUTO_MAX_FACTOR, MIN_AUTO_LOAD_PPS * 10) : p.max_load_pps;
  const min = p.min_load_pps === 'auto' ? Math.min(max / 10, Math.max(MIN_AUTO_LOAD_PPS, max / 1000)) : p.min_load_pps;
  return { min, max, start: Math.min(max, Math.max(min, maxLoadRate)) };
}

/** A sub-record from a paced measurement: the cell's fields, the load and what came of it. */
function subRecord(ctx: MeasureContext, kind: MeasureKind, suffix: string, load: PacedLoad, m: TrialMeasurement | Error, startedAt: string): TrialRecord {
  const rec: TrialRecord = {
    ...ctx.base, trial_id: `${ctx.trial.trial_id}/${suffix}`, parent_trial_id: ctx.trial.trial_id, measure: kind, flags: [],
    warmup_s: load.warmup_s, load_pps: load.rate_pps, started_at: startedAt, ended_at: new Date().toISOString(),
    ...(load.latency_every > 0 ? { latency_every: load.latency_every } : {}),
  };
  delete rec.search;
  if (m instanceof Error) return { ...rec, status: 'failed', reason: m.message };
  const intended = m.offered?.intended_packets ?? Math.round(load.rate_pps * m.duration_s);
  const forwarded = m.offered?.forwarded_packets ?? m.tx_packets;
  // what the generator failed to send is lost too
  const loss = intended > 0 ? Math.max(0, intended - forwarded) / intended : 1;
  const j = judgeTrial(m, { duration_s: load.duration_s });
  // a search trial that forwarded nothing measured a loss of 1, not nothing: only a window that never ran fails it
  const failed = j.status === 'failed' && !(kind === 'search' && m.rx_packets >= 0 && m.duration_s >= load.duration_s * 0.5);
  return {
    ...rec, status: failed ? 'failed' : 'ok', reason: failed ? j.reason : null, ...measuredFields(m, j.flags),
    intended_packets: intended, offered_packets: m.offered?.offered_packets ?? null, forwarded_packets: forwarded, loss_ratio: loss,
    ...(m.latency !== undefined ? { latency: m.latency } : {}), ...(m.latency_path ? { latency_path: m.latency_path } : {}),
  };
}

/** One paced trial on the testbed, its store emptied first (every trial starts from the same state). */
async function paced(ctx: MeasureContext, load: PacedLoad, suffix: string): Promise<TrialMeasurement | Error> {
  try {
    if (ctx.store && !load.nf) await ctx.store.reset();
    return await ctx.tb.runTrial({
      trial: ctx.trial, pcap: ctx.pcap, traffic: ctx.spec.traffic, flush_ms: ctx.spec.state.flush_ms, store: load.nf ? null : ctx.store,
      signal: ctx.signal, runDir: ctx.runDir, load, logSuffix: suffix.replace(/[/%]/g, (c) => (c === '/' ? '-' : 'pct')),
    });
  } catch (e) {
    return e as Error;
  }
}

class Interrupted extends Error {}

/**
 * A plan trial's NF and generator kept up from its max-load trial across its search, where the testbed can
 * (Testbed.openPaced) and the spec searches (latency trials start their own: a calibration runs another NF). The
 * caller emptied the store before: the trials share the state the max-load trial built. Null: each trial is its own.
 */
export async function openCellSession(tb: Testbed, spec: Spec, req: Omit<TrialRequest, 'load' | 'logSuffix'>): Promise<PacedSession | null> {
  if (!tb.openPaced || !measurePlan(spec).ndr_pdr || req.trial.measure) return null;
  return tb.openPaced(req);
}

async function runSearch(ctx: MeasureContext, p: NdrPdrPlan, maxLoadRate: number): Promise<{ result: SearchRecord; flags: string[] } | Error> {
  const { min, max, start } = searchLoads(p, maxLoadRate);
  ctx.log(`  search (${p.preset}: ${p.goals.map((g) => `${g.name} ${g.loss_ratio * 100}%`).join(', ')}) from ${formatRate(start / 1e6)} between ${formatRate(min / 1e6)} and ${formatRate(max / 1e6)}`);
  let last: TrialRecord | null = null;
  let session: PacedSession | null = null;
  try {
    // the plan trial's session (its max-load trial ran in it; run.ts opened it where the testbed can): null, a process per trial
    session = ctx.session ?? null;
    if (session) ctx.log('  one NF and one generator kept up across the search (each trial sets its load and reads the counters)');
    const res = await mlrSearch({
      goals: p.goals, min_load_pps: min, max_load_pps: max, start_load_pps: start, max_trials: p.max_trials,
      measure: async (rate, d) => {
        const load: PacedLoad = { rate_pps: rate, duration_s: d, warmup_s: p.warmup_s, latency_every: 0 };
        const t0 = Date.now();
        const startedAt = new Date().toISOString();
        const m = session ? await session.run(load).catch((e: Error) => e) : await paced(ctx, load, 'search');
        if (ctx.signal.aborted) throw new Interrupted('interrupted');
        last = subRecord(ctx, 'search', 'search', load, m, startedAt);
        if (last.status === 'failed') {
          ctx.emit({ ...last, trial_id: `${ctx.trial.trial_id}/search/failed` });
          throw new Error(`a search trial at ${formatRate(rate / 1e6)} failed: ${last.reason}`);
        }
        return { intended_packets: last.intended_packets!, forwarded_packets: last.forwarded_packets!, effective_s: (Date.now() - t0) / 1000 };
      },
      onTrial: (t) => {
        const rec = last!;
        ctx.emit({ ...rec, trial_id: `${ctx.trial.trial_id}/search/${t.n}`, search_n: t.n, search_goal: t.goal, search_phase: t.target });
        ctx.log(`    #${t.n} ${t.goal}/${t.target} ${formatRate(t.load_pps / 1e6)} for ${Number(t.duration_s.toPrecision(3))}s: loss ${(t.loss_ratio * 100).toFixed(3)}%`);
      },
    });
    const goals = res.goals.map((g) => {
      const goal = p.goals.find((x) => x.name === g.goal)!;
      return { ...g, loss_ratio: goal.loss_ratio, exceed_ratio: goal.exceed_ratio, width: goal.width };
    });
    const flags = goals.filter((g) => !g.regular).map((g) => `irregular: ${g.goal}: ${g.irregular_reason}`);
    let resident: SearchRecord['resident'];
    if (session) {
      const end = await session.close();
      session = null;
      flags.push(...end.flags);
      // every trial was measured between two answers of a live NF; one that died after them is still said
      if (end.died) flags.push(`resident_nf_died: after the search's last trial: ${end.died}`);
      resident = { nf_pid: end.nf_pid, gen_pid: end.gen_pid, nf_stats: end.nf_stats };
    }
    return { result: { goals, trials: res.trials.length, seconds: Math.round(res.seconds * 10) / 10, min_load_pps: res.min_load_pps, max_load_pps: res.max_load_pps, start_load_pps: res.start_load_pps, stopped: res.stopped, ...(resident ? { resident } : {}) }, flags };
  } catch (e) {
    return e as Error;
  } finally {
    await session?.close().catch(() => undefined);
  }
}

/** The flat fields of the goals named ndr and pdr. */
function flatGoals(r: SearchRecord): Partial<TrialRecord> {
  const out: Partial<TrialRecord> = { search_trials: r.trials };
  for (const name of ['ndr', 'pdr'] as const) {
    const g = r.goals.find((x) => x.goal === name);
    if (!g) continue;
    Object.assign(out, {
      [`${name}_pps`]: g.lower_bound_pps, [`${name}_lower_pps`]: g.lower_bound_pps, [`${name}_upper_pps`]: g.upper_bound_pps,
      [`${name}_conditional_pps`]: g.conditional_throughput_pps, [`${name}_regular`]: g.regular,
    });
  }
  return out;
}

/** The rate latency fractions are of: the PDR found (the goal named pdr, else the last goal), or the max-load rate without a search. */
function latencyReference(search: SearchRecord | null, maxLoadRate: number): { pps: number | null; kind: 'pdr' | 'max_load'; why: string | null } {
  if (!search) return { pps: maxLoadRate, kind: 'max_load', why: null };
  const g = search.goals.find((x) => x.goal === 'pdr') ?? search.goals[search.goals.length - 1]!;
  if (g.lower_bound_pps === null) return { pps: null, kind: 'pdr', why: `the search found no ${g.goal.toUpperCase()} (${g.irregular_reason ?? 'no lower bound'})` };
  return { pps: g.lower_bound_pps, kind: 'pdr', why: null };
}

async function runLatency(ctx: MeasureContext, p: LatencyPlan, search: SearchRecord | null, maxLoadRate: number): Promise<void> {
  const ref = latencyReference(search, maxLoadRate);
  for (const f of p.loads) {
    if (ctx.signal.aborted) throw new Interrupted('interrupted');
    const label = loadLabel(f);
    const rate = f === 0 ? p.low_rate_pps : ref.pps === null ? null : f * ref.pps;
    const kinds: MeasureKind[] = p.calibrate ? ['latency', 'calibration'] : ['latency'];
    if (rate === null || rate < 1) {
      const reason = rate === null ? `not measured: ${ref.why}` : `not measured: ${label} of ${ref.pps} pps is below 1 pps`;
      for (const k of kinds) ctx.emit({ ...ctx.base, trial_id: `${ctx.trial.trial_id}/${k}/${label}`, parent_trial_id: ctx.trial.trial_id, measure: k, status: 'skipped', reason, latency_load: label, latency_reference: f === 0 ? 'fixed' : ref.kind, flags: [] });
      ctx.log(`  latency ${label}: ${reason}`);
      continue;
    }
    const load: PacedLoad = { rate_pps: rate, duration_s: p.duration_s, warmup_s: p.warmup_s, latency_every: stampEvery(p.every, rate) };
    for (const k of kinds) {
      const startedAt = new Date().toISOString();
      const l = k === 'calibration' ? { ...load, nf: 'wire' } : load;
      const m = await paced(ctx, l, `${k}/${label}`);
      if (ctx.signal.aborted) throw new Interrupted('interrupted');
      const rec = { ...subRecord(ctx, k, `${k}/${label}`, l, m, startedAt), latency_load: label, latency_reference: f === 0 ? ('fixed' as const) : ref.kind };
      if (rec.status === 'ok' && !(rec.latency && rec.latency.samples > 0)) Object.assign(rec, { status: 'failed', reason: 'measured no latency sample (no stamped packet came back in the window)' });
      ctx.emit(rec);
      const lt = rec.latency;
      ctx.log(`  ${k} ${label} (${formatRate(rate / 1e6)}): ${rec.status === 'ok' && lt ? `p50 ${lt.p50_us} µs, p99 ${lt.p99_us} µs, max ${lt.max_us} µs (${lt.samples} samples)` : `FAILED ${rec.reason}`}`);
    }
  }
}

/**
 * The measures beyond throughput of one plan trial, after its max-load trial measured `maxLoadRate`
 * (its forwarding rate). Throws only when interrupted; a failed search fails the plan trial through
 * the returned reason, a failed latency trial is its own failed sub-record.
 */
export async function measureBeyond(ctx: MeasureContext, maxLoadRate: number): Promise<MeasureOutcome & { failure: string | null }> {
  const plan = measurePlan(ctx.spec);
  const flags: string[] = [];
  let fields: Partial<TrialRecord> = {};
  let search: SearchRecord | null = null;
  // an interrupt propagates (Interrupted): the plan trial is cut short and runs again on --resume
  if (plan.ndr_pdr) {
    const r = await runSearch(ctx, plan.ndr_pdr, maxLoadRate);
    if (r instanceof Interrupted || ctx.signal.aborted) throw new Interrupted('interrupted');
    if (r instanceof Error) return { fields, flags, failure: `NDR/PDR search: ${r.message}` };
    search = r.result;
    fields = { search, ...flatGoals(search) };
    flags.push(...r.flags);
    for (const g of search.goals) ctx.log(`  ${g.goal.toUpperCase()} ${g.lower_bound_pps === null ? '-' : formatRate(g.lower_bound_pps / 1e6)} .. ${g.upper_bound_pps === null ? '-' : formatRate(g.upper_bound_pps / 1e6)}${g.regular ? '' : ` IRREGULAR: ${g.irregular_reason}`} (${search.trials} trials)`);
  }
  if (plan.latency) await runLatency(ctx, plan.latency, search, maxLoadRate);
  return { fields, flags, failure: null };
}
