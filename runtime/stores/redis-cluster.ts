// A Redis Cluster on loopback: `masters` real redis-server processes holding the 16384 slots in equal
// ranges, each with `replicas` replicas, made by `redis-cli --cluster create`. Its nodes are named for
// what they serve, not for their process: `master1` is whichever node serves slot range 1 now (after a
// failover, the promoted replica), `replica1` a replica of it. A node can be SIGKILLed mid-run (a master
// failure: a replica is promoted after cluster-node-timeout) and is started again on its port and data
// directory before the next trial, where it rejoins as a replica.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { FlexbenchError, EXIT } from '../../common/errors.js';
import { releaseScratch, scratchUntilExit, sleep } from '../../common/processes.js';
import { redisBinary, startRedis, resetRedis, type RunningRedis } from './redis.js';
import type { ClusteredStore, StoreServer, StartOptions } from './server.js';

export interface ClusterOptions {
  /** masters, each serving an equal range of the slots (3: the smallest cluster Redis accepts) */
  masters?: number;
  /** replicas of each master */
  replicas?: number;
  /** cluster-node-timeout: how long a master is unreachable before it is failed and a replica promoted */
  nodeTimeoutMs?: number;
}

/** One node as the cluster sees it now. */
export interface ClusterNodeState {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** a replica's master (its id) */
  masterId: string | null;
  /** fail or pfail flags set, or not connected */
  failed: boolean;
  /** slot ranges a master serves */
  slots: [number, number][];
}

export interface RunningCluster extends ClusteredStore {
  /** the processes, in creation order (the first `masters` were created masters) */
  nodes: RunningRedis[];
  /** the slot range of `masterK` (K from 1), fixed at creation */
  range(k: number): [number, number];
  /** the cluster's view now (CLUSTER NODES from a live node) */
  topology(): Promise<ClusterNodeState[]>;
  /**
   * A node by name: `masterK` (serves range K now), `replicaK` (a live replica of masterK), or
   * `master-of-INSTANCE` (the master serving NF `nf`'s instance's core-0 partition); with the slot whose
   * master it is (a replica's: its master's)
   */
  resolve(name: string, nf?: string): Promise<{ port: number; role: 'master' | 'replica'; slot: number }>;
  /**
   * wait until a live node other than `deadPort` serves `slot` as a master every live node agrees on; epoch ms
   * seen, or null after `timeoutMs` (default: 4 node timeouts + 10 s, as the failure is noticed after the node
   * timeout, then a replica waits 0.5-1 s and asks for votes)
   */
  waitPromoted(slot: number, deadPort: number, timeoutMs?: number, pollMs?: number): Promise<{ at: number; port: number } | null>;
  /** start killed nodes again (they rejoin as replicas) and wait until every master has its replicas in sync */
  heal(timeoutMs?: number): Promise<void>;
}

/** CLUSTER NODES' text -> nodes (pure; pinned by a test). */
export function parseClusterNodes(text: string): ClusterNodeState[] {
  const out: ClusterNodeState[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(' ');
    if (f.length < 8) continue;
    const port = Number(f[1]!.split('@')[0]!.split(':').pop());
    const flags = f[2]!.split(',');
    const slots: [number, number][] = [];
    for (const s of f.slice(8)) {
      if (s.startsWith('[')) continue; // a slot being migrated
      const [a, b] = s.split('-').map(Number);
      slots.push([a!, b ?? a!]);
    }
    out.push({
      id: f[0]!,
      port,
      role: flags.includes('master') ? 'master' : 'replica',
      masterId: f[3] === '-' ? null : f[3]!,
      failed: flags.includes('fail') || flags.includes('fail?') || f[7] !== 'connected',
      slots,
    });
  }
  return out;
}

/** The master serving `slot` in a view, or null. */
export function masterOfSlot(nodes: readonly ClusterNodeState[], slot: number): ClusterNodeState | null {
  return nodes.find((n) => n.role === 'master' && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b)) ?? null;
}

