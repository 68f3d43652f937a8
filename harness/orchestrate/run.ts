// Runs a plan on a testbed: one trial at a time, results written as they come, clean stop on Ctrl-C, resumable.
import os from 'node:os';
import { diffFingerprints, formatDifferences } from '../compare/fingerprint.js';
import { lockRunDir } from '../results/lock.js';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { specSchema, type Spec } from '../spec/schema.js';
import type { LoadedSpec } from '../spec/load.js';
import { expandPlan, estimateSeconds, formatDuration, pcapCount, TRIAL_OVERHEAD_S, STORE_RESET_S, STORE_START_S } from '../plan/plan.js';
import { createTestbed } from '../testbeds/index.js';
import type { Testbed, StoreHandle } from '../testbeds/testbed.js';
import type { PcapInfo, PlanTrial, RunJson, TrialRecord } from '../results/format.js';
import { RESULTS_FORMAT_VERSION } from '../results/format.js';
import { readRunJson, readTrials, writeRunJson, writeTrials, writeSummary } from '../results/files.js';
import { summarizeTrials } from '../results/summary.js';
import { judgeTrial } from '../results/judge.js';
import { ensurePcaps, plannedPcaps } from './pcaps.js';
import { Progress } from '../progress/progress.js';
import { flexbenchVersion, gitState, hostBusyCores, REPO_ROOT } from '../provenance.js';

export interface RunOptions {
  /** the spec to run (absent with resumeDir) */
  loaded?: LoadedSpec;
  /** results directory of this run (default results/<run-id>) */
  outDir?: string;
  /** continue an interrupted run in this directory */
  resumeDir?: string;
  dryRun?: boolean;
  /** print the final run summary as JSON on stdout */
  json?: boolean;
  /** root of the results directories (default ./results) */
  resultsRoot?: string;
  /** pcap cache (default ./pcaps) */
  pcapCache?: string;
  /** where figures are also copied (default ./plots; null = not copied) */
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

export interface RunOutcome {
  exitCode: number;
  runDir: string | null;
  counts: RunJson['counts'];
}

function runIdFor(spec: Spec, now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${spec.name}`;
}

const cellLabel = (t: PlanTrial) => `${t.nf}/${t.store}/${t.location}${t.mode === 'none' ? '' : `/${t.mode}`} cores=${t.cores} pcap=${t.pcap_index} rep=${t.repetition}`;

function countsOf(plan: readonly PlanTrial[], records: readonly TrialRecord[]): RunJson['counts'] {
  const done = new Set(records.map((r) => r.trial_id));
  return {
    planned: plan.length,
    ok: records.filter((r) => r.status === 'ok').length,
    failed: records.filter((r) => r.status === 'failed').length,
    skipped: records.filter((r) => r.status === 'skipped').length,
    missing: plan.filter((t) => !done.has(t.trial_id)).length,
  };
}

function baseRecord(t: PlanTrial, pcap: PcapInfo, spec: Spec): TrialRecord {
  return {
    trial_id: t.trial_id, index: t.index, nf: t.nf, store: t.store, location: t.location, mode: t.mode,
    flush_ms: t.mode === 'async' ? spec.state.flush_ms : null, cores: t.cores, frame_size: t.frame_size, testbed: t.testbed,
    pcap: pcap.name, pcap_sha256: pcap.sha256 || null, repetition: t.repetition, status: 'skipped', reason: null,
    rx_packets: null, tx_packets: null, rx_pps: null, tx_pps: null, dropped: null, duration_s: null,
    warmup_s: spec.traffic.warmup_s, per_core: [], commands: [], flags: [], started_at: null, ended_at: null,
  };
}

/** Print the plan: every trial, its commands, and an ETA. */
export function printDryRun(spec: Spec, plan: readonly PlanTrial[], tb: Testbed, pcaps: readonly PcapInfo[], out: NodeJS.WritableStream, profile: string | null): void {
  const run = plan.filter((t) => !t.skip);
  out.write(`spec ${spec.name}${profile ? ` (profile ${profile})` : ''} on testbed ${spec.testbed}: ${plan.length} trials, ${run.length} to run, ${plan.length - run.length} skipped\n`);
  out.write(`traffic: ${pcapCount(spec)} pcap(s)${spec.traffic.pcaps ? '' : ` of ${spec.traffic.flows} flows`}, ${spec.traffic.frame_size} B, warm-up ${spec.traffic.warmup_s}s + ${spec.traffic.duration_s}s measured per trial\n`);
  let group = '';
  for (const t of plan) {
    const g = `${t.store}@${t.location}`;
    if (g !== group && t.store !== 'none' && t.store !== 'hashmap' && !t.skip) {
      out.write(`  -- start store ${t.store} (${t.location}) then reset it before every trial\n`);
    }
    group = g;
    const head = `#${String(t.index + 1).padStart(3)} ${cellLabel(t)}`;
    if (t.skip) {
      out.write(`${head}  SKIP: ${t.skip}\n`);
      continue;
    }
    out.write(`${head}\n`);
    for (const c of tb.describeTrial(t, pcaps[t.pcap_index], spec)) out.write(`       $ ${c}\n`);
  }
  out.write(`ETA ${formatDuration(estimateSeconds(spec, plan))} (≈${TRIAL_OVERHEAD_S}s overhead per trial; store resets: ${Object.entries(STORE_RESET_S).map(([k, v]) => `${k} ${v}s`).join(', ')}; store starts: ${Object.entries(STORE_START_S).map(([k, v]) => `${k} ${v}s`).join(', ')})\n`);
}

