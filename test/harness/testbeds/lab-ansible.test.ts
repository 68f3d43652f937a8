// Lab provisioning (ansible/): syntax and lint of every playbook and role, then the roles that need no
// download run against the emulated nodes over SSH (system-changing ones in check mode: the emulated
// nodes share this machine's filesystem).
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createEmulation, leftovers } from '../../../harness/netns/emulation.js';

const ansibleDir = fileURLToPath(new URL('../../../../ansible/', import.meta.url));
const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const run = (cmd: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(cmd, args, { cwd: ansibleDir, encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0', ...env } });

test('every playbook passes ansible-playbook --syntax-check', { skip: has('ansible-playbook') ? false : 'ansible-playbook not installed (apt-get install ansible)' }, () => {
  for (const pb of ['site.yml', 'emulated.yml']) {
    const r = run('ansible-playbook', ['--syntax-check', '-i', 'inventory.example.yml', pb]);
    assert.equal(r.status, 0, `${pb}: ${r.stdout}${r.stderr}`);
  }
});

test('playbooks and roles pass ansible-lint (production profile)', { skip: has('ansible-lint') ? false : 'ansible-lint not installed (apt-get install ansible-lint)' }, () => {
  const r = run('ansible-lint', ['--offline', '--nocolor', 'site.yml', 'emulated.yml', 'roles']);
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout + r.stderr, /Passed with production profile/);
});

test('the example inventories name the same nodes and addresses', async () => {
  const { parse } = await import('yaml');
  const { readFileSync } = await import('node:fs');
  const ans = parse(readFileSync(join(ansibleDir, 'inventory.example.yml'), 'utf8'));
  const { inventorySchema } = await import('../../../harness/inventory/schema.js');
  const fb = inventorySchema.parse({ file: join(ansibleDir, 'flexbench-lab.example.yaml') });
  const hosts = ans.all.children.flexbench_nodes.hosts;
  for (const n of ['node1', 'node2'] as const) assert.equal(hosts[n].ansible_host, fb.nodes[n].ssh.host);
  assert.equal(hosts.node1.redis_bind, fb.nodes.node1.store_port?.address);
});

test('roles without downloads run against the emulated nodes over SSH', { skip: process.getuid?.() !== 0 ? 'needs root (emulated nodes)' : has('ansible-playbook') ? false : 'ansible not installed', timeout: 300_000 }, async () => {
  const em = await createEmulation({ suffix: 'an', slot: 18 });
  try {
    const inv = join(em.runDir, 'inventory.yml');
    writeFileSync(inv, [
      'all:',
      '  vars:',
      '    ansible_user: root',
      `    ansible_ssh_private_key_file: ${em.keyPath}`,
      // host keys are checked against the emulation's own known_hosts, as flexbench does
      `    ansible_ssh_common_args: "-o UserKnownHostsFile=${em.knownHostsPath} -o StrictHostKeyChecking=yes"`,
      '    ansible_python_interpreter: /usr/bin/python3',
      // the redis role refuses to run without a password (issue 14 item 11): a throwaway one for check mode
      `    redis_password: ${randomBytes(18).toString('base64url')}`,
      '  children:',
      '    flexbench_nodes:',
      '      hosts:',
      `        node1: { ansible_host: ${em.node1.sshAddress}, redis_bind: ${em.node1.storeAddress} }`,
      `        node2: { ansible_host: ${em.node2.sshAddress}, redis_bind: 127.0.0.1 }`,
      '',
    ].join('\n'));
    mkdirSync(join(em.runDir, 'ansible-local'));
    const r = run('ansible-playbook', ['-i', inv, 'emulated.yml'], { ANSIBLE_LOCAL_TEMP: join(em.runDir, 'ansible-local'), ANSIBLE_REMOTE_TEMP: join(em.runDir, 'ansible-remote') });
    assert.equal(r.status, 0, r.stdout.slice(-3000) + r.stderr.slice(-2000));
    for (const n of ['node1', 'node2']) assert.match(r.stdout, new RegExp(`${n}\\s+: ok=\\d+\\s+changed=\\d+\\s+unreachable=0\\s+failed=0`));
    assert.match(r.stdout, /node1: v=\d+\.\d+\.\d+, node v\d+/);
    // check mode changed nothing on the shared machine
    assert.equal(existsSync('/etc/redis/flexbench.conf'), false);
    assert.equal(existsSync('/etc/sysctl.d/80-flexbench-hugepages.conf'), false);
  } finally {
    await em.destroy();
  }
  assert.deepEqual(await leftovers(em.id), []);
});

test('the lab is locked by default (issue 14 item 11): Redis and Cassandra with passwords, on the store address only; the Cassandra download checked', () => {
  const read = (p: string) => readFileSync(join(ansibleDir, p), 'utf8');
  const redis = read('roles/redis/tasks/main.yml');
  assert.match(redis, /protected-mode yes/);
  assert.match(redis, /requirepass "\{\{ redis_password \}\}"/);
  assert.match(redis, /^\s+bind \{\{ redis_bind \}\}$/m, 'bound to the store address alone');
  assert.doesNotMatch(redis, /protected-mode no/);
  assert.match(redis, /redis_password \| length >= 16/, 'refuses an empty password');
  const cass = read('roles/cassandra/tasks/main.yml');
  assert.match(cass, /value: PasswordAuthenticator/);
  assert.doesNotMatch(cass, /AllowAllAuthenticator/);
  assert.match(cass, /checksum: "sha512:\{\{ cassandra_mirror \}\}\/\{\{ cassandra_tarball \}\}\.sha512"/);
  assert.match(cass, /loop: \[listen_address, rpc_address\]/);
  assert.match(cass, /ALTER ROLE cassandra WITH SUPERUSER = false AND LOGIN = false/);
  // the secrets never reach ansible's output
  for (const t of [redis, cass]) assert.ok((t.match(/no_log: true/g) ?? []).length >= 1);
});
