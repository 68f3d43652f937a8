// Runs a plan on a testbed, in phases: resolve (spec, plan, order) -> open (run directory, lock, provenance)
// -> start the stores (up for the whole run) -> trials in the run's order (interleaved rounds by default) ->
// one ordered shutdown -> summary, ratios, figures. Results are written as they come; Ctrl-C stops cleanly
// and the run resumes in the same order.
import { NF_V8_FLAGS } from '../../runtime/nf-process/result.js';
import { ownFields } from '../results/own-time.js';
import os from 'node:os';
import { randomInt } from 'node:crypto';
import { diffFingerprints, formatDifferences } from '../compare/fingerprint.js';
import { etaCalibration } from './eta.js';
import { lockRunDir } from '../results/lock.js';
import { existsSync } from 'node:fs';
import { ensureOutputDir } from '../../common/output-dir.js';
import { dirname, join, resolve, sep } from 'node:path';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { plannedRepetitions, type Spec } from '../spec/schema.js';
import { specOfRun, type LoadedSpec } from '../spec/load.js';
import { expandPlan, estimateSeconds, formatDuration, pcapCount, trialSeconds, storeStartSeconds, TRIAL_OVERHEAD_S, STORE_RESET_S, STORE_START_S } from '../plan/plan.js';
import { schedule, serversNeeded, serverKey, blockBy, endpointGroup, type Scheduled, type Order } from '../plan/order.js';
import { createTestbed } from '../testbeds/index.js';
import type { Testbed, StoreHandle, PacedSession, EndpointSession, TrialRequest, TrialMeasurement } from '../testbeds/testbed.js';
import type { EndpointMeasurement } from '../tools/endpoint-tests.js';
import type { PcapInfo, PlanTrial, RunJson, TrialRecord } from '../results/format.js';
import { RESULTS_FORMAT_VERSION, cellIdOf, isCellTrial, trialStem } from '../results/format.js';
import { readRunJson, readTrials, writeRunJson, writeTrials, writeSummary, writeRatios, writeAtomic } from '../results/files.js';
import { elasticRows, elasticCsv, elasticTable } from '../results/elastic.js';
import { endpointsReport, unmeasuredLocations } from '../results/endpoints-report.js';
import { outlierTrials, summarizeTrials, type Baseline } from '../results/summary.js';
import { specOrderings, specRatios, unreachedCells } from './auto.js';
import { judgeTrial } from '../results/judge.js';
import { ensurePcaps, plannedPcaps, checkReplayable, pcapOf } from './pcaps.js';
import { measureBeyond, openCellSession } from './measure.js';
import { measuredFields } from './measured.js';
import { needsPacing, frameSizesOf, measurePlan, loadLabel } from '../spec/measure.js';
import { Shutdown } from './shutdown.js';
import { HOST_BUSY_CORES } from './host-load.js';
import { Progress, formatRate } from '../progress/progress.js';
import { flexbenchVersion, gitState, hostBusyCores, REPO_ROOT } from '../provenance.js';

export interface RunOptions {
  /** the spec to run (absent with resumeDir) */
  loaded?: LoadedSpec;
  /** results directory of this run (default results/<run-id>) */
  outDir?: string;
  /** continue an interrupted run in this directory */
  resumeDir?: string;
  dryRun?: boolean;
  /** seed of the interleaved order (default: drawn, and recorded in run.json) */
  seed?: number;
  /** print the final run summary as JSON on stdout */
  json?: boolean;
  /** root of the results directories (default ./results) */
  resultsRoot?: string;
  /** pcap cache (default ./pcaps) */
  pcapCache?: string;
  /** where figures are also copied (default: ./plots for a run in ./results without --out, else none; null = not copied) */
  plotsDir?: string | null;
  /** draw figures at the end (default true) */
  plots?: boolean;
  command?: string;
  /** stdout/stderr (tests pass their own) */
  out?: NodeJS.WritableStream;
  err?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** aborting it is Ctrl-C (the CLI wires SIGINT/SIGTERM to it) */
  signal?: AbortSignal;
}

interface RunOutcome {
  exitCode: number;
  runDir: string | null;
  counts: RunJson['counts'];
}

/** Repetitions auto: the first check once every pcap file ran this many times over (n >= 3 per cell). */
const AUTO_MIN_SAMPLES = 3;

