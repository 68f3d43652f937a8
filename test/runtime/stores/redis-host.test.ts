// A redis-server driven over a StoreHost (what a lab node is to the harness): the same arguments as a
// local one, a password from a private file never on its command line, PING/FLUSHALL through the host's
// TCP door, stopped with its process group. The host here is this machine (harness LocalHost).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalHost } from '../../../harness/hosts/local.js';
import { startRedisOnHost, resetRedisOn, redisCommands } from '../../../runtime/stores/redis.js';
import { freePort } from '../../../runtime/stores/ports.js';

test('redis on a host: password required, not on its command line, reset and stop through the host', async () => {
  const h = new LocalHost('node-x');
  const dir = mkdtempSync(join(tmpdir(), 'fb-redis-host-'));
  const port = await freePort();
  const password = 'c0rrect-h0rse';
  const r = await startRedisOnHost(h, { binary: 'redis-server', bind: '127.0.0.1', port, dir: join(dir, 'srv'), password });
  try {
    assert.equal(r.url, `redis://127.0.0.1:${port}`);
    assert.equal(statSync(join(dir, 'srv')).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'srv', 'redis.conf')).mode & 0o777, 0o600);
    // without the password the server answers nothing but NOAUTH
    const anon = await redisCommands(await h.connectTcp('127.0.0.1', port), [['SET', 'k', '1']]);
    assert.match(anon[0]!, /^-NOAUTH/);
    const authed = await redisCommands(await h.connectTcp('127.0.0.1', port), [['AUTH', password], ['SET', 'k', '1'], ['DBSIZE']]);
    assert.deepEqual(authed, ['+OK', '+OK', ':1']);
    // the password is in no process's argv
    const ps = await h.exec(['ps', '-eo', 'args']);
    assert.ok(!ps.stdout.includes(password), 'password on a command line');
    await r.reset();
    assert.deepEqual(await redisCommands(await h.connectTcp('127.0.0.1', port), [['AUTH', password], ['DBSIZE']]), ['+OK', ':0']);
    await assert.rejects(resetRedisOn(h, '127.0.0.1', port, 'wrong'), /FLUSHALL failed: .*(WRONGPASS|invalid)/);
    assert.ok(readFileSync(join(dir, 'srv', 'redis.conf'), 'utf8').includes('requirepass'));
  } finally {
    await r.stop();
    await r.stop(); // idempotent
    rmSync(dir, { recursive: true, force: true });
  }
  const ps = await h.exec(['ps', '-eo', 'args']);
  assert.ok(!ps.stdout.includes(`--port ${port}`), 'the server is gone');
});
