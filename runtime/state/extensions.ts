// Section VI-B, the context side: merged reads over every partition of the NF and locks shared by
// every instance and core. Neither is a packet-path call: both go to the store through whatever
// connection the context has, after this context's own writes (sync: sent; async: flushed).
import { randomBytes } from 'node:crypto';
import type { Partition, StoreConnection, StructType } from '../drivers/driver.js';
import { FlexbenchError, EXIT } from '../../common/errors.js';
import type { LockHandle, LockHolder, MapMergeRule, MergedReads } from './types.js';
import { isMapMergeRule, mergeCounters, mergeEntries, mergeLists, mergeSets } from './merge.js';

/** How extensions reach the store from a context. */
export interface StoreAccess {
  readonly partition: Partition;
  /**
   * run `f` on a store connection; with `settled`, once this context's changes so far are in the store
   * (sync: every call sent has been answered; async: flushed)
   */
  withStore<T>(f: (conn: StoreConnection) => Promise<T>, settled: boolean): Promise<T>;
  /** fail when the context is closed */
  live(): void;
}

// Ids become store keys and Cassandra rows: the same rule as the config's ids ('@' separates fields,
// braces are Redis Cluster hash tags).
export function checkExtId(what: string, id: string): string {
  id = String(id);
  if (!/^[^@{}\s]+$/.test(id)) throw new FlexbenchError(`${what} "${id}": must be non-empty without "@", "{", "}" or spaces`, EXIT.usage);
  return id;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Merged implements MergedReads {
  constructor(private readonly a: StoreAccess) {}

  async partitions(type: StructType, id: string): Promise<Partition[]> {
    this.a.live();
    return this.a.withStore((c) => c.partitionsOf(this.a.partition.nf, type, String(id)), true);
  }

  /** each partition's answer to one query, in partition order */
  private async each<T>(type: StructType, id: string, q: (conn: StoreConnection, p: Partition) => Promise<T>): Promise<{ p: Partition; v: T }[]> {
    this.a.live();
    id = String(id);
    return this.a.withStore(async (c) => {
      const out: { p: Partition; v: T }[] = [];
      for (const p of await c.partitionsOf(this.a.partition.nf, type, id)) out.push({ p, v: await q(c, p) });
      return out;
    }, true);
  }

  async counter(id: string): Promise<number> {
    return mergeCounters((await this.each('Counter', id, (c, p) => c.query(p, { type: 'Counter', id, op: 'get' }) as Promise<number>)).map((x) => x.v));
  }
  async counterMap(id: string): Promise<[string[], number[]]> {
    return mergeEntries((await this.each('CounterMap', id, (c, p) => c.query(p, { type: 'CounterMap', id, op: 'entries' }) as Promise<[string[], number[]]>)).map((x) => x.v), 'sum');
  }
  async map(id: string, rule: MapMergeRule = 'max'): Promise<[string[], number[]]> {
    if (!isMapMergeRule(rule)) throw new FlexbenchError(`merged map ${id}: rule must be max, min or sum, got ${JSON.stringify(rule)}`, EXIT.usage);
    return mergeEntries((await this.each('Map', id, (c, p) => c.query(p, { type: 'Map', id, op: 'entries' }) as Promise<[string[], number[]]>)).map((x) => x.v), rule);
  }
  async set(id: string): Promise<string[]> {
    return mergeSets((await this.each('Set', id, (c, p) => c.query(p, { type: 'Set', id, op: 'items' }) as Promise<string[]>)).map((x) => x.v));
  }
  async list(id: string): Promise<string[]> {
    return mergeLists((await this.each('List', id, (c, p) => c.query(p, { type: 'List', id, op: 'items' }) as Promise<string[]>)).map((x) => x.v));
  }
  async value(id: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const { p, v } of await this.each('Value', id, (c, p) => c.query(p, { type: 'Value', id, op: 'get' }) as Promise<string | null>)) if (v !== null) out[`${p.instance}@${p.core}`] = v;
    return out;
  }
  async timer(id: string): Promise<[string[], number[]]> {
    return mergeEntries((await this.each('Timer', id, (c, p) => c.query(p, { type: 'Timer', id, op: 'entries' }) as Promise<[string[], number[]]>)).map((x) => x.v), 'max');
  }
}

const leaseOk = (what: string, ms: number) => {
  if (!(Number.isFinite(ms) && ms > 0)) throw new FlexbenchError(`${what}: lease must be a positive number of ms, got ${ms}`, EXIT.usage);
};

export class Lock implements LockHandle {
  readonly key: string;
  readonly owner: string;
  constructor(private readonly a: StoreAccess, readonly name: string, owner?: string) {
    checkExtId('lock', name);
    const p = a.partition;
    this.key = `${p.nf}@Lock@${name}`;
    this.owner = owner === undefined ? `${p.instance}@${p.core}#${randomBytes(6).toString('hex')}` : String(owner);
    if (!this.owner) throw new FlexbenchError(`lock ${name}: owner must be non-empty`, EXIT.usage);
  }
  async acquire(leaseMs: number): Promise<boolean> {
    this.a.live();
    leaseOk(`lock ${this.name}`, leaseMs);
    return this.a.withStore((c) => c.acquireLock(this.a.partition.nf, this.name, this.owner, leaseMs), false);
  }
  async acquireWithin(leaseMs: number, timeoutMs: number, retryMs = 10): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (await this.acquire(leaseMs)) return true;
      if (Date.now() + retryMs > end) return false;
      await sleep(retryMs);
    }
  }
  async renew(leaseMs: number): Promise<boolean> {
    this.a.live();
    leaseOk(`lock ${this.name}`, leaseMs);
    return this.a.withStore((c) => c.renewLock(this.a.partition.nf, this.name, this.owner, leaseMs), false);
  }
  async release(): Promise<boolean> {
    this.a.live();
    return this.a.withStore((c) => c.releaseLock(this.a.partition.nf, this.name, this.owner), true);
  }
  async holder(): Promise<LockHolder | null> {
    this.a.live();
    return this.a.withStore((c) => c.lockHolder(this.a.partition.nf, this.name), false);
  }
}