function runIdFor(spec: Spec, now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${spec.name}`;
}

const cellLabel = (t: PlanTrial) => `${t.nf}/${t.store}/${t.location}${t.mode === 'none' ? '' : `/${t.mode}`} cores=${t.cores}${t.trial_id.includes(`/f${t.frame_size}/`) ? ` frame=${t.frame_size}` : ''} pcap=${t.pcap_index} rep=${t.repetition}${t.measure ? ` ${t.measure}` : ''}`;

function countsOf(plan: readonly PlanTrial[], all: readonly TrialRecord[]): RunJson['counts'] {
  // sub-records (search, latency trials) belong to their plan trial: it is counted once
  const records = all.filter(isCellTrial);
  const done = new Set(records.map((r) => r.trial_id));
  return {
    planned: plan.length,
    ok: records.filter((r) => r.status === 'ok').length,
    failed: records.filter((r) => r.status === 'failed').length,
    skipped: records.filter((r) => r.status === 'skipped').length,
    missing: plan.filter((t) => !done.has(t.trial_id)).length,
  };
}

/** A trial record before it ran (status skipped, no numbers): what a runner fills in. */
export function baseRecord(t: PlanTrial, pcap: PcapInfo, spec: Spec): TrialRecord {
  return {
    trial_id: t.trial_id, index: t.index, nf: t.nf, store: t.store, location: t.location, mode: t.mode,
    flush_ms: t.mode === 'async' ? spec.state.flush_ms : null, cores: t.cores, frame_size: t.frame_size, testbed: t.testbed,
    pcap: pcap.name, pcap_sha256: pcap.sha256 || null, repetition: t.repetition, status: 'skipped', reason: null,
    rx_packets: null, tx_packets: null, rx_pps: null, tx_pps: null, dropped: null, duration_s: null,
    warmup_s: spec.traffic.warmup_s, per_core: [], commands: [], flags: [], started_at: null, ended_at: null,
    ...(t.measure ? { measure: t.measure } : {}),
  };
}

/** The order of a run: from the spec (and --seed), or as a resumed run recorded it. */
function orderOf(spec: Spec, recorded: RunJson['order'] | undefined, seed: number | undefined): NonNullable<RunJson['order']> {
  if (recorded) return recorded;
  const kind: Order = spec.matrix.order;
  // grouped only where there are end-host tests: every other run's order (and run.json) is as before
  return { kind, seed: seed ?? randomInt(0, 2 ** 31 - 1), rounds: pcapCount(spec) * plannedRepetitions(spec.matrix), blocked: true, ...(spec.endpoints ? { grouped: true } : {}) };
}

/** The run's order; with a baseline, a cell and its reference run back to back within each round. */
function scheduleOf(spec: Spec, plan: readonly PlanTrial[], order: NonNullable<RunJson['order']>): Scheduled[] {
  const baseline = spec.baseline ?? spec.figures.find((f) => f.baseline)?.baseline;
  return schedule(plan, { order: order.kind, seed: order.seed, files: pcapCount(spec), block: order.blocked && baseline ? blockBy(baseline) : undefined, group: order.grouped ? endpointGroup : undefined });
}

/** Print the plan in the order it runs: every trial, the exact argv it will run, and an ETA. */
function printDryRun(spec: Spec, plan: readonly PlanTrial[], tb: Testbed, pcaps: readonly PcapInfo[], out: NodeJS.WritableStream, profile: string | null, order: NonNullable<RunJson['order']>): void {
  const sched = scheduleOf(spec, plan, order);
  out.write(`spec ${spec.name}${profile ? ` (profile ${profile})` : ''} on testbed ${spec.testbed}: ${plan.length} trials, ${sched.length} to run, ${plan.length - sched.length} skipped\n`);
  out.write(`traffic: ${pcapCount(spec)} pcap(s)${spec.traffic.pcaps ? '' : ` of ${spec.traffic.flows} flows`}, ${frameSizesOf(spec).join(', ')} B, warm-up ${spec.traffic.warmup_s}s + ${spec.traffic.duration_s}s measured per trial\n`);
  const mp = measurePlan(spec);
  if (mp.ndr_pdr) out.write(`measure ndr_pdr (${mp.ndr_pdr.preset}): after each trial at max load, an RFC 9971 search from its forwarding rate; goals ${mp.ndr_pdr.goals.map((g) => `${g.name} loss ${g.loss_ratio * 100}% exceed ${g.exceed_ratio} trials ${g.initial_trial_duration}-${g.final_trial_duration}s sum ${g.duration_sum}s width ${g.width * 100}%`).join('; ')}; each search trial: flexbench nf run --port offered --rate LOAD --warmup ${mp.ndr_pdr.warmup_s} --duration D\n`);
  if (mp.latency) out.write(`measure latency: at ${mp.latency.loads.map((f) => (f === 0 ? `${mp.latency!.low_rate_pps} pps` : `${loadLabel(f)} of the ${mp.ndr_pdr ? 'PDR found' : 'max-load rate'}`)).join(', ')}, ${mp.latency.duration_s}s each, stamping every ${mp.latency.every === 'auto' ? 'Nth packet (~10,000 samples/s)' : `${mp.latency.every}th packet`}${mp.latency.calibrate ? '; each beside the wire NF at the same load (the bias)' : ''}\n`);
  const paired = spec.baseline !== undefined || spec.figures.some((f) => f.baseline);
  out.write(`order: ${order.kind}${order.kind === 'interleaved' ? ` in ${order.rounds} round(s), seed ${order.seed} (replay with --seed ${order.seed})${paired ? '; each cell beside its baseline cell' : ''}` : ''}${spec.matrix.repetitions === 'auto' ? `; repetitions auto: rounds stop once every cell's 95 % interval${paired ? ' and every paired ratio\'s' : ''} is within ±${(spec.matrix.target_ci * 100).toFixed(1)}% (at most ${order.rounds})` : ''}\n`);
  for (const g of serversNeeded(plan)) out.write(`  -- start store ${g.store} (${g.location}) for the whole run; it is reset before each of its trials\n`);
  let round = -1;
  for (const { trial: t, round: r } of sched) {
    if (r !== round && order.kind === 'interleaved') out.write(`  -- round ${r + 1} of ${order.rounds}\n`);
    round = r;
    out.write(`#${String(t.index + 1).padStart(3)} ${cellLabel(t)}\n`);
    for (const c of tb.describeTrial(t, pcapOf(spec, pcaps, t), spec)) out.write(`       $ ${c}\n`);
  }
  for (const t of plan.filter((x) => x.skip)) out.write(`#${String(t.index + 1).padStart(3)} ${cellLabel(t)}  SKIP: ${t.skip}\n`);
  out.write(`ETA ${formatDuration(estimateSeconds(spec, plan))} (≈${TRIAL_OVERHEAD_S}s overhead per trial; store resets: ${Object.entries(STORE_RESET_S).map(([k, v]) => `${k} ${v}s`).join(', ')}; store starts: ${Object.entries(STORE_START_S).map(([k, v]) => `${k} ${v}s`).join(', ')})\n`);
}

