// Match the cells of two sample sets, decide each, and turn the whole into one verdict and one exit code.
import { EXIT, FlexbenchError, type ExitCode } from '../exit-codes.js';
import { cellLabel, compareCellKeys, sampleId, type SampleKey } from './cell.js';
import { diffFingerprints, formatDifferences, type FingerprintDifference } from './fingerprint.js';
import { diffWorkloads } from './workload.js';
import { betterOf, type Metric, type SampleSet } from './samples.js';
import { decide, sideStats, VERDICTS, type Decision, type DecisionOptions, type SideStats, type Verdict } from './verdict.js';

interface CompareOptions extends DecisionOptions {
  /** compare even when the fingerprints differ (the differences are still reported) */
  force: boolean;
  /** inconclusive or missing cells fail the gate (exit 4) */
  strict: boolean;
}

export interface CellComparison extends Decision {
  key: SampleKey;
  label: string;
  baseline: SideStats;
  current: SideStats;
  /**
   * `flexbench ab` only: the decision came from paired ratios head/base, one per round, or (windows of resident
   * processes) one per epoch: `epochs` then says how many, their size, the rounds of an epoch cut too short to count,
   * and the spread of a round's ln ratio within an epoch and of an epoch's own offset (paired.ts, epochSpread)
   */
  paired?: { rounds: number; ratios: number[]; detectable: number | null; epochs?: PairedEpochs };
}

export interface PairedEpochs {
  /** epochs whose ratios are the samples */
  n: number;
  /** rounds per epoch (--epoch-rounds) */
  size: number;
  /** epochs left out: fewer than half an epoch's rounds */
  short: number;
  /** sd of a round's ln ratio around its epoch's mean; sd of an epoch's own offset (null: not estimable) */
  within: number | null;
  between: number | null;
}

interface SideInfo {
  kind: SampleSet['kind'];
  path: string;
  name: string;
  spec: string | null;
  commit: string | null;
}

/** why an A/B run's rounds ended: the cap (or the fixed count), every cell decided, the --max-time budget, a signal */
export type AbStop = 'rounds' | 'decided' | 'time' | 'interrupted';

export interface Comparison {
  metric: Metric;
  tolerance: number;
  confidence: number;
  strict: boolean;
  baseline: SideInfo;
  current: SideInfo;
  fingerprint: { differences: FingerprintDifference[]; forced: boolean };
  /** traffic differences (flows, window, rate, flush period, pcap bytes); null when a side did not record its traffic */
  workload: { differences: FingerprintDifference[]; forced: boolean } | null;
  /** things the reader should know that do not change the verdicts (an incomplete run, forced hardware) */
  warnings: string[];
  cells: CellComparison[];
  /** cells the baseline has and the current run lacks */
  missing: SampleKey[];
  /** cells the current run has and the baseline lacks */
  added: SampleKey[];
  counts: Record<Verdict | 'missing' | 'added', number>;
  exitCode: ExitCode;
  /** one line: what the gate concluded */
  headline: string;
  /** `flexbench ab` only: the interleaved A/B run the verdicts come from */
  /** measured: how each sample was taken (a window of a resident process per build, or a fresh process per trial), in words */
  ab?: { seed: number; rounds: number; until: 'rounds' | 'decided'; stopped_by?: AbStop; results: string; measured?: string; epochs?: number };
}

function info(s: SampleSet): SideInfo {
  return { kind: s.kind, path: s.path, name: s.name, spec: s.spec, commit: s.commit };
}

/** Refuse a comparison across hardware unless forced; returns the differences either way. */
function checkFingerprints(baseline: SampleSet, current: SampleSet, force: boolean): FingerprintDifference[] {
  const diffs = diffFingerprints(baseline.fingerprint, current.fingerprint);
  if (diffs.length > 0 && !force) {
    throw new FlexbenchError(
      `refusing to compare across hardware: the fingerprints differ in ${diffs.length} field(s):\n${formatDifferences(diffs)}\n` +
        'Measure a baseline on this hardware (flexbench baseline save), or pass --force to compare anyway.',
      EXIT.usage,
    );
  }
  return diffs;
}

