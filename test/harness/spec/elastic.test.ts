// Spec `instances:`/`events:` (issue 18): every bad input is refused before anything starts, at its line and field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec } from '../../../harness/spec/load.js';
import { elasticEvents, storeNodeEvents } from '../../../harness/spec/elastic.js';
import { problems, ROOT } from './problems.js';


const BASE = `name: t
traffic: { rate: 50000, warmup_s: 1, duration_s: 3 }
matrix: { nfs: [nat], stores: [redis], cores: [1] }
instances: [ins1, ins2]
`;

test('a kill, an add and a remove in the window are accepted, normalised in spec order', async () => {
  const text = `${BASE}events:\n  - kill: { instance: ins1, at_s: 2 }\n  - add: { instance: ins3, at_s: 2.5 }\n  - remove: { instance: ins2, at_s: 3 }\n`;
  assert.deepEqual(await problems(text), []);
  const spec = await parseSpec(text, 'spec.yaml', { baseDir: ROOT });
  assert.deepEqual(elasticEvents(spec.spec.events), [
    { kind: 'kill', instance: 'ins1', at_s: 2 },
    { kind: 'add', instance: 'ins3', at_s: 2.5 },
    { kind: 'remove', instance: 'ins2', at_s: 3 },
  ]);
});

test('a kill the survivors take over reads back with its takeover; without a standby, the killed id is gone for later events', async () => {
  const text = `${BASE}events:\n  - kill: { instance: ins1, at_s: 2, takeover: survivors }\n  - add: { instance: ins3, at_s: 2.5 }\n`;
  assert.deepEqual(await problems(text), []);
  const spec = await parseSpec(text, 'spec.yaml', { baseDir: ROOT });
  assert.deepEqual(elasticEvents(spec.spec.events), [
    { kind: 'kill', instance: 'ins1', at_s: 2, takeover: 'survivors' },
    { kind: 'add', instance: 'ins3', at_s: 2.5 },
  ]);
  const standby = `${BASE}events:\n  - kill: { instance: ins1, at_s: 2, takeover: standby }\n`;
  assert.deepEqual(elasticEvents((await parseSpec(standby, 'spec.yaml', { baseDir: ROOT })).spec.events), [{ kind: 'kill', instance: 'ins1', at_s: 2, takeover: 'standby' }]);
});