/** CRC16 (XMODEM) of a key's hash tag, modulo 16384: the key's slot (Redis Cluster's spec). */
export function keySlot(key: string): number {
  let k = key;
  const o = key.indexOf('{');
  if (o >= 0) {
    const c = key.indexOf('}', o + 1);
    if (c > o + 1) k = key.slice(o + 1, c);
  }
  let crc = 0;
  for (const byte of Buffer.from(k)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** One command's reply as text from the node on `port` (CLUSTER NODES, CLUSTER INFO, INFO …), null when it does not answer. */
async function nodeReply(port: number, ...command: [string, ...string[]]): Promise<string | null> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: 500, commandTimeout: 1000 });
  r.on('error', () => {});
  try {
    await r.connect();
    return String(await r.call(...command));
  } catch {
    return null;
  } finally {
    r.disconnect();
  }
}

export async function startRedisCluster(opts: ClusterOptions = {}): Promise<RunningCluster> {
  const masters = opts.masters ?? 3;
  const replicas = opts.replicas ?? 0;
  const nodeTimeoutMs = opts.nodeTimeoutMs ?? 2000;
  if (!Number.isInteger(masters) || masters < 3) throw new FlexbenchError(`redis cluster: ${masters} masters; Redis Cluster needs at least 3`, EXIT.usage);
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 4) throw new FlexbenchError(`redis cluster: ${replicas} replicas per master; give 0 to 4`, EXIT.usage);
  const nodes: RunningRedis[] = [];
  const killed = new Set<number>();
  // every node's directory under one: a killed node comes back with its nodes.conf (and rejoins), stop() removes them all
  const root = mkdtempSync(path.join(os.tmpdir(), 'flexbench-redis-cluster-'));
  scratchUntilExit(root, 0); // held from now: a forced exit while the nodes start removes it too
  const dirOf = (i: number) => path.join(root, `node${i + 1}`);
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(root, { recursive: true, force: true });
    releaseScratch(root);
  };
  const ranges: [number, number][] = [];
  for (let k = 0; k < masters; k++) ranges.push([Math.round((k * 16384) / masters), Math.round(((k + 1) * 16384) / masters) - 1]);
  const live = () => nodes.filter((n) => !killed.has(n.port));
  const topology = async (): Promise<ClusterNodeState[]> => {
    for (const n of live()) {
      const t = await nodeReply(n.port, 'CLUSTER', 'NODES');
      if (t !== null) return parseClusterNodes(t);
    }
    throw new FlexbenchError('redis cluster: no live node answers CLUSTER NODES', EXIT.environment);
  };
  // healthy: every live node says cluster_state:ok, every master serves its range with `replicas` connected replicas in sync
  const healthy = async (): Promise<string | null> => {
    for (const n of live()) {
      const info = await nodeReply(n.port, 'CLUSTER', 'INFO');
      if (!info || !/cluster_state:ok/.test(info)) return `node ${n.port}: cluster state not ok`;
    }
    const t = await topology();
    for (const m of t.filter((x) => x.role === 'master' && x.slots.length > 0)) {
      const rs = t.filter((x) => x.masterId === m.id && !x.failed);
      if (rs.length < replicas) return `master ${m.port}: ${rs.length} of ${replicas} replicas connected`;
      for (const r of rs) {
        const info = await nodeReply(r.port, 'INFO', 'replication');
        if (!info || !/master_link_status:up/.test(info)) return `replica ${r.port}: not in sync with its master`;
      }
    }
    return null;
  };
  const waitHealthy = async (timeoutMs: number, what: string) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const why = await healthy().catch((e: Error) => e.message);
      if (why === null) return;
      if (Date.now() > end) throw new FlexbenchError(`Redis Cluster ${what}: not healthy within ${Math.round(timeoutMs / 1000)} s (${why})`, EXIT.environment);
      await sleep(100);
    }
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      mkdirSync(dirOf(i));
      nodes.push(await startRedis({ dataDir: dirOf(i), extra: { cluster: true, nodeTimeoutMs, scratch: root } }));
    }
    const addrs = nodes.map((n) => `127.0.0.1:${n.port}`);
    // redis-cli makes the first `masters` addresses masters, in order, and assigns the rest as replicas
    const r = spawnSync(redisBinary('redis-cli'), ['--cluster', 'create', ...addrs, '--cluster-replicas', String(replicas), '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new FlexbenchError(`redis-cli --cluster create failed: ${r.stderr || r.stdout}`, EXIT.environment);
    await waitHealthy(30_000, `on ${addrs.join(',')}`);
  } catch (err) {
    await stop();
    throw err;
  }
  const c: RunningCluster = {
    // every node: a client finds the cluster through whichever answers (a killed master is one of them)
    url: `redis+cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`,
    pid: nodes[0]!.pid,
    port: nodes[0]!.port,
    dataDir: root,
    nodes,
    range: (k) => {
      const r = ranges[k - 1];
      if (!r) throw new FlexbenchError(`redis cluster: no master${k} (the cluster has ${masters} masters)`, EXIT.usage);
      return r;
    },
    topology,
    async resolve(name, nf) {
      const of = /^master-of-(.+)$/.exec(name)?.[1];
      const m = /^(master|replica)([1-9]\d*)$/.exec(name);
      if (!m && (of === undefined || nf === undefined)) throw new FlexbenchError(`redis cluster: no node "${name}" (name masterK or replicaK, K from 1 to ${masters}, or master-of-INSTANCE with the NF)`, EXIT.usage);
      // the driver's key layout (docs/runtime.md): a partition nf@instance@core is one hash tag, one slot
      const slot = of !== undefined ? keySlot(`{${nf}@${of}@0}`) : c.range(Number(m![2]))[0];
      const t = await topology();
      const master = masterOfSlot(t, slot);
      if (!master) throw new FlexbenchError(`redis cluster: no live master serves slot ${slot} (${name})`, EXIT.environment);
      if (m?.[1] !== 'replica') return { port: master.port, role: 'master', slot };
      const rep = t.find((x) => x.masterId === master.id && !x.failed);
      if (!rep) throw new FlexbenchError(`redis cluster: ${name}: master${m[2]} has no live replica`, EXIT.environment);
      return { port: rep.port, role: 'replica', slot };
    },
    async kill(port) {
      const n = nodes.find((x) => x.port === port);
      if (!n) throw new FlexbenchError(`redis cluster: no node on port ${port}`, EXIT.usage);
      killed.add(port);
      const at = Date.now();
      await n.kill();
      return { pid: n.pid, at };
    },
    async waitPromoted(slot, deadPort, timeoutMs = nodeTimeoutMs * 4 + 10_000, pollMs = 10) {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        const t = await topology().catch(() => null);
        const m = t ? masterOfSlot(t, slot) : null;
        if (m && m.port !== deadPort) return { at: Date.now(), port: m.port };
        await sleep(pollMs);
      }
      return null;
    },
    async heal(timeoutMs = 30_000) {
      for (const port of [...killed]) {
        const i = nodes.findIndex((x) => x.port === port);
        const old = nodes[i]!;
        await old.stop(); // its record (the process is gone); the directory is ours, so its nodes.conf stays
        nodes[i] = await startRedis({ port, dataDir: old.dataDir, extra: { cluster: true, nodeTimeoutMs, scratch: root } });
        killed.delete(port);
      }
      await waitHealthy(timeoutMs, 'after a node came back');
    },
    stop,
  };
  return c;
}

/** The harness's `redis-cluster` store: 3 masters with one replica each and a 1 s node timeout unless told otherwise (`extra`). */
export const server: StoreServer = {
  label: 'redis-cluster',
  async start(opts: StartOptions = {}) {
    // six processes on ports of their own, owned by the run that starts them: no fixed port, no detached cluster
    if (opts.detached || opts.port !== undefined || opts.dataDir !== undefined) {
      throw new FlexbenchError('redis-cluster is started by `flexbench run` (stores: [redis-cluster]) and dies with it; `flexbench store start` starts redis or cassandra (a cluster you run yourself: give its redis+cluster:// URL)', EXIT.usage);
    }
    const e = (opts.extra ?? {}) as ClusterOptions;
    return startRedisCluster({ masters: e.masters ?? 3, replicas: e.replicas ?? 1, nodeTimeoutMs: e.nodeTimeoutMs ?? 1000 });
  },
  reset: (url) => resetRedis(url),
  // its nodes are recorded as redis servers: redis's stopOrphans ends what a dead flexbench left
};
