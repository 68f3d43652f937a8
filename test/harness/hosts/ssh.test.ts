// SshHost against a real sshd in a network namespace: commands, files, tunnels, process groups,
// and the failures a lab meets (wrong key, host key mismatch or unknown, host down). Needs root.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createEmulation, leftovers, type Emulation } from '../../../harness/netns/emulation.js';
import { SshHost } from '../../../harness/hosts/ssh.js';
import { LocalHost } from '../../../harness/hosts/local.js';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root (network namespaces + sshd); run the tests as root';
let em: Emulation;
let h: SshHost;

before(async () => {
  if (!isRoot) return;
  em = await createEmulation({ suffix: 'sh', slot: 11 });
  h = await SshHost.connect({ host: em.node1.sshAddress, key: em.keyPath, knownHosts: [em.knownHostsPath] }, 'node1');
});
after(async () => {
  if (!isRoot) return;
  await h?.close();
  await em?.destroy();
  assert.deepEqual(await leftovers(em.id), []);
});

test('runs argv remotely inside node1 with arguments intact', { skip }, async () => {
  const r = await h.exec(['printf', '%s|', 'a b', '$(id)', "it's", '*']);
  assert.equal(r.stdout, "a b|$(id)|it's|*|");
  const ip = await h.exec(['ip', '-br', 'addr', 'show', 'port1']);
  assert.match(ip.stdout, new RegExp(em.node1.dataAddress.replace(/\./g, '\\.')));
  await assert.rejects(h.exec(['sh', '-c', 'echo nope >&2; exit 4']), /node1 .*exited with code 4:\nnope/s);
});

test('a remote process runs in its own group and dies with its children on kill and on abort', { skip }, async () => {
  const ac = new AbortController();
  const p = h.spawn(['sh', '-c', 'sleep 300 & sleep 301 & wait'], { signal: ac.signal });
  const pgid = await p.pgid;
  const before = await h.exec(['pgrep', '-g', String(pgid)]);
  assert.equal(before.stdout.trim().split('\n').length, 3);
  ac.abort();
  const r = await p.done;
  assert.equal(r.signal, 'SIGTERM');
  // running members of the group (zombies wait for init to reap them and are harmless)
  let running = 'x';
  for (let i = 0; i < 20 && running; i++) {
    const ps = await h.exec(['ps', '-o', 'pid=,stat=', '-g', String(pgid)], { allowFailure: true });
    running = ps.stdout.split('\n').filter((l) => l.trim() && !/\sZ/.test(l)).join('\n');
    if (running) await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(running, '', 'no process of the group survives');
});

test('a remote process asked to stop with SIGINT runs its Ctrl-C handler (command targets with stop_signal: INT)', { skip }, async () => {
  const p = h.spawn(['sh', '-c', 'trap "echo totals 42; exit 0" INT; echo up; while :; do sleep 0.05; done']);
  await p.pgid;
  await new Promise((r) => setTimeout(r, 300));
  const r = await p.kill(3000, 'INT');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /totals 42/);
});

test('files go both ways; a TCP tunnel reaches a port on the node', { skip }, async () => {
  const local = join(em.runDir, 'up.txt');
  await writeFile(local, 'payload\n');
  await h.putFile(local, '/tmp/fbn-sh-test/up.txt');
  await h.getFile('/tmp/fbn-sh-test/up.txt', join(em.runDir, 'down.txt'));
  assert.equal(await readFile(join(em.runDir, 'down.txt'), 'utf8'), 'payload\n');
  await h.exec(['rm', '-rf', '/tmp/fbn-sh-test']);
  // a one-shot TCP server on node1's localhost, reached through the SSH connection
  const srv = h.spawn(['python3', '-c', 'import socket;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(("127.0.0.1",22099));s.listen();print("up",flush=True);c,_=s.accept();c.sendall(c.recv(100)[::-1]);c.close()']);
  for (let i = 0; i < 50 && !(await h.exec(['ss', '-ltn'])).stdout.includes('127.0.0.1:22099'); i++) await new Promise((r) => setTimeout(r, 100));
  const sock = await h.connectTcp('127.0.0.1', 22099);
  const reply = await new Promise<string>((res) => { let b = ''; sock.on('data', (d: Buffer) => (b += d.toString())); sock.on('end', () => { res(b); sock.end(); }); sock.write('abc'); });
  assert.equal(reply, 'cba');
  await srv.kill();
});

