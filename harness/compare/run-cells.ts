// A run directory seen as cells: its trials grouped by cell key, with the metric samples of the successful ones.
// PROVISIONAL reader until harness/results/ (H3) lands its run.json/trials.jsonl readers; then this uses those.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EXIT, FlexbenchError } from '../exit-codes.js';
import { cellId, pickCellKey, type CellKey } from './cell.js';
import { METRICS, type Metric } from './samples.js';

export interface RunCell {
  key: CellKey;
  failed: number;
  samples: Record<Metric, number[]>;
}

export interface RunCells {
  dir: string;
  id: string;
  spec: string | null;
  commit: string | null;
  fingerprint: Record<string, unknown> | null;
  cells: RunCell[];
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new FlexbenchError(`${path}: cannot read (${(e as Error).message})`, EXIT.usage);
  }
}

function obj(x: unknown): Record<string, unknown> | null {
  return x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : null;
}

function str(x: unknown): string | null {
  return typeof x === 'string' && x.length > 0 ? x : null;
}

export function readRunCells(dir: string): RunCells {
  const runPath = join(dir, 'run.json');
  const trialsPath = join(dir, 'trials.jsonl');
  if (!existsSync(runPath) || !existsSync(trialsPath)) {
    throw new FlexbenchError(`${dir} is not a flexbench run directory (it needs run.json and trials.jsonl)`, EXIT.usage);
  }
  const run = obj(readJson(runPath)) ?? {};
  const prov = obj(run.provenance) ?? {};
  const spec = obj(run.spec);
  const cells = new Map<string, RunCell>();
  const lines = readFileSync(trialsPath, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let t: Record<string, unknown>;
    try {
      t = obj(JSON.parse(line)) ?? {};
    } catch (e) {
      throw new FlexbenchError(`${trialsPath}:${i + 1}: not JSON (${(e as Error).message})`, EXIT.usage);
    }
    let key: CellKey;
    try {
      key = pickCellKey(t);
    } catch {
      throw new FlexbenchError(`${trialsPath}:${i + 1}: a trial needs nf, store, location, cores, frame_size and testbed`, EXIT.usage);
    }
    const id = cellId(key);
    let cell = cells.get(id);
    if (!cell) {
      cell = { key, failed: 0, samples: { rx_pps: [], tx_pps: [] } };
      cells.set(id, cell);
    }
    const ok = t.status === 'ok' && METRICS.every((m) => typeof t[m] === 'number' && Number.isFinite(t[m]));
    if (!ok) {
      cell.failed += 1;
      return;
    }
    for (const m of METRICS) cell.samples[m].push(t[m] as number);
  });
  return {
    dir,
    id: str(run.id) ?? str(run.run_id) ?? basename(dir),
    spec: str(spec?.name) ?? str(run.spec_name) ?? null,
    commit: str(prov.commit) ?? str(obj(prov.git)?.commit) ?? null,
    fingerprint: obj(prov.fingerprint),
    cells: [...cells.values()],
  };
}
