// A Cassandra ring's plan, pure: names and addresses of its network (ring-net.ts), its tokens and each
// node's configuration (config.ts), and what a consistency level asks of it (ring-shape.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { planRing } from '../../../../runtime/stores/cassandra/ring-net.js';
import { cassandraYaml, ringTokens } from '../../../../runtime/stores/cassandra/config.js';
import { replicasNeeded, ringProblem } from '../../../../runtime/stores/cassandra/ring-shape.js';

test('ring N: namespaces, root veths and a bridge named fbcN-…, node K at 198.18.(250+N).(10+K), clear of the netns testbed', () => {
  const p = planRing(2, 3);
  assert.equal(p.id, 'fbc2');
  assert.equal(p.bridge, 'fbc2-br');
  assert.equal(p.gateway, '198.18.252.1');
  assert.deepEqual(p.nodes.map((n) => [n.name, n.netns, n.rootIface, n.address]), [
    ['node1', 'fbc2-node1', 'fbc2-n1', '198.18.252.11'],
    ['node2', 'fbc2-node2', 'fbc2-n2', '198.18.252.12'],
    ['node3', 'fbc2-node3', 'fbc2-n3', '198.18.252.13'],
  ]);
  // Linux interface names stop at 15 bytes
  for (const n of planRing(5, 5).nodes) assert.ok(n.rootIface.length <= 15 && n.netns.length <= 15);
});

test('tokens: evenly spaced over Murmur3\'s range, the first at its minimum', () => {
  assert.deepEqual(ringTokens(3), ['-9223372036854775808', '-3074457345618258603', '3074457345618258602']);
  assert.deepEqual(ringTokens(1), ['-9223372036854775808']);
});

test('a ring node listens on its own address with its token and the ring\'s seeds; a single node keeps token 0 and itself as seed', () => {
  const ring = parse(cassandraYaml({ dir: '/d', host: '198.18.250.12', nativePort: 9042, storagePort: 7000, ring: { seeds: ['198.18.250.11:7000', '198.18.250.12:7000'], token: '-3074457345618258603', phiConvictThreshold: 5 } }));
  assert.equal(ring.listen_address, '198.18.250.12');
  assert.equal(ring.rpc_address, '198.18.250.12');
  assert.equal(ring.initial_token, '-3074457345618258603');
  assert.equal(ring.seed_provider[0].parameters[0].seeds, '198.18.250.11:7000,198.18.250.12:7000');
  assert.equal(ring.phi_convict_threshold, 5);
  const one = parse(cassandraYaml({ dir: '/d', host: '127.0.0.1', nativePort: 9042, storagePort: 7001 }));
  assert.equal(one.initial_token, 0);
  assert.equal(one.seed_provider[0].parameters[0].seeds, '127.0.0.1:7001');
  assert.equal(one.phi_convict_threshold, undefined);
});

test('replicas a level needs of R, and shapes a ring cannot have', () => {
  assert.deepEqual(['ONE', 'LOCAL_ONE', 'ANY', 'TWO', 'QUORUM', 'local_quorum', 'ALL'].map((c) => replicasNeeded(c, 3)), [1, 1, 1, 2, 2, 2, 3]);
  assert.deepEqual([1, 2, 3, 4, 5].map((r) => replicasNeeded('QUORUM', r)), [1, 2, 2, 3, 3]);
  assert.equal(ringProblem({ nodes: 3, replication: 3, consistency: 'QUORUM' }), null);
  assert.match(ringProblem({ nodes: 3, replication: 4, consistency: 'QUORUM' })!, /replication 4: give 1 to the 3 nodes/);
  assert.match(ringProblem({ nodes: 6, replication: 3, consistency: 'QUORUM' })!, /6 nodes: give 1 to 5/);
  assert.match(ringProblem({ nodes: 3, replication: 3, consistency: 'MOST' })!, /consistency MOST: one of ANY, ONE/);
  assert.match(ringProblem({ nodes: 3, replication: 2, consistency: 'THREE' })!, /THREE needs 3 replicas; replication 2 has 2/);
});