export async function runExperiment(o: RunOptions): Promise<RunOutcome> {
  const out = o.out ?? process.stdout;
  const err = o.err ?? process.stderr;
  const progress = new Progress(err);
  const resultsRoot = resolve(o.resultsRoot ?? 'results');
  const pcapCache = resolve(o.pcapCache ?? 'pcaps');

  // The plan comes from the spec, or, on resume, from run.json exactly as it was (same trial ids).
  let spec: Spec;
  let plan: PlanTrial[];
  let run: RunJson | null = null;
  let records: TrialRecord[] = [];
  let runDir: string;
  let specFile: string;
  let profile: string | null;
  if (o.resumeDir) {
    runDir = resolve(o.resumeDir);
    run = readRunJson(runDir);
    const parsed = specSchema.safeParse(run.spec_resolved);
    if (!parsed.success) throw new FlexbenchError(`${runDir}/run.json: its resolved spec no longer validates: ${parsed.error.issues[0]?.message}`, EXIT.usage);
    spec = parsed.data;
    plan = run.plan;
    specFile = run.spec_file;
    profile = run.profile;
    // a trial cut short by the interrupt has no record: it runs again
    records = readTrials(runDir);
  } else {
    if (!o.loaded) throw new FlexbenchError('runExperiment: no spec', EXIT.usage);
    spec = o.loaded.spec;
    specFile = o.loaded.file;
    profile = o.loaded.profile;
    plan = [];
    runDir = '';
  }
  const tb = await createTestbed(spec.testbed, { spec, inventory: spec.inventory, root: REPO_ROOT });
  if (!o.resumeDir) plan = expandPlan(spec, { skipReason: (t) => tb.skipReason(t) });

  if (o.dryRun) {
    printDryRun(spec, plan, tb, plannedPcaps(spec, pcapCache), out, profile);
    await tb.teardown();
    return { exitCode: EXIT.ok, runDir: null, counts: countsOf(plan, []) };
  }

  const ac = new AbortController();
  const onAbort = () => ac.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) ac.abort();
  const signal = ac.signal;

  const startedAt = new Date();
  if (!o.resumeDir) {
    runDir = resolve(o.outDir ?? join(resultsRoot, runIdFor(spec, startedAt)));
    if (existsSync(join(runDir, 'run.json'))) throw new FlexbenchError(`${runDir} already holds a run; use --resume ${runDir} to continue it, or another --out`, EXIT.usage);
  }
  mkdirSync(runDir, { recursive: true });
  const unlock = lockRunDir(runDir);

  let exitCode: number = EXIT.ok;
  try {
    await tb.preflight(spec);
    const pcaps = await ensurePcaps(spec, pcapCache, (l) => progress.log(l));
    const git = await gitState();
    const fingerprint = await tb.fingerprint();
    // the local and emulated testbeds measure on this machine: it should be idle while they do
    const busy = spec.testbed === 'lab' ? null : await hostBusyCores();
    if (busy !== null && busy >= 0.25) {
      progress.log(`warning: something else keeps ${busy} of ${os.availableParallelism()} cores busy on this host; trials run one at a time but share the machine with it, so rates will be lower and noisier (recorded in run.json as provenance.host_busy_cores)`);
    }
    if (run) {
      run = { ...run, status: 'running', provenance: { ...run.provenance, resumed_at: [...run.provenance.resumed_at, startedAt.toISOString()] } };
      // the pcaps must be the very same files
      const before = run.provenance.pcaps.map((p) => p.sha256).join(',');
      if (before !== pcaps.map((p) => p.sha256).join(',')) throw new FlexbenchError(`${runDir}: the pcaps changed since the run started (SHA-256 differs); start a new run`, EXIT.usage);
      // ... measured on the same hardware by the same code, or the cells would mix two of them
      const hw = diffFingerprints(run.provenance.fingerprint, fingerprint);
      if (hw.length > 0) throw new FlexbenchError(`${runDir}: this machine differs from the one the run started on:\n${formatDifferences(hw, ['run started on', 'here'])}\nStart a new run here.`, EXIT.usage);
      const was = `${run.provenance.git_commit ?? 'unknown'}${run.provenance.git_dirty ? ' (with uncommitted changes)' : ''}`;
      const now = `${git.commit ?? 'unknown'}${git.dirty ? ' (with uncommitted changes)' : ''}`;
      if (was !== now) throw new FlexbenchError(`${runDir}: the run started on commit ${was}, this checkout is ${now}; resume it from that commit, or start a new run`, EXIT.usage);
    } else {
      run = {
        format_version: RESULTS_FORMAT_VERSION,
        run_id: runDir.split('/').pop() ?? 'run',
        status: 'running',
        spec_file: specFile,
        profile,
        spec_given: o.loaded!.given,
        spec_resolved: spec as unknown as Record<string, unknown>,
        plan,
        provenance: {
          flexbench_version: flexbenchVersion(),
          git_commit: git.commit,
          git_dirty: git.dirty,
          command: o.command ?? process.argv.slice(1).join(' '),
          fingerprint,
          pcaps,
          started_at: startedAt.toISOString(),
          ended_at: null,
          resumed_at: [],
          host_busy_cores: busy,
        },
        counts: countsOf(plan, []),
      };
    }
    writeRunJson(runDir, run);
    progress.log(`run ${run.run_id}: results in ${runDir}`);
    await tb.prepare({ spec, plan, pcaps, runDir, signal, log: (l) => progress.log(l) });

    const done = new Set(records.map((r) => r.trial_id));
    const todo = plan.filter((t) => !done.has(t.trial_id));
    const toRun = todo.filter((t) => !t.skip);
    const perTrialEstimate = spec.traffic.warmup_s + spec.traffic.duration_s + TRIAL_OVERHEAD_S;
    const save = () => {
      records.sort((a, b) => a.index - b.index);
      writeTrials(runDir, records);
      writeRunJson(runDir, { ...run!, counts: countsOf(plan, records) });
    };
    for (const t of todo.filter((x) => x.skip)) records.push({ ...baseRecord(t, pcaps[t.pcap_index], spec), status: 'skipped', reason: t.skip });
    save();

    let ran = 0;
    let spent = 0;
    let lastMpps: number | null = null;
    // trials are grouped by (store, location): one server per group, reset before each trial
    const groups = new Map<string, PlanTrial[]>();
    for (const t of toRun) {
      const g = `${t.store}@${t.location}`;
      groups.set(g, [...(groups.get(g) ?? []), t]);
    }
    for (const trials of groups.values()) {
      if (signal.aborted) break;
      const { store, location } = trials[0];
      let handle: StoreHandle | null = null;
      try {
        if (store !== 'none' && store !== 'hashmap') progress.log(`starting store ${store} (${location})`);
        const t0 = Date.now();
        handle = await tb.startStore(store, location, signal);
        if (handle) progress.log(`store ${store} (${location}) up at ${handle.url} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
      } catch (e) {
        if (signal.aborted) break;
        const reason = `store ${store} (${location}) did not start: ${(e as Error).message}`;
        progress.log(`FAILED ${reason}`);
        const now = new Date().toISOString();
        for (const t of trials) records.push({ ...baseRecord(t, pcaps[t.pcap_index], spec), status: 'failed', reason, started_at: now, ended_at: now });
        ran += trials.length;
        save();
        continue;
      }
      try {
        for (const t of trials) {
          if (signal.aborted) break;
          ran++;
          const remaining = toRun.length - ran + 1;
          const avg = ran > 1 ? spent / (ran - 1) : perTrialEstimate;
          progress.update({ i: ran, total: toRun.length, cell: cellLabel(t), etaSeconds: remaining * avg, lastMpps });
          const started = new Date();
          const rec = baseRecord(t, pcaps[t.pcap_index], spec);
          rec.started_at = started.toISOString();
          try {
            if (handle) await handle.reset();
            const m = await tb.runTrial({ trial: t, pcap: pcaps[t.pcap_index], traffic: spec.traffic, flush_ms: spec.state.flush_ms, store: handle, signal, runDir });
            // nothing measured => not ok: the floor every testbed's measurement passes
            const j = judgeTrial(m, { duration_s: spec.traffic.duration_s });
            Object.assign(rec, { status: j.status, reason: j.reason, rx_packets: m.rx_packets, tx_packets: m.tx_packets, rx_pps: m.rx_pps, tx_pps: m.tx_pps, dropped: m.dropped, duration_s: m.duration_s, per_core: m.per_core, commands: m.commands, flags: [...(m.flags ?? []), ...j.flags] });
            if (j.status === 'failed') progress.log(`FAILED ${cellLabel(t)}: ${j.reason}`);
            else lastMpps = m.tx_pps / 1e6;
          } catch (e) {
            if (signal.aborted) break; // cut short: no record, it runs again on --resume
            rec.status = 'failed';
            rec.reason = (e as Error).message;
            progress.log(`FAILED ${cellLabel(t)}: ${rec.reason}`);
          }
          rec.ended_at = new Date().toISOString();
          spent += (Date.now() - started.getTime()) / 1000;
          records.push(rec);
          save();
          if (!(err as NodeJS.WriteStream).isTTY) progress.log(`  ${rec.status === 'ok' ? `ok  rx ${(rec.rx_pps! / 1e6).toFixed(3)} Mpps  tx ${(rec.tx_pps! / 1e6).toFixed(3)} Mpps` : rec.status}`);
          for (const f of rec.flags) progress.log(`  FLAG ${cellLabel(t)}: ${f}`);
        }
      } finally {
        await handle?.stop().catch(() => {});
      }
    }
    progress.done();
  } catch (e) {
    progress.done();
    if (!signal.aborted) {
      await tb.teardown();
      if (run) writeRunJson(runDir, { ...run, status: 'incomplete', counts: countsOf(plan, records) });
      unlock();
      throw e;
    }
  } finally {
    await tb.teardown();
    o.signal?.removeEventListener('abort', onAbort);
  }

  const counts = countsOf(plan, records);
  const complete = !signal.aborted && counts.missing === 0;
  writeSummary(runDir, summarizeTrials(records));
  if (run) writeRunJson(runDir, { ...run, status: complete ? 'complete' : 'incomplete', counts, provenance: { ...run.provenance, ended_at: new Date().toISOString() } });
  if (o.plots !== false && counts.ok > 0 && spec.figures.length > 0) {
    try {
      const { renderRunPlots } = await import('../plots/render.js');
      const files = await renderRunPlots(runDir, { copyTo: o.plotsDir === undefined ? resolve('plots') : o.plotsDir });
      for (const f of files) progress.log(`figure: ${f}`);
    } catch (e) {
      progress.log(`figures not drawn: ${(e as Error).message}`);
    }
  }
  const line = `${complete ? 'complete' : 'INCOMPLETE'}: ${counts.ok} ok, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.missing} missing of ${counts.planned} -> ${runDir}`;
  progress.log(line);
  if (!complete) progress.log(`resume with: flexbench run --resume ${runDir}`);
  if (o.json) out.write(`${JSON.stringify({ run_dir: runDir, status: complete ? 'complete' : 'incomplete', counts })}\n`);
  exitCode = signal.aborted ? EXIT.interrupted : counts.failed > 0 ? EXIT.trialsFailed : EXIT.ok;
  unlock();
  return { exitCode, runDir, counts };
}
