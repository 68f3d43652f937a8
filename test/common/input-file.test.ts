import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, truncateSync } from 'node:fs';
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
    // a device that never ends is read up to the cap and one byte more (it hung, or exhausted the heap)
    assert.throws(() => readInputFile('/dev/zero', 2 ** 20, 'spec'), usage(/^spec \/dev\/zero is larger than the 1\.0 MiB/));
    assert.equal(readInputFile('/dev/null', 10, 'spec').length, 0);
    assert.throws(() => readInputFile(dir, 1024, 'spec'), usage(/is a directory$/));
    assert.throws(() => readInputFile(join(dir, 'none'), 1024, 'pcap'), usage(/^cannot read pcap .*none: no such file$/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
