// Either side of `flexbench compare`: a run directory or a stored baseline file, read into samples of one metric.
import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { EXIT, FlexbenchError } from '../exit-codes.js';
import { baselineSamples, readBaseline } from './baseline-file.js';
import { readRunCells } from './run-cells.js';
import { METRIC_FIELD, type Metric, type SampleSet } from './samples.js';

export function loadSide(path: string, metric: Metric): SampleSet {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new FlexbenchError(`${path}: no such run directory or baseline file`, EXIT.usage);
  }
  // A run's run.json stands for its directory.
  const runDir = isDir ? path : basename(path) === 'run.json' ? dirname(path) : null;
  if (runDir === null) return baselineSamples(readBaseline(path), path, metric);
  const run = readRunCells(runDir);
  return {
    kind: 'run',
    path: runDir,
    name: run.id,
    spec: run.spec,
    commit: run.commit,
    fingerprint: run.fingerprint,
    workload: run.workload,
    complete: run.complete,
    metric,
    cells: run.cells.map((c) => ({ key: c.key, values: c.samples[METRIC_FIELD[metric]], failed: c.failed })),
  };
}
