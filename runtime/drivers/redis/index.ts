// `redis://host:port` and `redis+cluster://h:p,h:p` (ioredis): native types (INCRBY, HINCRBY, HSET
// with many fields, RPUSH, SADD). Keys are the paper's `nf@ins@core@Type@id`; in a cluster the
// partition part is a hash tag, `{nf@ins@core}@Type@id`, so one partition = one slot = one node.
import { createHash } from 'node:crypto';
import { Redis, Cluster } from 'ioredis';
import type { Change, FlushBatch, FlushCost, FlushOutcome, LockHolder, Partition, Query, QueryResult, Snapshot, StoreConnection, StoreDriver, StructType } from '../driver.js';
import { STRUCT_TYPES, emptySnapshot } from '../driver.js';
import { FlexbenchError, EXIT } from '../../../common/errors.js';
import { FLUSH_LUA } from './flush.lua.js';
import { FlushSocket, type FlushReply } from './flush-socket.js';
import { ArraySink, flushKeys, glob, writeFlushArgs } from './flush-encode.js';
import { redactSecrets, MASK } from '../../../common/secrets.js';

const FLUSH_SHA = createHash('sha1').update(FLUSH_LUA).digest('hex');

interface Address { host: string; port: number }

interface Credentials { username?: string; password: string }

/**
 * Parse `redis://[[user]:password@]host:port` / `redis+cluster://[…@]h:p,h:p` into addresses and
 * credentials (percent-encoded in the URL, as usual), or throw naming the URL with its password masked.
 */
