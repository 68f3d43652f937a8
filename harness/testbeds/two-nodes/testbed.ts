// The two-node testbed over SSH (the paper's: node1 generates and receives, node2 runs the NF; the store
// runs on node2 = local or node1 = remote, reached over a second port). `lab` takes its nodes from the
// inventory; `netns` (../netns.ts) builds two emulated nodes and then runs exactly this code.
// This file holds the lifecycle; the jobs live beside it: argv.ts (command lines), window.ts (window
// arithmetic), stores.ts (store servers over a Host), fingerprint.ts, trial.ts (a trial's phases).
import { mkdirSync, type WriteStream } from 'node:fs';
import { join, basename } from 'node:path';
import { FlexbenchError, EXIT } from '../../exit-codes.js';
import { HostLoadSampler } from '../../orchestrate/host-load.js';
import type { Spec } from '../../spec/schema.js';
import { trialStem, type Fingerprint, type PcapInfo, type PlanTrial } from '../../results/format.js';
import { SshHost } from '../../hosts/ssh.js';
import { shellJoin, type HostProcess } from '../../hosts/host.js';
import type { Inventory } from '../../inventory/schema.js';
import { preflightNode, assertPreflight, formatPreflight, type NodeReport, type PreflightNeeds } from '../../inventory/preflight.js';
import type { CommandTarget } from '../../tools/command.js';
import type { Testbed, TestbedOptions, TrialMeasurement, TrialRequest, StoreHandle, PrepareContext, PacedSession, PacedSessionEnd, EndpointSession } from '../testbed.js';
import { type ArgvContext, type NodeName, nfKind, placement, portModeOf, testpmdNfArgv, testpmdGenArgv, pktgenGenArgv, flexbenchNfArgv, commandNfArgv, flexbenchGenArgv, flexbenchResidentGenArgv, filePrefix } from './argv.js';
import { TwoNodeStores } from './stores.js';
import { openTrialLog } from './trial-log.js';
import { twoNodeFingerprint } from './fingerprint.js';
import { runTwoNodeTrial, unpacedReason, writeStateConfig, KILL_GRACE_MS } from './trial.js';
import { ResidentPair } from './resident-trial.js';
import { EndpointNfSession, describeEndpointTrial, type EndpointTrialEnv } from './endpoint-trial.js';
import { needsServer } from '../../../runtime/stores/server.js';
import { linkedController } from '../../../common/abort.js';
import { choosePortMode, readChannels, detachXdp, setChannels, type Channels, type PortChoice } from './port.js';

export class TwoNodeTestbed implements Testbed {
  protected hosts: Partial<Record<NodeName, SshHost>> = {};
  protected reports: Partial<Record<NodeName, NodeReport>> = {};
  private readonly remoteDir: string;
  private readonly remotePcaps = new Map<string, string>();
  private readonly commands: Record<string, CommandTarget>;
  private readonly stores: TwoNodeStores;
  protected readonly argv: ArgvContext;
  /** node2's data port as preflight found it (flexbench NFs): real queues, and why AF_XDP is out if it is */
  protected portFacts: { channels: Channels | null; xdpProblem: string | null } | null = null;
  /** XDP programs found attached and removed, for the log: at start and after trials */
  readonly xdpRemoved: string[] = [];

  constructor(protected readonly opts: TestbedOptions, protected inv: Inventory, readonly kind: 'lab' | 'netns', commands: Record<string, CommandTarget> = {}) {
    if (!inv?.nodes) throw new FlexbenchError(`testbed ${kind} needs an inventory (inventory: in the spec, or inventory: { file: PATH })`, EXIT.usage);
    this.remoteDir = `/tmp/flexbench-${kind}-${process.pid}-${Date.now().toString(36)}`;
    this.commands = commands;
    this.stores = new TwoNodeStores(() => this.inv, (n) => this.host(n), this.remoteDir);
    const self = this;
    this.argv = {
      get inv() {
        return self.inv;
      },
      kind,
      commands,
      cores: (n) => this.knownCores(n),
      flushMs: opts.spec.state.flush_ms,
      nfOptions: opts.spec.nf_options ?? {},
      pid: process.pid,
      portMode: (n) => {
        const c = this.portChoice(n);
        return c && 'mode' in c ? c.mode : null;
      },
    };
  }

