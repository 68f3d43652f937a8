// The emulation: two namespaces with sshd, veths between them, and the sweep after a crashed run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEmulation, leftovers, sweepStale, planNodes } from '../../../harness/netns/emulation.js';
import { SshHost } from '../../../harness/hosts/ssh.js';
import { LocalHost } from '../../../harness/hosts/local.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const skip = process.getuid?.() === 0 ? false : 'needs root (network namespaces): run the tests as root';

test('plan: names and addresses from suffix and slot, inside 198.18.0.0/15', () => {
  const p = planNodes('ab', 3);
  assert.equal(p.node1.ns, 'fbnab-node1');
  assert.equal(p.node2.rootIface, 'fbnab-m2');
  for (const n of [p.node1, p.node2]) for (const a of [n.sshAddress, n.dataAddress, n.storeAddress]) assert.match(a, /^198\.1[89]\./);
  assert.equal(p.node1.dataAddress, '198.19.6.1');
  assert.equal(p.node2.storeAddress, '198.19.7.2');
});

test('bad suffix or slot is named', { skip }, async () => {
  await assert.rejects(createEmulation({ suffix: 'Bad!' }), /suffix "Bad!"/);
  await assert.rejects(createEmulation({ slot: 99 }), /slot 99/);
});

test('an sshd that exits after daemonising fails the build at once, with its log, and leaves nothing', { skip, timeout: 60_000 }, async () => {
  // stands in for a real sshd that died after forking (cannot be provoked reliably): writes its log, forks, exits
  const dir = await mkdtemp(join(tmpdir(), 'fb-fake-sshd-'));
  const fake = join(dir, 'sshd');
  await writeFile(fake, '#!/bin/sh\nwhile [ "$1" != "-E" ]; do shift; done; echo "Cannot bind any address." > "$2"\nsleep 0.2 &\nexit 0\n', { mode: 0o755 });
  try {
    await assert.rejects(createEmulation({ suffix: 'dead', slot: 12, sshdPath: fake }), (e: Error) => {
      assert.match(e.message, /exited before it listened; its log: Cannot bind any address\./);
      return true;
    });
    assert.deepEqual(await leftovers('fbndead'), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('node1 reaches node2 over port1 and port2; a crashed run is swept by the next', { skip, timeout: 60_000 }, async () => {
  const em = await createEmulation({ suffix: 'em', slot: 17 });
  const h = await SshHost.connect({ host: em.node1.sshAddress, key: em.keyPath, knownHosts: [em.knownHostsPath] }, 'node1');
  try {
    // TCP across both links: node2 listens on its data and store addresses, node1 connects over SSH
    const h2 = await SshHost.connect({ host: em.node2.sshAddress, key: em.keyPath, knownHosts: [em.knownHostsPath] }, 'node2');
    const listen = (addr: string) => h2.spawn(['python3', '-c', `import socket;s=socket.socket();s.bind(("${addr}",7007));s.listen();print("up",flush=True);c,_=s.accept();c.sendall(b"hi");c.close()`]);
    const connect = (addr: string, timeout = 3) => h.exec(['python3', '-c', `import socket;print(socket.create_connection(("${addr}",7007),timeout=${timeout}).recv(2).decode())`], { allowFailure: true });
    for (const addr of [em.node2.dataAddress, em.node2.storeAddress]) {
      const l = listen(addr);
      let r = await connect(addr);
      for (let i = 0; i < 20 && r.code !== 0; i++) {
        await new Promise((res) => setTimeout(res, 100));
        r = await connect(addr);
      }
      assert.equal(r.stdout.trim(), 'hi', `node1 -> ${addr}: ${r.stderr}`);
      await l.kill();
    }
    await h2.close();
    // the management network is not routed between nodes: node1 cannot reach node2's sshd
    const x = await h.exec(['python3', '-c', `import socket;socket.create_connection(("${em.node2.sshAddress}",22),timeout=1)`], { allowFailure: true });
    assert.notEqual(x.code, 0);
    // a process left running inside node1, as after a crash of the harness
    await h.spawn(['sleep', '600']).pgid;
  } finally {
    h['conn'].end(); // drop the connection without cleaning up: the crash
  }
  assert.ok((await leftovers(em.id)).length > 0);
  const ns = await new LocalHost().exec(['ip', 'netns', 'pids', em.node1.ns]);
  assert.ok(ns.stdout.trim().split('\n').length >= 2, 'sshd and the sleep run in node1');
  // the next run with the same names sweeps first
  const again = await createEmulation({ suffix: 'em', slot: 17 });
  await again.destroy();
  assert.deepEqual(await leftovers(em.id), []);
  assert.deepEqual(await sweepStale('fbn', em.id), []);
});
