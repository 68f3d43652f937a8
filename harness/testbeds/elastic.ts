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
import { parseNfRunOutput, type NfRunResult } from '../../runtime/nf-process/result.js';
import { signalGroup } from '../../common/processes.js';
import { redactSecrets } from '../../common/secrets.js';
import { shellJoin } from '../hosts/host.js';
import { ownedExeca } from './owned.js';
import { HostLoadSampler } from '../orchestrate/host-load.js';
import type { ElasticEvent } from '../spec/elastic.js';
import type { TrialMeasurement } from './testbed.js';
import type { ElasticRecord } from '../results/format.js';
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
}

/** Every instance id the run names, in order: the initial ones, then the added ones (a NAT pool's shares follow it). */
export function allInstances(initial: readonly string[], events: readonly ElasticEvent[]): string[] {
  const out = [...initial];
  for (const e of events) if (e.kind === 'add' && !out.includes(e.instance)) out.push(e.instance);
  return out;
}

/** The argv of one instance process (`instance` null: a standby). */
export function instanceArgv(o: Pick<ElasticTrialOptions, 'nf' | 'cores' | 'storeUrl' | 'mode' | 'flushMs'>, socket: string, instance: string | null, share: { index: number; of: number } | null): string[] {
  const a = ['nf', 'run', '--nf', o.nf, '--cores', String(o.cores), '--port', `link:${socket}`];
  if (o.storeUrl !== null) a.push('--store', o.storeUrl, '--nf-id', o.nf, '--mode', o.mode, '--flush-ms', String(o.flushMs));
  if (instance === null) a.push('--standby');
  else a.push('--instance', instance);
  if (o.nf === 'nat' && share !== null) a.push('--nat-share', `${share.index + 1}/${share.of}`);
  a.push('--progress', '0', '--json');
  return a;
}

export async function runElasticTrial(o: ElasticTrialOptions): Promise<{ m: TrialMeasurement; elastic: ElasticRecord }> {
  const all = allInstances(o.instances, o.events);
  const standbys = o.events.filter((e) => e.kind === 'kill' || e.kind === 'add').length;
  // a Unix socket path must stay under 108 bytes: it lives in the temp directory, not the run's
  const dir = join(os.tmpdir(), `flexbench-elastic-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, 'fe.sock');
  const children: { label: string; argv: string[]; child: ReturnType<typeof ownedExeca> }[] = [];
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
    events: o.events.map((e) => ({ kind: e.kind, instance: e.instance, atMs: e.at_s * 1000 })),
    ringPackets: 4096,
    drainMs: 1000,
    kill: (instance, pids) => {
      o.log(`event: SIGKILL ${instance} (pid ${pids.join(', ')})`);
      for (const pid of pids) signalGroup(pid, 'SIGKILL');
    },
    log: o.log,
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
      child.stderr?.on('data', (d: Buffer) => o.log(`[${label}] ${String(d).trimEnd()}`));
      children.push({ label, argv, child });
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
    // the host's other work, over the span every instance lived (a kill ends it)
    const host = new HostLoadSampler(() => [...children.map((c) => c.child.pid ?? process.pid), ...(o.storePids ?? [])]);
    const r = await fe.run();
    const load = host.stop();
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
      const sumStat = (k: string) => (j ? j.per_core.reduce((s, pc) => s + (pc.nf?.[k] ?? 0), 0) : 0);
      if (killed) per[inst].exit = 'SIGKILL';
      if (sumStat('recovered')) per[inst].recovered = (per[inst].recovered ?? 0) + sumStat('recovered');
      if (sumStat('adopted')) per[inst].adopted = (per[inst].adopted ?? 0) + sumStat('adopted');
    }
    const counter = await counterTotal(o, r);
    const seriesRel = join('series', `${o.name}.csv`);
    mkdirSync(join(o.runDir, 'series'), { recursive: true });
    writeFileSync(join(o.runDir, seriesRel), seriesCsv(r));
    const w = r.window;
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
    };
    const elastic: ElasticRecord = {
      instances: all, series_file: seriesRel, bucket_ms: r.bucket_ms, sent: r.sent, returned: r.returned, lost: r.lost, missed: r.missed,
      nf_dropped: r.nf_dropped, unanswered: r.unanswered, lost_in_flight: r.lost_in_flight, changed_flows: r.changed_flows, reference_failover_ms: REINFORCE_FAILOVER_MS,
      events: r.events, per_instance: per, counter,
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

/** The time series: one row per bucket, ms after traffic started. */
export function seriesCsv(r: FrontendResult): string {
  const s = r.series;
  const rows = ['t_ms,sent,returned,lost,nf_dropped,missed,moved_returned'];
  for (let i = 0; i < s.sent.length; i++) rows.push([i * r.bucket_ms, s.sent[i], s.returned[i], s.lost[i], s.nf_dropped[i], s.missed[i], s.moved_returned[i]].join(','));
  return rows.join('\n') + '\n';
}