  /** CPUs a node offers in trial order, when known without asking it (inventory, or the netns machine). */
  protected knownCores(node: NodeName): number[] | null {
    return this.reports[node]?.cores ?? this.inv.nodes[node].cores ?? null;
  }

  /** The rule's port mode for an n-core flexbench trial; null until preflight has looked at the port. */
  portChoice(n: number): PortChoice | null {
    const port = this.inv.nodes.node2.data_ports[0];
    if (!this.portFacts || !port.iface) return null;
    return choosePortMode(n, port.iface, this.portFacts.channels, this.portFacts.xdpProblem, port.port_mode);
  }

  skipReason(t: PlanTrial): string | null {
    const n2 = this.inv.nodes.node2;
    const cores = this.knownCores('node2');
    const need = t.nf === 'testpmd' ? t.cores + 1 : t.cores;
    if (cores && need > cores.length) return `needs ${need} CPUs on node2 (${t.nf === 'testpmd' ? '1 main + ' + t.cores + ' forwarding' : t.cores + ' workers'}); node2 has ${cores.length}`;
    const kind = nfKind(this.commands, t.nf);
    if (kind === 'flexbench' && !n2.tools.flexbench) return 'inventory node2.tools.flexbench (bin/flexbench.js of a built checkout on node2) is not set';
    if (kind === 'flexbench' && !n2.data_ports[0].iface) return `flexbench NFs need a kernel interface on node2's data port (AF_XDP/AF_PACKET); the inventory gives only PCI ${n2.data_ports[0].pci}`;
    if (kind === 'testpmd' && needsServer(t.store)) return 'testpmd keeps no state';
    if (kind === 'flexbench') {
      const c = this.portChoice(t.cores);
      if (c && 'skip' in c) return c.skip;
    }
    if (this.inv.generator === 'testpmd' && this.opts.spec.traffic.rate !== 'max') return 'testpmd as generator cannot pace at a rate: use rate: max, or generator: flexbench or pktgen';
    if (this.inv.generator === 'flexbench') {
      const n1 = this.inv.nodes.node1;
      if (!n1.tools.flexbench) return 'generator flexbench: inventory node1.tools.flexbench (bin/flexbench.js of a built checkout on node1) is not set';
      if (!n1.data_ports[0].iface) return `generator flexbench needs a kernel interface on node1's data port (AF_XDP/AF_PACKET); the inventory gives only PCI ${n1.data_ports[0].pci}`;
    }
    if (needsServer(t.store)) {
      const pre = this.inv.stores[t.store]?.[t.location as 'local' | 'remote'];
      if (!pre && t.store !== 'redis') return `store ${t.store} on a two-node testbed needs a running server: set inventory stores.${t.store}.${t.location}.url (flexbench starts only redis over SSH)`;
      if (!pre && t.location === 'remote' && !this.inv.nodes.node1.store_port?.address) return 'a remote store needs node1.store_port.address in the inventory (node2 reaches the store there)';
    }
    return null;
  }

  // -- command lines (argv.ts) -----------------------------------------------------------------

  testpmdNfArgv(t: PlanTrial): string[] {
    return testpmdNfArgv(this.argv, t);
  }

  testpmdGenArgv(t: PlanTrial, remotePcap: string): { argv: string[]; dataPort: number } {
    return testpmdGenArgv(this.argv, t, remotePcap);
  }

  pktgenGenArgv(t: PlanTrial, remotePcap: string): string[] {
    return pktgenGenArgv(this.argv, t, remotePcap);
  }

  private maxSeconds(durationS?: number): number {
    const tr = this.opts.spec.traffic;
    return this.inv.start_timeout_s * 2 + tr.warmup_s + (durationS ?? tr.duration_s) + 10;
  }

  /** Why node1's generator cannot offer a paced load (or stamp and receive it, for latency); null when it can. */
  unpaced(latency: boolean): string | null {
    return unpacedReason(this.inv.generator, latency);
  }

  private remotePcapPath(p: PcapInfo): string {
    return this.remotePcaps.get(p.path) ?? `${this.remoteDir}/pcaps/${basename(p.path)}`;
  }

