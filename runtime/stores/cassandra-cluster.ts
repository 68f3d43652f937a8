// A Cassandra ring on this machine: `nodes` real Cassandra 5 nodes, each in a network namespace of its
// own on 198.18.0.0/15 (cassandra/ring-net.ts), reached from the root namespace (where the harness and
// the NF run) over a bridge. Every node starts at once with an evenly spaced token and no bootstrap; the
// ring is ready when a write at consistency ALL to a keyspace replicated on every node succeeds through
// every node as coordinator (each sees every other NORMAL and up), however long that takes. The NF gets
// a URL naming every node with the spec's replication factor and consistency (QUORUM by default). A node
// can be SIGKILLed mid-run (`nodeK`) and is started again on its files before the next trial (heal),
// where it rejoins the ring; stop() ends every node and removes the namespaces, bridge, veths and files.
import cassandra from 'cassandra-driver';
import path from 'node:path';
import { FlexbenchError, EXIT } from '../../common/errors.js';
import { pidAlive, sleep } from '../../common/processes.js';
import { ringProblem } from './cassandra/ring-shape.js';
import { server as single } from './cassandra.js';
import { killNode, startNode, stopNode, type NodeRecord } from './cassandra/node.js';
import { ringTokens } from './cassandra/config.js';
import { createRingNet, sweepOrphanRings, type RingNet } from './cassandra/ring-net.js';
import { orphans, type ServerRecord } from './records.js';
import type { ClusteredStore, StartOptions, StoreServer } from './server.js';

export const LABEL = 'cassandra-cluster';
/** every node's inter-node and CQL ports (each node has its namespace's ports to itself; the Node.js driver
 * reaches the peers it discovers on its contact points' port, so every node must use the same one) */
const STORAGE_PORT = 7000;
const NATIVE_PORT = 9042;
/** the keyspace the readiness write goes to (not `fb_`: a trial's reset keeps it) */
const PROBE_KS = 'flexbench_ring';

export interface RingOptions {
  /** nodes in the ring (3: the smallest where QUORUM of RF 3 survives one loss) */
  nodes?: number;
  /** replication factor of the keyspaces the NF's driver creates */
  replication?: number;
  /** consistency level of the NF's writes and reads */
  consistency?: string;
  /** each node's JVM heap (512m: three nodes and the NF on a small machine) */
  heap?: string;
  /** Cassandra's phi_convict_threshold (default 8): how soon the live nodes convict a dead one */
  phiConvictThreshold?: number;
  /** how long the ring may take to form (default 300 s: three JVMs starting on 2 cores) */
  timeoutMs?: number;
}

export interface RunningRing extends ClusteredStore {
  readonly net: RingNet;
  readonly nodes: readonly NodeRecord[];
  readonly replication: number;
  readonly consistency: string;
  /** from the first node's spawn to the ring answering ALL through every node, s */
  readonly ringStartSeconds: number;
  /** the last heal's restart to the ring whole again, s (null: none yet) */
  readonly healSeconds: number | null;
  /** `nodeK`, K from 1, with its address (nf: unused; every node holds every partition at RF = nodes) */
  resolve(name: string, nf?: string): Promise<{ host: string; port: number; role: 'node'; slot: number }>;
}

