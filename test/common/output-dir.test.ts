import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, statSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOutputDir, ensureOutputDir, checkFreeSpace, formatBytes } from '../../common/output-dir.js';

const usage = (re: RegExp) => (e: Error & { exitCode?: number }) => e.exitCode === 2 && re.test(e.message);

test('an output directory is created level by level; an existing one is fine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outdir-'));
  try {
    const want = join(dir, 'a', 'b', 'c');
    assert.deepEqual(checkOutputDir(want, '--out').missing, [join(dir, 'a'), join(dir, 'a', 'b'), want]);
    assert.equal(ensureOutputDir(want, '--out'), want);
    assert.ok(statSync(want).isDirectory());
    assert.equal(ensureOutputDir(want, '--out'), want);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file, a path through a file, /proc and /sys are refused at once, naming the flag and the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outdir-'));
  try {
    const file = join(dir, 'f');
    writeFileSync(file, 'x');
    assert.throws(() => ensureOutputDir(file, '--out'), usage(/^--out .*\/f: is a file, not a directory$/));
    assert.throws(() => ensureOutputDir(join(file, 'sub'), '--out'), usage(/\/f is a file, not a directory$/));
    assert.throws(() => ensureOutputDir('/proc/nope', '--out'), usage(/^--out \/proc\/nope: is on procfs/));
    assert.throws(() => ensureOutputDir('/proc/self/nope/deeper', '--out'), usage(/procfs/));
    assert.throws(() => ensureOutputDir('/sys/nope', '--out'), usage(/sysfs/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a directory we may not write is refused (skipped as root, who may write anywhere)', { skip: process.getuid?.() === 0 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'outdir-'));
  try {
    chmodSync(dir, 0o500);
    assert.throws(() => ensureOutputDir(join(dir, 'x'), '--out'), usage(/not writable/));
  } finally {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('free space: a write bigger than the disk is refused with exit 5 and both sizes', () => {
  assert.throws(() => checkFreeSpace(tmpdir(), 2 ** 60, 'pcaps'), (e: Error & { exitCode?: number }) => e.exitCode === 5 && /^pcaps needs 1024\.0 PiB in .* free/.test(e.message));
  checkFreeSpace(tmpdir(), 1, 'one byte');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(100), '100 B');
});
