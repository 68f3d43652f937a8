// A real redis-server (Debian's package) on 127.0.0.1: no persistence unless asked, its own temp
// dir, its own process group (so stop() kills everything it started), recorded from its spawn and,
// unless detached, dying with this process (parent-death signal, exit hook).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis, Cluster } from 'ioredis';
import { FlexbenchError, EXIT } from '../../common/errors.js';
import type { Duplex } from 'node:stream';
import type { RunningStore, StartOptions, StoreServer } from './server.js';
import type { StoreHost } from './host.js';
import { freePort, freePortWithBus, portFree } from './ports.js';
import { dieWithParent, holdsScratch, ownUntilExit, releaseScratch, scratchUntilExit, scratchWriterGone, signalGroup, sleep, terminatePid, waitGone } from '../../common/processes.js';
import { orphans, removeRecord, writeRecord, type ServerRecord } from './records.js';

interface RedisStartExtra {
  /** appendonly with fsync on every write: survives SIGKILL (crash tests) */
  persist?: boolean;
  /** start as a Redis Cluster node */
  cluster?: boolean;
  /** a cluster node's cluster-node-timeout (ms): how long a master may be unreachable before its replica is promoted */
  nodeTimeoutMs?: number;
  /** the directory to remove with it if its owner dies first (a cluster's root); default: its own temp dir */
  scratch?: string;
}

export interface RunningRedis extends RunningStore {
  /** SIGKILL the server (crash tests); stop() still cleans up */
  kill(): Promise<void>;
}

/** The path of one of Redis's programs (redis-server, redis-cli: Debian's redis-server package brings both). */
export function redisBinary(bin: 'redis-server' | 'redis-cli'): string {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  if (!p) throw new FlexbenchError(`${bin} not found: install Debian's redis-server package (apt-get install redis-server), see scripts/setup.sh`, EXIT.environment);
  return p;
}

/** RESP encoding of one command (an array of bulk strings). */
function resp(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/**
 * Send commands on a connected stream and read one status/error reply per command ("+PONG", "+OK",
 * "-NOAUTH …"); the stream is destroyed afterwards. Enough for a server's lifecycle (PING, AUTH,
 * FLUSHALL), which is all the harness may ask of a store, here and on a lab node alike.
 */
export function redisCommands(s: Duplex, commands: readonly (readonly string[])[], timeoutMs = 2000): Promise<string[]> {
  return new Promise((resolve) => {
    let buf = '';
    const replies: string[] = [];
    const done = () => { clearTimeout(t); s.destroy(); resolve(replies); };
    const t = setTimeout(done, timeoutMs);
    s.once('error', done);
    s.once('close', done);
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        replies.push(buf.slice(0, nl));
        buf = buf.slice(nl + 2);
      }
      if (replies.length >= commands.length) done();
    });
    s.write(commands.map(resp).join(''));
  });
}

/** PING (after AUTH with a password) on a stream: "+PONG" when the server is up and lets us in. */
async function pingOn(connect: () => Promise<Duplex>, password?: string): Promise<string> {
  let s: Duplex;
  try { s = await connect(); } catch (e) { return `-${(e as Error).message}`; }
  const replies = await redisCommands(s, [...(password ? [['AUTH', password]] : []), ['PING']], 1000);
  return replies.find((r) => r.startsWith('-')) ?? replies[replies.length - 1] ?? '-no answer';
}

function tcp(port: number, host = '127.0.0.1'): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** PING over a raw socket until PONG. */
async function ping(port: number): Promise<boolean> {
  return (await pingOn(() => tcp(port))).startsWith('+PONG');
}

/** redis-server's arguments, the same for a server here and one on a lab node: no persistence unless asked, protected mode on. */
function redisServerArgs(o: { port: number; bind: string; dir: string; logfile?: string; persist?: boolean; cluster?: boolean; nodeTimeoutMs?: number; protectedMode?: boolean }): string[] {
  const args = ['--port', String(o.port), '--bind', o.bind, '--dir', o.dir];
  if (o.logfile) args.push('--logfile', o.logfile);
  args.push('--daemonize', 'no', '--save', '', '--appendonly', o.persist ? 'yes' : 'no', '--protected-mode', o.protectedMode === false ? 'no' : 'yes');
  if (o.persist) args.push('--appendfsync', 'always');
  // a replica's first sync starts at once (Redis 7 waits 5 s for more replicas to share a diskless transfer)
  if (o.cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(o.nodeTimeoutMs ?? 2000), '--repl-diskless-sync-delay', '0');
  return args;
}

