// Namespaces through iproute2 (common/netns.ts): a namespace with a process group in it and a veth to the
// root namespace is listed, and removing it ends the processes, the namespace and the veth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { deleteLink, linkNames, listNetns, netnsPids, removeNetns } from '../../common/netns.js';
import { pidRunning } from '../../common/processes.js';

const skip = process.getuid?.() === 0 ? false : 'needs root (network namespaces): run the tests as root';
const NS = 'fbtnetns-a';
const LINK = 'fbtnetns-v';

test('a namespace, its processes and a root link are listed; removeNetns ends the processes (SIGTERM ignored: SIGKILL) and the namespace, taking the veth', { skip, timeout: 30_000 }, async () => {
  await removeNetns(NS, { first: 'SIGKILL', killWaitMs: 2000 });
  await deleteLink(LINK);
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['link', 'add', LINK, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NS]);
  // a group leader that ignores SIGTERM, with a child: the escalation must reach both
  const child = spawn('ip', ['netns', 'exec', NS, 'sh', '-c', "trap '' TERM; sleep 60 & wait"], { detached: true, stdio: 'ignore' });
  try {
    let pids: number[] = [];
    for (let i = 0; i < 100 && pids.length < 2; i++) {
      pids = await netnsPids(NS);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok((await listNetns()).includes(NS));
    assert.ok((await linkNames()).includes(LINK));
    assert.equal(pids.length, 2, `pids in ${NS}: ${pids.join(', ')}`);
    await removeNetns(NS, { graceMs: 200, killWaitMs: 2000 });
    assert.ok(pids.every((p) => !pidRunning(p)), 'a process outlived its namespace');
    assert.ok(!(await listNetns()).includes(NS));
    assert.ok(!(await linkNames()).includes(LINK), 'the veth went with its peer');
    assert.deepEqual(await netnsPids(NS), []);
    await removeNetns(NS, { first: 'SIGKILL', killWaitMs: 100 }); // idempotent
  } finally {
    if (child.pid) try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    await removeNetns(NS, { first: 'SIGKILL', killWaitMs: 2000 });
    await deleteLink(LINK);
  }
});
