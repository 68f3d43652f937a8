// The spec's `instances:` and `events:` (issue 18): several instances of the NF behind a front-end,
// and what happens to them during a trial (kill, add, remove), with the rules a schema cannot say.
import { z } from 'zod';
import type { PathSeg } from './errors.js';
import { didYouMean } from './errors.js';
import { replicasNeeded } from '../../runtime/stores/cassandra/ring-shape.js';

const instanceId = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, ".", "-" or "_" (it is part of the store keys)');
const when = z.strictObject({
  instance: instanceId,
  /** seconds after traffic starts (the warm-up included); the event must fall in the measured window */
  at_s: z.number().nonnegative().max(3600),
});

/**
 * A node of the store's cluster: store redis-cluster's `masterK` (the node serving slot range K when the
 * event fires), `replicaK` (a replica of it), `master-of-INSTANCE` (the master serving that instance's
 * first core's partition); store cassandra-cluster's `nodeK` (the ring's Kth node).
 */
const storeNode = z.string().regex(/^(master|replica|node)[1-9][0-9]*$|^master-of-[A-Za-z0-9_.-]+$/, 'masterK, replicaK (K from 1) or master-of-INSTANCE (redis-cluster), nodeK (cassandra-cluster)');
/** a kill names an instance or a store node, never both */
const killWhen = z.strictObject({
  instance: instanceId.optional(),
  /** SIGKILL a node of the store's cluster (store redis-cluster or cassandra-cluster) */
  store_node: storeNode.optional(),
  at_s: z.number().nonnegative().max(3600),
  /** who takes a killed instance's flows over: a standby started for it (its id, its partitions), or the survivors (they adopt its partitions, as in a scale-in) */
  takeover: z.enum(['standby', 'survivors']).optional(),
});

/** `kill` (SIGKILL; a standby takes the instance's id and recovers its partitions, or the survivors adopt them; or a store node), `add` (scale-out), `remove` (scale-in). */
export const eventSchema = z.union([
  z.strictObject({ kill: killWhen }),
  z.strictObject({ add: when }),
  z.strictObject({ remove: when }),
]);

/** instances live from the start (ids); with `events`, what happens to them */
export const instancesSchema = z.array(instanceId).min(1).max(16).refine((xs) => new Set(xs).size === xs.length, { message: 'instance ids must be unique' });
export const eventsSchema = z.array(eventSchema).max(32);

export type ElasticEventKind = 'kill' | 'add' | 'remove';
export type Takeover = 'standby' | 'survivors';
export interface ElasticEvent {
  kind: ElasticEventKind;
  instance: string;
  at_s: number;
  /** a kill's: who takes the instance's flows over (absent: a standby) */
  takeover?: Takeover;
}

/** A store node killed mid-run (SIGKILL), by its name in the spec. */
export interface StoreNodeEvent {
  node: string;
  at_s: number;
}

type RawEvent = z.output<typeof eventSchema>;

/** One event of the spec's list in one shape: what it does, the instance it names, the store node a kill names (null: none). */
function specEvent(raw: RawEvent): { kind: ElasticEventKind; instance: string | undefined; node: string | null; at_s: number; takeover: Takeover | undefined } {
  const kind = Object.keys(raw)[0] as ElasticEventKind;
  const w = (raw as Record<string, { instance?: string; store_node?: string; at_s: number; takeover?: Takeover }>)[kind]!;
  return { kind, instance: w.instance, node: w.store_node ?? null, at_s: w.at_s, takeover: w.takeover };
}

/** The instances' events as one shape, in spec order (store node kills are storeNodeEvents'). */
export function elasticEvents(events: readonly RawEvent[] | undefined): ElasticEvent[] {
  // validation refuses a kill that names neither an instance nor a store node
  return (events ?? []).map(specEvent).filter((e) => e.node === null).map((e) => ({ kind: e.kind, instance: e.instance!, at_s: e.at_s, ...(e.takeover ? { takeover: e.takeover } : {}) }));
}

/** The store node kills, in spec order. */
export function storeNodeEvents(events: readonly RawEvent[] | undefined): StoreNodeEvent[] {
  return (events ?? []).map(specEvent).filter((e) => e.node !== null).map((e) => ({ node: e.node!, at_s: e.at_s }));
}

/** A Redis Cluster's shape as the rules need it (spec `state.redis_cluster`). */
interface ClusterShape {
  masters: number;
  replicas: number;
}

/** A Cassandra ring's shape as the rules need it (spec `state.cassandra_cluster`). */
interface RingShape {
  nodes: number;
  replication: number;
  consistency: string;
}

/** What the rules read of a spec. */
interface ElasticSpecPart {
  testbed: string;
  traffic: { warmup_s: number; duration_s: number; rate: number | 'max' };
  matrix: { nfs: readonly string[]; stores: readonly string[] };
  /** filled by the schema's defaults */
  state: { redis_cluster: ClusterShape; cassandra_cluster: RingShape };
  instances?: readonly string[];
  events?: readonly z.output<typeof eventSchema>[];
}

