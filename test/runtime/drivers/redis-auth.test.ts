// A Redis with a password, a real redis-server with --requirepass: the right password connects, a wrong
// or missing one is a usage error saying which, and no message shows the password.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, portFree } from '../../../runtime/stores/ports.js';
import { openState } from '../../../runtime/state/api.js';
import { generatePcaps } from '../../../runtime/packet/generate.js';
import { flexbench } from '../packet/helpers.js';

const SECRET = 'pw-Zq8s3cret';
let server: ChildProcess;
let port: number;
let dir: string;

before(async () => {
  port = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'redis-auth-'));
  // parent-death signal: the server cannot outlive this test file
  server = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'redis-server', '--port', String(port), '--bind', '127.0.0.1', '--requirepass', SECRET, '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  for (let i = 0; i < 200 && (await portFree(port)); i++) await new Promise((r) => setTimeout(r, 25));
});
after(async () => {
  server?.kill('SIGKILL');
  await new Promise((r) => (server.exitCode !== null || server.signalCode !== null ? r(null) : server.once('exit', r)));
  rmSync(dir, { recursive: true, force: true });
});

test('the password in the URL is used; a wrong or missing one says so, without the password', async () => {
  const ok = await openState({ nf: 'nf1', instance: 'ins1', store: `redis://:${SECRET}@127.0.0.1:${port}`, mode: 'sync' }, 0);
  await ok.counter('c').add(2);
  assert.equal(await ok.counter('c').get(), 2);
  await ok.close();
  const acl = await openState({ nf: 'nf1', instance: 'ins1', store: `redis://default:${encodeURIComponent(SECRET)}@127.0.0.1:${port}`, mode: 'sync' }, 0);
  assert.equal(await acl.counter('c').get(), 2);
  await acl.close();

  await assert.rejects(openState({ nf: 'nf1', instance: 'ins1', store: `redis://:wrong-${SECRET}@127.0.0.1:${port}`, mode: 'sync' }, 0), (e: Error & { exitCode?: number }) =>
    e.exitCode === 2 && e.message === `store redis://:***@127.0.0.1:${port}: Redis at 127.0.0.1:${port} refused the password in the URL`);
  await assert.rejects(openState({ nf: 'nf1', instance: 'ins1', store: `redis://127.0.0.1:${port}`, mode: 'sync' }, 0), (e: Error & { exitCode?: number }) =>
    e.exitCode === 2 && /needs a password: give it in the URL as redis:\/\/:<password>@127\.0\.0\.1:/.test(e.message));
});

test('nf run with a password URL: the result line, the JSON and the errors show it masked', async () => {
  const [pcap] = generatePcaps({ out: join(dir, 'p'), flows: 100, files: 1 });
  const good = await flexbench(['nf', 'run', '--nf', 'nat', '--input', pcap!, '--duration', '0.3', '--progress', '0', '--store', `redis://:${SECRET}@127.0.0.1:${port}`]);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, new RegExp(`store redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} \\(async\\)`));
  const json = await flexbench(['nf', 'run', '--nf', 'nat', '--input', pcap!, '--duration', '0.3', '--progress', '0', '--json', '--store', `redis://:${SECRET}@127.0.0.1:${port}`]);
  assert.equal(json.code, 0, json.stderr);
  const wrong = await flexbench(['nf', 'run', '--nf', 'nat', '--input', pcap!, '--duration', '0.3', '--store', `redis://:x${SECRET}@127.0.0.1:${port}`]);
  assert.equal(wrong.code, 2, wrong.stderr);
  assert.match(wrong.stderr, /refused the password in the URL/);
  for (const p of [good, json, wrong]) assert.ok(!`${p.stdout}${p.stderr}`.includes(SECRET), `${p.stdout}${p.stderr}`);
});