/** Everything a run holds while it runs. */
interface RunState {
  o: RunOptions;
  spec: Spec;
  plan: PlanTrial[];
  order: NonNullable<RunJson['order']>;
  tb: Testbed;
  profile: string | null;
  specFile: string;
  run: RunJson | null;
  records: TrialRecord[];
  runDir: string;
  pcaps: PcapInfo[];
  signal: AbortSignal;
  progress: Progress;
  stores: Map<string, StoreHandle | Error>;
  storeVersions: Record<string, string | null>;
  auto: RunJson['auto'];
  etaSeconds: number | null;
  /** the estimate before the scale (what the next run's calibration compares the wall time with) */
  etaModelSeconds: number | null;
  /** how the estimate held on this machine before (orchestrate/eta.ts); 1 without history */
  etaScale: number;
  /** store locations a profile runs that this run did not (StatelessNF's endpoints), from the last summary written */
  unmeasured?: string[];
  wallStart: number;
  /** set once the trials ended without an interrupt or an error */
  finished: boolean;
  /** the NF of the end-host tests' group running now (its key: endpointGroup), or why it did not start */
  group?: { key: string; nf: EndpointSession | Error } | null;
}

/** Phase 1: the spec, plan and order, from the spec or, on resume, exactly as run.json recorded them. */
async function resolveRun(o: RunOptions, signal: AbortSignal): Promise<RunState> {
  const progress = new Progress(o.err ?? process.stderr);
  let spec: Spec;
  let plan: PlanTrial[] = [];
  let run: RunJson | null = null;
  let records: TrialRecord[] = [];
  let runDir = '';
  let specFile: string;
  let profile: string | null;
  if (o.resumeDir) {
    runDir = resolve(o.resumeDir);
    run = readRunJson(runDir);
    spec = specOfRun(run.spec_resolved, runDir);
    plan = run.plan;
    specFile = run.spec_file;
    profile = run.profile;
    // a trial cut short by the interrupt has no record: it runs again, so the sub-records (search,
    // latency) it had written already go with it
    const all = readTrials(runDir, { sub: true });
    const whole = new Set(all.filter(isCellTrial).map((r) => r.trial_id));
    records = all.filter((r) => isCellTrial(r) || whole.has(r.parent_trial_id!));
  } else {
    if (!o.loaded) throw new FlexbenchError('runExperiment: no spec', EXIT.usage);
    spec = o.loaded.spec;
    specFile = o.loaded.file;
    profile = o.loaded.profile;
  }
  const tb = await createTestbed(spec.testbed, { spec, inventory: spec.inventory, root: REPO_ROOT });
  // measure: ndr_pdr / latency need a generator that paces (and stamps): refused before anything starts
  const unpaced = needsPacing(spec) ? tb.unpaced?.(spec.measure.latency !== undefined) ?? null : null;
  if (unpaced) {
    await tb.teardown();
    throw new FlexbenchError(`${unpaced} (measure.${spec.measure.ndr_pdr !== undefined ? 'ndr_pdr' : 'latency'} needs one)`, EXIT.usage);
  }
  if (!o.resumeDir) plan = expandPlan(spec, { skipReason: (t) => tb.skipReason(t) });
  if (!spec.traffic.pcaps) checkReplayable(spec, plannedPcaps(spec, resolve(o.pcapCache ?? 'pcaps')));
  // a run recorded before orders existed ran sequentially
  const order = orderOf(spec, run ? (run.order ?? { kind: 'sequential', seed: 0, rounds: pcapCount(spec) * plannedRepetitions(spec.matrix) }) : undefined, o.seed);
  return {
    o, spec, plan, order, tb, profile, specFile, run, records, runDir, pcaps: [], signal, progress,
    stores: new Map(), storeVersions: {}, auto: run?.auto ?? null, etaSeconds: null, etaModelSeconds: null, etaScale: 1, wallStart: Date.now(), finished: false,
  };
}

