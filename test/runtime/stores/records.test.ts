// Records of store servers: a record whose server is gone is pruned on read, and with it the
// server's scratch directory once its owner is gone too (kill -9 of the owner ran no exit hook).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecords, recordsDir, writeRecord, type ServerRecord } from '../../../runtime/stores/records.js';

/** the pid of a process that has exited */
const gonePid = (): number => Number(spawnSync('sh', ['-c', 'echo $$']).stdout.toString());

test("a gone server's record is pruned with its scratch dir when its owner is gone; while the owner lives both stay", () => {
  const label = `test-records-${process.pid}`;
  const orphaned = mkdtempSync(join(tmpdir(), 'fb-rec-orphan-'));
  const crashed = mkdtempSync(join(tmpdir(), 'fb-rec-crash-'));
  const detached = mkdtempSync(join(tmpdir(), 'fb-rec-detached-'));
  const base = { label, url: 'x://', dataDir: '', detached: false, state: 'ready' as const };
  const recs: ServerRecord[] = [
    { ...base, port: 1, pid: gonePid(), ownerPid: gonePid(), scratch: orphaned },
    // a crash test: the owner (this process) brings the server back on its files
    { ...base, port: 2, pid: gonePid(), ownerPid: process.pid, scratch: crashed },
    // `store start`: its log stays to say why it went
    { ...base, port: 3, pid: gonePid(), ownerPid: gonePid(), scratch: detached, detached: true },
    { ...base, port: 4, pid: process.pid, ownerPid: gonePid() },
  ];
  try {
    for (const r of recs) writeRecord(r);
    assert.deepEqual(readRecords(label).map((r) => r.port), [4], 'only the running server is left');
    assert.equal(existsSync(orphaned), false, 'the orphan’s scratch dir went with its record');
    assert.equal(existsSync(crashed), true);
    assert.equal(existsSync(detached), true);
    // the crashed server's record stays while its owner lives, its pid forgotten (the system may reuse it)
    const kept = JSON.parse(readFileSync(join(recordsDir(label), '2.json'), 'utf8')) as ServerRecord;
    assert.deepEqual([kept.pid, kept.scratch], [-1, crashed]);
    assert.deepEqual(readdirSync(recordsDir(label)).sort(), ['2.json', '4.json']);
    // ... and once the owner is gone too, the next read takes the files with the record
    writeRecord({ ...kept, ownerPid: gonePid() });
    assert.deepEqual(readRecords(label).map((r) => r.port), [4]);
    assert.equal(existsSync(crashed), false);
    assert.deepEqual(readdirSync(recordsDir(label)), ['4.json']);
  } finally {
    rmSync(recordsDir(label), { recursive: true, force: true });
    for (const d of [orphaned, crashed, detached]) rmSync(d, { recursive: true, force: true });
  }
});
