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
