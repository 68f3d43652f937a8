// A run directory seen as cells: its trials (read with the results module's readers) grouped by cell, with the samples of the successful ones.
// Rates come from the plan trials' records (tx/rx always, ndr/pdr where the cell was searched); latency
// statistics from the latency sub-records, per cell and load (measure: latency; docs/ndr-latency.md).
import { basename } from 'node:path';
import { EXIT, FlexbenchError } from '../exit-codes.js';
import { readRunJson, readTrials } from '../results/files.js';
import type { Fingerprint } from '../results/format.js';
import { cellId, cellKeyOf, type CellKey } from './cell.js';
import { LATENCY_STATS, SAMPLE_FIELDS, type LatencyStat, type SampleField } from './samples.js';
import { workloadOfRun, type Workload } from './workload.js';

/** The latency samples of a cell at one load: one value per successful latency trial and statistic. */
export interface LoadSamples {
  failed: number;
  stats: Record<LatencyStat, number[]>;
}

interface RunCell {
  key: CellKey;
  failed: number;
  samples: Record<SampleField, number[]>;
  /** ok plan trials whose search found no such rate (loss even at the lowest load): failures of that metric only */
  noRate: { ndr_pps: number; pdr_pps: number };
  /** by load as the spec names it ("0", "50%"); empty without measure: latency */
  latency: Map<string, LoadSamples>;
}

export interface RunCells {
  dir: string;
  id: string;
  spec: string | null;
  profile: string | null;
  commit: string | null;
  fingerprint: Fingerprint;
  workload: Workload;
  complete: boolean;
  cells: RunCell[];
}

const emptyStats = (): Record<LatencyStat, number[]> => Object.fromEntries(LATENCY_STATS.map((s) => [s, []])) as unknown as Record<LatencyStat, number[]>;

export function readRunCells(dir: string): RunCells {
  const run = readRunJson(dir);
  const trials = readTrials(dir, { sub: true });
  const cells = new Map<string, RunCell>();
  const cellOf = (t: CellKey): RunCell => {
    const id = cellId(t);
    let cell = cells.get(id);
    if (!cell) cells.set(id, (cell = { key: cellKeyOf(t), failed: 0, samples: { rx_pps: [], tx_pps: [], tx_pps_own: [], ndr_pps: [], pdr_pps: [] }, noRate: { ndr_pps: 0, pdr_pps: 0 }, latency: new Map() }));
    return cell;
  };
  for (const t of trials) {
    // A skipped trial was never meant to run here: it is neither a sample nor a failure.
    if (t.status === 'skipped') continue;
    if (t.parent_trial_id !== undefined) {
      // the latency trials of a cell at its loads; search trials are the search's, calibration the method's bias
      if (t.measure !== 'latency' || t.latency_load === undefined) continue;
      const cell = cellOf(t);
      let at = cell.latency.get(t.latency_load);
      if (!at) cell.latency.set(t.latency_load, (at = { failed: 0, stats: emptyStats() }));
      if (t.status !== 'ok' || !t.latency || t.latency.samples === 0) {
        at.failed += 1;
        continue;
      }
      for (const s of LATENCY_STATS) at.stats[s].push(t.latency[s]);
      continue;
    }
    const cell = cellOf(t);
    if (t.status !== 'ok') {
      cell.failed += 1;
      continue;
    }
    for (const f of SAMPLE_FIELDS) {
      const v = t[f];
      if (typeof v === 'number' && Number.isFinite(v)) cell.samples[f].push(v);
      else if (f === 'rx_pps' || f === 'tx_pps') throw new FlexbenchError(`${dir}: trial ${t.trial_id} is "ok" but has no ${f}`, EXIT.usage);
      // ndr/pdr: only cells with measure: ndr_pdr have them; a search that found no lower bound gives null
      else if (t.search !== undefined && (f === 'ndr_pps' || f === 'pdr_pps')) cell.noRate[f] += 1;
    }
  }
  const spec = run.spec_resolved.name;
  const { git_commit, git_dirty } = run.provenance;
  return {
    dir,
    id: run.run_id || basename(dir),
    spec: typeof spec === 'string' ? spec : null,
    profile: run.profile,
    commit: git_commit ? `${git_commit}${git_dirty ? '-dirty' : ''}` : null,
    fingerprint: run.provenance.fingerprint,
    workload: workloadOfRun(run),
    complete: run.status === 'complete',
    cells: [...cells.values()],
  };
}
