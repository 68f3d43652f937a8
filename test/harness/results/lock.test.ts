// One run per results directory: a live owner is named, a dead one's lock is taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { lockRunDir, LOCK_FILE } from '../../../harness/results/lock.js';

test('a second lock of the same directory is refused naming the owner; released, it can be taken again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-lock-'));
  try {
    const release = lockRunDir(dir);
    assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8').trim(), String(process.pid));
    // another live process holds it: write the pid of this test's parent (alive) as the owner
    writeFileSync(join(dir, LOCK_FILE), `${process.ppid}\n`);
    assert.throws(() => lockRunDir(dir), (e: Error & { exitCode?: number }) => e.exitCode === 2 && e.message.includes(`in use by another flexbench run (pid ${process.ppid})`));
    writeFileSync(join(dir, LOCK_FILE), `${process.pid}\n`);
    release();
    release();
    assert.ok(!existsSync(join(dir, LOCK_FILE)));
    lockRunDir(dir)();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the lock of a process that is gone (kill -9, a forced exit) is stale and taken over', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-lock-'));
  try {
    const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
    writeFileSync(join(dir, LOCK_FILE), `${dead}\n`);
    const release = lockRunDir(dir);
    assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8').trim(), String(process.pid));
    release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
