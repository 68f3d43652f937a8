// One Cassandra node as a child process: start (and wait until CQL answers), stop, kill (a crash, data kept).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import cassandra from 'cassandra-driver';
import { FlexbenchError, EXIT } from '../../../common/errors.js';
import { ensureCassandra } from './fetch.js';
import { cassandraYaml, dirsOf, javaArgs, logbackXml, type NodeLayout } from './config.js';
import { dieWithParent, ownUntilExit, pidAlive as alive, releaseScratch, scratchUntilExit, scratchWriterGone, signalGroup, terminatePid } from '../../../common/processes.js';
import { readRecords, removeRecord, writeRecord, type ServerRecord } from '../records.js';

interface NodeOptions {
  /** CQL (native transport) port; a free one when absent */
  port?: number;
  /** inter-node port; a free one when absent */
  storagePort?: number;
  /** a directory below which the node keeps its files (a fresh temp directory when absent) */
  dataDir?: string;
  /** reuse the files of a node that ran in `nodeDir` before (restart after a crash) */
  nodeDir?: string;
  heap?: string;
  /** how long to wait for CQL (default 180 s, FLEXBENCH_CASSANDRA_START_TIMEOUT_MS) */
  timeoutMs?: number;
  /** outlive this process (`flexbench store start`); otherwise it dies with it, even on kill -9 */
  detached?: boolean;
  /**
   * a node of a ring in a network namespace of its own (runtime/stores/cassandra-cluster.ts): it listens
   * on `host` there with the given ports, and is recorded under `label` keyed by `key` (several nodes
   * share a port number in their namespaces)
   */
  ring?: { netns: string; host: string; seeds: string[]; token: string; label: string; key: string; phiConvictThreshold?: number };
}

export interface NodeRecord {
  url: string;
  /** the record's file name when not the port (a ring's node) */
  key?: string;
  label?: string;
  pid: number;
  host: string;
  port: number;
  storagePort: number;
  /** the node's own directory; removed by stop() */
  nodeDir: string;
  version: string;
  startSeconds: number;
  fetchSeconds: number;
}

const HOST = '127.0.0.1';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, HOST, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(true));
    s.listen(port, HOST, () => s.close(() => resolve(false)));
  });
}


function tail(file: string, lines: number): string {
  if (!existsSync(file)) return `(no ${file})`;
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

function logTail(nodeDir: string, lines = 30): string {
  const logs = dirsOf(nodeDir).logs;
  return `--- ${path.join(logs, 'system.log')} (last ${lines} lines) ---\n${tail(path.join(logs, 'system.log'), lines)}\n--- ${path.join(logs, 'stdout.log')} ---\n${tail(path.join(logs, 'stdout.log'), 10)}`;
}

/** Resolves once `SELECT release_version FROM system.local` answers; rejects after `timeoutMs` or when `stillAlive()` turns false. */
async function waitForCql(contactPoint: string, timeoutMs: number, stillAlive: () => boolean = () => true): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (!stillAlive()) throw new Error('the Cassandra process exited before CQL answered');
    const client = new cassandra.Client({
      contactPoints: [contactPoint], localDataCenter: 'datacenter1',
      socketOptions: { connectTimeout: 2000, readTimeout: 5000 },
      pooling: { warmup: false },
    });
    try {
      await client.connect();
      const rs = await client.execute('SELECT release_version FROM system.local');
      return String(rs.first()?.get('release_version'));
    } catch (err) {
      last = err;
    } finally {
      await client.shutdown().catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`CQL on ${contactPoint} did not answer within ${Math.round(timeoutMs / 1000)} s (last error: ${(last as Error)?.message ?? last})`);
}

type Recorded = NodeRecord & ServerRecord;

function record(r: NodeRecord, o: { detached: boolean; state: ServerRecord['state'] }): void {
  // stopNode removes a node's files: they go too when its owner died without stopping it
  writeRecord<Recorded>({ ...r, label: r.label ?? 'cassandra', dataDir: r.nodeDir, scratch: r.nodeDir, ownerPid: process.pid, detached: o.detached, state: o.state });
}

function unrecord(r: Pick<NodeRecord, 'port' | 'key' | 'label'>): void {
  removeRecord(r.label ?? 'cassandra', r.key ?? r.port);
}

/** Every running node recorded on this machine, those still starting included. */
export function recordedNodes(): Recorded[] {
  return readRecords<Recorded>('cassandra');
}

