// An interleaved A/B run: the spec's cells measured with two builds of flexbench in the same rounds, back to back,
// on the same pcaps and the same store servers; per cell a paired verdict from the per-round ratios head/base.
// Each side is also written as an ordinary run directory (base/, head/), so compare, history and plot read it.
import os from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { EXIT, FlexbenchError } from '../exit-codes.js';
import type { LoadedSpec } from '../spec/load.js';
import type { Spec } from '../spec/schema.js';
import { expandPlan, trialId } from '../plan/plan.js';
import { createTestbed } from '../testbeds/index.js';
import type { StoreHandle, Testbed } from '../testbeds/testbed.js';
import { ensurePcaps, pcapOf } from '../orchestrate/pcaps.js';
import { baseRecord } from '../orchestrate/run.js';
import { judgeTrial } from '../results/judge.js';
import { ownFields } from '../results/own-time.js';
import { cellIdOf, cellKeyOf, RESULTS_FORMAT_VERSION, type CellKey, type PlanTrial, type RunJson, type TrialRecord } from '../results/format.js';
import { writeRunJson, writeTrials, writeSummary, writeAtomic } from '../results/files.js';
import { summarizeTrials } from '../results/summary.js';
import { lockRunDir } from '../results/lock.js';
import { mean } from '../results/stats.js';
import { flexbenchVersion, hostBusyCores } from '../provenance.js';
import { cellLabel, compareCellKeys } from '../compare/cell.js';
import { tallyCells, type AbStop, type CellComparison, type Comparison } from '../compare/compare.js';
import { decideEpochs, decidePaired, epochSamples } from '../compare/paired.js';
import { betterOf, METRIC_INFO, type LatencyStat, type Metric } from '../compare/samples.js';
import type { LoadRequest } from '../testbeds/testbed.js';
import { sideStats } from '../compare/verdict.js';
import { checkCells } from './cells.js';
import { Schedule, epochLookRounds, lookRounds, type Slot } from './schedule.js';
import { residentCpus, type LocalTestbed } from '../testbeds/local.js';
import { Epochs, measureWindow, samplesSupported, windowsProblem } from './windows.js';
import { buildLabel as label, type Build, type Role } from './revision.js';

interface AbOptions {
  loaded: LoadedSpec;
  base: Build;
  head: Build;
  /** fixed rounds, or the cap with until = 'decided'; null: 10 per trial, 10 epochs in windows */
  rounds: number | null;
  until: 'rounds' | 'decided';
  /** with until = 'decided': the first round after which the verdicts are looked at */
  minRounds: number;
  /** --max-time: no round starts that would likely end after `at` (epoch ms) */
  deadline?: { at: number; label: string } | null;
  seed: number;
  outDir: string;
  pcapCache: string;
  tolerance: number;
  confidence: number;
  strict: boolean;
  metric: Metric;
  /**
   * max-load cells: one resident nf run per build and unit, alternated in windows of window_s (null: the spec's
   * traffic.duration_s) after settle_s resumed; null: a fresh nf run per trial (--per-trial)
   */
  windows: { window_s: number | null; settle_s: number } | null;
  /** windows: rounds per epoch, after which every resident process is ended and a new one started (--epoch-rounds) */
  epochRounds: number;
  signal: AbortSignal;
  log: (line: string) => void;
  command: string;
}

interface AbOutcome {
  comparison: Comparison;
  outDir: string;
  interrupted: boolean;
}

const ROLES: readonly Role[] = ['base', 'head'];

function runJson(o: AbOptions, b: Build, spec: Spec, plan: PlanTrial[], fingerprint: RunJson['provenance']['fingerprint'], pcaps: RunJson['provenance']['pcaps'], started: string, busy: number | null): RunJson {
  return {
    format_version: RESULTS_FORMAT_VERSION,
    run_id: `${o.outDir.split('/').pop()}-${b.role}`,
    status: 'running',
    spec_file: o.loaded.file,
    profile: o.loaded.profile,
    spec_given: o.loaded.given,
    spec_resolved: spec as unknown as Record<string, unknown>,
    plan,
    provenance: {
      flexbench_version: flexbenchVersion(),
      git_commit: b.commit,
      git_dirty: b.commit ? b.dirty : null,
      command: o.command,
      fingerprint,
      pcaps,
      started_at: started,
      ended_at: null,
      resumed_at: [],
      host_busy_cores: busy,
    },
    counts: { planned: plan.length, ok: 0, failed: 0, skipped: 0, missing: 0 },
  };
}

