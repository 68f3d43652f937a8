// What every command prints for an error through the real CLI: a sentence and an exit code from the table; the stack only with --debug.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI, flexbench, run, tempDir } from '../runtime/packet/helpers.js';

let tmp: ReturnType<typeof tempDir>;
before(() => {
  tmp = tempDir('cli');
});
after(() => tmp.cleanup());

const STACK = /\n\s+at /;

test('an unexpected error is one line and exit 70; --debug or FLEXBENCH_DEBUG=1 adds the stack', async () => {
  // a fault injected where no error is expected: validate's own line on stdout throws
  const fault = join(tmp.dir, 'fault.mjs');
  writeFileSync(fault, `const w = process.stdout.write.bind(process.stdout);\nprocess.stdout.write = (c, ...r) => { if (String(c).includes(': valid (')) throw new TypeError('injected fault'); return w(c, ...r); };\n`);
  const spec = new URL('../../../experiments/testbed.yaml', import.meta.url).pathname;
  const argv = ['--import', pathToFileURL(fault).href, CLI, 'validate', spec];
  const plain = await run(process.execPath, argv);
  assert.equal(plain.code, 70, plain.stderr);
  assert.equal(plain.stderr.trim().split('\n').length, 1, plain.stderr);
  assert.match(plain.stderr, /^flexbench: internal error \(a bug in flexbench\): TypeError: injected fault \(run again with --debug for the stack trace\)\n$/);
  const debug = await run(process.execPath, [...argv, '--debug']);
  assert.equal(debug.code, 70);
  assert.match(debug.stderr, STACK);
  const viaEnv = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    import('node:child_process').then(({ spawn }) => {
      const p = spawn(process.execPath, argv, { env: { ...process.env, FLEXBENCH_DEBUG: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      p.stderr.on('data', (d) => (stderr += d));
      p.on('close', (code) => resolve({ code, stderr }));
    });
  });
  assert.equal(viaEnv.code, 70);
  assert.match(viaEnv.stderr, STACK);
});

test('a YAML alias bomb exits 2 with file:line:col and no stack (it was exit 70 with one)', async () => {
  const file = join(tmp.dir, 'bomb.yaml');
  const levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (const [i, n] of [...'bcdefghi'].entries()) levels.push(`${n}: &${n} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`);
  writeFileSync(file, `${levels.join('\n')}\n`);
  const r = await flexbench(['validate', file]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`${file}:6:8: YAML: alias \\*e expands the spec past 100,000 values`));
  assert.doesNotMatch(r.stderr, STACK);
});

test('validate of a matrix of 10^11 trials exits 2 at the matrix, in a 128 MB heap (it died of heap exhaustion, exit 134)', async () => {
  const file = join(tmp.dir, 'big.yaml');
  writeFileSync(file, `name: big\ntraffic: { files: 100 }\nmatrix:\n  nfs: [nat, lb]\n  stores: [hashmap]\n  cores: [${Array.from({ length: 1000 }, (_, i) => i + 1).join(', ')}]\n  repetitions: 500000\n`);
  for (const cmd of [['validate', file], ['run', file, '--dry-run']]) {
    const r = await run(process.execPath, ['--max-old-space-size=128', CLI, ...cmd]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`${file}:3:1: matrix: expands to 100,000,000,000 trials`));
    assert.doesNotMatch(r.stderr, STACK);
  }
});