/**
 * Problems of `instances:`/`events:` a schema cannot see: an event naming an instance that is not live
 * when it fires, an event outside the measured window (or before the run starts), a scale-in of the
 * last instance, a store the instances cannot share, a rate the front-end cannot offer.
 */
export function elasticIssues(spec: ElasticSpecPart, issue: (at: PathSeg[], message: string, key?: boolean) => void): void {
  ringIssues(spec, issue);
  if (spec.events !== undefined && spec.instances === undefined) {
    issue(['events'], 'events need instances: name the instances live from the start (instances: [ins1, ins2])', true);
    return;
  }
  if (spec.instances === undefined) return;
  if (spec.testbed !== 'local') issue(['instances'], `several instances run on the local testbed (its front-end stands for the switch in front of them); found testbed "${spec.testbed}"`, true);
  if (spec.traffic.rate === 'max') issue(['traffic', 'rate'], 'several instances need an offered rate in packets per second (the front-end paces it), found "max"');
  const testpmd = spec.matrix.nfs.indexOf('testpmd');
  if (testpmd >= 0) issue(['matrix', 'nfs', testpmd], 'testpmd runs as one process: instances are for flexbench NFs');
  spec.matrix.stores.forEach((s, i) => {
    if (s === 'hashmap') issue(['matrix', 'stores', i], 'instances share one store; hashmap lives inside one process (use redis or cassandra)');
  });
  const w0 = spec.traffic.warmup_s;
  const w1 = spec.traffic.warmup_s + spec.traffic.duration_s;
  // every event in spec order, an instance's or a store node's (its index is its place in the spec's list)
  const events = (spec.events ?? []).map(specEvent);
  const cluster = spec.state.redis_cluster;
  let storeKills = 0;
  // replay the events in time order: which ids are live when each fires
  const live = new Set(spec.instances);
  const named = new Set(spec.instances);
  const order = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.at_s - b.e.at_s || a.i - b.i);
  for (const { e, i } of order) {
    const at: PathSeg[] = ['events', i, e.kind];
    const what = e.node !== null ? 'store node kill' : e.kind;
    if (e.at_s <= 0) issue([...at, 'at_s'], `a ${what} at ${e.at_s} s is before the run starts (at_s counts from the first packet; give a time within the measured window, ${w0}..${w1} s)`);
    else if (e.at_s < w0) issue([...at, 'at_s'], `a ${what} at ${e.at_s} s falls in the ${w0} s warm-up, which is not measured (give ${w0} <= at_s < ${w1})`);
    else if (e.at_s >= w1) issue([...at, 'at_s'], `a ${what} at ${e.at_s} s is after the measured window ends (${w1} s = warmup_s + duration_s)`);
    if (e.node !== null) {
      if (e.instance !== undefined) {
        issue(at, 'a kill names an instance or a store node, not both (two events kill both)', true);
        continue;
      }
      if (e.takeover !== undefined) issue([...at, 'takeover'], 'takeover is for an instance kill: a store node\'s work is taken over by its cluster (a replica, the ring)', true);
      storeNodeIssues(spec, e.node, live, cluster, ++storeKills, [...at, 'store_node'], issue);
      continue;
    }
    if (e.instance === undefined) {
      issue(at, 'a kill names an instance (instance: ins1) or a store node (store_node: master1)', true);
      continue;
    }
    if (e.kind === 'add') {
      if (live.has(e.instance)) issue([...at, 'instance'], `instance "${e.instance}" is already running when it is added`);
      else if (named.has(e.instance)) issue([...at, 'instance'], `instance "${e.instance}" was named before; a new instance needs a new id (a killed one comes back through its standby)`);
      live.add(e.instance);
      named.add(e.instance);
      continue;
    }
    if (!live.has(e.instance)) {
      const hint = didYouMean(e.instance, [...live]);
      issue([...at, 'instance'], `no instance "${e.instance}" is running when this ${e.kind} fires (running: ${[...live].join(', ') || 'none'})${hint ? `; did you mean "${hint}"?` : ''}`);
      continue;
    }
    if (e.kind === 'remove') {
      if (live.size === 1) issue([...at, 'instance'], `removing "${e.instance}" would leave no instance: scale-in keeps at least one (add one first, or kill it to fail over to a standby)`);
      live.delete(e.instance);
    } else if (e.takeover === 'survivors') {
      if (live.size === 1) issue([...at, 'takeover'], `killing "${e.instance}" with takeover: survivors leaves no instance to take its flows over (give takeover: standby, or add one first)`);
      live.delete(e.instance);
    }
    // a kill with a standby keeps the id live: the standby takes it over
  }
}