/** Writes trials, summary, ratios and run.json with the status given; synchronous, so a forced exit can call it. */
function record(s: RunState, status: RunJson['status'], ended = false): void {
  if (!s.run) return;
  // a plan trial's record first, then its sub-records (search, latency) in the order they ran
  s.records.sort((a, b) => a.index - b.index || Number(!isCellTrial(a)) - Number(!isCellTrial(b)));
  writeTrials(s.runDir, s.records);
  const base = s.spec.baseline as Baseline | undefined;
  const summary = summarizeTrials(s.records, { baseline: base, interval: s.spec.matrix.ratio_interval });
  writeSummary(s.runDir, summary);
  if (s.spec.endpoints) {
    // Tables 2 and 3 beside the paper's numbers (StatelessNF)
    const portModes = [...new Set(s.records.map((r) => r.port_mode).filter((m): m is string => typeof m === 'string'))];
    s.unmeasured = unmeasuredLocations(summary, s.spec.profiles);
    writeAtomic(join(s.runDir, 'endpoints.md'), endpointsReport({
      runId: s.run.run_id, rows: summary, endpoints: s.spec.endpoints, flushMs: s.spec.state.flush_ms, fingerprint: s.run.provenance.fingerprint,
      portModes, seconds: s.spec.traffic.duration_s, warmup: s.spec.traffic.warmup_s, profiles: s.spec.profiles,
    }));
  }
  const ratios = specRatios(s.spec, s.records);
  if (ratios.length) writeRatios(s.runDir, ratios);
  // several instances: recovery time, loss and state continuity per store and event
  const elastic = elasticRows(s.records);
  if (elastic.length) writeAtomic(join(s.runDir, 'elastic.csv'), elasticCsv(elastic));
  const provenance = {
    ...s.run.provenance,
    store_started: { ...(s.run.provenance.store_started ?? {}), ...s.storeVersions },
    eta_s: s.run.provenance.eta_s ?? s.etaSeconds,
    eta_model_s: s.run.provenance.eta_model_s ?? s.etaModelSeconds,
    wall_s: ended ? Math.round((Date.now() - s.wallStart) / 100) / 10 : s.run.provenance.wall_s ?? null,
    ended_at: ended ? new Date().toISOString() : s.run.provenance.ended_at,
  };
  s.run = { ...s.run, status, counts: countsOf(s.plan, s.records), provenance, order: s.order, auto: s.auto, ...(ratios.length ? { orderings: specOrderings(s.spec, s.records, ratios) } : {}) };
  writeRunJson(s.runDir, s.run);
}