test('wrong key: clear authentication error', { skip }, async () => {
  const other = join(em.runDir, 'other_key');
  await new LocalHost().exec(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', other]);
  await assert.rejects(
    SshHost.connect({ host: em.node1.sshAddress, key: other, knownHosts: [em.knownHostsPath] }, 'node1'),
    /SSH authentication failed for node1 \(root@198\.18\.\d+\.2:22\) with key .*other_key: is its public key in ~root\/\.ssh\/authorized_keys\?/,
  );
});

test('host key mismatch and unknown host are refused by default, with what to do', { skip }, async () => {
  const wrong = join(em.runDir, 'known_hosts_wrong');
  // node2's key recorded under node1's address: exactly what a reinstalled host looks like
  const kh = await readFile(em.knownHostsPath, 'utf8');
  const node2Key = kh.split('\n').find((l) => l.startsWith(em.node2.sshAddress + ' '))!.split(' ').slice(1).join(' ');
  await writeFile(wrong, `${em.node1.sshAddress} ${node2Key}\n`);
  await assert.rejects(SshHost.connect({ host: em.node1.sshAddress, key: em.keyPath, knownHosts: [wrong] }, 'node1'), /host key check failed for node1.*does not match .*known_hosts_wrong:1.*ssh-keygen -R/s);
  const empty = join(em.runDir, 'known_hosts_empty');
  await writeFile(empty, '');
  await assert.rejects(SshHost.connect({ host: em.node1.sshAddress, key: em.keyPath, knownHosts: [empty] }, 'node1'), /host key check failed for node1.*is not in .*known_hosts_empty.*ssh-keyscan/s);
  // only an explicit opt-out connects without a known key
  const loose = await SshHost.connect({ host: em.node1.sshAddress, key: em.keyPath, knownHosts: [empty], strictHostKeyChecking: false }, 'node1');
  await loose.close();
});

test('relaxed checking accepts an unknown key but refuses a CHANGED one; the hint names the inventory\'s known_hosts file (issue 21 point 8)', { skip }, async () => {
  const wrong = join(em.runDir, 'known_hosts_changed');
  const kh = await readFile(em.knownHostsPath, 'utf8');
  const node2Key = kh.split('\n').find((l) => l.startsWith(em.node2.sshAddress + ' '))!.split(' ').slice(1).join(' ');
  await writeFile(wrong, `${em.node1.sshAddress} ${node2Key}\n`);
  await assert.rejects(
    SshHost.connect({ host: em.node1.sshAddress, key: em.keyPath, knownHosts: [wrong], strictHostKeyChecking: false }, 'node1'),
    (e: Error) => {
      assert.match(e.message, /host key check failed for node1.*does not match/s);
      assert.ok(e.message.includes(`\`ssh-keygen -R ${em.node1.sshAddress} -f ${wrong}\``), e.message);
      return true;
    },
  );
});

test('a command that is not on the node is named as the shell would, without the wrapper (issue 21 point 8)', { skip }, async () => {
  const h = await SshHost.connect({ host: em.node1.sshAddress, key: em.keyPath, knownHosts: [em.knownHostsPath] }, 'node1');
  try {
    const r = await h.exec(['no-such-tool-xyz', '--version'], { allowFailure: true });
    assert.equal(r.code, 127);
    assert.equal(r.stderr.trim(), 'no-such-tool-xyz: not found');
    await assert.rejects(h.exec(['no-such-tool-xyz']), (e: Error) => !/fbwrap|sh -c/.test(e.message) && /no-such-tool-xyz: not found/.test(e.message));
  } finally {
    await h.close();
  }
});

test('host down / nothing listening: clear errors within the timeout', { skip }, async () => {
  // node2 powered off, as far as the network can tell: its management link goes down
  await new LocalHost().exec(['ip', '-n', em.node2.ns, 'link', 'set', 'mgmt', 'down']);
  const t0 = Date.now();
  await assert.rejects(
    SshHost.connect({ host: em.node2.sshAddress, key: em.keyPath, knownHosts: [em.knownHostsPath], connectTimeoutMs: 1500 }, 'node2'),
    /cannot reach node2 \(root@198\.18\.\d+\.6:22\): host down or unreachable/,
  );
  assert.ok(Date.now() - t0 < 8000);
  await assert.rejects(
    SshHost.connect({ host: em.node1.sshAddress, port: 2299, key: em.keyPath, knownHosts: [em.knownHostsPath] }, 'node1'),
    /cannot reach node1 .*connection refused \(is sshd running/,
  );
});

test('agent authentication when no key is given', { skip }, async () => {
  const sock = join(em.runDir, 'agent.sock');
  const local = new LocalHost();
  const agent = local.spawn(['ssh-agent', '-D', '-a', sock]);
  const before = process.env.SSH_AUTH_SOCK;
  try {
    for (let i = 0; i < 50 && (await local.exec(['test', '-S', sock], { allowFailure: true })).code !== 0; i++) await new Promise((r) => setTimeout(r, 50));
    await local.exec(['ssh-add', em.keyPath], { env: { SSH_AUTH_SOCK: sock } });
    process.env.SSH_AUTH_SOCK = sock;
    const viaAgent = await SshHost.connect({ host: em.node1.sshAddress, knownHosts: [em.knownHostsPath] }, 'node1');
    assert.equal((await viaAgent.exec(['echo', 'agent'])).stdout, 'agent\n');
    await viaAgent.close();
  } finally {
    if (before === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = before;
    await agent.kill();
  }
  delete process.env.SSH_AUTH_SOCK;
  await assert.rejects(SshHost.connect({ host: em.node1.sshAddress, knownHosts: [em.knownHostsPath] }, 'node1'), /no SSH key given for node1 and no agent/);
  if (before !== undefined) process.env.SSH_AUTH_SOCK = before;
});

test('a remote command that outlives its timeout is killed', { skip }, async () => {
  const t0 = Date.now();
  const r = await h.exec(['sleep', '30'], { timeoutMs: 500, allowFailure: true });
  assert.equal(r.signal, 'SIGTERM');
  assert.ok(Date.now() - t0 < 10_000);
});
