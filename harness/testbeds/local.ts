// The embedded testbed: everything on this machine. NFs run as `flexbench nf run … --json` processes replaying
// the pcap in memory; testpmd replays it with net_pcap into net_null; stores are local servers from runtime/stores.
import { existsSync, mkdirSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { execa } from 'execa';
import { ownedExeca } from './owned.js';
import { natPoolArgv, runElasticTrial, instanceArgv, allInstances } from './elastic.js';
import { elasticEvents, storeNodeEvents } from '../spec/elastic.js';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import type { Spec } from '../spec/schema.js';
import { trialStem, type Fingerprint, type PcapInfo, type PlanTrial } from '../results/format.js';
import { allowedCpus, localFingerprint } from '../provenance.js';
import { shellJoin } from '../hosts/host.js';
import { testpmdArgv, pcapReplayVdev, TestpmdStatsParser, type TestpmdSnapshot } from '../tools/testpmd.js';
import { HostLoadSampler } from '../orchestrate/host-load.js';
import { ownRates } from '../results/own-time.js';
import { nfRunFlags, nfRunCounts } from '../tools/nf-run.js';
import { redactSecrets } from '../../common/secrets.js';
import type { Testbed, TestbedOptions, TrialMeasurement, TrialRequest, StoreHandle, PrepareContext, LoadRequest } from './testbed.js';
import { linkedController, type LinkedController } from '../../common/abort.js';
import { needsServer } from '../../runtime/stores/server.js';
import { parseNfRunOutput } from '../../runtime/nf-process/result.js';
import { ResidentNf } from './resident.js';
import { readInterrupts, interruptHotspot, hotspotWarning, HOTSPOT_SINCE_BOOT, type InterruptHotspot } from '../inventory/interrupts.js';

/** A resident nf run's --duration: a bound it never reaches (it is stopped), far below setTimeout's 24.8-day limit. */
const RESIDENT_BOUND_S = 1_000_000;

/**
 * The CPUs a resident nf run of `cores` cores is pinned to: the last ones this process may use, less the one that
 * takes most of the device interrupts when enough others remain (null: taskset is missing).
 */
export function residentCpus(cores: number): number[] | null {
  if (!hasTaskset()) return null;
  const all = allowedCpus();
  const hot = bootHotspot(all)?.hot.cpu;
  const pool = hot !== undefined && all.length > cores ? all.filter((c) => c !== hot) : all;
  return pool.slice(Math.max(0, pool.length - cores));
}

const hotspots = new Map<string, { hot: InterruptHotspot; online: number[] } | null>();
/**
 * The CPU of `cpus` that has taken far the most device interrupts since boot, and the CPUs online (read once per set:
 * both builds of an ab unit get the same CPUs, and the warning names the CPU they keep off).
 */
function bootHotspot(cpus: number[]): { hot: InterruptHotspot; online: number[] } | null {
  const key = cpus.join(',');
  if (!hotspots.has(key)) {
    const irq = readInterrupts();
    const hot = irq && interruptHotspot(null, irq, cpus, HOTSPOT_SINCE_BOOT);
    hotspots.set(key, hot ? { hot, online: irq.cpus } : null);
  }
  return hotspots.get(key)!;
}

let interruptsWarned = false;
/** Trials here run on any CPU this process may use: one that the devices interrupt (the disk a store syncs) is said, once a process (ab prepares two builds). */
function warnInterruptedCpu(): void {
  if (interruptsWarned) return;
  interruptsWarned = true;
  const b = bootHotspot(allowedCpus());
  if (b === null) return;
  const others = b.online.filter((c) => c !== b.hot.cpu);
  process.stderr.write(`flexbench: warning: ${hotspotWarning(b.hot, null, `Keep flexbench off it (taskset -c ${others.join(',')} flexbench …)`)}\n`);
}

let tasksetFound: boolean | undefined;
function hasTaskset(): boolean {
  tasksetFound ??= spawnSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).status === 0;
  return tasksetFound;
}

/** Grace between SIGTERM and SIGKILL for every child. */
const KILL_GRACE_MS = 3000;

/** flexbench's NFs take a paced load from the offered-load port; testpmd replays its pcap as fast as it can. */
export function pacingProblem(nf: string): string | null {
  return nf === 'testpmd' ? 'testpmd replays the pcap with net_pcap as fast as it can: it cannot be offered a paced load on the local testbed' : null;
}

