// A trial with several instances of one NF on this machine (issue 18): the front-end
// (runtime/packet/frontend.ts: the generator and the switch in front of the instances) offers the
// capture at the spec's rate, `flexbench nf run --port link:SOCKET` processes serve the instances, all on
// one shared store, and standby processes wait to be assigned an instance (a killed one's id, whose
// partitions they recover, or an added one's). The spec's events fire on the front-end's clock; a kill is
// a SIGKILL of the instance's process group. What it measured goes into the trial record (`elastic`)
// and a time series file of 10 ms buckets (series/<trial>.csv).
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { readPcap } from '../../runtime/packet/pcap.js';
import { Frontend, type FrontendResult } from '../../runtime/packet/frontend.js';
import { parseNfRunOutput, parseStateEvents, type NfRunResult, type NfRunStateEvent } from '../../runtime/nf-process/result.js';
import { nfRunStats } from '../tools/nf-run.js';
import { signalGroup } from '../../common/processes.js';
import { redactSecrets } from '../../common/secrets.js';
import { shellJoin } from '../hosts/host.js';
import { ownedExeca } from './owned.js';
import { HostLoadSampler } from '../orchestrate/host-load.js';
import type { ElasticEvent, StoreNodeEvent } from '../spec/elastic.js';
import type { StoreNodes, TrialMeasurement } from './testbed.js';
import type { ElasticRecord, StoreEventRecord } from '../results/format.js';
import { NF_REGISTRY } from '../../nfs/registry.js';

/** REINFORCE (CoNEXT'18): failover across servers within 10 ms, the published anchor a recovery time is shown beside. */
export const REINFORCE_FAILOVER_MS = 10;
/** width of a time-series bucket */
export const BUCKET_MS = 10;

export interface ElasticTrialOptions {
  /** bin/flexbench.js */
  cli: string;
  cwd: string;
  nf: string;
  cores: number;
  /** the store URL every instance shares (null: an NF without state) */
  storeUrl: string | null;
  mode: string;
  flushMs: number;
  pcapPath: string;
  rate: number;
  warmupS: number;
  durationS: number;
  instances: string[];
  events: ElasticEvent[];
  runDir: string;
  /** file-name-safe trial name */
  name: string;
  signal: AbortSignal;
  log: (s: string) => void;
  /** the store server's processes (their CPU time is the trial's own) */
  storePids?: number[];
  /** store node kills (store redis-cluster, cassandra-cluster) and the nodes they act on */
  storeEvents?: StoreNodeEvent[];
  storeNodes?: StoreNodes;
  /** what an instance does when the store lost acknowledged flushes (`nf run --on-state-loss`) */
  onStateLoss?: string;
  /** a NAT's pool, the same for every instance (`nf run --nat-ips`, `--nat-ports`, `--nat-block`); unset: nf run's defaults */
  natPool?: { ips?: string; ports?: string; block?: number };
}

/** Every instance id the run names, in order: the initial ones, then the added ones (a NAT pool's shares follow it). */
export function allInstances(initial: readonly string[], events: readonly ElasticEvent[]): string[] {
  const out = [...initial];
  for (const e of events) if (e.kind === 'add' && !out.includes(e.instance)) out.push(e.instance);
  return out;
}

/** nf run's flags for a NAT pool (the spec's nf_options.nat_pool): what is unset keeps nf run's default. */
export function natPoolArgv(p: ElasticTrialOptions['natPool']): string[] {
  const a: string[] = [];
  if (p?.ips !== undefined) a.push('--nat-ips', p.ips);
  if (p?.ports !== undefined) a.push('--nat-ports', p.ports);
  if (p?.block !== undefined) a.push('--nat-block', String(p.block));
  return a;
}