/** Phase 2: the run directory, its lock, the interrupt wiring, pcaps, provenance and the first run.json. */
async function openRun(s: RunState, shutdown: Shutdown): Promise<void> {
  const { o, spec, progress } = s;
  const startedAt = new Date();
  if (!o.resumeDir) {
    s.runDir = ensureOutputDir(o.outDir ?? join(resolve(o.resultsRoot ?? 'results'), runIdFor(spec, startedAt)), o.outDir ? '--out' : 'results directory');
    if (existsSync(join(s.runDir, 'run.json'))) throw new FlexbenchError(`${s.runDir} already holds a run; use --resume ${s.runDir} to continue it, or another --out`, EXIT.usage);
  }
  const unlock = lockRunDir(s.runDir);
  shutdown.on('lock', unlock);
  shutdown.on('testbed', () => s.tb.teardown());

  await s.tb.preflight(spec);
  // preflight first, plan second: what the nodes turned out unable to run (CPUs, queues, port modes) is skipped with the reason
  if (!o.resumeDir) s.plan = s.plan.map((t) => (t.skip ? t : { ...t, skip: s.tb.skipReason(t) }));
  s.pcaps = await ensurePcaps(spec, resolve(o.pcapCache ?? 'pcaps'), (l) => progress.log(l));
  const git = await gitState();
  const fingerprint = await s.tb.fingerprint();
  // the local and emulated testbeds measure on this machine: it should be idle while they do
  const busy = spec.testbed === 'lab' ? null : await hostBusyCores();
  if (busy !== null && busy >= HOST_BUSY_CORES) {
    progress.log(`warning: something else keeps ${busy} of ${os.availableParallelism()} cores busy on this host; trials share the machine with it, so rates will be lower and noisier (each trial records host_busy_cores; busy ones are flagged host_busy)`);
  }
  if (s.run) {
    const run = s.run;
    // the pcaps must be the very same files
    if (run.provenance.pcaps.map((p) => p.sha256).join(',') !== s.pcaps.map((p) => p.sha256).join(',')) throw new FlexbenchError(`${s.runDir}: the pcaps changed since the run started (SHA-256 differs); start a new run`, EXIT.usage);
    // ... measured on the same hardware by the same code, or the cells would mix two of them
    const hw = diffFingerprints(run.provenance.fingerprint, fingerprint);
    if (hw.length > 0) throw new FlexbenchError(`${s.runDir}: this machine differs from the one the run started on:\n${formatDifferences(hw, ['run started on', 'here'])}\nStart a new run here.`, EXIT.usage);
    const was = `${run.provenance.git_commit ?? 'unknown'}${run.provenance.git_dirty ? ' (with uncommitted changes)' : ''}`;
    const now = `${git.commit ?? 'unknown'}${git.dirty ? ' (with uncommitted changes)' : ''}`;
    if (was !== now) throw new FlexbenchError(`${s.runDir}: the run started on commit ${was}, this checkout is ${now}; resume it from that commit, or start a new run`, EXIT.usage);
    s.run = { ...run, status: 'running', provenance: { ...run.provenance, resumed_at: [...run.provenance.resumed_at, startedAt.toISOString()] } };
  } else {
    s.run = {
      format_version: RESULTS_FORMAT_VERSION,
      run_id: s.runDir.split('/').pop() ?? 'run',
      status: 'running',
      spec_file: s.specFile,
      profile: s.profile,
      spec_given: o.loaded!.given,
      spec_resolved: spec as unknown as Record<string, unknown>,
      plan: s.plan,
      order: s.order,
      provenance: {
        flexbench_version: flexbenchVersion(),
        git_commit: git.commit,
        git_dirty: git.dirty,
        command: o.command ?? process.argv.slice(1).join(' '),
        fingerprint,
        pcaps: s.pcaps,
        started_at: startedAt.toISOString(),
        ended_at: null,
        resumed_at: [],
        host_busy_cores: busy,
        nf_v8_flags: [...NF_V8_FLAGS],
      },
      counts: countsOf(s.plan, []),
    };
  }
  const done = new Set(s.records.map((r) => r.trial_id));
  for (const t of s.plan.filter((x) => x.skip && !done.has(x.trial_id))) s.records.push({ ...baseRecord(t, pcapOf(spec, s.pcaps, t), spec), status: 'skipped', reason: t.skip });
  const todo = s.plan.filter((t) => !t.skip && !done.has(t.trial_id));
  s.etaModelSeconds = todo.reduce((a, t) => a + trialSeconds(spec, t), 0) + storeStartSeconds(todo);
  const cal = etaCalibration([resolve(o.resultsRoot ?? 'results'), dirname(s.runDir)], fingerprint, s.runDir);
  s.etaScale = cal?.scale ?? 1;
  s.etaSeconds = s.etaModelSeconds * s.etaScale;
  record(s, 'running');
  // the record step of the shutdown: whatever happened, run.json does not stay "running"
  shutdown.on('record', () => record(s, s.finished && !s.signal.aborted && countsOf(s.plan, s.records).missing === 0 ? 'complete' : 'incomplete', true));
  // a forced second Ctrl-C exits at once: the files still say what finished
  const onExit = () => {
    if (!shutdown.closed) record(s, 'incomplete', true);
  };
  process.on('exit', onExit);
  shutdown.on('signals', () => process.off('exit', onExit));
  const scaled = cal ? `, ×${cal.scale.toFixed(2)} as the estimate held in ${cal.runs.length === 1 ? 'the last run' : `the last ${cal.runs.length} runs`} here` : '';
  progress.log(`run ${s.run.run_id}: results in ${s.runDir} (order ${s.order.kind}${s.order.kind === 'interleaved' ? `, seed ${s.order.seed}` : ''}; ETA ${formatDuration(s.etaSeconds)}${scaled})`);
  await s.tb.prepare({ spec, plan: s.plan, pcaps: s.pcaps, runDir: s.runDir, signal: s.signal, log: (l) => progress.log(l) });
}

/** Phase 3: every store server the remaining trials need, started once and kept up for the whole run. */
async function startStores(s: RunState, todo: readonly Scheduled[], shutdown: Shutdown): Promise<void> {
  for (const { store, location } of serversNeeded(todo.map((x) => x.trial))) {
    if (s.signal.aborted) return;
    const key = `${store}@${location}`;
    s.progress.log(`starting store ${store} (${location})`);
    const t0 = Date.now();
    try {
      const h = await s.tb.startStore(store, location, s.signal);
      if (!h) continue;
      s.stores.set(key, h);
      shutdown.on('stores', () => h.stop());
      if (h.version !== undefined) s.storeVersions[store] = h.version;
      s.progress.log(`store ${store} (${location}) up at ${h.url} in ${((Date.now() - t0) / 1000).toFixed(1)}s${h.version ? ` (version ${h.version})` : ''}`);
    } catch (e) {
      if (s.signal.aborted) return;
      const err = new Error(`store ${store} (${location}) did not start: ${(e as Error).message}`);
      s.progress.log(`FAILED ${err.message}`);
      s.stores.set(key, err); // its trials are recorded failed with this reason
    }
  }
}

/**
 * An end-host test on its group's NF (Testbed.openEndpoints): the NF started, after the store was emptied, at the
 * group's first test and kept up for the next ones. An NF that did not start fails every test of its group with why.
 */
