// The Cassandra store server: a real Apache Cassandra 5.0 node (fetched once from Maven Central),
// single node on 127.0.0.1. `flexbench store start cassandra`, the tests and the harness all start it here.
import cassandra from 'cassandra-driver';
import { FlexbenchError, EXIT } from '../../common/errors.js';
import type { RunningStore, StartOptions, StoreServer } from './server.js';
import { killNode, recordedNodes, startNode, stopNode, type NodeRecord } from './cassandra/node.js';
import { pidAlive as alive } from '../../common/processes.js';
import { orphans, type ServerRecord } from './records.js';
import { parseCassandraUrl } from '../drivers/cassandra/url.js';
import { KEYSPACE_PREFIX } from '../drivers/cassandra/names.js';
import { connectProblem } from '../drivers/cassandra/connect-errors.js';

export interface RunningCassandra extends RunningStore {
  readonly node: NodeRecord;
  /** a crash: SIGKILL, files kept (tests of recovery) */
  kill(): Promise<void>;
  /** start the same node again on the same ports and files after kill() */
  restart(): Promise<void>;
}

function wrap(first: NodeRecord, opts: StartOptions): RunningCassandra {
  let node = first;
  const handle: RunningCassandra = {
    get url() { return node.url; },
    get pid() { return node.pid; },
    get port() { return node.port; },
    get dataDir() { return node.nodeDir; },
    get version() { return node.version; },
    get node() { return node; },
    async stop() {
      await stopNode(node);
    },
    async kill() {
      await killNode(node);
    },
    async restart() {
      if (alive(node.pid)) throw new FlexbenchError(`Cassandra ${node.url} is still running (pid ${node.pid}): kill() it first`, EXIT.usage);
      node = await startNode({ port: node.port, storagePort: node.storagePort, nodeDir: node.nodeDir, detached: opts.detached });
    },
  };
  return handle;
}

/** Drop every keyspace the driver made (`fb_…`): an empty store between trials, without a restart. */
async function dropProjectKeyspaces(url: string, options: Record<string, unknown> = {}): Promise<string[]> {
  const u = parseCassandraUrl(url);
  const client = new cassandra.Client({
    contactPoints: u.contactPoints, localDataCenter: u.localDataCenter,
    // a locked server (PasswordAuthenticator): the same credentials the NF gets
    ...(typeof options.password === 'string' ? { authProvider: new cassandra.auth.PlainTextAuthProvider(typeof options.username === 'string' ? options.username : 'flexbench', options.password) } : {}),
    socketOptions: { connectTimeout: 5000, readTimeout: 60_000 },
  });
  try {
    await client.connect();
  } catch (err) {
    throw new FlexbenchError(`cannot reach Cassandra at ${url}: ${connectProblem(err)}`, EXIT.environment, { cause: err });
  }
  try {
    const rs = await client.execute('SELECT keyspace_name FROM system_schema.keyspaces');
    const ours = rs.rows.map((r) => String(r.get('keyspace_name'))).filter((k) => k.startsWith(KEYSPACE_PREFIX));
    for (const ks of ours) await client.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
    return ours;
  } finally {
    await client.shutdown();
  }
}

interface CassandraServer extends StoreServer {
  start(opts?: StartOptions): Promise<RunningCassandra>;
  /** stop every node recorded on this machine (`flexbench store stop cassandra` from another process) */
  stopRecorded(): Promise<string[]>;
}

export const server: CassandraServer = {
  label: 'cassandra',
  async start(opts: StartOptions = {}) {
    const extra = opts.extra ?? {};
    if (extra.heap !== undefined && !/^\d+[mg]$/.test(String(extra.heap))) {
      throw new FlexbenchError(`cassandra: heap "${String(extra.heap)}" is not like 512m or 1g`, EXIT.usage);
    }
    const node = await startNode({ port: opts.port, dataDir: opts.dataDir, heap: extra.heap as string | undefined, detached: opts.detached });
    return wrap(node, opts);
  },
  async reset(url: string, options?: Record<string, unknown>) {
    await dropProjectKeyspaces(url, options);
  },
  async stopDetached(rec) {
    // Our own record knows the node directory and storage port; fall back to what the CLI recorded.
    const mine = recordedNodes().find((n) => n.port === rec.port && n.pid === rec.pid);
    await stopNode(mine ?? { url: rec.url, pid: rec.pid, host: '127.0.0.1', port: rec.port, storagePort: 0, nodeDir: rec.dataDir, version: '', startSeconds: 0, fetchSeconds: 0 });
  },
  async stopRecorded() {
    const nodes = recordedNodes();
    for (const n of nodes) await stopNode(n);
    return nodes.map((n) => n.url);
  },
  async stopOrphans() {
    const nodes = orphans<NodeRecord & ServerRecord>('cassandra');
    for (const n of nodes) await stopNode(n);
    return nodes.map((n) => `cassandra ${n.url} (pid ${n.pid}, left by pid ${n.ownerPid})`);
  },
};
