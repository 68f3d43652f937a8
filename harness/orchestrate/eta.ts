// The start ETA, scaled by how the estimate held in the last finished runs on this machine and
// testbed. The estimate's per-trial constants (plan/plan.ts) were measured on one host; another is
// steadily faster or slower (the AMD EPYC host of 2026-12-07: wall 0.79-0.87 of the estimate), so its
// own history is the better guide. The scale is the median of up to three runs' wall / estimate.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Fingerprint } from '../results/format.js';
import { median } from '../results/stats.js';

/** finished runs whose wall / estimate the scale is the median of */
const HISTORY_RUNS = 3;
/** run directories looked at, newest first (each is a JSON parse) */
const LOOK_AT = 30;
/** a ratio outside this is not the host's speed but something else (a stall, a hung store): not used */
const SCALE_MIN = 0.5;
const SCALE_MAX = 2;

export interface EtaCalibration {
  /** multiply the estimate by this */
  scale: number;
  /** the runs it came from */
  runs: string[];
}

interface RunTiming {
  status?: string;
  run_id?: string;
  provenance?: {
    fingerprint?: Partial<Fingerprint>;
    resumed_at?: unknown[];
    eta_s?: number | null;
    eta_model_s?: number | null;
    wall_s?: number | null;
  };
}

/** wall / estimate of one run, when it ran whole on this machine and testbed; null otherwise */
export function runScale(r: RunTiming, fp: Pick<Fingerprint, 'cpu_model' | 'cores' | 'testbed'>): number | null {
  const p = r.provenance;
  if (r.status !== 'complete' || !p || (p.resumed_at?.length ?? 0) > 0) return null;
  const f = p.fingerprint;
  if (!f || f.cpu_model !== fp.cpu_model || f.cores !== fp.cores || f.testbed !== fp.testbed) return null;
  // eta_model_s: the estimate before any scaling (runs before it: eta_s was that estimate)
  const est = p.eta_model_s ?? p.eta_s;
  const wall = p.wall_s;
  if (!(typeof est === 'number' && est > 0 && typeof wall === 'number' && wall > 0)) return null;
  const scale = wall / est;
  return scale >= SCALE_MIN && scale <= SCALE_MAX ? scale : null;
}

/** Run directories (holding a run.json) directly under `root`, with their run.json's mtime. */
function runDirsIn(root: string): { dir: string; mtime: number }[] {
  try {
    return readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).flatMap((d) => {
      try {
        return [{ dir: join(root, d.name), mtime: statSync(join(root, d.name, 'run.json')).mtimeMs }];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/**
 * The median of the newest finished runs' scales under `roots` (the results directory, and the
 * folder an `--out` run was put in), or null when none ran here.
 */
export function etaCalibration(roots: string | readonly string[], fp: Pick<Fingerprint, 'cpu_model' | 'cores' | 'testbed'>, skip?: string): EtaCalibration | null {
  const dirs = [...new Set(typeof roots === 'string' ? [roots] : roots)].flatMap(runDirsIn);
  dirs.sort((a, b) => b.mtime - a.mtime);
  const found: { scale: number; run: string }[] = [];
  for (const { dir } of dirs.slice(0, LOOK_AT)) {
    if (dir === skip) continue;
    let r: RunTiming;
    try {
      r = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunTiming;
    } catch {
      continue;
    }
    const scale = runScale(r, fp);
    if (scale !== null) found.push({ scale, run: r.run_id ?? dir });
    if (found.length === HISTORY_RUNS) break;
  }
  if (found.length === 0) return null;
  return { scale: median(found.map((x) => x.scale)), runs: found.map((x) => x.run) };
}