async function onGroupNf(s: RunState, req: Omit<TrialRequest, 'load' | 'logSuffix'>, key: string): Promise<TrialMeasurement> {
  if (s.group?.key !== key) {
    await closeGroupNf(s);
    let nf: EndpointSession | Error;
    try {
      if (req.store) await req.store.reset();
      nf = await s.tb.openEndpoints!(req, s.spec.endpoints?.tests.length ?? 1);
    } catch (e) {
      if (s.signal.aborted) throw e;
      nf = e as Error;
    }
    s.group = { key, nf };
  }
  const nf = s.group!.nf;
  if (nf instanceof Error) throw nf;
  return nf.run(req);
}

/** The group's NF stopped: the flags of its end (state lost, its warnings, a death after its last test). */
async function closeGroupNf(s: RunState): Promise<{ flags: string[]; died: string | null }> {
  const g = s.group;
  s.group = null;
  if (!g || g.nf instanceof Error) return { flags: [], died: null };
  const end = await g.nf.close().catch((e: Error) => ({ flags: [], died: e.message }));
  return { flags: end.flags, died: end.died };
}

/**
 * One trial: reset its store, run it, judge the measurement (nothing measured => not ok), note the host's load. An
 * end-host test runs on its group's NF (`lastOfGroup`: stopped after it, its end's flags on this record).
 */
async function runOne(s: RunState, { trial: t, round }: Scheduled, lastOfGroup = true): Promise<TrialRecord | null> {
  const pcap = pcapOf(s.spec, s.pcaps, t);
  const rec: TrialRecord = { ...baseRecord(t, pcap, s.spec), round };
  rec.started_at = new Date().toISOString();
  const key = serverKey(t);
  const store = key ? s.stores.get(key) ?? null : null;
  const subs: TrialRecord[] = [];
  let session: PacedSession | null = null;
  const group = t.measure && s.tb.openEndpoints ? endpointGroup(t) : null;
  try {
    if (store instanceof Error) throw store;
    const req = { trial: t, pcap, traffic: s.spec.traffic, flush_ms: s.spec.state.flush_ms, store, signal: s.signal, runDir: s.runDir };
    // an end-host test's group empties the store once, before its first test
    if (store && group === null) await store.reset();
    // a cell that searches keeps its NF and generator up from this trial across its search, where the testbed can
    session = group === null ? await openCellSession(s.tb, s.spec, req) : null;
    const tr = s.spec.traffic;
    const m = group !== null ? await onGroupNf(s, req, group)
      : session ? await session.run({ rate_pps: tr.rate, duration_s: tr.duration_s, warmup_s: tr.warmup_s, latency_every: 0 }) : await s.tb.runTrial(req);
    // a trial between end hosts has no generator window: the NF's counts are over the test (iperf3 and the echo judged themselves)
    const j = judgeTrial(m, { duration_s: m.endpoint ? m.duration_s : s.spec.traffic.duration_s });
    Object.assign(rec, {
      status: j.status, reason: j.reason, ...measuredFields(m, j.flags),
      ...ownFields(m.own),
      ...(m.port_mode !== undefined ? { port_mode: m.port_mode } : {}), ...(m.lcores ? { lcores: m.lcores } : {}),
      ...(m.elastic ? { elastic: m.elastic } : {}),
      ...(m.endpoint ? endpointFields(m.endpoint) : {}),
    });
    // measure: ndr_pdr / latency: the search starts from this trial's forwarding rate; each trial is a sub-record
    // (a trial between end hosts measured iperf3's or the echo's traffic: nothing to search from)
    if (rec.status === 'ok' && needsPacing(s.spec) && !t.measure) {
      rec.measure = 'throughput';
      const out = await measureBeyond({
        spec: s.spec, tb: s.tb, trial: t, pcap, store, signal: s.signal, runDir: s.runDir, base: rec, log: (l) => s.progress.log(l), session,
        emit: (sub) => {
          subs.push(sub);
          s.records.push(sub);
          record(s, 'running');
        },
      }, m.tx_pps);
      Object.assign(rec, out.fields);
      rec.flags = [...rec.flags, ...out.flags];
      if (out.failure) Object.assign(rec, { status: 'failed', reason: out.failure });
    }
  } catch (e) {
    if (s.signal.aborted) {
      // cut short: no record, it runs again on --resume (with its sub-records)
      s.records = s.records.filter((r) => !subs.includes(r));
      return null;
    }
    rec.status = 'failed';
    rec.reason = (e as Error).message;
  } finally {
    // the search closed it; a max-load trial that failed (or an interrupt) did not
    await session?.close().catch(() => undefined);
    if (group !== null && (lastOfGroup || s.signal.aborted)) {
      const end = await closeGroupNf(s);
      // a death the group's tests did not see (after its last one) is said on the last; a failed test already says its own
      rec.flags = [...rec.flags, ...end.flags, ...(end.died && rec.status === 'ok' ? [`resident_nf_died: after the group's last test: ${end.died}`] : [])];
    }
  }
  rec.ended_at = new Date().toISOString();
  return rec;
}

