// The cells each build makes of an A/B run's spec, asked of the build itself (`flexbench validate --json`): a spec the
// two builds turn into different cells is refused, since there would be nothing to pair.
import { join } from 'node:path';
import { execa } from 'execa';
import { EXIT, FlexbenchError } from '../exit-codes.js';
import type { LoadedSpec } from '../spec/load.js';
import { buildLabel as label, type Build } from './revision.js';

/** The cells a build makes of the spec, asked of the build itself (`validate --json`); null from a build that does not list them. */
async function buildCells(b: Build, loaded: LoadedSpec, signal: AbortSignal): Promise<{ cells: string[] | null; runnable: number }> {
  const args = [join(b.dir, 'bin', 'flexbench.js'), 'validate', loaded.file, '--json', ...(loaded.profile ? ['--profile', loaded.profile] : [])];
  const r = await execa(process.execPath, args, { reject: false, stdin: 'ignore', cancelSignal: signal, forceKillAfterDelay: 3000, timeout: 60_000 });
  if (r.exitCode !== 0) {
    const why = String(r.stderr || r.stdout).trim().split('\n').slice(0, 6).join('\n    ');
    throw new FlexbenchError(`the spec ${loaded.file} is not valid for the ${label(b)} build:\n    ${why}`, EXIT.usage);
  }
  const j = JSON.parse(String(r.stdout).trim().split('\n').pop() ?? '{}') as { cells?: string[]; runnable?: number };
  return { cells: Array.isArray(j.cells) ? j.cells : null, runnable: j.runnable ?? -1 };
}

function diffCells(a: readonly string[], b: readonly string[]): string {
  const sa = new Set(a);
  const sb = new Set(b);
  const only = (x: readonly string[], other: Set<string>) => x.filter((c) => !other.has(c)).map((c) => c.replace(/\|/g, '/'));
  const oa = only(a, sb);
  const ob = only(b, sa);
  return [oa.length ? `only with base: ${oa.join(', ')}` : '', ob.length ? `only with head: ${ob.join(', ')}` : ''].filter(Boolean).join('; ');
}

/** Refuse a spec the two builds turn into different cells: there would be nothing to pair. */
export async function checkCells(base: Build, head: Build, loaded: LoadedSpec, signal: AbortSignal): Promise<void> {
  const [b, h] = await Promise.all([buildCells(base, loaded, signal), buildCells(head, loaded, signal)]);
  if (b.cells && h.cells) {
    const d = diffCells(b.cells, h.cells);
    if (d) throw new FlexbenchError(`the spec's cells differ between the builds (${d}): an A/B run pairs the same cells`, EXIT.usage);
  } else if (b.runnable !== h.runnable) {
    throw new FlexbenchError(`the spec's plan differs between the builds (${b.runnable} vs ${h.runnable} runnable trials): an A/B run pairs the same cells`, EXIT.usage);
  }
}