/** A store's URL before its server started (--dry-run): the scheme the driver takes, ports unknown. */
function placeholderUrl(store: string): string {
  if (store === 'hashmap') return 'hashmap:';
  if (store === 'cassandra-cluster') return 'cassandra://198.18.25X.11:9042,…?consistency=…&replication=…';
  return store === 'redis-cluster' ? 'redis+cluster://127.0.0.1:PORT,…' : `${store}://127.0.0.1:PORT`;
}

export function createTestbed(opts: TestbedOptions): Testbed {
  return new LocalTestbed(opts);
}



export class LocalTestbed implements Testbed {
  readonly kind = 'local';
  private readonly cores = os.availableParallelism();
  private readonly cli: string;
  private readonly stores: StoreHandle[] = [];
  private readonly trialControllers = new Set<LinkedController>();
  private readonly residents = new Set<ResidentNf>();

  constructor(private readonly opts: TestbedOptions) {
    this.cli = join(opts.root, 'bin', 'flexbench.js');
  }

  skipReason(t: PlanTrial): string | null {
    if (t.location === 'remote') return 'the local testbed has one node: a remote store needs a second node (use testbed: netns or lab)';
    if (t.nf === 'testpmd') {
      if (t.cores + 1 > this.cores) return `testpmd needs ${t.cores + 1} lcores (1 main + ${t.cores} forwarding); this host has ${this.cores}`;
    } else if (t.cores > this.cores) {
      return `needs ${t.cores} cores; this host has ${this.cores} (never oversubscribed)`;
    }
    if (needsServer(t.store) && !existsSync(new URL(`../../runtime/stores/${t.store}.js`, import.meta.url))) {
      return `store server "${t.store}" is not available in this build (runtime/stores/${t.store}.ts is missing)`;
    }
    return null;
  }

  /**
   * The argv of an NF trial: one function for --dry-run (store URL not yet known) and for the run itself.
   * A paced load (measure: ndr_pdr, latency) runs the offered-load port at its rate, stamping every Nth packet.
   */
  private nfArgs(t: PlanTrial, pcapPath: string, spec: Spec, storeUrl: string | null, load?: LoadRequest): string[] {
    const nf = load?.nf ?? t.nf;
    const a = ['nf', 'run', '--nf', nf, '--cores', String(t.cores), '--input', pcapPath];
    if (load) a.push('--port', 'offered', '--rate', String(Math.round(load.rate_pps)));
    else if (spec.traffic.rate !== 'max') a.push('--port', 'offered', '--rate', String(spec.traffic.rate));
    if (load?.latency_every) a.push('--latency-every', String(load.latency_every));
    if (t.store !== 'none' && !load?.nf) {
      a.push('--store', storeUrl ?? placeholderUrl(t.store));
      a.push('--nf-id', t.nf, '--instance', 'ins1', '--mode', t.mode, '--flush-ms', String(spec.state.flush_ms));
      if (spec.state.on_state_loss !== 'fail') a.push('--on-state-loss', spec.state.on_state_loss);
    }
    const o = spec.nf_options;
    if (nf === 'nat') a.push(...natPoolArgv(o.nat_pool));
    if (nf === 'ratelimit') {
      if (o.limit_pps !== undefined) a.push('--limit-pps', String(o.limit_pps));
      if (o.limit_noise !== undefined) a.push('--limit-noise', String(o.limit_noise));
      if (o.seed !== undefined) a.push('--seed', String(o.seed));
    }
    // the one warm-up mechanism: nf run counts only the window after --warmup
    a.push('--warmup', String(load?.warmup_s ?? spec.traffic.warmup_s), '--duration', String(load?.duration_s ?? spec.traffic.duration_s), '--json');
    return a;
  }

  private testpmdArgs(t: PlanTrial, pcapPath: string): string[] {
    const lcores = Array.from({ length: t.cores + 1 }, (_, i) => i);
    return testpmdArgv({
      lcores,
      nbCores: t.cores,
      filePrefix: `flexbench-${this.opts.spec.name}-t${t.index}`, // no pid: --dry-run prints the very argv
      vdevs: [pcapReplayVdev(0, pcapPath), 'net_null0,no-rx=1'],
      forwardMode: 'macswap',
      statsPeriod: 1,
      totalNumMbufs: 65536,
      memoryMb: 1024,
    });
  }

