// Nothing flexbench starts outlives it: a run killed with SIGKILL, or forced with a second Ctrl-C while
// Cassandra is still starting, mid-trial or while the run tears down, leaves no JVM, redis-server or NF behind; `store stop cassandra` finds a
// node that has not answered yet; the next run's start-up check ends what a dead run left running.
// Nor do their files: a forced exit removes them itself, after kill -9 the next run's records do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { pidAlive, waitGone } from '../../../common/processes.js';
import { readRecords, recordsDir, writeRecord, type ServerRecord } from '../../../runtime/stores/records.js';
import { CLI } from './cli.js';


function start(args: string[], cwd: string): { child: ChildProcess; exited: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout!.resume();
  child.stderr!.on('data', (d) => (stderr += d));
  const hard = setTimeout(() => child.kill('SIGKILL'), 240_000);
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((r) =>
    child.on('close', (code, signal) => {
      clearTimeout(hard);
      r({ code, signal, stderr });
    }),
  );
  return { child, exited };
}

/** The record of a `label` server whose owner is `owner`, once it appears (the server was spawned). */
async function recordOf(label: string, owner: number, want: ServerRecord['state'] | null = null, ms = 120_000): Promise<ServerRecord> {
  const end = Date.now() + ms;
  for (;;) {
    const dir = recordsDir(label);
    for (const f of existsSync(dir) ? readdirSync(dir) : []) {
      try {
        const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as ServerRecord;
        if (r.ownerPid === owner && (want === null || r.state === want)) return r;
      } catch {
        /* being written */
      }
    }
    if (Date.now() > end) throw new Error(`no ${label} record of pid ${owner} within ${ms} ms`);
    await delay(50);
  }
}

/** processes whose command line mentions `marker` (the run's own temp dir) */
function processesWith(marker: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', marker], { encoding: 'utf8' }).split('\n').filter((l) => l.trim() && !l.includes('pgrep'));
  } catch {
    return [];
  }
}

function spec(dir: string, store: string): void {
  writeFileSync(join(dir, 'own.yaml'), `name: own
description: ownership
traffic: { flows: 200, files: 1, duration_s: 3, warmup_s: 0.5 }
matrix:
  nfs: [nat]
  stores: [${store}]
  locations: [local]
  cores: [1]
`);
}

/** One test's folder (its path is the marker the run's processes carry: processesWith), removed after. */
async function inDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fb-own-'));
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const startRun = (dir: string) => start(['run', 'own.yaml', '--out', 'out', '--no-plots'], dir);

/** the run's NF process is up (it reads its pcap from the run's pcap cache under `dir`) */
const nfRunning = (dir: string) => processesWith(dir).some((l) => l.includes('nf run'));

async function untilNfStarted(dir: string, end: number, everyMs: number): Promise<void> {
  while (!nfRunning(dir)) {
    assert.ok(Date.now() < end, 'no NF process started');
    await delay(everyMs);
  }
}

/**
 * The server's files are gone: removed by the run's own exit, or (`kill -9`: the run had no exit)
 * by the next flexbench process that reads the records, as the next run's start-up check does.
 */
function assertFilesGone(server: ServerRecord, by: 'exit' | 'next run'): void {
  assert.ok(server.scratch, `the ${server.label} record names its scratch dir`);
  // (another test's flexbench may read the records first: then it removed them)
  if (by === 'next run') readRecords(server.label);
  assert.ok(!existsSync(server.scratch), `${server.label}'s files ${server.scratch} outlived the harness (${by})`);
}

/** The run's redis-server, its files and every process of the run are gone. */
async function assertNothingLeft(dir: string, redis: ServerRecord, filesBy: 'exit' | 'next run'): Promise<void> {
  assert.ok(await waitGone(redis.pid, 10_000), `redis-server pid ${redis.pid} outlived the harness`);
  const deadline = Date.now() + 10_000;
  while (processesWith(dir).length > 0 && Date.now() < deadline) await delay(100);
  assert.deepEqual(processesWith(dir), []);
  assertFilesGone(redis, filesBy);
}

test('kill -9 of `flexbench run` while Cassandra starts: the JVM dies with it', () =>
  inDir(async (dir) => {
    spec(dir, 'cassandra');
    const run = startRun(dir);
    const rec = await recordOf('cassandra', run.child.pid!);
    assert.ok(pidAlive(rec.pid), 'the JVM was recorded as soon as it was spawned');
    run.child.kill('SIGKILL');
    await run.exited;
    assert.ok(await waitGone(rec.pid, 15_000, { reaped: true }), `Cassandra pid ${rec.pid} outlived the harness`);
    assertFilesGone(rec, 'next run');
  }));

