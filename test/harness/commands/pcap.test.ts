// `flexbench pcap generate` output paths: a file, a path through a file, /proc and /sys are refused at once with exit 2.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flexbench, tempDir } from '../../runtime/packet/helpers.js';

let tmp: ReturnType<typeof tempDir>;
before(() => {
  tmp = tempDir('pcapcmd');
});
after(() => tmp.cleanup());

const STACK = /\n\s+at /;
const small = ['--flows', '10', '--files', '1'];

test('--out FILE/sub, FILE, /proc/nope and /sys/… exit 2 with one sentence, as fast as a good generate (/proc spun forever)', async () => {
  // the bound comes from this machine: a good generate, timed now, times 20 (a process that spins is killed by it)
  const t0 = performance.now();
  const good = await flexbench(['pcap', 'generate', '--out', join(tmp.dir, 'good', 'deeper'), ...small]);
  const baselineMs = performance.now() - t0;
  assert.equal(good.code, 0, good.stderr);
  const file = join(tmp.dir, 'afile');
  writeFileSync(file, 'x');
  const cases: [string, RegExp][] = [
    [join(file, 'sub'), /afile is a file, not a directory/],
    [file, /afile: is a file, not a directory/],
    ['/proc/nope', /\/proc\/nope: is on procfs/],
    ['/sys/nope/deeper', /is on sysfs/],
  ];
  for (const [out, want] of cases) {
    const r = await flexbench(['pcap', 'generate', '--out', out, ...small], { timeoutMs: 20 * baselineMs });
    assert.equal(r.signal, null, `pcap generate --out ${out} did not end by itself within 20x a good generate (${Math.round(baselineMs)} ms)`);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, want);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, STACK);
  }
});

test('pcaps bigger than a file may hold are refused before anything is written', async () => {
  const r = await flexbench(['pcap', 'generate', '--out', join(tmp.dir, 'huge'), '--flows', '10000000', '--files', '1', '--frame-size', '1518']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--flows: a pcap of 10000000 flows of 1518 B is 14\.2 GiB, more than the 1\.0 GiB a file may hold/);
});