/** The argv of one instance process (`instance` null: a standby). */
export function instanceArgv(o: Pick<ElasticTrialOptions, 'nf' | 'cores' | 'storeUrl' | 'mode' | 'flushMs' | 'onStateLoss' | 'natPool'>, socket: string, instance: string | null, share: { index: number; of: number } | null): string[] {
  const a = ['nf', 'run', '--nf', o.nf, '--cores', String(o.cores), '--port', `link:${socket}`];
  if (o.storeUrl !== null) a.push('--store', o.storeUrl, '--nf-id', o.nf, '--mode', o.mode, '--flush-ms', String(o.flushMs));
  if (o.storeUrl !== null && o.onStateLoss !== undefined && o.onStateLoss !== 'fail') a.push('--on-state-loss', o.onStateLoss);
  if (instance === null) a.push('--standby');
  else a.push('--instance', instance);
  if (o.nf === 'nat' && share !== null) a.push('--nat-share', `${share.index + 1}/${share.of}`);
  if (o.nf === 'nat') a.push(...natPoolArgv(o.natPool));
  a.push('--progress', '0', '--json');
  return a;
}

export async function runElasticTrial(o: ElasticTrialOptions): Promise<{ m: TrialMeasurement; elastic: ElasticRecord }> {
  const all = allInstances(o.instances, o.events);
  // a standby per add and per kill a standby takes over (survivors adopt a killed instance's partitions themselves)
  const standbys = o.events.filter((e) => (e.kind === 'kill' && e.takeover !== 'survivors') || e.kind === 'add').length;
  // a Unix socket path must stay under 108 bytes: it lives in the temp directory, not the run's
  const dir = join(os.tmpdir(), `flexbench-elastic-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, 'fe.sock');
  const children: { label: string; argv: string[]; child: ReturnType<typeof ownedExeca>; stderr: string[] }[] = [];
  // store node kills: the nodes are resolved before traffic starts, killed on the front-end's clock, and
  // the cluster watched until another node serves the dead master's slots
  const storeEvents = o.storeEvents ?? [];
  if (storeEvents.length && !o.storeNodes) throw new FlexbenchError(`elastic trial: a store node kill needs a store made of nodes (redis-cluster, cassandra-cluster); this trial's store has none`, EXIT.usage);
  const storeKills: { e: StoreNodeEvent; target: { host?: string; port: number; role: 'master' | 'replica' | 'node'; slot: number } | null; rec: StoreEventRecord; done: Promise<void> | null }[] =
    storeEvents.map((e) => ({ e, target: null, rec: { node: e.node, port: 0, pid: 0, role: 'master', slot: 0, at_s: e.at_s, at_ms: 0, killed_epoch_ms: 0, promoted_ms: null, promoted_port: null, outages: [], driver_recovered_ms: null, flushes_failed: 0, lost_packets: 0, state_losses: 0, counts_lost: 0 }, done: null }));
  const fireStoreKill = (k: (typeof storeKills)[number], tMs: number) => {
    const target = k.target!;
    k.rec.at_ms = Math.round(tMs * 1000) / 1000;
    k.done = (async () => {
      const { pid, at } = await o.storeNodes!.kill(target.port, target.host);
      o.log(`event: SIGKILL store node ${k.e.node} (${target.host ? `${target.host}:` : 'port '}${target.port}, pid ${pid}) at ${k.rec.at_ms} ms`);
      Object.assign(k.rec, { pid, killed_epoch_ms: at });
      // a master's replica takes over (a Redis Cluster; a ring promotes nothing), within the store's own bound
      const nodes = o.storeNodes!;
      if (target.role !== 'master' || !nodes.waitPromoted) return;
      const p = await nodes.waitPromoted(target.slot, target.port);
      if (p) Object.assign(k.rec, { promoted_ms: p.at - at, promoted_port: p.port });
      o.log(`event: store node ${k.e.node}: ${p ? `port ${p.port} serves slot ${target.slot} ${p.at - at} ms after the kill` : 'no node took over its slots'}`);
    })();
  };
  const fe = new Frontend({
    socketPath: socket,
    frames: readPcap(o.pcapPath),
    rate: o.rate,
    warmupMs: o.warmupS * 1000,
    durationMs: o.durationS * 1000,
    bucketMs: BUCKET_MS,
    instances: all,
    initial: o.instances,
    cores: o.cores,
    standbys,
    events: o.events.map((e) => ({ kind: e.kind, instance: e.instance, atMs: e.at_s * 1000, ...(e.takeover ? { takeover: e.takeover } : {}) })),
    ringPackets: 4096,
    drainMs: 1000,
    kill: (instance, pids) => {
      o.log(`event: SIGKILL ${instance} (pid ${pids.join(', ')})`);
      for (const pid of pids) signalGroup(pid, 'SIGKILL');
    },
    timed: storeKills.map((k) => ({ atMs: k.e.at_s * 1000, fire: (t: number) => fireStoreKill(k, t) })),
    log: o.log,
    checkPairs: o.nf === 'nat',
  });
  const abort = () => {
    for (const c of children) if (c.child.pid) signalGroup(c.child.pid, 'SIGKILL');
  };
  o.signal.addEventListener('abort', abort);
  try {
    await fe.listen();
    const start = (label: string, argv: string[]) => {
      o.log(`$ ${redactSecrets(shellJoin(['flexbench', ...argv]))}`);
      const child = ownedExeca([process.execPath, o.cli, ...argv], { reject: false, stdin: 'ignore', cwd: o.cwd, timeout: (o.warmupS + o.durationS + 180) * 1000, forceKillAfterDelay: 3000 });
      const stderr: string[] = [];
      child.stderr?.on('data', (d: Buffer) => {
        stderr.push(String(d));
        o.log(`[${label}] ${String(d).trimEnd()}`);
      });
      children.push({ label, argv, child, stderr });
    };
    const exited = () => children.map((c) => c.child.then((r: { exitCode?: number; signal?: string; stderr?: unknown }) => `${c.label} exited before traffic started (${r.exitCode ?? r.signal}): ${String(r.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`));
    // one instance after the other: the first creates the store's schema (Cassandra: concurrent DDL from
    // several clients on an emptied store can leave a table missing), the next ones find it
    for (const id of o.instances) {
      start(id, instanceArgv(o, socket, id, { index: all.indexOf(id), of: all.length }));
      const problem = await Promise.race([fe.waitForInstances(60_000, [id], 0), ...exited()]);
      if (problem) throw new FlexbenchError(`elastic trial: ${problem}`, EXIT.trialsFailed);
    }
    for (let i = 0; i < standbys; i++) start(`standby${i + 1}`, instanceArgv(o, socket, null, null));
    const problem = await Promise.race([fe.waitForInstances(60_000), ...exited()]);
    if (problem) throw new FlexbenchError(`elastic trial: ${problem}`, EXIT.trialsFailed);
    if (o.signal.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);
    for (const k of storeKills) {
      k.target = await o.storeNodes!.resolve(k.e.node, o.nf);
      Object.assign(k.rec, { port: k.target.port, role: k.target.role, slot: k.target.slot });
      o.log(`store node ${k.e.node}: ${k.target.host ? `${k.target.host}:` : 'port '}${k.target.port} (${k.target.role}${k.target.role === 'node' ? '' : `, slot ${k.target.slot}`})`);
    }
    // the host's other work, over the span every instance lived (a kill ends it)
    const host = new HostLoadSampler(() => [...children.map((c) => c.child.pid ?? process.pid), ...(o.storePids ?? [])]);
    const r = await fe.run();
    const load = host.stop();
    for (const k of storeKills) await k.done;
    await fe.close();
    // the instances end with their links: final flush, their result on stdout
    const results = await Promise.all(children.map(async (c) => ({ c, r: await c.child })));
    if (o.signal.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);
    const per: ElasticRecord['per_instance'] = {};
    for (const [k, v] of Object.entries(r.per_instance)) per[k] = { ...v };
    for (const { c, r: res } of results) {
      const killed = res.signal === 'SIGKILL';
      let j: NfRunResult | null = null;
      if (!killed && res.exitCode === 0) {
        try {
          j = parseNfRunOutput(String(res.stdout));
        } catch {
          j = null;
        }
      }
      if (!killed && res.exitCode !== 0) {
        throw new FlexbenchError(`elastic trial: ${c.label} exited with ${res.exitCode ?? res.signal}: ${String(res.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`, EXIT.trialsFailed);
      }
      const pid = c.child.pid ?? 0;
      const inst = Object.entries(per).find(([, v]) => v.pids.includes(pid))?.[0];
      if (inst === undefined) continue;
      const totals = j ? nfRunStats(j) : {};
      const sumStat = (k: string) => totals[k] ?? 0;
      if (killed) per[inst].exit = 'SIGKILL';
      if (sumStat('recovered')) per[inst].recovered = (per[inst].recovered ?? 0) + sumStat('recovered');
      if (sumStat('adopted')) per[inst].adopted = (per[inst].adopted ?? 0) + sumStat('adopted');
      // a NAT's blocks through the store's locks (a standby's process adds to the id it took)
      if (j && j.per_core.some((pc) => pc.nf?.pool_blocks_taken !== undefined)) {
        const p = per[inst].pool ?? { blocks_taken: 0, blocks_released: 0, blocks_held: 0, exhausted: 0, drops: 0, drops_waiting: 0 };
        p.blocks_taken += sumStat('pool_blocks_taken');
        p.blocks_released += sumStat('pool_blocks_released');
        p.blocks_held += sumStat('pool_blocks_held');
        p.exhausted += sumStat('pool_exhausted');
        p.drops += sumStat('pool_drops');
        p.drops_waiting = (p.drops_waiting ?? 0) + sumStat('pool_drops_waiting');
        per[inst].pool = p;
      }
    }
    // the NAT pool's blocks per instance and the pair check, said as the trial ends (trials.jsonl keeps them)
    const pools = Object.entries(per).filter(([, v]) => v.pool).map(([id, v]) => `${id} took ${v.pool!.blocks_taken} released ${v.pool!.blocks_released} held ${v.pool!.blocks_held}${v.pool!.drops ? `, dropped ${v.pool!.drops} packet(s) of new flows (${v.pool!.drops_waiting ?? 0} while a block was on its way; ${v.pool!.exhausted} searches found every block held)` : ''}`);
    if (pools.length) o.log(`NAT pool blocks: ${pools.join('; ')}${r.pairs ? `; ${r.pairs.used} translated pairs seen, ${r.pairs.shared === 0 ? 'none on two flows' : `${r.pairs.shared} time(s) on two flows`}` : ''}`);
    const counter = await counterTotal(o, r);
    const seriesRel = join('series', `${o.name}.csv`);
    mkdirSync(join(o.runDir, 'series'), { recursive: true });
    writeFileSync(join(o.runDir, seriesRel), seriesCsv(r));
    const w = r.window;
    const storeEvents = storeKills.map((k) => storeEventOutcome(k.rec, r, stateEventsOf(children, per), o.events));
    const m: TrialMeasurement = {
      rx_packets: w.sent,
      tx_packets: w.returned,
      dropped: w.sent - w.returned,
      duration_s: w.seconds,
      rx_pps: w.seconds > 0 ? w.sent / w.seconds : 0,
      tx_pps: w.seconds > 0 ? w.returned / w.seconds : 0,
      per_core: [],
      commands: children.map((c) => redactSecrets(shellJoin(['flexbench', ...c.argv]))),
      host: load,
      flags: [...eventFlags(r, w.seconds), ...storeEventFlags(storeEvents, o.events), ...pairFlags(r)],
    };
    const elastic: ElasticRecord = {
      instances: all, series_file: seriesRel, bucket_ms: r.bucket_ms, sent: r.sent, returned: r.returned, lost: r.lost, missed: r.missed,
      nf_dropped: r.nf_dropped, unanswered: r.unanswered, lost_in_flight: r.lost_in_flight, changed_flows: r.changed_flows, reference_failover_ms: REINFORCE_FAILOVER_MS,
      events: r.events, per_instance: per, counter, ...(r.pairs ? { pairs: r.pairs } : {}),
      ...(storeEvents.length ? { store_events: storeEvents } : {}),
    };
    return { m, elastic };
  } finally {
    o.signal.removeEventListener('abort', abort);
    await fe.close().catch(() => undefined);
    // nothing outlives the trial: whatever did not end with its link is ended here
    for (const c of children) if (c.child.exitCode === undefined && c.child.pid) signalGroup(c.child.pid, 'SIGTERM');
    await Promise.all(children.map((c) => c.child.catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A counter NF's total after the run, merged over every instance and core (the state API's merging
 * function, read through a sync context once every instance ended and flushed), beside the packets the
 * instances forwarded: the state a failover lost (async: at most a flush period of a killed instance's
 * updates) or counted twice.
 */
async function counterTotal(o: ElasticTrialOptions, r: FrontendResult): Promise<ElasticRecord['counter']> {
  const id = (NF_REGISTRY as Record<string, { packetCounter?: string }>)[o.nf]?.packetCounter;
  if (!id || o.storeUrl === null) return null;
  const { openState } = await import('../../runtime/state/api.js');
  const ctx = await openState({ nf: o.nf, instance: 'flexbench-harness', store: o.storeUrl, mode: 'sync' }, 0);
  try {
    const total = await ctx.merged.counter(id);
    return { store_total: total, forwarded: r.returned, difference: total - r.returned, in_flight_lost: r.lost_in_flight, mode: o.mode, flush_ms: o.mode === 'async' ? o.flushMs : null };
  } finally {
    await ctx.close();
  }
}

/**
 * An event the trial could not show whole is flagged, never passed off as a clean recovery: its new owner
 * was not ready, or no moved flow came back, before the traffic ended (a store that opens slowly, a trial
 * too short for its events).
 */
export function eventFlags(r: Pick<FrontendResult, 'events'>, seconds: number): string[] {
  const out: string[] = [];
  for (const e of r.events) {
    if (e.ready_ms === null) out.push(`elastic_incomplete: ${e.kind} ${e.instance} at ${(e.at_ms / 1000).toFixed(2)} s: its new owner was not ready when the traffic ended (${seconds.toFixed(2)} s measured); lengthen the trial or move the event earlier`);
    else if (e.moved_flows > 0 && e.recovery_ms === null) out.push(`elastic_incomplete: ${e.kind} ${e.instance}: none of its ${e.moved_flows} moved flows came back before the traffic ended`);
  }
  return out;
}

/** A NAT whose instances handed one (address, port) to two flows is flagged: the pool's one rule broken. */
export function pairFlags(r: Pick<FrontendResult, 'pairs'>): string[] {
  const p = r.pairs;
  if (!p || p.shared === 0) return [];
  return [`nat_pair_shared: ${p.shared} time(s) a flow left with a translated (address, port) another flow had left with (first ${p.first!.pair}, flows ${p.first!.flows.join(' and ')})`];
}

/** The time series: one row per bucket, ms after traffic started. */
export function seriesCsv(r: FrontendResult): string {
  const s = r.series;
  const rows = ['t_ms,sent,returned,lost,nf_dropped,missed,moved_returned'];
  for (let i = 0; i < s.sent.length; i++) rows.push([i * r.bucket_ms, s.sent[i], s.returned[i], s.lost[i], s.nf_dropped[i], s.missed[i], s.moved_returned[i]].join(','));
  return rows.join('\n') + '\n';
}

/**
 * What each instance process said on stderr of its store as it happened (outages, losses), under the
 * instance it served: a killed process has said it too, and a standby's lines go to the id it took.
 */
function stateEventsOf(children: readonly { child: { pid?: number }; stderr: string[] }[], per: ElasticRecord['per_instance']): { instance: string; e: NfRunStateEvent }[] {
  const out: { instance: string; e: NfRunStateEvent }[] = [];
  for (const c of children) {
    const inst = Object.entries(per).find(([, v]) => v.pids.includes(c.child.pid ?? 0))?.[0];
    if (inst === undefined) continue;
    for (const e of parseStateEvents(c.stderr.join(''))) out.push({ instance: inst, e });
  }
  return out;
}

/**
 * A store node kill as the instances lived it: every span in which a partition's flushes failed around
 * it (ms after the kill; a span said begun and never ended has to_ms null), the last partition's first
 * flush acknowledged again (the promotion as the driver saw it), attempts that failed, acknowledged
 * flushes the promoted replica lacked (Redis replicates asynchronously) and their counted increments,
 * and the packets the front-end lost, missed or saw dropped from the kill to the next instance event
 * (or the end of the window).
 */
export function storeEventOutcome(rec: StoreEventRecord, r: Pick<FrontendResult, 'bucket_ms' | 'series'>, events: readonly { instance: string; e: NfRunStateEvent }[], instanceEvents: readonly ElasticEvent[] = []): StoreEventRecord {
  const at = rec.killed_epoch_ms;
  const out: StoreEventRecord = { ...rec, outages: [], driver_recovered_ms: null, flushes_failed: 0, state_losses: 0, counts_lost: 0 };
  // an outage is said when it begins and again when it ends: the last word per partition and start wins
  const spans = new Map<string, StoreEventRecord['outages'][number]>();
  for (const { instance, e } of events) {
    if (e.kind === 'store outage') {
      const g = e.outage;
      if (g.to !== null && g.to < at) continue; // over before the kill: another cause
      const key = `${instance}|${e.core}|${g.from}`;
      const prev = spans.get(key);
      if (prev && prev.to_ms !== null) continue;
      spans.set(key, { instance, core: e.core, from_ms: g.from - at, to_ms: g.to === null ? null : g.to - at, failed: g.failed, error: g.error });
    } else if (Date.parse(e.loss.at) >= at) {
      out.state_losses++;
      out.counts_lost += e.loss.counts_lost ?? 0;
    }
  }
  out.outages = [...spans.values()].sort((a, b) => a.from_ms - b.from_ms);
  out.flushes_failed = out.outages.reduce((s, g) => s + g.failed, 0);
  const ends = out.outages.map((g) => g.to_ms);
  out.driver_recovered_ms = ends.length && ends.every((x) => x !== null) ? Math.max(...(ends as number[])) : null;
  const b0 = Math.floor(rec.at_ms / r.bucket_ms);
  const next = instanceEvents.map((e) => e.at_s * 1000).filter((t) => t > rec.at_ms).sort((a, b) => a - b)[0];
  const s = r.series;
  const b1 = next === undefined ? s.sent.length : Math.min(s.sent.length, Math.floor(next / r.bucket_ms));
  for (let b = b0; b < b1; b++) out.lost_packets += s.lost[b]! + s.missed[b]! + s.nf_dropped[b]!;
  return out;
}

/**
 * A store node kill the trial could not show whole is flagged like an instance event: no node served
 * the dead master's slots before the traffic ended, or a partition's flushes still failed then (unless
 * its instance was killed: a dead instance writes nothing more, whatever the store does).
 */
export function storeEventFlags(events: readonly StoreEventRecord[], instanceEvents: readonly ElasticEvent[] = []): string[] {
  const out: string[] = [];
  const killed = new Set(instanceEvents.filter((e) => e.kind === 'kill' || e.kind === 'remove').map((e) => e.instance));
  for (const e of events) {
    if (e.role === 'master' && e.promoted_ms === null) out.push(`elastic_incomplete: store node ${e.node} (port ${e.port}) killed at ${(e.at_ms / 1000).toFixed(2)} s: no node served its slots before the traffic ended; lengthen the trial or move the kill earlier`);
    for (const g of e.outages) {
      if (g.to_ms === null && !killed.has(g.instance)) out.push(`elastic_incomplete: store node ${e.node}: ${g.instance} core ${g.core} still could not flush when the traffic ended (${g.failed} attempts failed since ${g.from_ms} ms after the kill)`);
    }
  }
  return out;
}