/** --rounds when not given: rounds of a fresh process per trial, or epochs of windows (each --epoch-rounds rounds). */
export const DEFAULT_ROUNDS = 10;
export const DEFAULT_EPOCHS = 10;

/** Samples in a latency A/B at one load: ~10,000 stamped packets per second of trial, never every packet at high rates. */
const LATENCY_SAMPLES_PER_S = 10_000;

/** What a sample is read from: a trial record's rates and its latency statistics. */
type AbSample = Pick<TrialRecord, 'tx_pps' | 'rx_pps' | 'tx_pps_own'> & { latency?: Partial<Record<LatencyStat, number>> | null };

/**
 * What each A/B trial measures for a metric, and the sample it gives: max-load rates as today; latency
 * at the spec's traffic.rate (a paced trial, TrialRequest.load), a statistic of its stamped packets.
 * NDR/PDR would need a search per cell and round: refused with the way to get it.
 */
export function abMetric(metric: Metric, spec: Pick<Spec, 'traffic'>): { load: LoadRequest | null; valueOf: (rec: AbSample) => number | null } {
  const src = METRIC_INFO[metric].source;
  if ('rate' in src) {
    const f = src.rate;
    if (f === 'ndr_pps' || f === 'pdr_pps') {
      throw new FlexbenchError(`flexbench ab --metric ${metric}: the A/B gate measures one trial per cell and round, an NDR/PDR search is many; run each build with measure: [ndr_pdr] and gate with flexbench compare BASE_RUN HEAD_RUN --metric ${metric}`, EXIT.usage);
    }
    // tx_pps_own is null where a build's nf run did not report its cores' wait (an older base): runAb falls back then
    return { load: null, valueOf: (rec) => rec[f] ?? null };
  }
  const rate = spec.traffic.rate;
  if (rate === 'max') throw new FlexbenchError(`flexbench ab --metric ${metric}: latency is measured at a load; set traffic.rate in the spec to the packets/s to measure it at (it is "max")`, EXIT.usage);
  const stat = src.latency;
  return {
    load: { rate_pps: rate, latency_every: Math.max(1, Math.round(rate / LATENCY_SAMPLES_PER_S)) },
    valueOf: (rec) => rec.latency?.[stat] ?? null,
  };
}

