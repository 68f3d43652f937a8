// A run directory seen as cells: its trials (read with the results module's readers) grouped by cell, with the samples of the successful ones.
import { basename } from 'node:path';
import { EXIT, FlexbenchError } from '../exit-codes.js';
import { readRunJson, readTrials } from '../results/files.js';
import type { Fingerprint } from '../results/format.js';
import { cellId, cellKeyOf, type CellKey } from './cell.js';
import { SAMPLE_FIELDS, type SampleField } from './samples.js';
import { workloadOfRun, type Workload } from './workload.js';

interface RunCell {
  key: CellKey;
  failed: number;
  samples: Record<SampleField, number[]>;
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

export function readRunCells(dir: string): RunCells {
  const run = readRunJson(dir);
  const trials = readTrials(dir);
  const cells = new Map<string, RunCell>();
  for (const t of trials) {
    // A skipped trial was never meant to run here: it is neither a sample nor a failure.
    if (t.status === 'skipped') continue;
    const id = cellId(t);
    let cell = cells.get(id);
    if (!cell) cells.set(id, (cell = { key: cellKeyOf(t), failed: 0, samples: { rx_pps: [], tx_pps: [] } }));
    if (t.status !== 'ok') {
      cell.failed += 1;
      continue;
    }
    for (const f of SAMPLE_FIELDS) {
      const v = t[f];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new FlexbenchError(`${dir}: trial ${t.trial_id} is "ok" but has no ${f}`, EXIT.usage);
      }
      cell.samples[f].push(v);
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