/** A ring the matrix starts: replication within its nodes, and only where the harness can start it (the local testbed). */
function ringIssues(spec: ElasticSpecPart, issue: (at: PathSeg[], message: string, key?: boolean) => void): void {
  const i = spec.matrix.stores.indexOf('cassandra-cluster');
  if (i < 0) return;
  if (spec.testbed !== 'local') {
    issue(['matrix', 'stores', i], `cassandra-cluster's ring is started by the local testbed (each node in a network namespace of its own, reached from the NF in the root namespace); on testbed ${spec.testbed} give a ring you run as store cassandra with its URL in the inventory (stores.cassandra.local.url: cassandra://a,b,c?consistency=QUORUM&replication=3)`);
  }
  const r = spec.state.cassandra_cluster;
  if (r.replication > r.nodes) issue(['state', 'cassandra_cluster', 'replication'], `replication ${r.replication} needs as many nodes; the ring has ${r.nodes} (state.cassandra_cluster.nodes)`);
  if (replicasNeeded(r.consistency, r.replication) > r.replication) issue(['state', 'cassandra_cluster', 'consistency'], `${r.consistency} needs ${replicasNeeded(r.consistency, r.replication)} replicas; replication ${r.replication} has ${r.replication}`);
}

/** A store node kill's problems: a store without cluster nodes, a node the cluster does not have, a master without a replica to take over, a ring that cannot answer with a node down. */
function storeNodeIssues(spec: ElasticSpecPart, node: string, live: ReadonlySet<string>, cluster: ClusterShape, nth: number, at: PathSeg[], issue: (at: PathSeg[], message: string, key?: boolean) => void): void {
  const kind = spec.matrix.stores[0] === 'cassandra-cluster' ? 'cassandra-cluster' : 'redis-cluster';
  const other = spec.matrix.stores.findIndex((s) => s !== kind);
  if (other >= 0) {
    issue(at, `a store node kill needs a store with nodes: every store of the matrix must be ${kind === 'redis-cluster' && other === 0 ? 'redis-cluster or cassandra-cluster' : kind} (found "${spec.matrix.stores[other]}" at matrix.stores[${other}]; put the cluster's failover in a spec of its own)`);
    return;
  }
  if (nth > 1) {
    issue(at, `one store node fails per trial: the ${kind === 'redis-cluster' ? 'cluster heals (the killed node rejoins as a replica)' : 'ring heals (the killed node is started again and rejoins)'} only between trials`);
    return;
  }
  if (kind === 'cassandra-cluster') {
    const r = spec.state.cassandra_cluster;
    const k = /^node([1-9]\d*)$/.exec(node)?.[1];
    if (k === undefined) {
      issue(at, `"${node}": a Cassandra ring's nodes are node1 to node${r.nodes} (masters, replicas and master-of-INSTANCE are a Redis Cluster's)`);
      return;
    }
    if (Number(k) > r.nodes) {
      issue(at, `"${node}": the ring has ${r.nodes} nodes (state.cassandra_cluster.nodes), so K runs from 1 to ${r.nodes}`);
      return;
    }
    // with one node down, a partition it held has replication - 1 replicas left (at RF = nodes: every partition)
    const need = replicasNeeded(r.consistency, r.replication);
    if (need > r.replication - 1) {
      issue(at, `"${node}": at ${r.consistency} a write needs ${need} of ${r.replication} replicas, so with one down the partitions it holds take no write until the ring heals after the trial; give consistency QUORUM with replication 3 (or ONE with replication 2 or more)`);
    }
    return;
  }
  if (/^node\d/.test(node)) {
    issue(at, `"${node}": nodeK names a Cassandra ring's node; a Redis Cluster's are masterK, replicaK or master-of-INSTANCE`);
    return;
  }
  const of = /^master-of-(.+)$/.exec(node)?.[1];
  if (of !== undefined) {
    if (!live.has(of)) {
      const hint = didYouMean(of, [...live]);
      issue(at, `"${node}": no instance "${of}" is running when this kill fires (running: ${[...live].join(', ') || 'none'})${hint ? `; did you mean "master-of-${hint}"?` : ''}`);
      return;
    }
  } else {
    const k = Number(/\d+$/.exec(node)![0]);
    if (k > cluster.masters) {
      issue(at, `"${node}": the cluster has ${cluster.masters} masters (state.redis_cluster.masters), so K runs from 1 to ${cluster.masters}`);
      return;
    }
    if (node.startsWith('replica') && cluster.replicas === 0) {
      issue(at, `"${node}": the cluster has no replicas (state.redis_cluster.replicas: 0)`);
      return;
    }
  }
  if (node.startsWith('master') && cluster.replicas === 0) {
    issue(at, `"${node}": with no replica (state.redis_cluster.replicas: 0) nothing takes over a killed master's slots; give replicas: 1`);
  }
}