/** What a trial between end hosts adds to its record (rates in Mbit/s). */
function endpointFields(e: EndpointMeasurement): Partial<TrialRecord> {
  const mbps = (bps: number) => Math.round(bps / 1e3) / 1e3;
  const ip = e.iperf;
  return {
    measure: e.test === 'rtt' ? 'rtt' : e.test === 'tcp' ? 'iperf_tcp' : 'iperf_udp',
    throughput_mbps: ip ? mbps(ip.received_bps) : null,
    iperf: ip
      ? {
          proto: ip.proto, streams: ip.streams, seconds: ip.seconds, received_mbps: mbps(ip.received_bps), sent_mbps: mbps(ip.sent_bps), retransmits: ip.retransmits,
          lost_packets: ip.lost_packets, packets: ip.packets, lost_percent: ip.lost_percent, jitter_ms: ip.jitter_ms, cpu_local_pct: ip.cpu_local_pct, cpu_remote_pct: ip.cpu_remote_pct,
        }
      : null,
    rtt: e.rtt,
    ping: e.ping,
  };
}

/** Phase 4: the trials in the run's order, round by round; written after each one. */
async function runTrials(s: RunState, todo: readonly Scheduled[]): Promise<void> {
  const { spec, progress } = s;
  const files = pcapCount(spec);
  const auto = spec.matrix.repetitions === 'auto';
  let estimated = todo.reduce((a, x) => a + trialSeconds(spec, x.trial), 0);
  let spentEstimate = 0;
  let spent = 0;
  let lastMpps: number | null = null;
  for (let i = 0; i < todo.length; i++) {
    if (s.signal.aborted) return;
    const cur = todo[i]!;
    // repetitions auto: after each full pass over the pcap files, stop once every cell reached the target
    if (auto && i > 0 && cur.round !== todo[i - 1]!.round && cur.round % files === 0 && cur.round >= files * Math.ceil(AUTO_MIN_SAMPLES / files)) {
      const unreached = unreachedCells(spec, s.records);
      s.auto = { target_ci: spec.matrix.target_ci, rounds_run: cur.round, unreached };
      if (unreached.length === 0) {
        const reason = `not needed: every cell reached ±${(spec.matrix.target_ci * 100).toFixed(1)}% after ${cur.round} rounds (repetitions auto)`;
        progress.log(reason);
        for (const x of todo.slice(i)) s.records.push({ ...baseRecord(x.trial, pcapOf(spec, s.pcaps, x.trial), spec), round: x.round, status: 'skipped', reason });
        s.finished = true;
        return;
      }
    }
    // ETA: what remains, scaled by how the estimate has held so far
    const scale = spentEstimate > 0 ? spent / spentEstimate : s.etaScale;
    progress.update({ i: i + 1, total: todo.length, round: cur.round + 1, rounds: s.order.rounds, cell: cellLabel(cur.trial), etaSeconds: estimated * scale, lastMpps });
    const t0 = Date.now();
    // an end-host test's group ends where the next trial is not of it: its NF stops after this one
    const next = todo[i + 1];
    const rec = await runOne(s, cur, !next || endpointGroup(next.trial) !== endpointGroup(cur.trial));
    if (!rec) return;
    const est = trialSeconds(spec, cur.trial);
    estimated -= est;
    spentEstimate += est;
    spent += (Date.now() - t0) / 1000;
    s.records.push(rec);
    record(s, 'running');
    if (rec.status === 'ok') lastMpps = rec.tx_pps! / 1e6;
    if (rec.status === 'failed') progress.log(`FAILED ${cellLabel(cur.trial)}: ${rec.reason}`);
    else if (!(s.o.err as NodeJS.WriteStream | undefined)?.isTTY) {
      const said = rec.throughput_mbps != null ? `  ${rec.measure} ${rec.throughput_mbps.toFixed(1)} Mbit/s` : rec.rtt ? `  rtt avg ${rec.rtt.avg_us} µs p99 ${rec.rtt.p99_us} µs` : '';
      progress.log(`  ok  rx ${formatRate(rec.rx_pps! / 1e6)}  tx ${formatRate(rec.tx_pps! / 1e6)}${said}`);
    }
    for (const f of rec.flags) progress.log(`  FLAG ${cellLabel(cur.trial)}: ${f}`);
  }
  if (auto) {
    const unreached = unreachedCells(spec, s.records);
    s.auto = { target_ci: spec.matrix.target_ci, rounds_run: s.order.rounds, unreached };
  }
  s.finished = true;
}