export function parseRedisUrl(url: string): { cluster: boolean; nodes: Address[]; auth?: Credentials } {
  const m = /^(redis|redis\+cluster):\/\/(?:([^/?#@]*)@)?([^/?#@]+)\/?$/.exec(url.trim());
  // a user part without ":" may be a password written in the wrong place: it is not shown either
  const shown = redactSecrets(url).replace(/^([a-z+]+:\/\/)([^/?#:]*)@/i, `$1${MASK}@`);
  const bad = (why: string) => new FlexbenchError(`store "${shown}": malformed Redis URL (${why}); expected redis://host:port, redis://:<password>@host:port or redis+cluster://host:port,host:port`, EXIT.usage);
  if (!m) throw bad(/@.*@/.test(url) ? 'more than one "@": percent-encode an "@" in the password as %40' : 'no host:port after the scheme');
  let auth: Credentials | undefined;
  if (m[2] !== undefined) {
    const colon = m[2].indexOf(':');
    if (colon < 0) throw bad('the part before "@" needs a ":" before the password (redis://:<password>@host or redis://<user>:<password>@host)');
    try {
      const username = decodeURIComponent(m[2].slice(0, colon));
      auth = { ...(username ? { username } : {}), password: decodeURIComponent(m[2].slice(colon + 1)) };
    } catch {
      throw bad('the user or password holds a "%" that is not percent-encoding');
    }
    if (!auth.password) throw bad('empty password after ":"');
  }
  const nodes = m[3]!.split(',').map((hp) => {
    const i = hp.lastIndexOf(':');
    const bracketed = hp.startsWith('[') && hp.lastIndexOf(']') > i; // [::1] without a port
    const host = (i > 0 && !bracketed ? hp.slice(0, i) : hp).replace(/^\[|\]$/g, '');
    const port = i > 0 && !bracketed ? Number(hp.slice(i + 1)) : 6379;
    if (!host || !Number.isInteger(port) || port < 1 || port > 65535) throw bad(`bad address "${hp}"`);
    return { host, port };
  });
  const cluster = m[1] === 'redis+cluster';
  if (!cluster && nodes.length > 1) throw bad('several addresses need redis+cluster://');
  return auth ? { cluster, nodes, auth } : { cluster, nodes };
}

/** What a refused login means, in words (Redis's own replies name no password). */
function authProblem(message: string, where: string, auth: Credentials | undefined): string | null {
  if (/WRONGPASS|invalid password|invalid username-password/i.test(message)) return `Redis at ${where} refused the ${auth?.username ? `user "${auth.username}" or its ` : ''}password in the URL`;
  if (/NOAUTH|Authentication required/i.test(message)) return `Redis at ${where} needs a password: give it in the URL as redis://:<password>@${where}`;
  if (/without any password configured/i.test(message)) return `Redis at ${where} has no password set, yet the URL gives one: leave it out of the URL`;
  return null;
}

/** a literal for a SCAN MATCH pattern */

// Locks (Section VI-B): a lock is one key holding its owner, taken with SET NX PX (the lease is the
// key's own expiry); renew and release check the owner atomically in a script, so nobody extends or
// frees a lock another owner took after its lease ran out.
const LOCK_RENEW_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const LOCK_RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const LOCK_HOLDER_LUA = `local v = redis.call('GET', KEYS[1]) if not v then return nil end return {v, redis.call('PTTL', KEYS[1])}`;

const num = (v: number) => (Number.isInteger(v) ? v.toFixed(0) : String(v));
const respLen = (s: string) => { const b = Buffer.byteLength(s); return 1 + String(b).length + 2 + b + 2; };

class RedisConnection implements StoreConnection {
  private cost: FlushCost = { entries: 0, bytes: 0, roundTrips: 0 };
  /** the URL as messages show it: password masked */
  readonly url: string;
  /** flushes of a single server go through their own socket (encoded without per-entry strings) */
  private readonly fs: FlushSocket | null;
  private scriptKnown = true;
  constructor(url: string, private readonly r: Redis | Cluster, private readonly cluster: boolean, fs: FlushSocket | null = null) {
    this.url = redactSecrets(url);
    this.fs = fs;
  }

  setLazyReplies(on: boolean): void {
    this.fs?.setLazy(on);
  }

  pollReplies(): void {
    this.fs?.poll();
  }

  private part(p: Partition): string {
    const s = `${p.nf}@${p.instance}@${p.core}`;
    return this.cluster ? `{${s}}` : s;
  }
  key(p: Partition, type: StructType, id: string): string {
    return `${this.part(p)}@${type}@${id}`;
  }
  private seqKey(p: Partition): string {
    return `${this.part(p)}@FlushSeq`;
  }
  /** a flush's seq key and key maker, made once per partition (the same partition flushes every period) */
  private flushP: Partition | null = null;
  private flushSeqKey = '';
  private flushKeyOf: (c: Change) => string = () => '';
  private forFlush(p: Partition): void {
    if (this.flushP === p) return;
    this.flushP = p;
    this.flushSeqKey = this.seqKey(p);
    this.flushKeyOf = (c: Change) => this.key(p, c.type, c.id);
  }
  /** a timer entry is a key of its own: `nf@ins@core@Timer@id@entry` (Redis 7.0 has no per-field TTL in a hash) */
  private timerKey(p: Partition, id: string, name: string): string {
    return `${this.key(p, 'Timer', id)}@${name}`;
  }
  /** a lock is one key, one slot: `nf@Lock@name` (`{nf@Lock@name}` in a cluster) */
  lockKey(nf: string, name: string): string {
    const k = `${nf}@Lock@${name}`;
    return this.cluster ? `{${k}}` : k;
  }
  /** every key matching a pattern, on every master of a cluster */
  private async scanAll(pattern: string): Promise<string[]> {
    const nodes = this.r instanceof Cluster ? this.r.nodes('master') : [this.r];
    const out: string[] = [];
    for (const n of nodes) {
      let cursor = '0';
      do {
        const [next, ks] = await n.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        out.push(...ks);
        cursor = next;
      } while (cursor !== '0');
    }
    return out;
  }
  /** a Timer's live entries and deadlines */
  private async timerEntries(p: Partition, id: string): Promise<[string[], number[]]> {
    const prefix = `${this.key(p, 'Timer', id)}@`;
    const ks = await this.scanAll(`${glob(prefix)}*`);
    const names: string[] = [], dues: number[] = [];
    if (ks.length === 0) return [names, dues];
    const vals = await Promise.all(ks.map((k) => this.r.get(k)));
    const now = Date.now();
    ks.forEach((k, i) => {
      const v = vals[i];
      if (v != null && Number(v) > now) { names.push(k.slice(prefix.length)); dues.push(Number(v)); }
    });
    return [names, dues];
  }
  private async timerSet(p: Partition, id: string, keys: string[], dues: number[]): Promise<void> {
    const now = Date.now();
    await Promise.all(keys.map((name, i) => {
      const ttl = Math.ceil(dues[i]! - now);
      const k = this.timerKey(p, id, name);
      return ttl > 0 ? this.r.set(k, num(dues[i]!), 'PX', ttl) : this.r.del(k);
    }));
  }
  private wrap(what: string, err: unknown): FlexbenchError {
    if (err instanceof FlexbenchError) return err;
    return new FlexbenchError(`store ${this.url}: ${what}: ${(err as Error).message}`, EXIT.environment, { cause: err });
  }

  async apply(p: Partition, c: Change): Promise<void> {
    const k = this.key(p, c.type, c.id);
    const r = this.r;
    try {
      if (c.op === 'delete' && c.type === 'Timer') {
        const ks = await this.scanAll(`${glob(k)}@*`);
        for (let i = 0; i < ks.length; i += 500) await r.del(...ks.slice(i, i + 500));
        return;
      }
      if (c.op === 'delete') { await r.del(k); return; }
      switch (c.type) {
        case 'Timer':
          if (c.op === 'set') await this.timerSet(p, c.id, c.keys, c.values);
          else await Promise.all(c.keys.map((name) => r.del(this.timerKey(p, c.id, name))));
          return;
        case 'Value': await r.set(k, c.value); return;
        case 'Counter':
          if (c.op === 'set') await r.set(k, num(c.value));
          else if (Number.isInteger(c.value)) await r.incrby(k, c.value);
          else await r.incrbyfloat(k, c.value);
          return;
        case 'List':
          if (c.op === 'setAt') await r.lset(k, c.index, c.value);
          else if ('values' in c) await r.call(c.op === 'pushBack' ? 'RPUSH' : 'LPUSH', [k, ...c.values]);
          else await r.call(c.op === 'popFront' ? 'LPOP' : 'RPOP', [k, c.count]);
          return;
        case 'Set':
          if (c.op === 'insert') await r.sadd(k, c.values);
          else await r.srem(k, c.values);
          return;
        case 'Map':
        case 'CounterMap':
          if (c.op === 'erase') await r.hdel(k, ...c.keys);
          else if (c.op === 'set') await r.hset(k, c.keys.flatMap((f, i) => [f, num(c.values[i]!)]));
          else if (c.keys.length === 1 && Number.isInteger(c.values[0])) await r.hincrby(k, c.keys[0]!, c.values[0]!);
          else {
            const pl = r.pipeline();
            c.keys.forEach((f, i) => (Number.isInteger(c.values[i]) ? pl.hincrby(k, f, c.values[i]!) : pl.hincrbyfloat(k, f, c.values[i]!)));
            await pl.exec();
          }
          return;
      }
    } catch (err) {
      throw this.wrap(`${c.op} ${k}`, err);
    }
  }

  async query(p: Partition, q: Query): Promise<QueryResult> {
    const k = this.key(p, q.type, q.id);
    const r = this.r;
    try {
      switch (q.type) {
        case 'Value': return await r.get(k);
        case 'Counter': { const v = await r.get(k); return v === null ? 0 : Number(v); }
        case 'Timer': {
          if (q.op === 'size' || q.op === 'entries') { const e = await this.timerEntries(p, q.id); return q.op === 'size' ? e[0].length : e; }
          const v = await r.get(this.timerKey(p, q.id, q.key));
          const live = v !== null && Number(v) > Date.now();
          return q.op === 'has' ? live : live ? Number(v) : null;
        }
        case 'List':
          if (q.op === 'size') return await r.llen(k);
          if (q.op === 'items') return await r.lrange(k, 0, -1);
          if (q.op === 'at') return await r.lindex(k, q.index);
          if (q.op === 'find') return (await r.lpos(k, q.value)) ?? -1;
          return q.op === 'popFront' ? await r.lpop(k) : await r.rpop(k);
        case 'Set':
          if (q.op === 'size') return await r.scard(k);
          if (q.op === 'items') return await r.smembers(k);
          return (await r.sismember(k, (q as { value: string }).value)) === 1;
        case 'Map':
        case 'CounterMap': {
          if (q.op === 'size') return await r.hlen(k);
          if (q.op === 'has') return (await r.hexists(k, q.key)) === 1;
          if (q.op === 'get') { const v = await r.hget(k, q.key); return v === null ? null : Number(v); }
          if (q.op === 'entries') { const h = await r.hgetall(k); return [Object.keys(h), Object.values(h).map(Number)]; }
          return null;
        }
      }
    } catch (err) {
      throw this.wrap(`${q.op} ${k}`, err);
    }
  }

  /** Encode a batch as KEYS + ARGV of the flush script (flush-encode.ts, shared with the flush socket). */
  encode(p: Partition, batch: FlushBatch): { keys: string[]; args: string[]; entries: number } {
    const { keys, kidx } = flushKeys(this.seqKey(p), (c) => this.key(p, c.type, c.id), batch.changes);
    const sink = new ArraySink();
    const entries = writeFlushArgs(sink, keys, kidx, batch, Date.now());
    return { keys, args: sink.args, entries };
  }

  async flush(p: Partition, batch: FlushBatch): Promise<FlushOutcome> {
    if (this.fs !== null) return this.flushOwn(this.fs, p, batch);
    const t0 = performance.now();
    const { keys, args, entries } = this.encode(p, batch);
    let body = respLen(String(keys.length)) + `*${3 + keys.length + args.length}\r\n`.length;
    for (const s of keys) body += respLen(s);
    for (const s of args) body += respLen(s);
    let bytes = respLen('EVALSHA') + respLen(FLUSH_SHA) + body;
    const encodeMs = performance.now() - t0;
    let res: unknown;
    let roundTrips = 1;
    try {
      try {
        res = await this.r.call('EVALSHA', [FLUSH_SHA, keys.length].concat(keys, args));
      } catch (err) {
        if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
        // first flush after a (re)start of the server: send the script body once
        roundTrips++;
        bytes += respLen('EVAL') + respLen(FLUSH_LUA) + body;
        res = await this.r.call('EVAL', [FLUSH_LUA, keys.length].concat(keys, args));
      }
    } catch (err) {
      throw this.wrap(`flush seq ${batch.seq} (${entries} entries)`, err);
    }
    const out = Array.isArray(res) ? res : [res];
    if (Number(out[0]) === 2) {
      this.cost = { entries: 0, bytes, roundTrips, encodeMs };
      return 'behind';
    }
    const refused = Number(out[1] ?? 0);
    this.cost = { entries, bytes, roundTrips, encodeMs, ...(refused > 0 ? { rejected: { count: refused, first: String(out[2]) } } : {}) };
    return Number(out[0]) === 1 ? 'applied' : 'duplicate';
  }

  private async flushOwn(fs: FlushSocket, p: Partition, batch: FlushBatch): Promise<FlushOutcome> {
    const io0 = { ...fs.io };
    let reply: FlushReply;
    let entries = 0;
    let encodeMs = 0;
    let roundTrips = 1;
    try {
      this.forFlush(p);
      const keyOf = this.flushKeyOf;
      ({ reply, entries, encodeMs } = await fs.flush(FLUSH_SHA, this.scriptKnown ? null : FLUSH_LUA, this.flushSeqKey, keyOf, batch));
      if (reply.kind === 'error' && reply.message.startsWith('NOSCRIPT')) {
        // the server was restarted since the script was loaded: send its body once
        roundTrips++;
        this.scriptKnown = false;
        ({ reply, entries, encodeMs } = await fs.flush(FLUSH_SHA, FLUSH_LUA, this.flushSeqKey, keyOf, batch));
      }
    } catch (err) {
      throw this.wrap(`flush seq ${batch.seq} (${batch.changes.length} changes)`, err);
    }
    if (reply.kind === 'error') throw this.wrap(`flush seq ${batch.seq} (${entries} entries)`, new Error(reply.message));
    this.scriptKnown = true;
    const io = { bytes: fs.io.bytes - io0.bytes, writes: fs.io.writes - io0.writes, reads: fs.io.reads - io0.reads };
    const out = reply.kind === 'int' ? [reply.value] : reply.items;
    if (Number(out[0]) === 2) {
      this.cost = { entries: 0, bytes: io.bytes, roundTrips, encodeMs, writes: io.writes, reads: io.reads };
      return 'behind';
    }
    const refused = Number(out[1] ?? 0);
    this.cost = { entries, bytes: io.bytes, roundTrips, encodeMs, writes: io.writes, reads: io.reads, ...(refused > 0 ? { rejected: { count: refused, first: String(out[2]) } } : {}) };
    return Number(out[0]) === 1 ? 'applied' : 'duplicate';
  }

  lastFlushCost(): FlushCost {
    return this.cost;
  }

  async lastSeq(p: Partition): Promise<number> {
    try {
      return Number((await this.r.get(this.seqKey(p))) ?? 0);
    } catch (err) {
      throw this.wrap('read flush sequence', err);
    }
  }

  /** every key of the partition (a cluster keeps it on one node; scanning each master is simplest) */
  private partitionKeys(p: Partition): Promise<string[]> {
    return this.scanAll(`${glob(this.part(p))}@*`);
  }

  async loadPartition(p: Partition): Promise<Snapshot> {
    const snap = emptySnapshot();
    try {
      const prefix = `${this.part(p)}@`;
      for (const k of await this.partitionKeys(p)) {
        const rest = k.slice(prefix.length);
        const at = rest.indexOf('@');
        const type = rest.slice(0, at) as StructType;
        const id = rest.slice(at + 1);
        if (at < 0 || !STRUCT_TYPES.includes(type)) continue;
        if (type === 'Timer') {
          // `Timer@id@entry`: a Timer id holds no "@" (the state API refuses one)
          const cut = id.indexOf('@');
          const v = cut < 0 ? null : await this.r.get(k);
          if (v === null || !(Number(v) > Date.now())) continue;
          const e = (snap.timers[id.slice(0, cut)] ??= [[], []]);
          e[0].push(id.slice(cut + 1));
          e[1].push(Number(v));
          continue;
        }
        if (type === 'Value') { const v = await this.r.get(k); if (v !== null) snap.values[id] = v; }
        else if (type === 'Counter') { const v = await this.r.get(k); if (v !== null) snap.counters[id] = Number(v); }
        else if (type === 'List') snap.lists[id] = await this.r.lrange(k, 0, -1);
        else if (type === 'Set') snap.sets[id] = await this.r.smembers(k);
        else {
          const h = await this.r.hgetall(k);
          (type === 'Map' ? snap.maps : snap.counterMaps)[id] = [Object.keys(h), Object.values(h).map(Number)];
        }
      }
    } catch (err) {
      throw this.wrap('load partition', err);
    }
    return snap;
  }

  async partitionsOf(nf: string, type: StructType, id: string): Promise<Partition[]> {
    try {
      const part = `${glob(nf)}@*@*`;
      const tail = `@${type}@${glob(id)}${type === 'Timer' ? '@*' : ''}`;
      const found = new Map<string, Partition>();
      for (const k of await this.scanAll(this.cluster ? `{${part}}${tail}` : `${part}${tail}`)) {
        // nf, instance and core hold no "@" (nor braces): the first three fields are the partition
        const end = this.cluster ? k.indexOf('}') : k.split('@', 3).join('@').length;
        const f = k.slice(this.cluster ? 1 : 0, end).split('@');
        const rest = k.slice(end + (this.cluster ? 1 : 0));
        const expect = `@${type}@${id}`;
        if (f.length !== 3 || f[0] !== nf || !(rest === expect || (type === 'Timer' && rest.startsWith(`${expect}@`)))) continue;
        const p = { nf, instance: f[1]!, core: Number(f[2]) };
        found.set(`${p.instance}@${p.core}`, p);
      }
      return [...found.values()].sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : a.core - b.core));
    } catch (err) {
      throw this.wrap(`partitions of ${nf} ${type} ${id}`, err);
    }
  }

  async acquireLock(nf: string, name: string, owner: string, leaseMs: number): Promise<boolean> {
    const k = this.lockKey(nf, name);
    try {
      if ((await this.r.set(k, owner, 'PX', Math.ceil(leaseMs), 'NX')) === 'OK') return true;
      // held: by us (a re-acquire renews the lease) or by another owner
      return Number(await this.r.eval(LOCK_RENEW_LUA, 1, k, owner, String(Math.ceil(leaseMs)))) === 1;
    } catch (err) {
      throw this.wrap(`acquire lock ${k}`, err);
    }
  }

  async renewLock(nf: string, name: string, owner: string, leaseMs: number): Promise<boolean> {
    const k = this.lockKey(nf, name);
    try {
      return Number(await this.r.eval(LOCK_RENEW_LUA, 1, k, owner, String(Math.ceil(leaseMs)))) === 1;
    } catch (err) {
      throw this.wrap(`renew lock ${k}`, err);
    }
  }

  async releaseLock(nf: string, name: string, owner: string): Promise<boolean> {
    const k = this.lockKey(nf, name);
    try {
      return Number(await this.r.eval(LOCK_RELEASE_LUA, 1, k, owner)) === 1;
    } catch (err) {
      throw this.wrap(`release lock ${k}`, err);
    }
  }

  async lockHolder(nf: string, name: string): Promise<LockHolder | null> {
    const k = this.lockKey(nf, name);
    try {
      const r = (await this.r.eval(LOCK_HOLDER_LUA, 1, k)) as [string, number] | null;
      return r ? { owner: String(r[0]), remainingMs: Math.max(0, Number(r[1])) } : null;
    } catch (err) {
      throw this.wrap(`lock holder ${k}`, err);
    }
  }

  async dropPartition(p: Partition): Promise<void> {
    try {
      const ks = await this.partitionKeys(p);
      for (let i = 0; i < ks.length; i += 500) await this.r.del(...ks.slice(i, i + 500));
    } catch (err) {
      throw this.wrap('drop partition', err);
    }
  }

  async close(): Promise<void> {
    this.fs?.close();
    try {
      await this.r.quit();
    } catch {
      this.r.disconnect();
    }
  }
}

function numOpt(options: Record<string, unknown>, name: string, dflt: number): number {
  const v = options[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !(v > 0)) throw new FlexbenchError(`redis driver option ${name} must be a positive number, got ${JSON.stringify(v)}`, EXIT.usage);
  return v;
}

async function connect(url: string, options: Record<string, unknown>): Promise<RedisConnection> {
  const { cluster, nodes, auth } = parseRedisUrl(url);
  const connectTimeout = numOpt(options, 'connectTimeoutMs', 2000);
  const commandTimeout = numOpt(options, 'commandTimeoutMs', 5000);
  const maxBackoff = numOpt(options, 'reconnectMaxMs', 1000);
  // No offline queue and no resend: a command either reaches a live connection or fails at once,
  // so the flusher (which retries with the same sequence number) is the only one that resends.
  const common = {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    connectTimeout,
    commandTimeout,
    retryStrategy: (times: number) => Math.min(20 * 2 ** Math.min(times, 10), maxBackoff),
    // the URL's credentials, else driver options (a locked lab's Redis: from a private state-config file)
    ...(auth ? { username: auth.username, password: auth.password } : typeof options.password === 'string' ? { password: options.password, ...(typeof options.username === 'string' ? { username: options.username } : {}) } : {}),
  };
  const r = cluster
    ? new Cluster(nodes, { lazyConnect: true, enableOfflineQueue: false, enableReadyCheck: true, clusterRetryStrategy: common.retryStrategy, redisOptions: common })
    : new Redis({ host: nodes[0]!.host, port: nodes[0]!.port, ...common });
  // reported through the failing command; ioredis would otherwise log. The last one says why a connect failed (a refused AUTH).
  let lastError: Error | null = null;
  r.on('error', (e: Error) => { lastError = e; });
  const where = nodes.map((n) => `${n.host}:${n.port}`).join(',');
  try {
    await Promise.race([
      r.connect(),
      new Promise((_, rej) => setTimeout(() => rej(new Error(`no answer within ${connectTimeout} ms`)), connectTimeout + 500).unref()),
    ]);
    await r.ping();
    // cache the flush script now so the first flush is one EVALSHA like the others (a server that
    // refuses SCRIPT still works: flush falls back to EVAL on NOSCRIPT)
    const targets = cluster ? (r as Cluster).nodes('master') : [r as Redis];
    await Promise.all(targets.map((n) => n.call('SCRIPT', 'LOAD', FLUSH_LUA).catch(() => {})));
  } catch (err) {
    r.disconnect();
    const masked = redactSecrets(url.trim());
    const refused = authProblem(`${(err as Error).message} ${(lastError as Error | null)?.message ?? ''}`, where, auth);
    if (refused) throw new FlexbenchError(`store ${masked}: ${refused}`, EXIT.usage);
    throw new FlexbenchError(`store ${masked}: cannot reach Redis${cluster ? ' Cluster' : ''} at ${where}: ${redactSecrets((err as Error).message)}`, EXIT.environment);
  }
  const own = cluster ? null : new FlushSocket({ host: nodes[0]!.host, port: nodes[0]!.port, connectTimeoutMs: connectTimeout, commandTimeoutMs: commandTimeout, ...(common.password !== undefined ? { password: common.password as string, ...(common.username !== undefined ? { username: common.username as string } : {}) } : {}) });
  return new RedisConnection(url.trim(), r, cluster, own);
}

export const drivers: Record<string, StoreDriver> = {
  redis: { label: 'redis', inProcess: false, connect },
  'redis+cluster': { label: 'redis+cluster', inProcess: false, connect },
};
export const driver = drivers.redis!;