export async function runAb(o: AbOptions): Promise<AbOutcome> {
  const spec0 = o.loaded.spec;
  if (spec0.testbed !== 'local') {
    throw new FlexbenchError(`flexbench ab runs on the local testbed (both builds on this machine); the spec says testbed: ${spec0.testbed}`, EXIT.usage);
  }
  // every round measures each cell once per pcap: rounds take the place of repetitions
  const spec: Spec = { ...spec0, matrix: { ...spec0.matrix, repetitions: 1 } };
  const { load, valueOf } = abMetric(o.metric, spec);
  await checkCells(o.base, o.head, o.loaded, o.signal);
  const tbs = {} as Record<Role, Testbed>;
  for (const r of ROLES) tbs[r] = await createTestbed('local', { spec, inventory: spec.inventory, root: (r === 'base' ? o.base : o.head).dir });
  const units = expandPlan(spec, { skipReason: (t) => tbs.head.skipReason(t) ?? tbs.base.skipReason(t) }).filter((t) => !t.skip);
  if (units.length === 0) throw new FlexbenchError(`the spec ${o.loaded.file} has no trial this machine can run`, EXIT.usage);
  // how samples are taken: windows of resident processes where the cells and both builds allow it
  let why = o.windows === null ? 'asked with --per-trial' : windowsProblem(spec, units, load);
  if (why === null) {
    const ok = await Promise.all([o.base, o.head].map((b) => samplesSupported(b, o.signal)));
    const old = ROLES.filter((_, i) => !ok[i]);
    if (old.length > 0) why = `the ${old.join(' and ')} build's nf run cannot be sampled while it runs (it has no --samples-on-stdin)`;
  }
  const windowS = why === null ? (o.windows!.window_s ?? spec.traffic.duration_s) : null;
  const settleS = o.windows?.settle_s ?? 0;
  // windows: rounds per epoch (a new pair of processes each); null: every round is a fresh pair anyway (per trial)
  const epochK = windowS !== null ? o.epochRounds : null;
  const cap = o.rounds ?? (epochK !== null ? DEFAULT_EPOCHS * epochK : DEFAULT_ROUNDS);
  const measured = windowS !== null
    ? { mode: 'windows' as const, window_s: windowS, settle_s: settleS, warmup_s: spec.traffic.warmup_s, epoch_rounds: epochK, cpus: Object.fromEntries(units.map((u) => [cellIdOf(u), residentCpus(u.cores)])) }
    : { mode: 'trials' as const, why };
  const measuredText = windowS !== null
    ? `measured in windows: one resident nf run per build and unit (warmed up ${spec.traffic.warmup_s} s), each window ${windowS} s after ${settleS} s resumed, ${residentCpus(1) ? 'both builds\' processes of a unit pinned to the same CPUs' : 'not pinned (no taskset)'}; every ${epochK} round${epochK === 1 ? '' : 's'} (an epoch) both are ended and new ones started, and the verdict's samples are the epochs`
    : `measured by a fresh nf run per trial (${why})`;
  o.log(`ab: ${measuredText}`);
  const cellIds = [...new Set(units.map((u) => cellIdOf(u)))];
  const keys = new Map<string, CellKey>(units.map((u) => [cellIdOf(u), cellKeyOf(u)]));
  const dirs = { base: join(o.outDir, 'base'), head: join(o.outDir, 'head') } as Record<Role, string>;
  mkdirSync(o.outDir, { recursive: true });
  const unlock = lockRunDir(o.outDir);
  const records: Record<Role, TrialRecord[]> = { base: [], head: [] };
  const plans: Record<Role, PlanTrial[]> = { base: [], head: [] };
  const ratios = new Map<string, number[]>(cellIds.map((c) => [c, []]));
  // windows: each round's ratio with its epoch, per cell (the epochs' samples are made of them)
  const epochOf = new Map<string, { epoch: number; ratio: number }[]>(cellIds.map((c) => [c, []]));
  const slotsLog: { round: number; slots: Slot[] }[] = [];
  const schedule = new Schedule(o.seed, units.length);
  const stores = new Map<string, StoreHandle | null>();
  const runs = {} as Record<Role, RunJson>;
  // --until decided looks at the verdicts at planned rounds; with epochs only at an epoch's end (the epoch is the sample)
  const lookAt = new Set(o.until !== 'decided' ? [] : epochK === null ? lookRounds(o.minRounds, cap) : epochLookRounds(o.minRounds, cap, epochK));
  const looks = Math.max(1, lookAt.size);
  // Every look at the verdicts under --until decided is another chance of a false alarm: split the error over the looks (Bonferroni).
  const confidence = 1 - (1 - o.confidence) / looks;
  const decisionOpts = { tolerance: o.tolerance, confidence, better: betterOf(o.metric) };
  // a cell's decision: on the rounds' ratios, or with epochs on the epochs' (an epoch with fewer than half its rounds left out)
  const decideCell = (id: string): { decision: ReturnType<typeof decideEpochs>['decision']; paired: NonNullable<CellComparison['paired']> } => {
    if (epochK !== null) return decideEpochs(epochOf.get(id)!, epochK, decisionOpts);
    const { rounds: n, ratios: rs, detectable, ...decision } = decidePaired(ratios.get(id)!, decisionOpts);
    return { decision, paired: { rounds: n, ratios: rs, detectable } };
  };
  let round = 0;
  let fallbacks = 0;
  let stoppedBy: AbStop = 'rounds';
  let longestRoundMs = 0;
  // with --max-time: what did not fit (a round, or an epoch's start and rounds)
  let stopNext = '';
  const warnings: string[] = [];
  // windows: the epochs, each with a resident process per build and unit (set once the stores are up)
  let epochs: Epochs | null = null;
  try {
    for (const r of ROLES) await tbs[r].preflight(spec);
    const pcaps = await ensurePcaps(spec, o.pcapCache, o.log);
    const fingerprint = await tbs.head.fingerprint();
    const busy = await hostBusyCores();
    if (busy !== null && busy >= 0.25) warnings.push(`something else kept ${busy} of ${os.availableParallelism()} cores busy when the run started: both builds share the machine with it, round by round`);
    const started = new Date().toISOString();
    for (const r of ROLES) {
      mkdirSync(dirs[r], { recursive: true });
      runs[r] = runJson(o, r === 'base' ? o.base : o.head, spec, plans[r], fingerprint, pcaps, started, busy);
      writeRunJson(dirs[r], runs[r]);
    }
    for (const u of units) {
      const g = `${u.store}@${u.location}`;
      if (stores.has(g)) continue;
      if (u.store !== 'none' && u.store !== 'hashmap') o.log(`starting store ${u.store} (${u.location})`);
      // one server per store for both builds: started through the base testbed, whose teardown stops it
      stores.set(g, await tbs.base.startStore(u.store, u.location, o.signal));
    }
    if (epochK !== null) {
      if (cap < 2 * epochK) warnings.push(`--rounds ${cap} holds fewer than 2 epochs of ${epochK} rounds (--epoch-rounds): no cell can be decided; give more rounds or smaller epochs`);
      epochs = new Epochs(epochK, { units, spec, pcaps, stores, dirs, testbeds: tbs as Record<Role, LocalTestbed>, signal: o.signal, log: o.log, warn: (w) => warnings.push(w) });
      await epochs.next(0);
    }
    const save = (r: Role) => {
      writeTrials(dirs[r], records[r]);
      writeRunJson(dirs[r], { ...runs[r], plan: plans[r], counts: { planned: plans[r].length, ok: records[r].filter((x) => x.status === 'ok').length, failed: records[r].filter((x) => x.status === 'failed').length, skipped: 0, missing: 0 } });
    };
    rounds: while (round < cap) {
      if (o.signal.aborted) break;
      // a new epoch starts only if its processes' start and all its rounds, as long as the longest so far, end within the budget
      if (epochs && round > 0 && round % epochs.size === 0) {
        const need = epochs.longestStartMs + Math.min(epochs.size, cap - round) * longestRoundMs;
        if (o.deadline && Date.now() + need > o.deadline.at) {
          stoppedBy = 'time';
          o.log(`--max-time ${o.deadline.label}: no time for epoch ${epochs.records.length + 1} (about ${(need / 1000).toFixed(1)} s); stopping after ${round} rounds`);
          stopNext = `another epoch of about ${(need / 1000).toFixed(1)} s`;
          break;
        }
        await epochs.next(round);
      }
      // the next round is as long as the longest so far: start it only if that still ends within the budget
      if (o.deadline && round > 0 && Date.now() + longestRoundMs > o.deadline.at) {
        stoppedBy = 'time';
        o.log(`--max-time ${o.deadline.label}: no time for round ${round + 1} (the longest took ${(longestRoundMs / 1000).toFixed(1)} s); stopping after ${round}`);
        break;
      }
      const roundStart = Date.now();
      const slots = schedule.next();
      slotsLog.push({ round, slots });
      // per unit and build: the gated value, and the forwarded rate for a pair where a build did not measure its own time
      const got = new Map<number, Partial<Record<Role, { v: number | null; tx: number }>>>();
      for (const slot of slots) {
        const u = units[slot.unit];
        for (const r of slot.order) {
          if (o.signal.aborted) break rounds;
          const trial: PlanTrial = { ...u, repetition: round, index: plans[r].length, trial_id: trialId({ ...u, repetition: round }, spec.matrix.frame_sizes !== undefined) };
          plans[r].push(trial);
          const pcap = pcapOf(spec, pcaps, u);
          const rec = baseRecord(trial, pcap, spec);
          rec.started_at = new Date().toISOString();
          const handle = stores.get(`${u.store}@${u.location}`) ?? null;
          // windows of a resident process, or a trial of its own
          const res = epochs ? epochs.current[r][slot.unit] : null;
          try {
            if (res) {
              Object.assign(rec, await measureWindow(res, { settle_s: settleS, window_s: windowS!, pids: handle?.pids ?? [], signal: o.signal }));
            } else {
              if (handle) await handle.reset();
              const m = await tbs[r].runTrial({ trial, pcap, traffic: spec.traffic, flush_ms: spec.state.flush_ms, store: handle, signal: o.signal, runDir: dirs[r], ...(load ? { load } : {}) });
              const j = judgeTrial(m, { duration_s: spec.traffic.duration_s });
              Object.assign(rec, { status: j.status, reason: j.reason, rx_packets: m.rx_packets, tx_packets: m.tx_packets, rx_pps: m.rx_pps, tx_pps: m.tx_pps, dropped: m.dropped, duration_s: m.duration_s, per_core: m.per_core, commands: m.commands, flags: [...(m.flags ?? []), ...j.flags], host_busy_cores: m.host?.busy_cores ?? null, host_steal: m.host?.steal ?? null, host_device_irq_per_s: m.host?.device_irq_per_s ?? null, ...ownFields(m.own) });
              if (load) {
                Object.assign(rec, { measure: 'latency', load_pps: load.rate_pps, latency_every: load.latency_every, latency: m.latency ?? null });
                if (rec.status === 'ok' && !(m.latency && m.latency.samples > 0)) Object.assign(rec, { status: 'failed', reason: `no latency measured at ${load.rate_pps} pps (the testbed returned no stamped packets)` });
              }
            }
          } catch (e) {
            if (o.signal.aborted) {
              plans[r].pop();
              break rounds;
            }
            rec.status = 'failed';
            rec.reason = (e as Error).message;
            if (res && res.died === null && res.nf?.exited) {
              res.died = round + 1;
              res.why = res.nf.exited;
              warnings.push(`${res.nf.exited}, in round ${round + 1} (${res.windows} windows measured): its cell fails`);
            }
          }
          rec.ended_at = new Date().toISOString();
          records[r].push(rec);
          save(r);
          if (rec.status === 'ok') got.set(slot.unit, { ...got.get(slot.unit), [r]: { v: valueOf(rec), tx: rec.tx_pps ?? 0 } });
          else o.log(`FAILED ${r} ${trial.trial_id}: ${rec.reason}`);
        }
      }
      round += 1;
      longestRoundMs = Math.max(longestRoundMs, Date.now() - roundStart);
      // a cell's ratio for the round: the geometric mean over its pcaps of head/base, only when both measured every pcap
      const line: string[] = [];
      for (const id of cellIds) {
        const mine = units.map((u, i) => ({ u, i })).filter((x) => cellIdOf(x.u) === id);
        const both = mine.map((x) => got.get(x.i)).filter((v): v is Record<Role, { v: number | null; tx: number }> => v?.base !== undefined && v?.head !== undefined);
        // the gated value where both builds measured it; else both sides' forwarded rate (tx_mpps_own from an older base's nf run)
        const pairs = both
          .map((p) => (p.base.v !== null && p.head.v !== null ? { base: p.base.v, head: p.head.v } : (fallbacks++, { base: p.base.tx, head: p.head.tx })))
          .filter((p) => p.base > 0 && p.head > 0);
        if (pairs.length === mine.length) {
          const ratio = Math.exp(mean(pairs.map((p) => Math.log(p.head / p.base))));
          ratios.get(id)!.push(ratio);
          epochOf.get(id)!.push({ epoch: epochs ? epochs.records.length - 1 : round - 1, ratio });
          line.push(`${cellLabel(keys.get(id)!).split(' ')[0]} ${ratio.toFixed(4)}`);
        }
      }
      o.log(`round ${round}/${cap}: head/base ${line.join(', ') || '(no cell measured by both)'}`);
      if (lookAt.has(round)) {
        const open = cellIds.filter((id) => decideCell(id).decision.verdict === 'inconclusive');
        if (open.length === 0) {
          o.log(`every cell decided after ${round} rounds`);
          stoppedBy = 'decided';
          break;
        }
      }
    }
    if (o.signal.aborted) stoppedBy = 'interrupted';
  } finally {
    await epochs?.stop();
    for (const r of ROLES) await tbs[r].teardown();
    for (const r of ROLES) {
      if (!runs[r]) continue;
      writeSummary(dirs[r], summarizeTrials(records[r]));
      writeRunJson(dirs[r], { ...runs[r], status: o.signal.aborted ? 'incomplete' : 'complete', plan: plans[r], counts: { planned: plans[r].length, ok: records[r].filter((x) => x.status === 'ok').length, failed: records[r].filter((x) => x.status === 'failed').length, skipped: 0, missing: 0 }, provenance: { ...runs[r].provenance, ended_at: new Date().toISOString() } });
    }
    unlock();
  }
  if (fallbacks > 0) warnings.push(`${fallbacks} pair(s) were compared on tx_mpps: a build did not report its cores' CPU wait (${o.metric} needs it on both sides)`);
  const interrupted = stoppedBy === 'interrupted';
  if (interrupted) warnings.push(`interrupted after ${round} round(s): the verdicts use the rounds completed`);
  // stopping on time makes the look at that round the last one, in place of a later planned look: no extra look
  if (stoppedBy === 'time') warnings.push(`--max-time ${o.deadline!.label} reached: stopped after ${round} of ${cap} rounds (${stopNext || `another round of up to ${(longestRoundMs / 1000).toFixed(1)} s`} would have passed it); the verdicts use the rounds done`);
  if (looks > 1) warnings.push(`--until decided could look at the verdicts ${looks} times (after rounds ${[...lookAt].join(', ')}): each look used ${(confidence * 100).toFixed(2)}% confidence so all of them together keep ${(o.confidence * 100).toFixed(1)}%`);
  const cells: CellComparison[] = [];
  for (const id of [...cellIds].sort((a, b) => compareCellKeys(keys.get(a)!, keys.get(b)!))) {
    const key = keys.get(id)!;
    const side = (r: Role) => {
      const rs = records[r].filter((x) => cellIdOf(x) === id);
      return sideStats(rs.filter((x) => x.status === 'ok').map(valueOf).filter((v): v is number => v !== null), rs.filter((x) => x.status === 'failed').length, o.confidence);
    };
    const baseline = side('base');
    const current = side('head');
    const { decision: d, paired } = decideCell(id);
    // a head that makes every trial of a cell fail is the worst regression there is, not noise (as compare rules)
    // windows: a resident process that died mid-run fails its cell (head: a crash is a regression; base: nothing to compare with)
    const died = (r: Role) => epochs?.died(r, (i) => cellIdOf(units[i]) === id);
    const dh = died('head');
    const db = died('base');
    const decision = current.n === 0 && current.failed > 0 && baseline.n > 0
      ? { ...d, verdict: 'regressed' as const, change: -1, medianChange: -1, changeCi: null, more: null, reason: `every head trial failed (${current.failed}); the base had ${baseline.n} successful` }
      : dh
        ? { ...d, verdict: 'regressed' as const, more: null, reason: `${dh.why} in round ${dh.died}` }
        : db
          ? { ...d, verdict: 'inconclusive' as const, more: null, reason: `${db.why} in round ${db.died}: nothing to compare the head with from then on` }
          : d;
    cells.push({ key, label: cellLabel(key), baseline, current, ...decision, paired });
    const short = paired.epochs?.short ?? 0;
    if (short > 0) warnings.push(`${cellLabel(key)}: ${short} epoch${short === 1 ? '' : 's'} with fewer than half of ${epochK} rounds left out of the verdict`);
  }
  const tally = tallyCells(cells, [], [], o.strict);
  const info = (b: Build, r: Role) => ({ kind: 'run' as const, path: dirs[r], name: label(b), spec: spec.name, commit: b.commit ? `${b.commit}${b.dirty ? '-dirty' : ''}` : null });
  const comparison: Comparison = {
    metric: o.metric,
    tolerance: o.tolerance,
    confidence: o.confidence,
    strict: o.strict,
    baseline: info(o.base, 'base'),
    current: info(o.head, 'head'),
    fingerprint: { differences: [], forced: false },
    workload: { differences: [], forced: false },
    warnings,
    cells,
    missing: [],
    added: [],
    ...tally,
    exitCode: interrupted ? EXIT.interrupted : tally.exitCode,
    ab: { seed: o.seed, rounds: round, until: o.until, stopped_by: stoppedBy, results: o.outDir, measured: measuredText, ...(epochs ? { epochs: epochs.records.length } : {}) },
  };
  const builds = Object.fromEntries([o.base, o.head].map((b) => [b.role, { rev: b.rev, commit: b.commit, dirty: b.dirty, dir: b.dir, source: b.source, cached: b.cached }]));
  writeAtomic(join(o.outDir, 'ab.json'), `${JSON.stringify({ flexbench_ab: 1, seed: o.seed, rounds: round, until: o.until, stopped_by: stoppedBy, max_time: o.deadline?.label ?? null, measured, builds, units: units.map((u) => ({ cell: cellIdOf(u), pcap_index: u.pcap_index })), order: slotsLog, ratios: Object.fromEntries(ratios), ...(epochs ? { epoch_rounds: epochs.size, epochs: epochs.records, epoch_ratios: Object.fromEntries(cellIds.map((id) => [id, epochSamples(epochOf.get(id)!, 1).samples])) } : {}), comparison }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  writeFileSync(join(o.outDir, 'README'), `flexbench ab: ${o.command}\nbase/ and head/ are ordinary run directories; ab.json holds the seed, the order and the per-round ratios.\n`);
  return { comparison, outDir: o.outDir, interrupted };
}
