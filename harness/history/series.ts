// Runs in time order -> per cell the series of means, its MDL groups and the change points between them.
import { EXIT, type ExitCode } from '../exit-codes.js';
import { cellId, cellLabel, compareCellKeys, type CellKey } from '../compare/cell.js';
import { diffFingerprints } from '../compare/fingerprint.js';
import type { Metric, SampleSet } from '../compare/samples.js';
import { mean } from '../results/stats.js';
import { mdlGroups, noiseLevel, type Group } from './mdl.js';

interface HistoryRun {
  /** position in the series (0 = oldest) */
  index: number;
  name: string;
  path: string;
  commit: string | null;
}

interface HistoryPoint {
  /** index of the run in History.runs */
  run: number;
  /** mean of the metric over the run's successful trials of the cell, in Mpps */
  mean: number;
  n: number;
  failed: number;
}

interface ChangePoint {
  /** index of the run the new group starts at */
  run: number;
  name: string;
  commit: string | null;
  /** group means before and after, Mpps */
  from: number;
  to: number;
  /** (to − from) / from */
  change: number;
  kind: 'regression' | 'progression';
}

interface HistoryGroup extends Group {
  /** runs (indices into History.runs) of the group's first and last point */
  firstRun: number;
  lastRun: number;
}

interface CellHistory {
  key: CellKey;
  label: string;
  points: HistoryPoint[];
  groups: HistoryGroup[];
  changes: ChangePoint[];
  /** noise level the grouping used (Mpps; NaN below three points) */
  noise: number;
  /** the newest group is lower than the one before it by more than the tolerance */
  regressed: boolean;
  /** runs where the cell had no successful trial (left out of the series) */
  gaps: number[];
}

export interface History {
  metric: Metric;
  tolerance: number;
  runs: HistoryRun[];
  cells: CellHistory[];
  /** runs whose hardware fingerprint differs from the run before (a step there may be the upgrade) */
  hardware: { run: number; name: string; fields: string[] }[];
  warnings: string[];
  exitCode: ExitCode;
  headline: string;
}

interface HistoryOptions {
  /** a newest group lower by no more than this fraction is not called a regression */
  tolerance: number;
}

/** Build the history of every cell from sample sets given oldest first. */
export function buildHistory(sides: readonly SampleSet[], opts: HistoryOptions): History {
  const metric = sides[0]?.metric ?? 'tx_mpps';
  const runs: HistoryRun[] = sides.map((s, index) => ({ index, name: s.name, path: s.path, commit: s.commit }));
  const byCell = new Map<string, { key: CellKey; points: HistoryPoint[]; gaps: number[] }>();
  sides.forEach((s, run) => {
    for (const c of s.cells) {
      const id = cellId(c.key);
      let e = byCell.get(id);
      if (!e) byCell.set(id, (e = { key: c.key, points: [], gaps: [] }));
      if (c.values.length === 0) e.gaps.push(run);
      else e.points.push({ run, mean: mean(c.values) / 1e6, n: c.values.length, failed: c.failed });
    }
  });
  const cells: CellHistory[] = [];
  for (const { key, points, gaps } of [...byCell.values()].sort((a, b) => compareCellKeys(a.key, b.key))) {
    const values = points.map((p) => p.mean);
    const groups: HistoryGroup[] = mdlGroups(values).map((g) => ({ ...g, firstRun: points[g.start].run, lastRun: points[g.end - 1].run }));
    const changes: ChangePoint[] = [];
    for (let i = 1; i < groups.length; i++) {
      const a = groups[i - 1];
      const b = groups[i];
      const r = runs[b.firstRun];
      const change = (b.mean - a.mean) / a.mean;
      changes.push({ run: r.index, name: r.name, commit: r.commit, from: a.mean, to: b.mean, change, kind: change < 0 ? 'regression' : 'progression' });
    }
    const last = changes[changes.length - 1];
    // the newest group is the one the last change point starts
    const regressed = last !== undefined && groups.length > 1 && last.kind === 'regression' && -last.change > opts.tolerance;
    cells.push({ key, label: cellLabel(key), points, groups, changes, noise: noiseLevel(values), regressed, gaps });
  }
  const hardware: History['hardware'] = [];
  for (let i = 1; i < sides.length; i++) {
    const d = diffFingerprints(sides[i - 1].fingerprint, sides[i].fingerprint);
    if (d.length > 0) hardware.push({ run: i, name: sides[i].name, fields: d.map((x) => x.field) });
  }
  const warnings: string[] = [];
  if (sides.length < 3) warnings.push(`only ${sides.length} run(s): at least 3 are needed to estimate the noise, so no change point can be found`);
  for (const h of hardware) warnings.push(`the hardware fingerprint changes at ${h.name} (${h.fields.join(', ')}): a step there may be the upgrade, not the code`);
  for (const s of sides) if (!s.complete) warnings.push(`${s.name} is not a complete run`);
  const regressed = cells.filter((c) => c.regressed).length;
  const withChanges = cells.filter((c) => c.changes.length > 0).length;
  const exitCode = regressed > 0 ? EXIT.regression : EXIT.ok;
  const headline = `${regressed > 0 ? 'REGRESSION' : 'OK'}: ${cells.length} cell${cells.length === 1 ? '' : 's'} over ${runs.length} run${runs.length === 1 ? '' : 's'} — ${withChanges} with change points, ${regressed} whose newest group is a regression`;
  return { metric, tolerance: opts.tolerance, runs, cells, hardware, warnings, exitCode, headline };
}