  describeTrial(t: PlanTrial, pcap: PcapInfo, _spec: Spec): string[] {
    if (t.measure) {
      const env = this.endpointEnv({ trial: t, pcap, traffic: this.opts.spec.traffic, flush_ms: this.opts.spec.state.flush_ms, store: null, signal: new AbortController().signal, runDir: '' }, `${this.remoteDir}/secrets`);
      return env ? describeEndpointTrial(env, t) : [`(${t.measure}: testbed netns only)`];
    }
    const rp = this.remotePcapPath(pcap);
    const tr = this.opts.spec.traffic;
    const gen = this.inv.generator === 'pktgen' ? pktgenGenArgv(this.argv, t, rp)
      : this.inv.generator === 'flexbench' ? flexbenchGenArgv(this.argv, rp, { rate: tr.rate, warmup_s: tr.warmup_s, duration_s: tr.duration_s, latency_every: 0 })
      : testpmdGenArgv(this.argv, t, rp).argv;
    const k = nfKind(this.commands, t.nf);
    const nf = k === 'testpmd' ? testpmdNfArgv(this.argv, t) : k === 'command' ? commandNfArgv(this.argv, t, null, this.maxSeconds(), rp) : flexbenchNfArgv(this.argv, t, null, this.maxSeconds());
    return [`node2$ ${shellJoin(nf)}`, `node1$ ${shellJoin(gen)}`];
  }

  // -- lifecycle ---------------------------------------------------------------------------------

