// The local redis-server lifecycle: start on a free or given port, stop kills it and removes its
// temp dir, a taken port is refused, reset empties it; and `flexbench store start|stop` end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { startRedis, resetRedis } from '../../../runtime/stores/redis.js';
import { resolveStoreServer } from '../../../runtime/stores/server.js';
import { freePort } from '../../../runtime/stores/ports.js';
import { recordsDir } from '../../../runtime/stores/records.js';

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const cli = new URL('../../../../bin/flexbench.js', import.meta.url).pathname;

test('start answers PING on 127.0.0.1, stop kills it and removes its temp dir', async () => {
  const s = await startRedis();
  try {
    assert.match(s.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
    const r = new Redis(s.port, '127.0.0.1');
    assert.equal(await r.ping(), 'PONG');
    assert.equal((await r.config('GET', 'appendonly'))[1], 'no');
    assert.equal((await r.config('GET', 'save'))[1], '');
    await r.set('k', '1');
    await resetRedis(s.url);
    assert.equal(await r.dbsize(), 0);
    r.disconnect();
  } finally {
    await s.stop();
  }
  assert.equal(alive(s.pid), false);
  assert.equal(existsSync(s.dataDir), false);
});

test('a port already in use is refused with a clear error; an unknown server label too', async () => {
  const s = await startRedis();
  try {
    await assert.rejects(startRedis({ port: s.port }), (e: Error & { exitCode?: number }) => e.exitCode === 5 && e.message.includes(String(s.port)));
  } finally {
    await s.stop();
  }
  await assert.rejects(resolveStoreServer('nosuch'), /unknown store server/);
  assert.equal((await resolveStoreServer('redis')).label, 'redis');
});

test('flexbench store start prints the URL last and leaves it running; stop stops it', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flexbench-h1-stores-'));
  const env = { ...process.env, FLEXBENCH_STORES_DIR: dir };
  const port = await freePort();
  try {
    const start = spawnSync(process.execPath, [cli, 'store', 'start', 'redis', '--port', String(port)], { env, encoding: 'utf8', timeout: 20000 });
    assert.equal(start.status, 0, start.stderr);
    const lines = start.stdout.trim().split('\n');
    assert.equal(lines[lines.length - 1], `redis://127.0.0.1:${port}`);
    const r = new Redis(port, '127.0.0.1');
    assert.equal(await r.ping(), 'PONG');
    r.disconnect();
    const again = spawnSync(process.execPath, [cli, 'store', 'start', 'redis', '--port', String(port)], { env, encoding: 'utf8' });
    assert.equal(again.status, 2);
    assert.match(again.stderr, /already running/);
    const stop = spawnSync(process.execPath, [cli, 'store', 'stop', 'redis'], { env, encoding: 'utf8', timeout: 20000 });
    assert.equal(stop.status, 0, stop.stderr);
    // the runtime's record of the detached server goes with it, not at the next reader
    assert.equal(existsSync(path.join(recordsDir('redis'), `${port}.json`)), false);
    const r2 = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    r2.on('error', () => {});
    await assert.rejects(r2.connect());
    r2.disconnect();
    const none = spawnSync(process.execPath, [cli, 'store', 'stop', 'redis'], { env, encoding: 'utf8' });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /no running redis store/);
  } finally {
    spawnSync(process.execPath, [cli, 'store', 'stop', 'redis', '--all'], { env });
    rmSync(dir, { recursive: true, force: true });
  }
});