/** Refuse a comparison across different traffic unless forced; null when a side did not record it. */
function checkWorkloads(baseline: SampleSet, current: SampleSet, force: boolean): FingerprintDifference[] | null {
  if (baseline.workload === null || current.workload === null) return null;
  const diffs = diffWorkloads(baseline.workload, current.workload);
  if (diffs.length > 0 && !force) {
    throw new FlexbenchError(
      `refusing to compare runs measured under different traffic: ${diffs.length} field(s) differ:\n${formatDifferences(diffs)}\n` +
        'Save a new baseline for this spec (flexbench baseline save), or pass --force to compare anyway.',
      EXIT.usage,
    );
  }
  return diffs;
}

/** Counts per verdict, the gate's exit code and its headline: one rule for `compare` and `ab`. */
export function tallyCells(
  cells: readonly { verdict: Verdict }[],
  missing: readonly SampleKey[],
  added: readonly SampleKey[],
  strict: boolean,
): { counts: Comparison['counts']; exitCode: ExitCode; headline: string } {
  const counts = { regressed: 0, improved: 0, unchanged: 0, inconclusive: 0, missing: missing.length, added: added.length };
  for (const c of cells) counts[c.verdict] += 1;
  const exitCode: ExitCode =
    counts.regressed > 0 ? EXIT.regression : strict && counts.inconclusive + counts.missing > 0 ? EXIT.inconclusive : EXIT.ok;
  const parts = VERDICTS.map((v) => `${counts[v]} ${v}`).concat(`${counts.missing} missing`, `${counts.added} new`);
  const outcome = exitCode === EXIT.regression ? 'REGRESSION' : exitCode === EXIT.inconclusive ? 'UNDECIDED (--strict)' : 'PASS';
  return { counts, exitCode, headline: `${outcome}: ${cells.length} cell${cells.length === 1 ? '' : 's'} compared — ${parts.join(', ')}` };
}

export function compareSampleSets(baseline: SampleSet, current: SampleSet, opts: CompareOptions): Comparison {
  if (baseline.metric !== current.metric) {
    throw new FlexbenchError(`the two sides hold different metrics (${baseline.metric} vs ${current.metric})`, EXIT.usage);
  }
  const differences = checkFingerprints(baseline, current, opts.force);
  const workload = checkWorkloads(baseline, current, opts.force);
  const cur = new Map(current.cells.map((c) => [sampleId(c.key), c]));
  const base = new Map(baseline.cells.map((c) => [sampleId(c.key), c]));
  const decideOpts = { ...opts, better: betterOf(baseline.metric) };
  const cells: CellComparison[] = [];
  const missing: SampleKey[] = [];
  for (const b of [...baseline.cells].sort((x, y) => compareCellKeys(x.key, y.key))) {
    const c = cur.get(sampleId(b.key));
    if (!c) {
      missing.push(b.key);
      continue;
    }
    const bs = sideStats(b.values, b.failed, opts.confidence);
    const cs = sideStats(c.values, c.failed, opts.confidence);
    cells.push({ key: b.key, label: cellLabel(b.key), baseline: bs, current: cs, ...decide(bs, cs, decideOpts) });
  }
  const added = current.cells.filter((c) => !base.has(sampleId(c.key))).map((c) => c.key).sort(compareCellKeys);
  if (cells.length === 0) {
    throw new FlexbenchError(
      `nothing to compare: the baseline (${baseline.cells.length} cells) and the current run (${current.cells.length} cells) have no cell in common`,
      EXIT.usage,
    );
  }
  const { counts, exitCode, headline } = tallyCells(cells, missing, added, opts.strict);
  const warnings: string[] = [];
  if (opts.force && differences.length > 0) warnings.push(`compared across different hardware (--force): ${differences.map((d) => d.field).join(', ')} differ`);
  if (workload === null) warnings.push(`the ${baseline.workload === null ? 'baseline' : 'current side'} does not record its traffic (saved by an older flexbench): flows, window, rate and pcaps were not checked`);
  else if (workload.length > 0) warnings.push(`compared under different traffic (--force): ${workload.map((d) => d.field).join(', ')} differ`);
  for (const s of [baseline, current]) if (!s.complete) warnings.push(`the ${s === baseline ? 'baseline' : 'current'} run ${s.name} is not complete: its missing trials are missing cells or fewer samples`);
  return {
    metric: baseline.metric,
    tolerance: opts.tolerance,
    confidence: opts.confidence,
    strict: opts.strict,
    baseline: info(baseline),
    current: info(current),
    fingerprint: { differences, forced: opts.force && differences.length > 0 },
    workload: workload === null ? null : { differences: workload, forced: workload.length > 0 },
    warnings,
    cells,
    missing,
    added,
    counts,
    exitCode,
    headline,
  };
}