  /** Connect to both nodes at once; every node's SSH problem is reported together (exit 5). */
  protected async connect(): Promise<void> {
    const names = (['node1', 'node2'] as const).filter((n) => !this.hosts[n]);
    const results = await Promise.allSettled(
      names.map((name) => {
        const s = this.inv.nodes[name].ssh;
        return SshHost.connect({ host: s.host, port: s.port, user: s.user, key: s.key, knownHosts: s.known_hosts, strictHostKeyChecking: s.strict_host_key_checking, connectTimeoutMs: s.connect_timeout_ms }, name);
      }),
    );
    const problems: string[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') this.hosts[names[i]!] = r.value;
      else problems.push(`${names[i]}:\n  - ${(r.reason as Error).message.replace(/\n/g, '\n    ')}`);
    });
    if (problems.length === 1) throw results.find((r) => r.status === 'rejected')!.reason as Error;
    if (problems.length > 1) throw new FlexbenchError(`preflight failed:\n${problems.join('\n')}`, EXIT.environment);
  }

  protected host(name: NodeName): SshHost {
    const h = this.hosts[name];
    if (!h) throw new FlexbenchError(`${name} is not connected (preflight did not run)`, EXIT.environment);
    return h;
  }

  async preflight(spec: Spec): Promise<void> {
    await this.connect();
    const m = spec.matrix;
    const started = (loc: 'local' | 'remote') => m.stores.some((s) => needsServer(s) && m.locations.includes(loc) && s === 'redis' && !this.inv.stores.redis?.[loc]);
    const g = this.inv.generator;
    // flexbench gen opens node1's data port like an NF on one core: the same checks
    const needs1: PreflightNeeds = { testpmd: g === 'testpmd', pktgen: g === 'pktgen', flexbench: g === 'flexbench', flexbenchCores: 1, redis: started('remote'), hugepages: g !== 'flexbench', cores: 2 };
    const needs2: PreflightNeeds = {
      testpmd: m.nfs.includes('testpmd'),
      pktgen: false,
      flexbench: m.nfs.some((n) => nfKind(this.commands, n) === 'flexbench'),
      redis: started('local'),
      hugepages: m.nfs.includes('testpmd'),
      // trials needing more CPUs than node2 has fail with a clear reason; preflight checks the minimum
      cores: 2,
      // check-port at one queue tells whether AF_XDP works there at all; queues per trial are the rule's (port.ts)
      flexbenchCores: 1,
    };
    const iface = this.inv.nodes.node2.data_ports[0].iface;
    if (needs2.flexbench && iface) {
      // a program left attached (a crashed NF, an earlier run) makes libxdp refuse and the NF fall back: removed first
      const stale = await detachXdp(this.host('node2'), iface);
      if (stale.length) this.xdpRemoved.push(`at start: XDP program(s) ${stale.join(', ')} removed from node2's ${iface}`);
    }
    const [r1, r2] = await Promise.all([preflightNode('node1', this.host('node1'), this.inv.nodes.node1, needs1), preflightNode('node2', this.host('node2'), this.inv.nodes.node2, needs2)]);
    this.reports = { node1: r1, node2: r2 };
    if (needs2.flexbench && iface) {
      const channels = await readChannels(this.host('node2'), iface);
      const pc = r2.portCheck;
      this.portFacts = { channels, xdpProblem: pc && pc.mode !== 'xdp' ? pc.reason.replace(/; falling back to AF_PACKET.*$/, '') : null };
      r2.ok.push(`port ${iface}: ${channels ? `${channels.current} queue(s)${channels.max !== null ? ` of at most ${channels.max}` : ''} (${channels.source})` : 'queue count unknown'}; ` +
        [...new Set(m.cores)].map((n) => { const c = this.portChoice(n)!; return `${n} core(s): ${'mode' in c ? c.mode : 'skip'}`; }).join(', '));
    }
    for (const x of this.xdpRemoved) r2.ok.push(x);
    process.stderr.write(`${this.kind} preflight:\n${formatPreflight([r1, r2])}\n`);
    assertPreflight([r1, r2]);
  }

  async fingerprint(): Promise<Fingerprint> {
    return twoNodeFingerprint(this.host('node2'), this.inv, this.reports, this.opts.spec.matrix.stores, this.kind);
  }

  async prepare(ctx: PrepareContext): Promise<void> {
    this.stores.runDir = ctx.runDir;
    const h1 = this.host('node1');
    await h1.exec(['mkdir', '-p', `${this.remoteDir}/pcaps`]);
    for (const p of ctx.pcaps) {
      const dest = `${this.remoteDir}/pcaps/${basename(p.path)}`;
      ctx.log(`copying ${basename(p.path)} to node1:${dest}`);
      await h1.putFile(p.path, dest);
      this.remotePcaps.set(p.path, dest);
    }
    if (Object.keys(this.commands).length > 0) {
      // command targets may read the pcap too
      const h2 = this.host('node2');
      for (const p of ctx.pcaps) await h2.putFile(p.path, `${this.remoteDir}/pcaps/${basename(p.path)}`);
    }
  }

  startStore(store: string, location: string, signal: AbortSignal): Promise<StoreHandle | null> {
    return this.stores.start(store, location, signal);
  }

  protected logStream(req: TrialRequest): WriteStream {
    const dir = join(req.runDir, 'logs');
    mkdirSync(dir, { recursive: true });
    return openTrialLog(join(dir, `${trialStem(req.trial)}.log`));
  }

  async runTrial(given: TrialRequest): Promise<TrialMeasurement> {
    // a trial between end hosts alone: a group of one test
    if (given.trial.measure) return this.endpointAlone(given);
    // the back-to-back calibration (load.nf: wire) runs that NF store-less in the trial's place
    const req: TrialRequest = given.load?.nf ? { ...given, trial: { ...given.trial, nf: given.load.nf, store: 'none' }, store: null } : given;
    if (given.load?.nf && nfKind(this.commands, given.load.nf) !== 'flexbench') throw new FlexbenchError(`load.nf ${given.load.nf}: a two-node calibration runs a flexbench NF (wire)`, EXIT.usage);
    const ac = linkedController(req.signal);
    const log = this.logStream(req);
    const started: HostProcess[] = [];
    // how busy the host was outside the trial's processes, where the nodes share this machine (netns)
    const own = this.ownTicks();
    const sampler = own ? new HostLoadSampler(() => [], own) : null;
    const host = () => ({ host: sampler?.stop() ?? null });
    const iface = this.inv.nodes.node2.data_ports[0].iface;
    const flexbench = nfKind(this.commands, req.trial.nf) === 'flexbench' && iface !== undefined && this.portFacts !== null;
    try {
      if (flexbench) await this.portBeforeTrial(req.trial, iface!, log);
      const env = { argv: this.argv, inv: this.inv, commands: this.commands, node1: this.host('node1'), node2: this.host('node2'), remotePcap: this.remotePcapPath(req.pcap), maxSeconds: this.maxSeconds(req.load?.duration_s), secretsDir: `${this.remoteDir}/secrets` };
      const m = await runTwoNodeTrial(env, req, ac.signal, log, started);
      return { ...m, ...host(), port_mode: portModeOf(this.argv, req.trial), lcores: placement(this.argv, req.trial) };
    } finally {
      sampler?.stop();
      ac.dispose();
      // whatever still runs (failure, interrupt) dies with its process group
      await Promise.all(started.map((p) => p.kill(KILL_GRACE_MS).catch(() => undefined)));
      // DPDK leaves its runtime dir (config, sockets) behind on exit: one per trial would pile up
      const i = req.trial.index;
      const dirs = (who: ('n1' | 'n2' | 'pg')[]) => who.map((w) => `/var/run/dpdk/${filePrefix(this.argv, w, i)}`);
      await Promise.all([
        this.hosts.node1?.exec(['rm', '-rf', ...dirs(['n1', 'pg'])], { allowFailure: true }).catch(() => undefined),
        this.hosts.node2?.exec(['rm', '-rf', ...dirs(['n2'])], { allowFailure: true }).catch(() => undefined),
      ]);
      if (flexbench) await this.detachAfter(iface!, `trial ${req.trial.index}`, log);
      log.end();
    }
  }

  /**
   * A search's NF and generator kept up across its trials (flexbench NF, generator flexbench, the data port): the port
   * checked once before, the NF's program detached once after. Null for every other pairing (runTrial per trial).
   */
  async openPaced(req: Omit<TrialRequest, 'load' | 'logSuffix'>): Promise<PacedSession | null> {
    const t = req.trial;
    const iface = this.inv.nodes.node2.data_ports[0].iface;
    if (t.measure || this.inv.generator !== 'flexbench' || nfKind(this.commands, t.nf) !== 'flexbench' || !iface || !this.portFacts) return null;
    const ac = linkedController(req.signal);
    const log = this.logStream({ ...req, trial: { ...t, trial_id: `${t.trial_id}/resident` } });
    const own = this.ownTicks();
    let pair: ResidentPair | null = null;
    const cleanup = async () => {
      ac.dispose();
      await this.detachAfter(iface, `trial ${t.index}'s search`, log);
      await new Promise<void>((r) => log.end(r));
    };
    try {
      await this.portBeforeTrial(t, iface, log, true);
      const stateConfig = await writeStateConfig(this.host('node2'), `${this.remoteDir}/secrets`, t, req.store);
      // bounded as a search is: its trials and their settling, past any search this spec can ask for
      const bound = 3600;
      const nfArgv = [...flexbenchNfArgv(this.argv, t, req.store?.url ?? null, bound, stateConfig), '--samples-on-stdin'];
      const genArgv = flexbenchResidentGenArgv(this.argv, this.remotePcapPath(req.pcap));
      pair = await ResidentPair.open({ inv: this.inv, node1: this.host('node1'), node2: this.host('node2'), nfArgv, genArgv, log, signal: ac.signal, link: this.kind === 'netns' ? 'veth' : 'link' });
    } catch (e) {
      await cleanup();
      throw e;
    }
    const p = pair;
    const lcores = placement(this.argv, t);
    const portMode = portModeOf(this.argv, t);
    let closed: Promise<PacedSessionEnd> | null = null;
    return {
      run: async (load) => {
        const sampler = own ? new HostLoadSampler(() => [], own) : null;
        try {
          const m = await p.run(load);
          return { ...m, host: sampler?.stop() ?? null, port_mode: portMode, lcores };
        } finally {
          sampler?.stop();
        }
      },
      close: () => (closed ??= p.close().finally(cleanup)),
    };
  }

  /**
   * One NF on the end hosts' port (netns: endpointEnv) kept up across a group of end-host tests: the port checked once
   * before, the NF's program detached once after; each test's own log beside the NF's (`…/resident`).
   */
  async openEndpoints(req: Omit<TrialRequest, 'load' | 'logSuffix'>, tests: number): Promise<EndpointSession> {
    const t = req.trial;
    const ends = t.measure ? this.endpointEnv(req, `${this.remoteDir}/secrets`) : null;
    if (!ends) throw new FlexbenchError(`${t.measure} trials run between the end hosts of testbed netns; this ${this.kind} testbed has none`, EXIT.trialsFailed);
    const iface = ends.nfIface;
    const ac = linkedController(req.signal);
    const log = this.logStream({ ...req, trial: { ...t, trial_id: `${t.trial_id.slice(0, t.trial_id.lastIndexOf('/'))}/resident` } });
    const own = this.ownTicks();
    const cleanup = async () => {
      ac.dispose();
      if (this.portFacts) await this.detachAfter(iface, `trial ${t.index}'s end-host tests`, log);
      await new Promise<void>((r) => log.end(r));
    };
    let session: EndpointNfSession;
    try {
      if (this.portFacts) await this.portBeforeTrial(t, iface, log, false);
      session = await EndpointNfSession.open(ends, t, req.store, tests, ac.signal, log);
    } catch (e) {
      await cleanup();
      throw e;
    }
    let closed: Promise<PacedSessionEnd> | null = null;
    return {
      run: async (r) => {
        const tlog = this.logStream(r);
        // how busy the host was outside the trial's processes, where the nodes share this machine (netns)
        const sampler = own ? new HostLoadSampler(() => [], own) : null;
        try {
          const m = await session.run(r.trial, tlog);
          return { ...m, host: sampler?.stop() ?? null, port_mode: portModeOf(this.argv, r.trial), lcores: { nf: placement(this.argv, r.trial).nf } };
        } finally {
          sampler?.stop();
          tlog.end();
        }
      },
      close: () => (closed ??= session.close().finally(cleanup)),
    };
  }

  /** A trial between end hosts run alone (through runTrial): its own NF, started and stopped around it; the NF's end flags are its. */
  private async endpointAlone(req: TrialRequest): Promise<TrialMeasurement> {
    const s = await this.openEndpoints(req, 1);
    const m = await s.run(req).catch(async (e: unknown) => {
      await s.close().catch(() => undefined);
      throw e;
    });
    const end = await s.close();
    return { ...m, flags: [...(m.flags ?? []), ...end.flags, ...(end.died ? [`resident_nf_died: after the test: ${end.died}`] : [])] };
  }

  /** CPU ticks of the trial's own processes where they run on this machine (netns); null on lab nodes, whose load is not read. */
  protected ownTicks(): (() => number) | null {
    return null;
  }

  /** The end hosts a trial with a measure runs between (netns builds them); null where there are none. */
  protected endpointEnv(_req: TrialRequest, _secretsDir: string): EndpointTrialEnv | null {
    return null;
  }

  /**
   * After a flexbench NF (`what` ended: a trial, a search): the NF's own program goes with its sockets; one that stays
   * would turn the next trial into AF_PACKET, so it is removed and said. Never throws (a trial's or a session's cleanup).
   */
  private async detachAfter(iface: string, what: string, log: WriteStream): Promise<void> {
    const h2 = this.hosts.node2;
    if (!h2) return;
    const left = await detachXdp(h2, iface).catch(() => []);
    if (!left.length) return;
    const msg = `after ${what}: XDP program(s) ${left.join(', ')} were still attached to node2's ${iface} and were removed`;
    this.xdpRemoved.push(msg);
    log.write(`# ${new Date().toISOString()} ${msg}\n`);
  }

  /** Before a flexbench NF starts: no program left on its port, and (`queues`) as many queues as it has cores where AF_XDP is the rule. */
  private async portBeforeTrial(t: PlanTrial, iface: string, log: WriteStream, queues = true): Promise<void> {
    const h2 = this.host('node2');
    const stale = await detachXdp(h2, iface);
    if (stale.length) {
      const msg = `before trial ${t.index}: stale XDP program(s) ${stale.join(', ')} removed from node2's ${iface}`;
      this.xdpRemoved.push(msg);
      log.write(`# ${new Date().toISOString()} ${msg}\n`);
    }
    const ch = this.portFacts?.channels;
    if (queues && this.argv.portMode(t.cores) === 'af_xdp' && ch && ch.current !== t.cores) {
      log.write(`# ${new Date().toISOString()} node2: ${iface} set to ${t.cores} queue(s)\n`);
      await setChannels(h2, iface, ch, t.cores);
    }
  }

  async teardown(): Promise<void> {
    await this.stores.stopAll();
    for (const name of ['node1', 'node2'] as const) {
      const h = this.hosts[name];
      if (!h) continue;
      await h.killAll().catch(() => undefined);
      await h.exec(['rm', '-rf', this.remoteDir], { allowFailure: true, timeoutMs: 10_000 }).catch(() => undefined);
      await h.close().catch(() => undefined);
    }
    this.hosts = {};
  }
}