  describeTrial(t: PlanTrial, pcap: PcapInfo, spec: Spec): string[] {
    if (spec.instances !== undefined) {
      // the front-end runs inside flexbench; these are the instance and standby processes it serves
      const events = elasticEvents(spec.events);
      const ids = allInstances(spec.instances, events);
      const o = { nf: t.nf, cores: t.cores, storeUrl: t.store === 'none' ? null : placeholderUrl(t.store), mode: t.mode, flushMs: spec.state.flush_ms, onStateLoss: spec.state.on_state_loss };
      const standbys = events.filter((e) => e.kind === 'kill' || e.kind === 'add').length;
      const all = [...events.map((e) => ({ at: e.at_s, s: `${e.kind} ${e.instance} at ${e.at_s} s` })), ...storeNodeEvents(spec.events).map((e) => ({ at: e.at_s, s: `kill store node ${e.node} at ${e.at_s} s` }))].sort((a, b) => a.at - b.at);
      return [
        `front-end: ${pcap.path} at ${spec.traffic.rate} packets/s over ${spec.instances.join(', ')}; events: ${all.map((e) => e.s).join(', ') || 'none'}`,
        ...spec.instances.map((id) => shellJoin(['flexbench', ...instanceArgv(o, 'SOCKET', id, { index: ids.indexOf(id), of: ids.length })])),
        ...Array.from({ length: standbys }, () => shellJoin(['flexbench', ...instanceArgv(o, 'SOCKET', null, null)])),
      ];
    }
    if (t.nf === 'testpmd') return [shellJoin(this.testpmdArgs(t, pcap.path))];
    return [shellJoin(['flexbench', ...this.nfArgs(t, pcap.path, spec, null)])];
  }