const TABLE: { name: string; events: string; base?: string; expect: RegExp[] }[] = [
  { name: 'unknown instance, with a suggestion', events: '  - kill: { instance: ins9, at_s: 2 }\n', expect: [/^6:23 events\[0\]\.kill\.instance: no instance "ins9" is running when this kill fires \(running: ins1, ins2\); did you mean "ins1"\?/] },
  { name: 'a kill before the run starts', events: '  - kill: { instance: ins1, at_s: 0 }\n', expect: [/^6:35 events\[0\]\.kill\.at_s: a kill at 0 s is before the run starts/] },
  { name: 'an event in the warm-up', events: '  - kill: { instance: ins1, at_s: 0.5 }\n', expect: [/events\[0\]\.kill\.at_s: a kill at 0\.5 s falls in the 1 s warm-up/] },
  { name: 'an event after the window', events: '  - add: { instance: ins3, at_s: 4 }\n', expect: [/events\[0\]\.add\.at_s: a add at 4 s is after the measured window ends \(4 s/] },
  {
    name: 'scale-in of the last instance',
    events: '  - remove: { instance: ins2, at_s: 2 }\n  - remove: { instance: ins1, at_s: 3 }\n',
    expect: [/^7:25 events\[1\]\.remove\.instance: removing "ins1" would leave no instance/],
  },
  { name: 'a removed instance cannot be killed later', events: '  - remove: { instance: ins2, at_s: 2 }\n  - kill: { instance: ins2, at_s: 3 }\n', expect: [/events\[1\]\.kill\.instance: no instance "ins2" is running when this kill fires \(running: ins1\)/] },
  {
    name: 'a kill taken over by the survivors of the last instance',
    events: '  - remove: { instance: ins2, at_s: 2 }\n  - kill: { instance: ins1, at_s: 3, takeover: survivors }\n',
    expect: [/^7:48 events\[1\]\.kill\.takeover: killing "ins1" with takeover: survivors leaves no instance to take its flows over/],
  },
  { name: 'an instance the survivors took over cannot be removed later', events: '  - kill: { instance: ins1, at_s: 2, takeover: survivors }\n  - remove: { instance: ins1, at_s: 3 }\n', expect: [/events\[1\]\.remove\.instance: no instance "ins1" is running when this remove fires \(running: ins2\)/] },
  { name: 'takeover is not for a store node', events: '  - kill: { store_node: master1, at_s: 2, takeover: survivors }\n', base: BASE.replace('[redis]', '[redis-cluster]'), expect: [/events\[0\]\.kill\.takeover: takeover is for an instance kill/] },
  { name: 'adding a running instance', events: '  - add: { instance: ins2, at_s: 2 }\n', expect: [/events\[0\]\.add\.instance: instance "ins2" is already running/] },
  { name: 'two kinds in one event', events: '  - { kill: { instance: ins1, at_s: 2 }, add: { instance: ins3, at_s: 2 } }\n', expect: [/events\[0\]/] },
  { name: 'hashmap cannot be shared', events: '  - kill: { instance: ins1, at_s: 2 }\n', base: BASE.replace('[redis]', '[redis, hashmap]'), expect: [/matrix\.stores\[1\]: instances share one store; hashmap lives inside one process/] },
  { name: 'rate max', events: '  - kill: { instance: ins1, at_s: 2 }\n', base: BASE.replace('rate: 50000', 'rate: max'), expect: [/traffic\.rate: several instances need an offered rate/] },
  { name: 'events without instances', events: '  - kill: { instance: ins1, at_s: 2 }\n', base: BASE.replace('instances: [ins1, ins2]\n', ''), expect: [/events: events need instances/] },
];

const CLUSTER = BASE.replace('[redis]', '[redis-cluster]');
const RING = `${BASE.replace('[redis]', '[cassandra-cluster]')}state: { cassandra_cluster: { nodes: 3, replication: 3, consistency: QUORUM } }
`;

test('a node kill on a Cassandra ring (RF 3, QUORUM) is accepted and reads back as a store node kill', async () => {
  const text = `${RING}events:\n  - kill: { store_node: node2, at_s: 2 }\n  - kill: { instance: ins1, at_s: 3 }\n`;
  assert.deepEqual(await problems(text), []);
  const spec = await parseSpec(text, 'spec.yaml', { baseDir: ROOT });
  assert.deepEqual(storeNodeEvents(spec.spec.events), [{ node: 'node2', at_s: 2 }]);
  assert.deepEqual(spec.spec.state.cassandra_cluster, { nodes: 3, replication: 3, consistency: 'QUORUM', heap: '512m', phi_convict_threshold: 8 });
  // ONE with two replicas left also survives a node
  assert.deepEqual(await problems(text.replace('consistency: QUORUM', 'consistency: ONE').replace('replication: 3', 'replication: 2')), []);
});

test('a store node kill on a Redis Cluster is accepted beside an instance kill; each reads back as its own kind', async () => {
  const text = `${CLUSTER}events:\n  - kill: { store_node: master-of-ins1, at_s: 1.5 }\n  - kill: { instance: ins1, at_s: 3 }\n`;
  assert.deepEqual(await problems(text), []);
  const spec = await parseSpec(text, 'spec.yaml', { baseDir: ROOT });
  assert.deepEqual(elasticEvents(spec.spec.events), [{ kind: 'kill', instance: 'ins1', at_s: 3 }]);
  assert.deepEqual(storeNodeEvents(spec.spec.events), [{ node: 'master-of-ins1', at_s: 1.5 }]);
  assert.deepEqual(spec.spec.state.redis_cluster, { masters: 3, replicas: 1, node_timeout_ms: 1000 });
  for (const node of ['master1', 'master3', 'replica2']) assert.deepEqual(await problems(`${CLUSTER}events:\n  - kill: { store_node: ${node}, at_s: 2 }\n`), [], node);
});

TABLE.push(
  { name: 'a store node kill on a store without nodes', events: '  - kill: { store_node: master1, at_s: 2 }\n', expect: [/^6:25 events\[0\]\.kill\.store_node: a store node kill needs a store with nodes: every store of the matrix must be redis-cluster or cassandra-cluster \(found "redis" at matrix\.stores\[0\]/] },
  { name: 'a master the cluster does not have', base: CLUSTER, events: '  - kill: { store_node: master4, at_s: 2 }\n', expect: [/events\[0\]\.kill\.store_node: "master4": the cluster has 3 masters \(state\.redis_cluster\.masters\), so K runs from 1 to 3/] },
  { name: 'a master of an instance that is not running', base: CLUSTER, events: '  - kill: { store_node: master-of-ins3, at_s: 2 }\n', expect: [/"master-of-ins3": no instance "ins3" is running when this kill fires \(running: ins1, ins2\); did you mean "master-of-ins1"\?/] },
  { name: 'a node name that is none', base: CLUSTER, events: '  - kill: { store_node: leader, at_s: 2 }\n', expect: [/events\[0\]\.kill\.store_node: .*masterK, replicaK \(K from 1\) or master-of-INSTANCE/] },
  { name: 'a master with no replica to take over', base: `${CLUSTER}state: { redis_cluster: { replicas: 0 } }\n`, events: '  - kill: { store_node: master2, at_s: 2 }\n', expect: [/"master2": with no replica \(state\.redis_cluster\.replicas: 0\) nothing takes over/] },
  { name: 'a replica when there are none', base: `${CLUSTER}state: { redis_cluster: { replicas: 0 } }\n`, events: '  - kill: { store_node: replica2, at_s: 2 }\n', expect: [/"replica2": the cluster has no replicas/] },
  { name: 'two store node kills', base: CLUSTER, events: '  - kill: { store_node: master1, at_s: 2 }\n  - kill: { store_node: master2, at_s: 3 }\n', expect: [/events\[1\]\.kill\.store_node: one store node fails per trial/] },
  { name: 'a store node kill in the warm-up', base: CLUSTER, events: '  - kill: { store_node: master1, at_s: 0.5 }\n', expect: [/events\[0\]\.kill\.at_s: a store node kill at 0\.5 s falls in the 1 s warm-up/] },
  { name: 'a kill naming both', base: CLUSTER, events: '  - kill: { instance: ins1, store_node: master1, at_s: 2 }\n', expect: [/events\[0\]\.kill: a kill names an instance or a store node, not both/] },
  { name: 'a ring node the ring does not have', base: RING, events: '  - kill: { store_node: node4, at_s: 2 }\n', expect: [/^7:25 events\[0\]\.kill\.store_node: "node4": the ring has 3 nodes \(state\.cassandra_cluster\.nodes\), so K runs from 1 to 3/] },
  { name: 'a Redis Cluster name on a ring', base: RING, events: '  - kill: { store_node: master1, at_s: 2 }\n', expect: [/events\[0\]\.kill\.store_node: "master1": a Cassandra ring's nodes are node1 to node3 \(masters, replicas and master-of-INSTANCE are a Redis Cluster's\)/] },
  { name: 'a ring node name on a Redis Cluster', base: CLUSTER, events: '  - kill: { store_node: node1, at_s: 2 }\n', expect: [/events\[0\]\.kill\.store_node: "node1": nodeK names a Cassandra ring's node/] },
  { name: 'a ring node kill at ALL', base: RING.replace('consistency: QUORUM', 'consistency: ALL'), events: '  - kill: { store_node: node2, at_s: 2 }\n', expect: [/"node2": at ALL a write needs 3 of 3 replicas, so with one down the partitions it holds take no write until the ring heals after the trial/] },
  { name: 'a ring node kill with every partition on one node', base: RING.replace('replication: 3', 'replication: 1').replace('consistency: QUORUM', 'consistency: ONE'), events: '  - kill: { store_node: node2, at_s: 2 }\n', expect: [/"node2": at ONE a write needs 1 of 1 replicas/] },
  { name: 'replication beyond the ring', base: RING.replace('replication: 3', 'replication: 4'), events: '  - kill: { instance: ins1, at_s: 2 }\n', expect: [/state\.cassandra_cluster\.replication: replication 4 needs as many nodes; the ring has 3/] },
  { name: 'a ring on a two-node testbed', base: `testbed: netns\n${RING}`, events: '  - kill: { store_node: node1, at_s: 2 }\n', expect: [/matrix\.stores\[0\]: cassandra-cluster's ring is started by the local testbed/] },
  { name: 'a ring and another store under a node kill', base: BASE.replace('[redis]', '[cassandra-cluster, cassandra]'), events: '  - kill: { store_node: node1, at_s: 2 }\n', expect: [/every store of the matrix must be cassandra-cluster \(found "cassandra" at matrix\.stores\[1\]/] },
  { name: 'a kill naming neither an instance nor a store node', events: '  - kill: { at_s: 2 }\n', expect: [/events\[0\]\.kill: a kill names an instance \(instance: ins1\) or a store node/] },
);

for (const t of TABLE) {
  test(`refused: ${t.name}`, async () => {
    const got = await problems(`${t.base ?? BASE}events:\n${t.events}`);
    for (const re of t.expect) assert.ok(got.some((g) => re.test(g)), `${re} not in:\n${got.join('\n')}`);
  });
}

// nf_options.nat_pool: the NAT's pool for every instance (blocks taken through the store's locks)
test('a NAT pool for the instances is accepted and reaches each instance\'s nf run flags', async () => {
  const spec = `${BASE}nf_options: { nat_pool: { ips: 198.19.0.0/32, ports: 1024-1791, block: 64 } }\nevents:\n  - remove: { instance: ins2, at_s: 2 }\n`;
  assert.deepEqual(await problems(spec), []);
  const { natPoolArgv } = await import('../../../harness/testbeds/elastic.js');
  const p = (await parseSpec(spec, 'spec.yaml', { baseDir: ROOT })).spec.nf_options.nat_pool;
  assert.deepEqual(natPoolArgv(p), ['--nat-ips', '198.19.0.0/32', '--nat-ports', '1024-1791', '--nat-block', '64']);
  assert.deepEqual(natPoolArgv({ block: 0 }), ['--nat-block', '0']);
  assert.deepEqual(natPoolArgv(undefined), []);
});

for (const t of [
  { name: 'a NAT pool whose ports are backwards', pool: '{ ports: 2000-1024 }', expect: /^5:\d+ nf_options\.nat_pool\.ports: expected a port range LO-HI with 1 <= LO <= HI <= 65535/ },
  { name: 'a NAT pool address that is no prefix', pool: '{ ips: 198.19.0.0 }', expect: /^5:\d+ nf_options\.nat_pool\.ips: expected an IPv4 prefix A\.B\.C\.D\/N/ },
  // the spec reads the pool as nf run does: a prefix nf run refuses is refused here, not in every trial
  { name: 'a NAT pool prefix shorter than nf run takes', pool: '{ ips: 10.0.0.0/4 }', expect: /^5:\d+ nf_options\.nat_pool\.ips: expected an IPv4 prefix .*prefix length must be 8\.\.32/ },
  { name: 'a NAT pool on a two-node testbed', pool: '{ block: 64 }', base: `testbed: netns\n${BASE.replace('instances: [ins1, ins2]\n', '')}`, expect: /nf_options\.nat_pool: the NAT pool options are given to nf run on the local testbed; on testbed netns/ },
  { name: 'a NAT pool without the NAT', pool: '{ block: 64 }', base: BASE.replace('[nat]', '[counter-async]'), expect: /nf_options\.nat_pool: nat_pool is for the NAT: matrix\.nfs has no nat/ },
]) {
  test(`refused: ${t.name}`, async () => {
    const got = await problems(`${t.base ?? BASE}nf_options: { nat_pool: ${t.pool} }\n`);
    assert.ok(got.some((g) => t.expect.test(g)), `${t.expect} not in:\n${got.join('\n')}`);
  });
}