/** Is the ring whole: the ALL write through each live node as coordinator; null when it is, else why not. */
async function ringProblemNow(live: readonly NodeRecord[], count: number): Promise<string | null> {
  const client = new cassandra.Client({
    contactPoints: live.map((n) => `${n.host}:${n.port}`), localDataCenter: 'datacenter1',
    socketOptions: { connectTimeout: 2000, readTimeout: 5000 },
    policies: { retry: new cassandra.policies.retry.FallthroughRetryPolicy() },
  });
  try {
    await client.connect();
    const hosts = client.hosts.values();
    if (hosts.length < count) return `the driver sees ${hosts.length} of ${count} nodes`;
    for (const n of live) {
      const h = hosts.find((x) => x.address === `${n.host}:${n.port}`);
      if (!h || !h.isUp()) return `node ${n.host}:${n.port} is not up for the driver`;
      await client.execute(`INSERT INTO ${PROBE_KS}.probe (k, v) VALUES (?, ?)`, [n.port, Date.now() % 1e9], { prepare: true, consistency: cassandra.types.consistencies.all, host: h });
    }
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0]!;
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

export async function startCassandraRing(o: RingOptions = {}): Promise<RunningRing> {
  const count = o.nodes ?? 3;
  const replication = o.replication ?? Math.min(3, count);
  const consistency = (o.consistency ?? 'QUORUM').toUpperCase();
  const heap = o.heap ?? '512m';
  const why = ringProblem({ nodes: count, replication, consistency });
  if (why) throw new FlexbenchError(`cassandra-cluster: ${why}`, EXIT.usage);
  if (o.phiConvictThreshold !== undefined && !(o.phiConvictThreshold >= 5 && o.phiConvictThreshold <= 16)) throw new FlexbenchError(`cassandra-cluster: phi_convict_threshold ${o.phiConvictThreshold}: give 5 to 16`, EXIT.usage);
  if (!/^\d+[mg]$/.test(heap)) throw new FlexbenchError(`cassandra-cluster: heap "${heap}" is not like 512m or 1g`, EXIT.usage);
  const timeoutMs = o.timeoutMs ?? Number(process.env.FLEXBENCH_CASSANDRA_START_TIMEOUT_MS ?? 300_000);
  const net = await createRingNet(count);
  const tokens = ringTokens(count);
  const seeds = net.nodes.map((n) => `${n.address}:${STORAGE_PORT}`);
  const nodes: (NodeRecord | null)[] = net.nodes.map(() => null);
  const killed = new Set<number>();
  const nodeDir = (k: number) => path.join(net.dir, `node${k}`);
  // a node's files stay in its directory: started again after a kill, it is the same node
  const startOne = (k: number) => {
    const n = net.nodes[k - 1]!;
    return startNode({
      port: NATIVE_PORT, storagePort: STORAGE_PORT, heap, timeoutMs, nodeDir: nodeDir(k),
      ring: { netns: n.netns, host: n.address, seeds, token: tokens[k - 1]!, label: LABEL, key: n.netns, phiConvictThreshold: o.phiConvictThreshold },
    });
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // SIGKILL each (the files go with the ring), then the network and the directory
    for (const n of nodes) if (n) await stopNode(n).catch(() => undefined);
    await net.destroy();
  };
  const live = () => nodes.filter((n, i): n is NodeRecord => n !== null && !killed.has(i + 1));
  const waitWhole = async (ms: number, what: string) => {
    const end = Date.now() + ms;
    let why: string | null = 'not asked yet';
    while (Date.now() < end) {
      why = await ringProblemNow(live(), count);
      if (why === null) return;
      await sleep(250);
    }
    throw new FlexbenchError(`Cassandra ring ${what}: not whole within ${Math.round(ms / 1000)} s (${why})`, EXIT.environment);
  };
  const t0 = performance.now();
  try {
    // all at once: with their own tokens and no bootstrap the nodes need not wait for each other
    const started = await Promise.allSettled(net.nodes.map((n) => startOne(n.index)));
    started.forEach((r, i) => { if (r.status === 'fulfilled') nodes[i] = r.value; });
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const c = new cassandra.Client({ contactPoints: [`${nodes[0]!.host}:${nodes[0]!.port}`], localDataCenter: 'datacenter1', socketOptions: { readTimeout: 30_000 } });
    try {
      await c.connect();
      await c.execute(`CREATE KEYSPACE IF NOT EXISTS ${PROBE_KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': ${count}}`);
      await c.execute(`CREATE TABLE IF NOT EXISTS ${PROBE_KS}.probe (k int PRIMARY KEY, v int)`);
    } finally {
      await c.shutdown().catch(() => undefined);
    }
    await waitWhole(timeoutMs, `on ${net.nodes.map((n) => n.address).join(', ')}`);
  } catch (err) {
    await stop();
    throw err;
  }
  const ringStartSeconds = (performance.now() - t0) / 1000;
  let healSeconds: number | null = null;
  const ring: RunningRing = {
    url: `cassandra://${net.nodes.map((n) => `${n.address}:${NATIVE_PORT}`).join(',')}?consistency=${consistency}&replication=${replication}`,
    get pid() { return nodes[0]!.pid; },
    port: NATIVE_PORT,
    dataDir: net.dir,
    version: nodes[0]!.version,
    net,
    get nodes() { return nodes.filter((n): n is NodeRecord => n !== null); },
    replication,
    consistency,
    ringStartSeconds,
    get healSeconds() { return healSeconds; },
    async resolve(name) {
      const k = Number(/^node([1-9]\d*)$/.exec(name)?.[1]);
      if (!(k >= 1 && k <= count)) throw new FlexbenchError(`cassandra-cluster: no node "${name}" (name nodeK, K from 1 to ${count})`, EXIT.usage);
      return { host: net.nodes[k - 1]!.address, port: NATIVE_PORT, role: 'node', slot: 0 };
    },
    async kill(port, host) {
      const k = net.nodes.find((n) => n.address === host)?.index ?? 0;
      const n = nodes[k - 1];
      if (!n || killed.has(k) || port !== NATIVE_PORT) throw new FlexbenchError(`cassandra-cluster: no live node at ${host}:${port}`, EXIT.usage);
      killed.add(k);
      const at = Date.now();
      await killNode(n);
      return { pid: n.pid, at };
    },
    async heal(ms = timeoutMs) {
      if (killed.size === 0) return;
      const t = performance.now();
      for (const k of [...killed]) {
        if (pidAlive(nodes[k - 1]!.pid)) await killNode(nodes[k - 1]!);
        nodes[k - 1] = await startOne(k);
        killed.delete(k);
      }
      await waitWhole(ms, 'after a node came back');
      healSeconds = (performance.now() - t) / 1000;
    },
    stop,
  };
  return ring;
}

/** The harness's `cassandra-cluster` store: 3 nodes, RF 3, QUORUM, 512m heaps unless told otherwise (`extra`). */
export const server: StoreServer = {
  label: LABEL,
  async start(opts: StartOptions = {}) {
    if (opts.detached || opts.port !== undefined || opts.dataDir !== undefined) {
      throw new FlexbenchError('cassandra-cluster is started by `flexbench run` (stores: [cassandra-cluster]) and dies with it; `flexbench store start` starts one cassandra node (a ring you run yourself: give its cassandra://host,host,host URL)', EXIT.usage);
    }
    return startCassandraRing((opts.extra ?? {}) as RingOptions);
  },
  reset: (url, options) => single.reset(url, options),
  async stopOrphans() {
    // the nodes die with their owner (parent-death signal); their records and the ring's network stay
    const out: string[] = [];
    for (const n of orphans<NodeRecord & ServerRecord>(LABEL)) {
      await stopNode(n).catch(() => undefined);
      out.push(`cassandra ring node ${n.url} (pid ${n.pid}, left by pid ${n.ownerPid})`);
    }
    out.push(...(await sweepOrphanRings()));
    return out;
  },
};