/** Stop a server by pid (its process group), e.g. one started detached by another process. */
export async function stopPid(pid: number): Promise<void> {
  await terminatePid(pid, { graceMs: 3000, killWaitMs: 2000 });
}

export async function startRedis(opts: StartOptions = {}): Promise<RunningRedis> {
  const bin = redisBinary('redis-server');
  const extra = (opts.extra ?? {}) as RedisStartExtra;
  const port = opts.port ?? (extra.cluster ? await freePortWithBus() : await freePort());
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new FlexbenchError(`redis: bad port ${port}`, EXIT.usage);
  if (opts.port !== undefined && !(await portFree(port))) throw new FlexbenchError(`redis: port ${port} on 127.0.0.1 is already in use`, EXIT.environment);
  const ownDir = !opts.dataDir;
  const dir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'flexbench-redis-'));
  mkdirSync(dir, { recursive: true });
  const log = path.join(dir, 'redis.log');
  const args = redisServerArgs({ port, bind: '127.0.0.1', dir, logfile: log, persist: extra.persist, cluster: extra.cluster, nodeTimeoutMs: extra.nodeTimeoutMs });
  // its own process group always; detached survives us, attached dies with us from this instant
  const argv = opts.detached ? [bin, ...args] : dieWithParent([bin, ...args]);
  const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: 'ignore' });
  const pid = child.pid!;
  // a restart on files this process made (a crash test) keeps them its scratch: its record says so too
  const scratch = opts.detached ? undefined : extra.scratch ?? (ownDir || holdsScratch(dir) ? dir : undefined);
  const release = opts.detached ? () => undefined : ownUntilExit(pid);
  if (scratch) scratchUntilExit(scratch, pid);
  /** it is gone: its own temp dir goes with it, a dir it shares (a cluster's) stays held for its owner */
  const filesDone = () => {
    if (ownDir) {
      rmSync(dir, { recursive: true, force: true });
      releaseScratch(dir);
    } else if (scratch) scratchWriterGone(scratch, pid);
  };
  const rec: ServerRecord = { label: 'redis', url: `redis://127.0.0.1:${port}`, pid, port, dataDir: dir, ownerPid: process.pid, detached: !!opts.detached, state: 'starting', ...(scratch ? { scratch } : {}) };
  writeRecord(rec);
  let exited = false;
  const reaped = new Promise<void>((r) => child.once('exit', () => { exited = true; r(); }));
  const url = `redis://127.0.0.1:${port}`;
  const end = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (exited || Date.now() > end) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-5).join('\n') : '';
      await stopPid(pid);
      release();
      removeRecord('redis', port);
      filesDone();
      throw new FlexbenchError(`redis-server on ${url} did not come up${exited ? ' (exited)' : ''}\n${tail}`, EXIT.environment);
    }
    await sleep(25);
  }
  writeRecord({ ...rec, state: 'ready' });
  let stopped = false;
  const s: RunningRedis = {
    url, pid, port, dataDir: dir,
    async kill() {
      release();
      if (scratch) scratchWriterGone(scratch, pid); // a crash: its files stay (for a restart), held until stop or exit
      signalGroup(pid, 'SIGKILL');
      await waitGone(pid, 2000);
      await Promise.race([reaped, sleep(2000)]);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopPid(pid);
      removeRecord('redis', port);
      // our own child: wait until it is reaped, so its pid is really gone when stop() returns
      if (!opts.detached) await Promise.race([reaped, sleep(2000)]);
      filesDone();
    },
  };
  if (opts.detached) child.unref();
  return s;
}

/** Empty every database at `url` (single node or cluster). */
export async function resetRedis(url: string): Promise<void> {
  const m = /^(redis|redis\+cluster):\/\/(.+?)\/?$/.exec(url);
  if (!m) throw new FlexbenchError(`redis reset: not a redis URL: ${url}`, EXIT.usage);
  const nodes = m[2]!.split(',').map((hp) => ({ host: hp.slice(0, hp.lastIndexOf(':')), port: Number(hp.slice(hp.lastIndexOf(':') + 1)) }));
  const opts = { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null };
  if (m[1] === 'redis') {
    const r = new Redis({ ...nodes[0]!, ...opts });
    try { await r.connect(); await r.flushall(); } catch (err) {
      throw new FlexbenchError(`redis reset ${url}: ${(err as Error).message}`, EXIT.environment);
    } finally { r.disconnect(); }
  } else {
    const c = new Cluster(nodes, { lazyConnect: true, redisOptions: opts });
    try {
      await c.connect();
      await Promise.all(c.nodes('master').map((n) => n.flushall()));
    } catch (err) {
      throw new FlexbenchError(`redis reset ${url}: ${(err as Error).message}`, EXIT.environment);
    } finally { c.disconnect(); }
  }
}

