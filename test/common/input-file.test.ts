import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, truncateSync } from 'node:fs';
import { spawn, execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readInputFile } from '../../common/input-file.js';

const usage = (re: RegExp) => (e: Error & { exitCode?: number }) => e.exitCode === 2 && re.test(e.message);

test('an input file is read whole up to its cap; /dev/zero, a big file, a directory and a missing file are sentences with exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'input-'));
  try {
    const small = join(dir, 's.yaml');
    writeFileSync(small, 'name: x\n');
    assert.equal(readInputFile(small, 1024, 'spec').toString(), 'name: x\n');
    const big = join(dir, 'big.yaml');
    writeFileSync(big, '');
    truncateSync(big, 2 * 2 ** 20);
    assert.throws(() => readInputFile(big, 2 ** 20, 'spec'), usage(/^spec .*big\.yaml is larger than the 1\.0 MiB flexbench reads as one$/));
    // a device is never a file of ours (/dev/zero hung, or exhausted the heap)
    assert.throws(() => readInputFile('/dev/zero', 2 ** 20, 'spec'), usage(/^cannot read spec \/dev\/zero: is a device, not a file$/));
    assert.equal(readInputFile('/dev/null', 10, 'spec').length, 0);
    assert.throws(() => readInputFile(dir, 1024, 'spec'), usage(/is a directory$/));
    assert.throws(() => readInputFile(join(dir, 'none'), 1024, 'pcap'), usage(/^cannot read pcap .*none: no such file$/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a pipe that never ends is read up to the cap and one byte more, then refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'input-'));
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  // `yes` writes forever; it ends with the pipe once the reader closes it
  const writer = spawn('sh', ['-c', `exec yes > '${fifo}'`], { stdio: 'ignore' });
  try {
    assert.throws(() => readInputFile(fifo, 2 ** 20, 'spec'), usage(/^spec .*fifo is larger than the 1\.0 MiB flexbench reads as one$/));
  } finally {
    writer.kill('SIGKILL');
    await new Promise((r) => (writer.exitCode !== null || writer.signalCode !== null ? r(null) : writer.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
});
