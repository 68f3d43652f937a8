// `flexbench baseline save`: turn a finished run into a small committed file of per-cell samples.
import { mkdirSync } from 'node:fs';
import { writeAtomic } from '../results/files.js';
import { join } from 'node:path';
import { EXIT, FlexbenchError } from '../exit-codes.js';
import { compareCellKeys, compareLoads } from '../compare/cell.js';
import { readRunCells, type RunCells } from '../compare/run-cells.js';
import { BASELINE_SUFFIX, BASELINE_VERSION, serializeBaseline, type Baseline } from '../compare/baseline-file.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

interface SaveOptions {
  /** defaults to the spec's name (with ".<profile>" when a profile was chosen), else the run id */
  name?: string;
  /** directory of baselines, default "baselines" */
  dir: string;
  /** overrides the commit recorded in the run's provenance */
  commit?: string;
  /** time stamp to record (tests pin it) */
  now?: Date;
}

function baselineFromRun(run: RunCells, name: string, commit: string | null, now: Date): Baseline {
  if (run.cells.length === 0) throw new FlexbenchError(`${run.dir}: the run has no trials to make a baseline of`, EXIT.usage);
  return {
    flexbench_baseline: BASELINE_VERSION,
    name,
    spec: run.spec,
    commit,
    run_id: run.id,
    created_at: now.toISOString(),
    fingerprint: run.fingerprint,
    workload: run.workload,
    cells: [...run.cells]
      .sort((a, b) => compareCellKeys(a.key, b.key))
      .map((c) => {
        const searched = c.samples.ndr_pps.length + c.samples.pdr_pps.length + c.noRate.ndr_pps + c.noRate.pdr_pps > 0;
        return {
          ...c.key, failed: c.failed, rx_pps: c.samples.rx_pps, tx_pps: c.samples.tx_pps,
          ...(c.samples.tx_pps_own.length > 0 ? { tx_pps_own: c.samples.tx_pps_own } : {}),
          // rates of measure: ndr_pdr and latency per load only where the run measured them (older files stay as they were)
          ...(searched ? { ndr_pps: c.samples.ndr_pps, pdr_pps: c.samples.pdr_pps, no_rate: c.noRate } : {}),
          ...(c.latency.size > 0 ? { latency: Object.fromEntries([...c.latency].sort((a, b) => compareLoads(a[0], b[0])).map(([load, s]) => [load, { failed: s.failed, ...s.stats }])) } : {}),
        };
      }),
  };
}

function baselinePath(dir: string, name: string): string {
  return join(dir, `${name}${BASELINE_SUFFIX}`);
}

/** Writes (or overwrites: the lab's git history keeps the old one) the baseline; returns its path and content. */
export function saveBaseline(runDir: string, opts: SaveOptions): { path: string; baseline: Baseline } {
  const run = readRunCells(runDir);
  const name = opts.name ?? (run.spec ? `${run.spec}${run.profile ? `.${run.profile}` : ''}` : run.id);
  if (!NAME.test(name)) {
    throw new FlexbenchError(`baseline name "${name}" must be letters, digits, '.', '_' or '-' (it becomes a file name)`, EXIT.usage);
  }
  if (!run.complete) {
    throw new FlexbenchError(`${runDir}: the run is not complete (finish it with flexbench run --resume); a baseline must hold every planned cell`, EXIT.usage);
  }
  const baseline = baselineFromRun(run, name, opts.commit ?? run.commit, opts.now ?? new Date());
  const path = baselinePath(opts.dir, name);
  mkdirSync(opts.dir, { recursive: true });
  writeAtomic(path, serializeBaseline(baseline));
  return { path, baseline };
}