/** A redis-server on another machine (a lab node), started and driven over a StoreHost. */
interface RedisOnHostOptions {
  /** redis-server on that machine */
  binary: string;
  /** the one address it listens on (a node's loopback, or its store-network address) */
  bind: string;
  port: number;
  /** its working directory there (made private: it holds the password file) */
  dir: string;
  /** requirepass; written to a config file readable only by its owner, never put on a command line */
  password?: string;
  signal?: AbortSignal;
  startTimeoutMs?: number;
}

interface RemoteRedis {
  url: string;
  /** empty it (FLUSHALL) */
  reset(): Promise<void>;
  /** stop it (its process group); idempotent */
  stop(): Promise<void>;
}

const REMOTE_KILL_GRACE_MS = 5000;

/** AUTH + FLUSHALL on a server a host reaches at host:port (one flexbench started, or one an inventory names). */
export async function resetRedisOn(h: StoreHost, host: string, port: number, password?: string): Promise<void> {
  const s = await h.connectTcp(host, port);
  const replies = await redisCommands(s, [...(password ? [['AUTH', password]] : []), ['FLUSHALL']], 10_000);
  const bad = replies.find((r) => r.startsWith('-')) ?? (replies.length === 0 ? 'no answer' : null);
  if (bad) throw new FlexbenchError(`redis on ${h.name} at ${host}:${port}: FLUSHALL failed: ${bad.replace(/^-/, '')}`, EXIT.environment);
}

export async function startRedisOnHost(h: StoreHost, o: RedisOnHostOptions): Promise<RemoteRedis> {
  await h.exec(['mkdir', '-p', o.dir]);
  await h.exec(['chmod', '700', o.dir]);
  const argv = [o.binary];
  if (o.password !== undefined) {
    if (/["\\\s]/.test(o.password)) throw new FlexbenchError('redis password: use letters, digits and punctuation without quotes, backslashes or spaces', EXIT.usage);
    const conf = `${o.dir}/redis.conf`;
    await h.writeFile(conf, `requirepass "${o.password}"\n`);
    await h.exec(['chmod', '600', conf]);
    argv.push(conf);
  }
  // protected mode refuses every address but loopback to a server without a password
  const protectedMode = o.password !== undefined || o.bind === '127.0.0.1';
  argv.push(...redisServerArgs({ port: o.port, bind: o.bind, dir: o.dir, protectedMode }));
  const proc = h.spawn(argv, { signal: o.signal, buffer: true });
  const where = `${o.bind}:${o.port}`;
  const deadline = Date.now() + (o.startTimeoutMs ?? 15_000);
  let last = '';
  for (;;) {
    last = await pingOn(() => h.connectTcp(o.bind, o.port), o.password);
    if (last.startsWith('+PONG')) break;
    const early = await Promise.race([proc.done, sleep(200).then(() => null)]);
    if (early) throw new FlexbenchError(`redis-server on ${h.name} exited at start: ${(early.stderr || early.stdout).trim().split('\n').slice(-3).join(' | ')}`, EXIT.environment);
    if (o.signal?.aborted || Date.now() > deadline) {
      await proc.kill(REMOTE_KILL_GRACE_MS);
      throw new FlexbenchError(`redis-server on ${h.name} did not answer PING on ${where} within ${Math.round((o.startTimeoutMs ?? 15_000) / 1000)} s (${last.replace(/^-/, '')})`, EXIT.environment);
    }
  }
  let stopped = false;
  return {
    url: `redis://${where}`,
    reset: () => resetRedisOn(h, o.bind, o.port, o.password),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await proc.kill(REMOTE_KILL_GRACE_MS);
    },
  };
}

export const server: StoreServer = {
  label: 'redis',
  start: startRedis,
  reset: resetRedis,
  async stopOrphans() {
    const left = orphans('redis');
    for (const r of left) {
      await stopPid(r.pid);
      removeRecord('redis', r.port);
      if (r.dataDir.startsWith(path.join(os.tmpdir(), 'flexbench-redis-'))) rmSync(r.dataDir, { recursive: true, force: true });
      if (r.scratch) rmSync(r.scratch, { recursive: true, force: true }); // a cluster's root
    }
    return left.map((r) => `redis ${r.url} (pid ${r.pid}, left by pid ${r.ownerPid})`);
  },
};
