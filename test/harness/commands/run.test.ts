// `flexbench run` and `validate` refuse bad output paths and unplayable pcap paths before anything starts, with exit 2.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { flexbench, tempDir } from '../../runtime/packet/helpers.js';
import { generatePcaps } from '../../../runtime/packet/generate.js';

let tmp: ReturnType<typeof tempDir>;
before(() => {
  tmp = tempDir('runcmd');
});
after(() => tmp.cleanup());

const STACK = /\n\s+at /;

test('run SPEC --out FILE, FILE/sub or /proc/… exits 2 with one sentence and starts nothing (it was exit 70 with a stack)', async () => {
  const spec = join(tmp.dir, 's.yaml');
  writeFileSync(spec, 'name: s\ntraffic: { flows: 100, files: 1, duration_s: 0.5, warmup_s: 0 }\nmatrix:\n  nfs: [nat]\n  cores: [1]\n');
  const file = join(tmp.dir, 'results-file');
  writeFileSync(file, 'x');
  for (const [out, want] of [[file, /--out .*results-file: is a file, not a directory/], [join(file, 'sub'), /results-file is a file, not a directory/], ['/proc/nope', /is on procfs/]] as const) {
    const r = await flexbench(['run', spec, '--out', out]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, want);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, STACK);
  }
  assert.ok(!existsSync(join(tmp.dir, 'pcaps')), 'no pcaps were generated');
});

test('validate refuses the pcap path run refuses: a given pcap with a space, and generated pcaps under a directory with one', async () => {
  const [pcap] = generatePcaps({ out: join(tmp.dir, 'p'), flows: 10, files: 1 });
  copyFileSync(pcap!, join(tmp.dir, 'my capture.pcap'));
  const spec = join(tmp.dir, 'sp.yaml');
  writeFileSync(spec, 'name: sp\ntraffic:\n  pcaps: ["my capture.pcap"]\nmatrix:\n  nfs: [testpmd]\n  cores: [1]\n');
  for (const cmd of [['validate', spec], ['run', spec, '--dry-run']]) {
    const r = await flexbench(cmd);
    assert.equal(r.code, 2, `${cmd.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /sp\.yaml:3:11: traffic\.pcaps\[0\]: pcap path ".*my capture\.pcap" may not contain commas or spaces/);
  }
  // generated pcaps live in ./pcaps/ of the working directory: one with a space is refused by both as well
  const spaced = join(tmp.dir, 'with space');
  mkdirSync(spaced);
  const gen = join(spaced, 'gen.yaml');
  writeFileSync(gen, 'name: gen\nmatrix:\n  nfs: [testpmd]\n  cores: [1]\n');
  const { spawn } = await import('node:child_process');
  const CLI = new URL('../../../../bin/flexbench.js', import.meta.url).pathname;
  for (const cmd of [['validate', 'gen.yaml'], ['run', 'gen.yaml', '--dry-run']]) {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [CLI, ...cmd], { cwd: spaced, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      p.stderr.on('data', (d) => (stderr += d));
      p.on('close', (code) => resolve({ code, stderr }));
    });
    assert.equal(r.code, 2, `${cmd.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /with space\/pcaps\/.* may not contain commas or spaces .*run flexbench from a directory/);
  }
});
