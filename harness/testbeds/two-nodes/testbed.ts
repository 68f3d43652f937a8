// The two-node testbed over SSH (the paper's: node1 generates and receives, node2 runs the NF; the store
// runs on node2 = local or node1 = remote, reached over a second port). `lab` takes its nodes from the
// inventory; `netns` (../netns.ts) builds two emulated nodes and then runs exactly this code.
// This file holds the lifecycle; the jobs live beside it: argv.ts (command lines), window.ts (window
// arithmetic), stores.ts (store servers over a Host), fingerprint.ts, trial.ts (a trial's phases).
import { mkdirSync, createWriteStream, type WriteStream } from 'node:fs';
import { redactSecrets } from '../../../common/secrets.js';
import { join, basename } from 'node:path';
import { FlexbenchError, EXIT } from '../../exit-codes.js';
import type { Spec } from '../../spec/schema.js';
import type { Fingerprint, PcapInfo, PlanTrial } from '../../results/format.js';
import { SshHost } from '../../hosts/ssh.js';
import { shellJoin, type HostProcess } from '../../hosts/host.js';
import type { Inventory } from '../../inventory/schema.js';
import { preflightNode, assertPreflight, formatPreflight, type NodeReport, type PreflightNeeds } from '../../inventory/preflight.js';
import type { CommandTarget } from '../../tools/command.js';
import type { Testbed, TestbedOptions, TrialMeasurement, TrialRequest, StoreHandle, PrepareContext } from '../testbed.js';
import { type ArgvContext, type NodeName, nfKind, testpmdNfArgv, testpmdGenArgv, pktgenGenArgv, flexbenchNfArgv, commandNfArgv, filePrefix } from './argv.js';
import { TwoNodeStores } from './stores.js';
import { twoNodeFingerprint } from './fingerprint.js';
import { runTwoNodeTrial, KILL_GRACE_MS } from './trial.js';
import { needsServer } from '../../../runtime/stores/server.js';
import { linkedController } from '../../../common/abort.js';

export class TwoNodeTestbed implements Testbed {
  protected hosts: Partial<Record<NodeName, SshHost>> = {};
  protected reports: Partial<Record<NodeName, NodeReport>> = {};
  private readonly remoteDir: string;
  private readonly remotePcaps = new Map<string, string>();
  private readonly commands: Record<string, CommandTarget>;
  private readonly stores: TwoNodeStores;
  private readonly argv: ArgvContext;

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
      pid: process.pid,
    };
  }

  /** CPUs a node offers in trial order, when known without asking it (inventory, or the netns machine). */
  protected knownCores(node: NodeName): number[] | null {
    return this.reports[node]?.cores ?? this.inv.nodes[node].cores ?? null;
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
    if (this.inv.generator === 'testpmd' && this.opts.spec.traffic.rate !== 'max') return 'testpmd as generator cannot pace at a rate: use rate: max, or generator: pktgen';
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

  private maxSeconds(): number {
    const tr = this.opts.spec.traffic;
    return this.inv.start_timeout_s * 2 + tr.warmup_s + tr.duration_s + 10;
  }

  private remotePcapPath(p: PcapInfo): string {
    return this.remotePcaps.get(p.path) ?? `${this.remoteDir}/pcaps/${basename(p.path)}`;
  }

  describeTrial(t: PlanTrial, pcap: PcapInfo, _spec: Spec): string[] {
    const rp = this.remotePcapPath(pcap);
    const gen = this.inv.generator === 'pktgen' ? pktgenGenArgv(this.argv, t, rp) : testpmdGenArgv(this.argv, t, rp).argv;
    const k = nfKind(this.commands, t.nf);
    const nf = k === 'testpmd' ? testpmdNfArgv(this.argv, t) : k === 'command' ? commandNfArgv(this.argv, t, null, this.maxSeconds(), rp) : flexbenchNfArgv(this.argv, t, null, this.maxSeconds());
    return [`node2$ ${shellJoin(nf)}`, `node1$ ${shellJoin(gen)}`];
  }

  // -- lifecycle ---------------------------------------------------------------------------------

  protected async connect(): Promise<void> {
    for (const name of ['node1', 'node2'] as const) {
      if (this.hosts[name]) continue;
      const s = this.inv.nodes[name].ssh;
      this.hosts[name] = await SshHost.connect(
        { host: s.host, port: s.port, user: s.user, key: s.key, knownHosts: s.known_hosts, strictHostKeyChecking: s.strict_host_key_checking, connectTimeoutMs: s.connect_timeout_ms },
        name,
      );
    }
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
    const needs1: PreflightNeeds = { testpmd: this.inv.generator === 'testpmd', pktgen: this.inv.generator === 'pktgen', flexbench: false, redis: started('remote'), hugepages: true, cores: 2 };
    const needs2: PreflightNeeds = {
      testpmd: m.nfs.includes('testpmd'),
      pktgen: false,
      flexbench: m.nfs.some((n) => nfKind(this.commands, n) === 'flexbench'),
      redis: started('local'),
      hugepages: m.nfs.includes('testpmd'),
      // trials needing more CPUs than node2 has fail with a clear reason; preflight checks the minimum
      cores: 2,
      flexbenchCores: Math.max(...m.cores),
    };
    const [r1, r2] = await Promise.all([preflightNode('node1', this.host('node1'), this.inv.nodes.node1, needs1), preflightNode('node2', this.host('node2'), this.inv.nodes.node2, needs2)]);
    this.reports = { node1: r1, node2: r2 };
    process.stderr.write(`${this.kind} preflight:\n${formatPreflight([r1, r2])}\n`);
    assertPreflight([r1, r2]);
  }

  async fingerprint(): Promise<Fingerprint> {
    return twoNodeFingerprint(this.host('node2'), this.inv, this.reports, this.opts.spec.matrix.stores, this.kind);
  }

  async prepare(ctx: PrepareContext): Promise<void> {
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

  private logStream(req: TrialRequest): WriteStream {
    const dir = join(req.runDir, 'logs');
    mkdirSync(dir, { recursive: true });
    const stream = createWriteStream(join(dir, `${String(req.trial.index).padStart(4, '0')}-${req.trial.trial_id.replace(/\//g, '_')}.log`));
    // passwords in store URLs and redis-server options never reach a log file
    const write = stream.write.bind(stream) as (c: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((c: unknown, ...rest: unknown[]) => write(typeof c === 'string' ? redactSecrets(c) : c, ...rest)) as typeof stream.write;
    return stream;
  }

  async runTrial(req: TrialRequest): Promise<TrialMeasurement> {
    const ac = linkedController(req.signal);
    const log = this.logStream(req);
    const started: HostProcess[] = [];
    try {
      const env = { argv: this.argv, inv: this.inv, commands: this.commands, node1: this.host('node1'), node2: this.host('node2'), remotePcap: this.remotePcapPath(req.pcap), maxSeconds: this.maxSeconds() };
      return await runTwoNodeTrial(env, req, ac.signal, log, started);
    } finally {
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
      log.end();
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
