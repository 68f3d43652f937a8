// A throwaway clone of this repository for `flexbench ab` tests (never the real one): git in it, ab run in it with
// its own build cache (waited on, or run beside the test to act on its progress mid-run), commits of one file's change on
// a branch, a slower NAT, and the one-cell NAT spec.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTmp } from '../compare/fixtures.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'flexbench.js');

export function abClone(name: string, o: { seed: number; timeoutMs: number }) {
  const tmp = makeTmp(name);
  const repo = join(tmp.dir, 'repo');
  const cache = join(tmp.dir, 'cache');
  const spec = join(tmp.dir, 'nat.yaml');

  function git(args: string[], cwd = repo): string {
    const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
    assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  }

  const abArgv = (args: string[]) => [BIN, 'ab', '--cache', cache, '--seed', String(o.seed), ...args];

  function ab(args: string[]) {
    const r = spawnSync(process.execPath, abArgv(args), { cwd: repo, encoding: 'utf8', timeout: o.timeoutMs });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** ab not waited on: `onLine` gets each stderr line as it comes (its progress, to act on mid-run); resolves as ab() returns once it exits. */
  function abAsync(args: string[], onLine: (line: string) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      // stdin as spawnSync leaves it: nothing to read
      const child = spawn(process.execPath, abArgv(args), { cwd: repo, timeout: o.timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let partial = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
      child.stderr.setEncoding('utf8').on('data', (s: string) => {
        stderr += s;
        const lines = (partial + s).split('\n');
        partial = lines.pop()!;
        for (const l of lines) onLine(l);
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** Commit a change of one file on a branch off the clone's main line; returns the commit. */
  function commitChange(branch: string, file: string, edit: (s: string) => string): string {
    git(['checkout', '-q', '-b', branch, 'main']);
    const p = join(repo, file);
    const before = readFileSync(p, 'utf8');
    const after = edit(before);
    assert.notEqual(after, before, `${file}: the edit found nothing to change`);
    writeFileSync(p, after);
    git(['commit', '-q', '-am', `test: ${branch}`]);
    const c = git(['rev-parse', 'HEAD']);
    git(['checkout', '-q', 'main']);
    return c;
  }

  /** Clone this repository (its main line as `main`) and write the one-cell NAT spec whose trials are `windowS` after `warmupS`. */
  function create(p: { description: string; windowS: number; warmupS: number }): void {
    git(['clone', '-q', '--no-hardlinks', ROOT, repo], tmp.dir);
    git(['checkout', '-q', '-B', 'main']);
    git(['config', 'user.email', 'test@flexbench.invalid']);
    git(['config', 'user.name', 'flexbench test']);
    writeFileSync(spec, [
      'name: ab-nat', `description: ${p.description}`, 'testbed: local',
      `traffic: { frame_size: 64, flows: 500, files: 1, duration_s: ${p.windowS}, warmup_s: ${p.warmupS} }`,
      'matrix: { nfs: [nat], stores: [hashmap], locations: [local], modes: [async], cores: [1], repetitions: 1 }', '',
    ].join('\n'));
  }

  return { tmp, repo, cache, spec, git, ab, abAsync, commitChange, create };
}

/** nfs/nat.ts with `extra` more loop iterations per packet of every burst (a known slowdown). */
export const slowerNat = (extra: number) => (s: string): string =>
  s.replace('    this.sink = touched;\n', `    for (let k = 0, m = b.count * ${extra}; k < m; k++) touched = (touched * 31 + k) | 0; // test: slower NAT\n    this.sink = touched;\n`);
