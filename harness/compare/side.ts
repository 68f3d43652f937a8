// Either side of `flexbench compare`: a run directory or a stored baseline file, read into samples of one metric.
import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { EXIT, FlexbenchError } from '../exit-codes.js';
import { baselineSamples, readBaseline } from './baseline-file.js';
import { readRunCells, type RunCells } from './run-cells.js';
import type { CellSamples } from './cell.js';
import { METRIC_INFO, type Metric, type SampleSet } from './samples.js';

/** A run's cells as samples of one metric: a rate per cell, or a latency statistic per cell and load. */
export function runSamples(run: RunCells, metric: Metric): CellSamples[] {
  const src = METRIC_INFO[metric].source;
  if ('rate' in src) {
    const f = src.rate;
    return run.cells.map((c) => ({ key: c.key, values: c.samples[f], failed: c.failed + (f === 'ndr_pps' || f === 'pdr_pps' ? c.noRate[f] : 0) }));
  }
  const out: CellSamples[] = [];
  for (const c of run.cells) for (const [load, s] of c.latency) out.push({ key: { ...c.key, load }, values: s.stats[src.latency], failed: s.failed });
  return out;
}

/** Why a side cannot give this metric at all (it was never measured), or null. */
export function absentMetric(cells: readonly CellSamples[], metric: Metric, where: string): string | null {
  if (cells.some((c) => c.values.length > 0 || c.failed > 0)) return null;
  const src = METRIC_INFO[metric].source;
  if ('rate' in src && (src.rate === 'ndr_pps' || src.rate === 'pdr_pps')) return `${where} has no ${metric}: none of its cells was searched (spec measure: [ndr_pdr])`;
  if ('latency' in src) return `${where} has no ${metric}: none of its cells had latency trials (spec measure: [latency])`;
  return null;
}

export function loadSide(path: string, metric: Metric): SampleSet {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new FlexbenchError(`${path}: no such run directory or baseline file`, EXIT.usage);
  }
  // A run's run.json stands for its directory.
  const runDir = isDir ? path : basename(path) === 'run.json' ? dirname(path) : null;
  const side = runDir === null ? baselineSamples(readBaseline(path), path, metric) : null;
  const run = runDir !== null ? readRunCells(runDir) : null;
  const cells = side ? side.cells : runSamples(run!, metric);
  const why = absentMetric(cells, metric, side ? `the baseline ${path}` : `the run ${runDir}`);
  if (why) throw new FlexbenchError(why, EXIT.usage);
  if (side) return side;
  return {
    kind: 'run',
    path: runDir!,
    name: run!.id,
    spec: run!.spec,
    commit: run!.commit,
    fingerprint: run!.fingerprint,
    workload: run!.workload,
    complete: run!.complete,
    metric,
    cells,
  };
}