export async function startNode(o: NodeOptions = {}): Promise<NodeRecord> {
  const art = await ensureCassandra();
  const host = o.ring?.host ?? HOST;
  const port = o.port ?? (await freePort());
  if (o.port !== undefined && (!Number.isInteger(o.port) || o.port <= 0 || o.port > 65535)) {
    throw new FlexbenchError(`Cassandra port ${o.port} is not a port number`, EXIT.usage);
  }
  // a ring's node has its namespace's ports to itself
  if (!o.ring && (await portInUse(port))) throw new FlexbenchError(`cannot start Cassandra on ${HOST}:${port}: the port is in use`, EXIT.environment);
  let storagePort = o.storagePort ?? (await freePort());
  while (storagePort === port) storagePort = await freePort();
  let nodeDir = o.nodeDir;
  if (!nodeDir) {
    const parent = o.dataDir ?? os.tmpdir();
    mkdirSync(parent, { recursive: true });
    nodeDir = mkdtempSync(path.join(parent, `flexbench-cassandra-${port}-`));
  }
  const layout: NodeLayout = { dir: nodeDir, host, nativePort: port, storagePort, ...(o.ring ? { ring: { seeds: o.ring.seeds, token: o.ring.token, phiConvictThreshold: o.ring.phiConvictThreshold } } : {}) };
  const d = dirsOf(nodeDir);
  for (const dir of Object.values(d)) mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(d.conf, 'cassandra.yaml'), cassandraYaml(layout));
  writeFileSync(path.join(d.conf, 'logback.xml'), logbackXml(layout));
  const java = spawnSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).stdout?.trim();
  if (!java) throw new FlexbenchError('`java` not found: Cassandra 5.0 needs a Java 17 runtime (apt-get install openjdk-17-jre-headless)', EXIT.environment);
  const out = openSync(path.join(d.logs, 'stdout.log'), 'a');
  const t0 = performance.now();
  const argv = [java, ...javaArgs(layout, { jars: art.jars, jamm: art.jamm, heap: o.heap ?? process.env.FLEXBENCH_CASSANDRA_HEAP ?? '1g' })];
  // its own process group always; unless detached it dies with us from this instant (parent-death
  // signal, exit hook) and is recorded before it can answer, so `store stop` and the next run find it
  const own = o.detached ? argv : dieWithParent(argv);
  // `ip netns exec` execs the command in place: the parent-death signal set inside still names us
  const full = o.ring ? ['ip', 'netns', 'exec', o.ring.netns, ...own] : own;
  const child = spawn(full[0], full.slice(1), { cwd: nodeDir, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  const release = o.detached ? () => undefined : ownUntilExit(child.pid ?? -1);
  if (!o.detached) scratchUntilExit(nodeDir, child.pid ?? -1);
  const starting: NodeRecord = { url: `cassandra://${host}:${port}`, pid: child.pid ?? -1, host, port, storagePort, nodeDir, version: '', startSeconds: 0, fetchSeconds: art.fetchSeconds, ...(o.ring ? { key: o.ring.key, label: o.ring.label } : {}) };
  if (child.pid) record(starting, { detached: !!o.detached, state: 'starting' });
  let exited = false;
  const spawnError = new Promise<never>((_, reject) => child.once('error', (err: NodeJS.ErrnoException) => {
    exited = true;
    reject(err.code === 'ENOENT'
      ? new FlexbenchError('`java` not found: Cassandra 5.0 needs a Java 17 runtime (apt-get install openjdk-17-jre-headless)', EXIT.environment)
      : err);
  }));
  spawnError.catch(() => {});
  child.once('exit', () => (exited = true));
  child.unref(); // `flexbench store start` returns while the node keeps running
  const pid = child.pid ?? -1;
  const timeoutMs = o.timeoutMs ?? Number(process.env.FLEXBENCH_CASSANDRA_START_TIMEOUT_MS ?? 180_000);
  let version: string;
  try {
    version = await Promise.race([waitForCql(`${host}:${port}`, timeoutMs, () => !exited), spawnError]);
  } catch (err) {
    if (pid > 0 && alive(pid)) signalGroup(pid, 'SIGKILL');
    release();
    unrecord(starting);
    scratchWriterGone(nodeDir, pid); // its logs stay for the message, removed at our exit
    if (err instanceof FlexbenchError) throw err;
    throw new FlexbenchError(`Cassandra ${art.version} on ${host}:${port}${o.ring ? ` (netns ${o.ring.netns})` : ''} did not become ready: ${(err as Error).message}\n${logTail(nodeDir)}`, EXIT.environment);
  }
  const r: NodeRecord = { ...starting, version, startSeconds: (performance.now() - t0) / 1000 };
  record(r, { detached: !!o.detached, state: 'ready' });
  return r;
}

/** A crash: SIGKILL, files kept, so startNode({nodeDir, port, storagePort}) brings the same node back. */
export async function killNode(r: NodeRecord): Promise<void> {
  await terminatePid(r.pid, { first: 'SIGKILL', killWaitMs: 10_000, reaped: true });
  unrecord(r);
  scratchWriterGone(r.nodeDir, r.pid); // its files stay for a restart, held until stopNode or our exit
}

/** Stops the node and removes its files: SIGKILL at once, since a graceful drain would only flush files about to be deleted. */
export async function stopNode(r: NodeRecord): Promise<void> {
  if (!(await terminatePid(r.pid, { first: 'SIGKILL', killWaitMs: 10_000, reaped: true }))) {
    throw new FlexbenchError(`Cassandra pid ${r.pid} (${r.url}) did not exit after SIGKILL`, EXIT.environment);
  }
  unrecord(r);
  rmSync(r.nodeDir, { recursive: true, force: true });
  releaseScratch(r.nodeDir);
}