/** Phase 5: the final files, figures and the line that says how it went. */
async function finish(s: RunState): Promise<RunOutcome> {
  const { o, progress } = s;
  const counts = countsOf(s.plan, s.records);
  const complete = s.run?.status === 'complete';
  // measure: ndr_pdr and latency draw their own figures (plots/measure-figures.ts) even where the spec lists none
  // so do endpoints: (Tables 2 and 3 as bars, plots/endpoint-figures.ts)
  if (o.plots !== false && counts.ok > 0 && (s.spec.figures.length > 0 || s.spec.measure.ndr_pdr !== undefined || s.spec.measure.latency !== undefined || s.spec.endpoints !== undefined)) {
    try {
      const { renderRunPlots } = await import('../plots/render.js');
      // a run writes only under its own directory; the checkout's plots/ gets a copy only for a run kept in its results/
      const inResults = s.runDir.startsWith(resolve(o.resultsRoot ?? 'results') + sep);
      const files = await renderRunPlots(s.runDir, { copyTo: o.plotsDir !== undefined ? o.plotsDir : !o.outDir && inResults ? resolve('plots') : null });
      for (const f of files) progress.log(`figure: ${f}`);
    } catch (e) {
      progress.log(`figures not drawn: ${(e as Error).message}`);
    }
  }
  if (s.spec.endpoints && s.run && existsSync(join(s.runDir, 'endpoints.md'))) {
    progress.log(`tables: ${join(s.runDir, 'endpoints.md')} (Tables 2 and 3, Figure 3 beside the paper's numbers; the paper's order of the modes checked)`);
    for (const l of s.unmeasured ?? []) progress.log(`not measured in this run: ${l}`);
  }
  const elastic = elasticRows(s.records);
  if (elastic.length) for (const line of elasticTable(elastic)) progress.log(line);
  if (s.auto?.unreached.length) progress.log(`repetitions auto: ${s.auto.unreached.length} cell(s) did not reach ±${(s.auto.target_ci * 100).toFixed(1)}% within ${s.order.rounds} rounds: ${s.auto.unreached.join('; ')}`);
  if (s.run?.orderings?.length) progress.log(`orderings: > apart beyond target_ci ${((s.spec.matrix.target_ci) * 100).toFixed(1)}%, ≈ within it, ~ unresolved (flexbench orderings RUN_A RUN_B compares two runs)`);
  for (const x of s.run?.orderings ?? []) progress.log(`paired ratios${x.figure ? ` (${x.figure})` : ''} ${x.metric} over ${x.baseline}, ${x.group}: ${x.order}`);
  // a trial far from its cell's others (a stall, a store's hiccup) stays in the summary; the reader is told which
  for (const x of outlierTrials(s.records)) {
    const t = s.plan.find((p) => p.trial_id === x.trial_id);
    // its trial log, and those of its measure: sub-trials (-search, -resident …)
    const log = t ? ` (logs: logs/${trialStem(t)}*.log)` : '';
    progress.log(`outlier: ${t ? cellLabel(t) : x.trial_id} forwarded ${formatRate(x.tx_mpps)}, its cell's median ${formatRate(x.median_mpps)}: kept in the summary (n_outliers)${log}`);
  }
  const wall = s.run?.provenance.wall_s;
  if (wall != null && s.etaSeconds !== null) progress.log(`wall time ${formatDuration(wall)} (estimated ${formatDuration(s.etaSeconds)})`);
  progress.log(`${complete ? 'complete' : 'INCOMPLETE'}: ${counts.ok} ok, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.missing} missing of ${counts.planned} -> ${s.runDir}`);
  if (!complete) progress.log(`resume with: flexbench run --resume ${s.runDir}`);
  if (o.json) (o.out ?? process.stdout).write(`${JSON.stringify({ run_dir: s.runDir, status: complete ? 'complete' : 'incomplete', counts })}\n`);
  const exitCode = s.signal.aborted ? EXIT.interrupted : counts.failed > 0 ? EXIT.trialsFailed : EXIT.ok;
  return { exitCode, runDir: s.runDir, counts };
}

export async function runExperiment(o: RunOptions): Promise<RunOutcome> {
  const ac = new AbortController();
  const s = await resolveRun(o, ac.signal);
  if (o.dryRun) {
    try {
      printDryRun(s.spec, s.plan, s.tb, plannedPcaps(s.spec, resolve(o.pcapCache ?? 'pcaps')), o.out ?? process.stdout, s.profile, s.order);
    } finally {
      await s.tb.teardown();
    }
    return { exitCode: EXIT.ok, runDir: null, counts: countsOf(s.plan, []) };
  }
  const shutdown = new Shutdown();
  const onAbort = () => ac.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  shutdown.on('signals', () => o.signal?.removeEventListener('abort', onAbort));
  if (o.signal?.aborted) ac.abort();
  let failure: unknown = null;
  try {
    await openRun(s, shutdown);
    const done = new Set(s.records.map((r) => r.trial_id));
    const todo = scheduleOf(s.spec, s.plan, s.order).filter((x) => !done.has(x.trial.trial_id));
    s.wallStart = Date.now();
    await startStores(s, todo, shutdown);
    await runTrials(s, todo);
  } catch (e) {
    failure = e;
  } finally {
    // an end-host group's NF that a failure left up (its tests' records say what happened)
    await closeGroupNf(s).catch(() => undefined);
    s.progress.done();
    // one ordered shutdown, on every path: stores, testbed, record, lock, signal wiring
    await shutdown.close();
  }
  if (failure && !ac.signal.aborted) throw failure;
  return finish(s);
}
