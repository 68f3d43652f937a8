// A Redis Cluster of real redis-server processes with replicas (issue 18): a master SIGKILLed, its
// replica promoted after cluster-node-timeout, the dead node started again and rejoining as a replica;
// the CLUSTER NODES parser and the slot function pinned by exact values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startRedisCluster, parseClusterNodes, masterOfSlot, keySlot } from '../../../runtime/stores/redis-cluster.js';
import { pidAlive } from '../../../common/processes.js';

test('keySlot: CRC16/XMODEM mod 16384 of the hash tag, as Redis computes it', () => {
  // values from CLUSTER KEYSLOT on redis-server 7
  assert.equal(keySlot('foo'), 12182);
  assert.equal(keySlot('123456789'), 12739);
  assert.equal(keySlot('{user1000}.following'), keySlot('user1000'));
  // an empty tag hashes the whole key: '{}x' itself (CRC16/XMODEM as Python's binascii.crc_hqx(b'{}x', 0) % 16384), not 'x'
  assert.equal(keySlot('{}x'), 10595);
  assert.notEqual(keySlot('{}x'), keySlot('x'));
  assert.notEqual(keySlot('{}x'), keySlot(''));
});

test('parseClusterNodes: roles, masters of replicas, failed flags, slot ranges', () => {
  const text = [
    'a1 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5460',
    'b2 127.0.0.1:7002@17002 master,fail - 1700 1690 2 disconnected',
    'c3 127.0.0.1:7003@17003 master - 0 1700 3 connected 10923-16383',
    'd4 127.0.0.1:7004@17004 master - 0 1700 7 connected 5461-10922 [5462->-e5]',
    'e5 127.0.0.1:7005@17005 slave a1 0 1700 1 connected',
    '',
  ].join('\n');
  const t = parseClusterNodes(text);
  assert.deepEqual(t.map((n) => [n.port, n.role, n.masterId, n.failed]), [
    [7001, 'master', null, false], [7002, 'master', null, true], [7003, 'master', null, false], [7004, 'master', null, false], [7005, 'replica', 'a1', false],
  ]);
  assert.deepEqual(t[3]!.slots, [[5461, 10922]]);
  assert.equal(masterOfSlot(t, 6000)?.port, 7004);
  assert.equal(masterOfSlot(t, 0)?.port, 7001);
  assert.equal(masterOfSlot(t, 16383)?.port, 7003);
});

test('a master SIGKILLed: its replica serves its slots after the node timeout; heal() brings the node back as a replica', { timeout: 120_000 }, async () => {
  const c = await startRedisCluster({ masters: 3, replicas: 1, nodeTimeoutMs: 1000 });
  try {
    assert.equal(c.nodes.length, 6);
    assert.match(c.url, /^redis\+cluster:\/\/(127\.0\.0\.1:\d+,){5}127\.0\.0\.1:\d+$/);
    const m2 = await c.resolve('master2');
    const r2 = await c.resolve('replica2');
    assert.equal(m2.role, 'master');
    assert.equal(r2.role, 'replica');
    assert.equal(m2.slot, c.range(2)[0]);
    assert.notEqual(m2.port, r2.port);
    const own = await c.resolve('master-of-ins1', 'nat');
    assert.equal(own.slot, keySlot('{nat@ins1@0}@Map@natMap'));
    const { pid, at } = await c.kill(m2.port);
    assert.equal(pidAlive(pid), false);
    const p = await c.waitPromoted(m2.slot, m2.port, 20_000);
    assert.ok(p, 'no node took over master2\'s slots');
    assert.equal(p.port, r2.port, 'its replica was promoted');
    // Redis fails a master only after cluster-node-timeout: a promotion sooner would be a different mechanism
    assert.ok(p.at - at >= 1000, `promoted ${p.at - at} ms after the kill`);
    assert.equal((await c.resolve('master2')).port, r2.port);
    await c.heal();
    const t = await c.topology();
    const back = t.find((n) => n.port === m2.port)!;
    assert.equal(back.role, 'replica', 'the killed master rejoined as a replica');
    assert.equal(back.failed, false);
    assert.equal(t.find((n) => n.id === back.masterId)?.port, r2.port);
  } finally {
    await c.stop();
  }
  for (const n of c.nodes) assert.equal(pidAlive(n.pid), false, `node pid ${n.pid} outlived stop()`);
  assert.equal(existsSync(c.dataDir), false, 'the cluster\'s directory was removed');
});
