// The one liveness check: a running process, a finished one, a zombie.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { pidAlive, pidRunning } from '../../common/processes.js';

test('alive while running, gone once exited; a zombie (exited, not yet reaped) exists but is not running', async () => {
  assert.equal(pidAlive(process.pid), true);
  assert.equal(pidRunning(process.pid), true);
  const gone = Number(spawnSync('sh', ['-c', 'echo $$']).stdout.toString());
  assert.equal(pidAlive(gone), false);
  assert.equal(pidRunning(gone), false);
  // python forks a child that exits at once and never waits for it (sh may reap a finished job before exec)
  const parent = spawn('python3', ['-c', 'import os, sys, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(3)'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const child = Number(await new Promise<string>((r) => parent.stdout.once('data', (d) => r(String(d)))));
  for (let i = 0; i < 40 && !/Z/.test(spawnSync('ps', ['-o', 'stat=', '-p', String(child)]).stdout.toString()); i++) await new Promise((r) => setTimeout(r, 25));
  assert.match(spawnSync('ps', ['-o', 'stat=', '-p', String(child)]).stdout.toString(), /Z/, 'the child is a zombie now');
  assert.equal(pidAlive(child), true, 'a zombie still holds its pid');
  assert.equal(pidRunning(child), false);
  parent.kill();
});

test('an exit without teardown (process.exit) SIGKILLs the groups it owns, then removes the scratch directories still held', async () => {
  const { mkdtempSync, writeFileSync, existsSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const scratch = mkdtempSync(join(tmpdir(), 'fb-own-exit-'));
  writeFileSync(join(scratch, 'server.log'), 'a server wrote here\n');
  const kept = mkdtempSync(join(tmpdir(), 'fb-own-kept-'));
  const lib = new URL('../../common/processes.js', import.meta.url).href;
  // a server with a scratch dir, one without, and one released (stopped, its files kept) before the exit
  const script = `
    import { spawn } from 'node:child_process';
    const { ownUntilExit, scratchUntilExit, releaseScratch } = await import(${JSON.stringify(lib)});
    const start = () => spawn('sleep', ['300'], { detached: true, stdio: 'ignore' }).pid;
    const a = start(), b = start(), c = start();
    ownUntilExit(a);
    scratchUntilExit(${JSON.stringify(scratch)}, a);
    ownUntilExit(b);
    ownUntilExit(c)();
    scratchUntilExit(${JSON.stringify(kept)}, c);
    releaseScratch(${JSON.stringify(kept)});
    process.stdout.write(JSON.stringify([a, b, c]));
    process.exit(130);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const [a, b, c] = JSON.parse(r.stdout) as number[];
  try {
    assert.equal(r.status, 130, r.stderr);
    assert.equal(pidRunning(a!), false, 'the owned server with a scratch dir was killed');
    assert.equal(pidRunning(b!), false, 'the owned server without one was killed');
    assert.equal(existsSync(scratch), false, 'its scratch dir was removed');
    assert.equal(pidRunning(c!), true, 'a released server is not ours to end');
    assert.equal(existsSync(kept), true, "nor are a released scratch dir's files");
  } finally {
    for (const p of [a, b, c]) try { process.kill(-p!, 'SIGKILL'); } catch { /* gone */ }
    rmSync(scratch, { recursive: true, force: true });
    rmSync(kept, { recursive: true, force: true });
  }
});
