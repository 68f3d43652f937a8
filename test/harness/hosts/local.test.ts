// LocalHost: argv passed as-is (no shell), output streamed, process groups killed with their children.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalHost } from '../../../harness/hosts/local.js';
import { shellQuote, shellJoin } from '../../../harness/hosts/host.js';

// running = exists and is not a zombie waiting for init to reap it
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 40 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

test('arguments reach the program unchanged, without a shell', async () => {
  const h = new LocalHost();
  const r = await h.exec(['printf', '%s|', 'a b', '$(id)', "it's", '; rm -rf /']);
  assert.equal(r.stdout, "a b|$(id)|it's|; rm -rf /|");
});

test('non-zero exit names the command; missing binary gives 127', async () => {
  const h = new LocalHost();
  await assert.rejects(h.exec(['sh', '-c', 'echo boom >&2; exit 3']), /exited with code 3:\nboom/);
  const r = await h.exec(['/nonexistent/fb-tool'], { allowFailure: true });
  assert.equal(r.code, 127);
});

test('streams stdout while running', async () => {
  const h = new LocalHost();
  const chunks: string[] = [];
  await h.exec(['sh', '-c', 'echo one; sleep 0.1; echo two'], { onStdout: (c) => chunks.push(c), buffer: false });
  assert.equal(chunks.join(''), 'one\ntwo\n');
});

test('kill reaches the children of a process (its whole group), also via AbortSignal', async () => {
  const h = new LocalHost();
  const dir = await mkdtemp(join(tmpdir(), 'fbh-'));
  try {
    const ac = new AbortController();
    const p = h.spawn(['sh', '-c', `sleep 60 & echo $! > ${dir}/child; wait`], { signal: ac.signal });
    const pgid = await p.pgid;
    let child = 0;
    for (let i = 0; i < 50 && !child; i++) {
      await new Promise((r) => setTimeout(r, 20));
      child = Number((await readFile(join(dir, 'child'), 'utf8').catch(() => '')).trim());
    }
    assert.ok(alive(child), 'child started');
    ac.abort();
    const r = await p.done;
    assert.equal(r.signal, 'SIGTERM');
    assert.ok(await gone(child), 'the child died with its group');
    assert.ok(await gone(pgid));
  } finally {
    await h.killAll();
    await rm(dir, { recursive: true, force: true });
  }
});

test('killAll stops what is still running; timeouts kill', async () => {
  const h = new LocalHost();
  const p = h.spawn(['sleep', '60']);
  await p.pgid;
  await h.killAll();
  assert.equal((await p.done).signal, 'SIGTERM');
  const t0 = Date.now();
  const r = await h.exec(['sleep', '60'], { timeoutMs: 100, allowFailure: true });
  assert.equal(r.signal, 'SIGTERM');
  assert.ok(Date.now() - t0 < 5000);
});

test('shell quoting for remote command lines', () => {
  assert.equal(shellQuote('plain-1.2'), 'plain-1.2');
  assert.equal(shellQuote(''), "''");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.equal(shellJoin(['echo', '$HOME', 'a b']), `echo '$HOME' 'a b'`);
});

test('kill(grace, "INT") asks with SIGINT first: a tool that prints its totals on Ctrl-C gets to print them', async () => {
  const h = new LocalHost();
  const p = h.spawn(['sh', '-c', 'trap "echo totals 42; exit 0" INT; echo up; while :; do sleep 0.05; done'], { buffer: true });
  for (let i = 0; i < 40; i++) await new Promise((r) => setTimeout(r, 25));
  const r = await p.kill(2000, 'INT');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /totals 42/);
  const t = h.spawn(['sh', '-c', 'trap "echo totals; exit 0" INT; while :; do sleep 0.05; done']);
  await new Promise((r) => setTimeout(r, 200));
  const rt = await t.kill(2000);
  assert.equal(rt.signal, 'SIGTERM', 'TERM by default, and the INT trap did not run');
  assert.doesNotMatch(rt.stdout, /totals/);
});
