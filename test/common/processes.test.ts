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
  const { waitGone } = await import('../../common/processes.js');
  const mk = (name: string) => mkdtempSync(join(tmpdir(), `fb-own-${name}-`));
  const scratch = mk('exit');
  writeFileSync(join(scratch, 'server.log'), 'a server wrote here\n');
  const crashed = mk('crashed');
  const shared = mk('shared');
  const released = mk('released');
  const lib = new URL('../../common/processes.js', import.meta.url).href;
  // a: an owned server with a scratch dir; b: one without; c: one a crash test killed (its files held);
  // d and e: two servers sharing one dir (a cluster's root), d stopped before the exit; f: stopped and its dir released
  const script = `
    import { spawn } from 'node:child_process';
    const { ownUntilExit, scratchUntilExit, scratchWriterGone, releaseScratch } = await import(${JSON.stringify(lib)});
    const start = () => spawn('sleep', ['300'], { detached: true, stdio: 'ignore' }).pid;
    const [a, b, c, d, e, f] = [start(), start(), start(), start(), start(), start()];
    ownUntilExit(a); scratchUntilExit(${JSON.stringify(scratch)}, a);
    ownUntilExit(b);
    ownUntilExit(c)(); process.kill(-c, 'SIGKILL'); scratchUntilExit(${JSON.stringify(crashed)}, c); scratchWriterGone(${JSON.stringify(crashed)}, c);
    ownUntilExit(d)(); scratchUntilExit(${JSON.stringify(shared)}, d); scratchUntilExit(${JSON.stringify(shared)}, e); ownUntilExit(e); scratchWriterGone(${JSON.stringify(shared)}, d);
    ownUntilExit(f)(); scratchUntilExit(${JSON.stringify(released)}, f); releaseScratch(${JSON.stringify(released)});
    process.stdout.write(JSON.stringify([a, b, c, d, e, f]));
    process.exit(130);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  let pids: number[] = [];
  try {
    assert.equal(r.status, 130, r.stderr);
    pids = JSON.parse(r.stdout) as number[];
    const [a, b, , d, e, f] = pids as [number, number, number, number, number, number];
    for (const [p, who] of [[a, 'the owned server with a scratch dir'], [b, 'the owned server without one'], [e, 'the shared dir\'s owned writer']] as const) {
      assert.ok(await waitGone(p, 10_000), `${who} was killed`);
    }
    assert.equal(existsSync(scratch), false, 'its scratch dir was removed');
    assert.equal(existsSync(crashed), false, 'a killed server\'s files stay held until the exit, then go');
    assert.equal(existsSync(shared), false, 'a dir shared by two servers goes although one of them was stopped before');
    assert.equal(pidRunning(d), true, 'a released server is not ours to end');
    assert.equal(pidRunning(f), true);
    assert.equal(existsSync(released), true, "nor are a released scratch dir's files");
  } finally {
    for (const p of pids) try { process.kill(-p, 'SIGKILL'); } catch { /* gone */ }
    for (const d of [scratch, crashed, shared, released]) rmSync(d, { recursive: true, force: true });
  }
});