test('a second Ctrl-C while Cassandra starts: exit 130 and no JVM left', () =>
  inDir(async (dir) => {
    spec(dir, 'cassandra');
    const run = startRun(dir);
    const rec = await recordOf('cassandra', run.child.pid!, 'starting');
    run.child.kill('SIGINT');
    await delay(300);
    run.child.kill('SIGINT');
    const r = await run.exited;
    assert.equal(r.code, 130, r.stderr);
    assert.ok(await waitGone(rec.pid, 15_000, { reaped: true }), `Cassandra pid ${rec.pid} outlived the harness`);
    assertFilesGone(rec, 'exit');
  }));

test('`flexbench store stop cassandra` stops a node that is still starting', () =>
  inDir(async (dir) => {
    const starter = start(['store', 'start', 'cassandra'], dir);
    const rec = await recordOf('cassandra', starter.child.pid!, 'starting');
    const stop = start(['store', 'stop', 'cassandra'], dir);
    const s = await stop.exited;
    assert.equal(s.code, 0, s.stderr);
    assert.ok(await waitGone(rec.pid, 15_000, { reaped: true }), `Cassandra pid ${rec.pid} still runs after store stop`);
    const st = await starter.exited;
    assert.notEqual(st.code, 0, 'the start reports the node it waited for went away');
  }));

test('kill -9 of `flexbench run` mid-trial: no redis-server and no NF process left', () =>
  inDir(async (dir) => {
    spec(dir, 'redis');
    const run = startRun(dir);
    const rec = await recordOf('redis', run.child.pid!, 'ready');
    await untilNfStarted(dir, Date.now() + 60_000, 50);
    run.child.kill('SIGKILL');
    await run.exited;
    await assertNothingLeft(dir, rec, 'next run');
  }));

test('a second Ctrl-C mid-trial: exit 130, no redis-server and no NF process left', () =>
  inDir(async (dir) => {
    spec(dir, 'redis');
    const run = startRun(dir);
    const rec = await recordOf('redis', run.child.pid!, 'ready');
    await untilNfStarted(dir, Date.now() + 60_000, 50);
    run.child.kill('SIGINT');
    await delay(100);
    run.child.kill('SIGINT');
    const r = await run.exited;
    // 130 when the second Ctrl-C forced the exit; a first one that already finished the shutdown
    // leaves the default action to the second (killed by SIGINT): either way nothing may be left
    assert.ok(r.code === 130 || r.signal === 'SIGINT', `exit ${r.code ?? r.signal}: ${r.stderr}`);
    await assertNothingLeft(dir, rec, 'exit');
  }));

test('a second Ctrl-C as the run tears down (its only trial just ended): no redis-server and no NF process left', () =>
  inDir(async (dir) => {
    spec(dir, 'redis');
    const run = startRun(dir);
    const rec = await recordOf('redis', run.child.pid!, 'ready');
    // the plan has one trial: once its NF has come and gone, the harness is in its shutdown (stores, lock, record)
    const end = Date.now() + 60_000;
    await untilNfStarted(dir, end, 20);
    while (nfRunning(dir)) {
      assert.ok(Date.now() < end + 60_000, 'the NF never ended');
      await delay(5);
    }
    run.child.kill('SIGINT');
    await delay(20);
    run.child.kill('SIGINT');
    const r = await run.exited;
    // the shutdown may finish before either signal lands (exit 0) or be forced (130, or the default action of a late second one)
    assert.ok(r.code === 0 || r.code === 130 || r.signal === 'SIGINT', `exit ${r.code ?? r.signal}: ${r.stderr}`);
    await assertNothingLeft(dir, rec, 'exit');
  }));

test("the next run's start-up check ends a store server a dead run left behind", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-own-'));
  // a server whose owner died without a parent-death signal (setpriv missing, or another kernel)
  const left = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  const deadOwner = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
  const port = 1 + (left.pid! % 60000);
  try {
    writeRecord({ label: 'redis', url: `redis://127.0.0.1:${port}`, pid: left.pid!, port, dataDir: join(dir, 'gone'), ownerPid: deadOwner, detached: false, state: 'ready' });
    spec(dir, 'hashmap');
    const r = await startRun(dir).exited;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`stopped redis redis://127\\.0\\.0\\.1:${port} \\(pid ${left.pid}, left by pid ${deadOwner}\\)`));
    assert.ok(await waitGone(left.pid!, 5000), 'the leftover was ended');
  } finally {
    try {
      process.kill(-left.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
    rmSync(join(recordsDir('redis'), `${port}.json`), { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
