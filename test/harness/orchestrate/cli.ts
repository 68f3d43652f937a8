// What the end-to-end orchestrate tests share: the real CLI run as a child, its output collected.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const CLI = join(ROOT, 'bin', 'flexbench.js');

export interface Ran { code: number | null; stdout: string; stderr: string }

/** `flexbench ARGS` in cwd; onStderr sees all stderr so far and may signal the child; a run past `guard.ms` gets `guard.signal`. */
export function runCli(args: string[], cwd: string, onStderr?: (all: string, kill: (sig: NodeJS.Signals) => void) => void, guard: { ms: number; signal: NodeJS.Signals } = { ms: 180_000, signal: 'SIGKILL' }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(stderr, (sig) => child.kill(sig));
    });
    const timer = setTimeout(() => child.kill(guard.signal), guard.ms);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