  async preflight(spec: Spec): Promise<void> {
    // the start-up check: store servers a flexbench that died (kill -9, forced Ctrl-C) left behind
    const { stopOrphanServers } = (await import('../../runtime/stores/server.js')) as typeof import('../../runtime/stores/server.js');
    for (const line of await stopOrphanServers()) process.stderr.write(`flexbench: stopped ${line}, left running by a flexbench that died\n`);
    if (spec.matrix.stores.includes('cassandra-cluster') && process.getuid?.() !== 0) {
      throw new FlexbenchError('store cassandra-cluster needs root: each of its nodes runs in a network namespace of its own (run as root, or use store cassandra)', EXIT.environment);
    }
    if (spec.matrix.nfs.includes('testpmd')) {
      const r = await execa('dpdk-testpmd', ['--version'], { reject: false, timeout: 10_000 }).catch((e: Error) => e);
      if (r instanceof Error && (r as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new FlexbenchError('dpdk-testpmd is not installed (Debian package "dpdk"; see scripts/setup.sh)', EXIT.environment);
      }
    }
    if (spec.matrix.nfs.some((n) => n !== 'testpmd')) {
      if (!existsSync(this.cli)) throw new FlexbenchError(`${this.cli} is missing: build flexbench first (npm run build)`, EXIT.environment);
    }
    warnInterruptedCpu();
  }

  fingerprint(): Promise<Fingerprint> {
    return localFingerprint('local', this.opts.spec.matrix.stores);
  }

  async prepare(_ctx: PrepareContext): Promise<void> {
    // Pcaps are already on this machine; nothing to copy or link.
  }

  async startStore(store: string, _location: string, _signal: AbortSignal): Promise<StoreHandle | null> {
    if (!needsServer(store)) return null;
    const { resolveStoreServer, isClustered } = (await import('../../runtime/stores/server.js')) as typeof import('../../runtime/stores/server.js');
    const server = await resolveStoreServer(store);
    const rc = this.opts.spec.state.redis_cluster;
    const cc = this.opts.spec.state.cassandra_cluster;
    const extra = store === 'redis-cluster' ? { masters: rc.masters, replicas: rc.replicas, nodeTimeoutMs: rc.node_timeout_ms }
      : store === 'cassandra-cluster' ? { nodes: cc.nodes, replication: cc.replication, consistency: cc.consistency, heap: cc.heap, phiConvictThreshold: cc.phi_convict_threshold } : null;
    const running = await server.start(extra ? { extra } : {});
    // a store made of nodes: a Redis Cluster or a Cassandra ring (both kill a node and heal it between trials)
    const cluster = isClustered(running) ? running : null;
    const pids = cluster ? cluster.nodes.map((n) => n.pid) : [running.pid];
    if (store === 'cassandra-cluster') {
      const ring = running as import('../../runtime/stores/cassandra-cluster.js').RunningRing;
      process.stderr.write(`flexbench: cassandra-cluster: ${ring.nodes.length} nodes (${ring.net.nodes.map((n) => `${n.netns} ${n.address}`).join(', ')}), replication ${ring.replication}, ${ring.consistency}: ring whole after ${ring.ringStartSeconds.toFixed(1)} s\n`);
    }
    let stopped = false;
    const handle: StoreHandle = {
      store,
      location: 'local',
      url: running.url,
      pids,
      version: running.version ?? null,
      reset: async () => {
        if (cluster) {
          // a node killed by the last trial comes back (Redis: as a replica, every master's replicas in sync
          // again; Cassandra: the ring whole again)
          await cluster.heal();
          pids.splice(0, pids.length, ...cluster.nodes.map((n) => n.pid));
        }
        await server.reset(running.url);
      },
      // the cluster is what a store node kill acts on
      ...(cluster ? { nodes: cluster } : {}),
      stop: async () => {
        if (stopped) return;
        stopped = true;
        const i = this.stores.indexOf(handle);
        if (i >= 0) this.stores.splice(i, 1);
        await running.stop();
      },
    };
    this.stores.push(handle);
    return handle;
  }

  async runTrial(req: TrialRequest): Promise<TrialMeasurement> {
    const ac = linkedController(req.signal);
    this.trialControllers.add(ac);
    try {
      if (this.opts.spec.instances !== undefined) return await this.runElastic(req, ac.signal);
      if (req.load && req.trial.nf === 'testpmd' && !req.load.nf) throw new FlexbenchError(pacingProblem('testpmd')!, EXIT.usage);
      return req.trial.nf === 'testpmd' && !req.load ? await this.runTestpmd(req, ac.signal) : await this.runNf(req, ac.signal);
    } finally {
      ac.dispose();
      this.trialControllers.delete(ac);
    }
  }

  private logStream(req: Pick<TrialRequest, 'runDir' | 'trial' | 'logSuffix'>) {
    const dir = join(req.runDir, 'logs');
    mkdirSync(dir, { recursive: true });
    const stream = createWriteStream(join(dir, `${trialStem(req.trial)}${req.logSuffix ? `-${req.logSuffix}` : ''}.log`));
    // passwords in store URLs never reach a log file
    return { write: (s: string | Buffer) => stream.write(redactSecrets(String(s))), end: () => stream.end() };
  }

  private async runNf(req: TrialRequest, signal: AbortSignal): Promise<TrialMeasurement> {
    const spec = this.opts.spec;
    const args = this.nfArgs(req.trial, req.pcap.path, spec, req.load?.nf ? null : req.store?.url ?? null, req.load);
    const total = (req.load?.duration_s ?? req.traffic.duration_s) + (req.load?.warmup_s ?? req.traffic.warmup_s);
    const log = this.logStream(req);
    log.write(`$ ${shellJoin(['flexbench', ...args])}\n`);
    const child = ownedExeca([process.execPath, this.cli, ...args], {
      reject: false,
      cancelSignal: signal,
      forceKillAfterDelay: KILL_GRACE_MS,
      timeout: (total + 60) * 1000,
      stdin: 'ignore',
      cwd: this.opts.root,
    });
    const host = new HostLoadSampler(() => [child.pid ?? process.pid, ...(req.store?.pids ?? [])]);
    child.stderr?.on('data', (d: Buffer) => log.write(d));
    const r = await child;
    const load = host.stop();
    log.write(r.stdout ? `${r.stdout}\n` : '');
    log.end();
    if (signal.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);
    if (r.exitCode !== 0) {
      const tail = String(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
      throw new FlexbenchError(`nf run ${r.timedOut ? 'timed out' : `exited with ${r.exitCode ?? r.signal}`}: ${tail}`, EXIT.trialsFailed);
    }
    const j = parseNfRunOutput(String(r.stdout));
    return {
      ...nfRunCounts(j),
      commands: [redactSecrets(shellJoin(['flexbench', ...args]))],
      host: load,
      // a paced trial's cores idle between packets: its own-time rate would say nothing more than its rate
      own: req.load ? null : ownRates(j.per_core),
      // a paced trial: what the generator meant to offer, offered, and what the NF sent on
      ...(req.load ? { offered: { intended_packets: j.intended_packets ?? j.offered_packets ?? 0, offered_packets: j.offered_packets ?? 0, forwarded_packets: j.tx_packets } } : {}),
      ...(req.load?.latency_every ? { latency: j.latency, latency_path: 'generator enqueue -> descriptor ring -> NF core -> NF transmit, in one process (no wire)' } : {}),
      // the trial record says so when a store lost acknowledged state and the NF went on (fail ends the trial),
      // and carries the NF's own warnings (a NAT's pool exhausted, a store read that failed)
      flags: nfRunFlags(j),
    };
  }

  /** Several instances behind the front-end, with the spec's events (testbeds/elastic.ts). */
  private async runElastic(req: TrialRequest, signal: AbortSignal): Promise<TrialMeasurement> {
    const spec = this.opts.spec;
    const t = req.trial;
    const log = this.logStream(req);
    try {
      const { m, elastic } = await runElasticTrial({
        storePids: req.store?.pids,
        cli: this.cli, cwd: this.opts.root, nf: t.nf, cores: t.cores, storeUrl: t.store === 'none' ? null : req.store?.url ?? null,
        mode: t.mode, flushMs: req.flush_ms, pcapPath: req.pcap.path, rate: spec.traffic.rate as number,
        warmupS: req.traffic.warmup_s, durationS: req.traffic.duration_s, instances: spec.instances!, events: elasticEvents(spec.events),
        runDir: req.runDir, name: trialStem(t), signal, log: (s) => log.write(`${s}\n`),
        storeEvents: storeNodeEvents(spec.events), ...(req.store?.nodes ? { storeNodes: req.store.nodes } : {}), onStateLoss: spec.state.on_state_loss,
        ...(spec.nf_options.nat_pool ? { natPool: spec.nf_options.nat_pool } : {}),
      });
      return { ...m, elastic };
    } finally {
      log.end();
    }
  }

  private async runTestpmd(req: TrialRequest, signal: AbortSignal): Promise<TrialMeasurement> {
    const argv = this.testpmdArgs(req.trial, req.pcap.path);
    const log = this.logStream(req);
    log.write(`$ ${shellJoin(argv)}\n`);
    const t0 = performance.now();
    const seen: { at: number; snap: TestpmdSnapshot }[] = [];
    const parser = new TestpmdStatsParser((snap) => seen.push({ at: (performance.now() - t0) / 1000, snap }));
    const child = ownedExeca(argv, {
      reject: false,
      cancelSignal: signal,
      forceKillAfterDelay: KILL_GRACE_MS,
      stdin: 'ignore',
      timeout: (req.traffic.warmup_s + req.traffic.duration_s + 60) * 1000,
    });
    const host = new HostLoadSampler(() => (child.pid ? [child.pid] : []));
    child.stdout?.on('data', (d: Buffer) => {
      log.write(d);
      parser.push(d.toString());
    });
    child.stderr?.on('data', (d: Buffer) => log.write(d));
    let exited = false;
    void child.finally(() => (exited = true));
    // The clock starts at testpmd's first statistics block (EAL start-up takes seconds and varies):
    // forward through warm-up and the measured window, then SIGINT so testpmd prints its totals and exits.
    const windowEnd = req.traffic.warmup_s + req.traffic.duration_s;
    const now = () => (performance.now() - t0) / 1000;
    const inWindow = (s: { at: number }, s0: number) => s.at >= s0 + req.traffic.warmup_s - 0.05 && s.at <= s0 + windowEnd + 0.5;
    for (;;) {
      if (exited || signal.aborted) break;
      const s0 = seen.length ? seen[0].at : null;
      if (s0 !== null && now() >= s0 + windowEnd && seen.some((s) => inWindow(s, s0))) break;
      if (now() > (s0 ?? 0) + windowEnd + 30) break; // no statistics: give up, reported below
      await new Promise((res) => setTimeout(res, 50));
    }
    const load = host.stop();
    if (!exited) child.kill('SIGINT');
    const r = await child;
    parser.end();
    log.end();
    if (signal.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);
    const measured = seen.length ? seen.filter((s) => inWindow(s, seen[0].at)) : [];
    if (measured.length === 0) {
      const tail = String(r.stderr ?? r.stdout ?? '').trim().split('\n').slice(-3).join(' | ');
      throw new FlexbenchError(`testpmd printed no statistics after the warm-up (exit ${r.exitCode ?? r.signal}): ${tail}`, EXIT.trialsFailed);
    }
    const port = (s: TestpmdSnapshot, p: number) => s.ports.find((x) => x.port === p);
    const rxPps = measured.reduce((a, s) => a + (port(s.snap, 0)?.rxPps ?? 0), 0) / measured.length;
    const txPps = measured.reduce((a, s) => a + (port(s.snap, 1)?.txPps ?? 0), 0) / measured.length;
    const first = seen[seen.indexOf(measured[0]) - 1] ?? measured[0];
    const last = measured[measured.length - 1];
    const seconds = first === last ? 1 : last.at - first.at;
    const d = (f: (s: TestpmdSnapshot) => number) => f(last.snap) - f(first.snap);
    const rxPackets = first === last ? Math.round(rxPps) : d((s) => port(s, 0)?.rxPackets ?? 0);
    const txPackets = first === last ? Math.round(txPps) : d((s) => port(s, 1)?.txPackets ?? 0);
    return {
      rx_packets: rxPackets,
      tx_packets: txPackets,
      dropped: Math.max(0, d((s) => (port(s, 0)?.rxMissed ?? 0) + (port(s, 1)?.txErrors ?? 0))),
      duration_s: seconds,
      rx_pps: rxPps,
      tx_pps: txPps,
      per_core: [], // testpmd's periodic statistics are per port, not per lcore: nothing to split honestly
      commands: [shellJoin(argv)],
      host: load,
    };
  }

  /**
   * A resident `nf run` of a max-load replay trial (flexbench ab's windows): the trial's own command line, but running
   * until stopped and answering samples on stdin (harness/testbeds/resident.ts), warmed up for traffic.warmup_s and
   * left paused. `instance` names its partition of the store, so two builds' processes on one store keep apart.
   * Its output goes to the run's logs/; teardown stops it if the caller did not.
   */
  async startResident(req: { trial: PlanTrial; pcap: PcapInfo; store: StoreHandle | null; runDir: string; instance: string; signal: AbortSignal }): Promise<{ nf: ResidentNf; command: string }> {
    const spec = this.opts.spec;
    if (spec.traffic.rate !== 'max' || spec.instances !== undefined || req.trial.nf === 'testpmd') {
      throw new FlexbenchError(`a resident nf run measures one flexbench NF at max load (${req.trial.trial_id} is not one)`, EXIT.usage);
    }
    const a = this.nfArgs(req.trial, req.pcap.path, spec, req.store?.url ?? null);
    a.splice(a.indexOf('--warmup'));
    const i = a.indexOf('--instance');
    if (i >= 0) a[i + 1] = req.instance;
    // runs until stopped: the duration is only a bound (about 11 days), no rate lines, samples on request
    a.push('--duration', String(RESIDENT_BOUND_S), '--progress', '0', '--samples-on-stdin', '--json');
    // every build's process of a unit on the same CPUs (residentCpus): a process that stays on
    // one virtual CPU for the whole run would otherwise keep that CPU's speed, and its pair another's
    const cpus = residentCpus(req.trial.cores);
    const pin = cpus ? ['taskset', '-c', cpus.join(',')] : [];
    const log = this.logStream({ runDir: req.runDir, trial: req.trial, logSuffix: 'resident' });
    const command = redactSecrets(shellJoin([...pin, 'flexbench', ...a]));
    log.write(`$ ${command}\n`);
    // the log stays open while the process lives: its stderr goes on arriving
    const nf = await ResidentNf.start({ argv: [...pin, process.execPath, this.cli, ...a], cwd: this.opts.root, name: req.trial.trial_id, warmupS: spec.traffic.warmup_s, log: (l) => log.write(`${l}\n`), onExit: () => log.end(), signal: req.signal });
    this.residents.add(nf);
    return { nf, command };
  }

  async teardown(): Promise<void> {
    for (const ac of this.trialControllers) ac.abort(new Error('teardown'));
    for (const r of this.residents) await r.stop();
    this.residents.clear();
    // stores stop in reverse start order
    for (const s of [...this.stores].reverse()) {
      try {
        await s.stop();
      } catch {
        /* teardown never throws; the next stop still runs */
      }
    }
  }
}
