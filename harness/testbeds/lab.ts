// The two-node testbed over SSH (the paper's: node1 generates and receives, node2 runs the NF; the store
// runs on node2 = local or node1 = remote, reached over a second port). `lab` takes its nodes from the
// inventory; `netns` (./netns.ts) builds two emulated nodes and then runs exactly this code.
import { mkdirSync, writeFileSync, createWriteStream, type WriteStream } from 'node:fs';
import { join, basename } from 'node:path';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { linePps, type Spec } from '../spec/schema.js';
import type { Fingerprint, PcapInfo, PlanTrial } from '../results/format.js';
import { SshHost } from '../hosts/ssh.js';
import { shellJoin, type Host, type HostProcess } from '../hosts/host.js';
import { inventorySchema as labInventorySchema, type Inventory, type NodeInventory } from '../inventory/schema.js';
import { preflightNode, assertPreflight, formatPreflight, type NodeReport, type PreflightNeeds } from '../inventory/preflight.js';
import { dpdkLcores } from '../inventory/cores.js';
import { testpmdArgv, afPacketVdev, pcapReplayVdev, TestpmdStatsParser, TestpmdClock, type TestpmdSnapshot } from '../tools/testpmd.js';
import { pktgenArgv, PktgenLua, PKTGEN_LUA_PORT, ratePercent } from '../tools/pktgen.js';
import { expandArgv, readRate, type CommandTarget } from '../tools/command.js';
import { parseNfProgress } from '../tools/nf-run.js';
import type { Testbed, TestbedOptions, TrialMeasurement, TrialRequest, StoreHandle, PrepareContext } from './testbed.js';

/** lab inventory = the two-node inventory plus command targets for NFs flexbench does not build. */
export const inventorySchema = labInventorySchema;

export function createTestbed(opts: TestbedOptions): Testbed {
  const inv = opts.inventory as Inventory;
  return new TwoNodeTestbed(opts, inv, 'lab', inv?.commands ?? {});
}

const KILL_GRACE_MS = 5000;
/** testpmd's --stats-period (the default of testpmdArgv) */
const STATS_PERIOD_S = 1;
const STORE_PORT_BASE = 16390;

/**
 * One sample of a counter pair. `at` is on the tool's own clock where it has one (testpmd: TSC time from
 * its per-block rates, see TestpmdClock; nf run: its t=), so neither SSH delays nor a starved printer
 * stretch the window; `arr` is when it reached us.
 */
export interface Sample {
  at: number;
  arr: number;
  rx: number;
  tx: number;
}

/**
 * Offset from a tool's clock to the harness clock, from its least delayed sample (as NTP does): lines can
 * arrive late and in bunches (a starved process, SSH buffering), never early.
 */
export function clockOffset(samples: readonly Sample[]): number {
  let off = Infinity;
  for (const s of samples) off = Math.min(off, s.arr - s.at);
  return off;
}

/** Counters at time t of the samples' own clock, linear between the samples around it; null outside. */
export function counterAt(samples: readonly Sample[], t: number): { rx: number; tx: number } | null {
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    if (t >= a.at - 1e-9 && t <= b.at + 1e-9) {
      const f = b.at === a.at ? 0 : (t - a.at) / (b.at - a.at);
      return { rx: a.rx + f * (b.rx - a.rx), tx: a.tx + f * (b.tx - a.tx) };
    }
  }
  return null;
}

/** Another tool's counters over [from, to] of the harness clock (its samples mapped by clockOffset). */
export function alignedWindow(samples: readonly Sample[], from: number, to: number): { seconds: number; rx: number; tx: number } | null {
  if (samples.length < 2 || !(to > from)) return null;
  const off = clockOffset(samples);
  const a = counterAt(samples, from - off);
  const b = counterAt(samples, to - off);
  if (!a || !b) return null;
  return { seconds: to - from, rx: b.rx - a.rx, tx: b.tx - a.tx };
}

/** Deltas between the last sample at or before `from` and the first at or after `to` (one clock). */
export function windowOf(samples: readonly Sample[], from: number, to: number): { a: Sample; b: Sample; seconds: number; rx: number; tx: number } | null {
  if (samples.length < 2) return null;
  let a = samples[0];
  for (const s of samples) if (s.at <= from + 0.05) a = s;
  const b = samples.find((s) => s.at >= to - 0.05 && s.at > a.at) ?? samples[samples.length - 1];
  if (b.at <= a.at) return null;
  return { a, b, seconds: b.at - a.at, rx: b.rx - a.rx, tx: b.tx - a.tx };
}

/** What a two-node trial records beyond the rates (written next to the trial's log). */
export interface TwoNodeExtras {
  generator: { tool: string; tx_packets: number; rx_packets: number; tx_pps: number; rx_pps: number; asked_pps: number | null };
  nf: { tool: string; rx_packets: number | null; tx_packets: number | null; rx_pps: number | null; tx_pps: number | null; final: unknown };
  /** e.g. generator_shortfall */
  flags: string[];
}

/**
 * The rate a trial asks of the generator, null where it asks none. "max" asks Pktgen for
 * `maxPercent` of line rate, so falling short of that is a shortfall too; testpmd as generator has
 * no rate to ask, so only "sent nothing" can be flagged for it.
 */
export function askedPps(rate: number | 'max', generator: 'testpmd' | 'pktgen', frameSize: number, linkGbps: number, maxPercent: number): number | null {
  if (rate !== 'max') return rate;
  return generator === 'pktgen' ? Math.round((linePps(frameSize, linkGbps) * maxPercent) / 100) : null;
}

/** Flags for a generator that did not offer what the trial asked (the trial's rate is then suspect). */
export function generatorFlags(sentPps: number, askedPps: number | null, tolerance: number): string[] {
  const flags: string[] = [];
  if (sentPps <= 0) flags.push('generator_sent_nothing');
  else if (askedPps !== null && sentPps < askedPps * (1 - tolerance)) {
    flags.push(`generator_shortfall: sent ${Math.round(sentPps)} pps of ${askedPps} asked (${((sentPps / askedPps) * 100).toFixed(1)}%)`);
  }
  return flags;
}

/**
 * "Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection (ixgbe)" from `lspci -mm`
 * (quoted fields: class, vendor, device, …), else "8086:10fb (ixgbe)" from sysfs vendor/device.
 */
export function nicDescription(driver: string, lspciMm: string | null, sysIds: string | null): string {
  const fields = lspciMm ? [...lspciMm.matchAll(/"([^"]*)"/g)].map((m) => m[1]!) : [];
  if (fields.length >= 3) return `${fields[1]} ${fields[2]} (${driver})`;
  const ids = sysIds?.trim().split('\n').map((x) => x.trim().replace(/^0x/, '')).filter(Boolean) ?? [];
  return `${ids.length === 2 ? ids.join(':') : 'unknown device'} (${driver})`;
}

type NodeName = 'node1' | 'node2';
const now = (): number => performance.now() / 1000;
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((res) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      res();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** testpmd block-buffers stdout into a pipe: line-buffer it so each statistics block arrives when printed. */
const lineBuffered = (argv: string[]): string[] => ['stdbuf', '-oL', ...argv];

export class TwoNodeTestbed implements Testbed {
  protected hosts: Partial<Record<NodeName, SshHost>> = {};
  protected reports: Partial<Record<NodeName, NodeReport>> = {};
  private readonly stores: StoreHandle[] = [];
  private readonly remoteDir: string;
  private readonly remotePcaps = new Map<string, string>();
  private readonly commands: Record<string, CommandTarget>;
  private storeSeq = 0;

  constructor(protected readonly opts: TestbedOptions, protected inv: Inventory, readonly kind: 'lab' | 'netns', commands: Record<string, CommandTarget> = {}) {
    if (!inv?.nodes) throw new FlexbenchError(`testbed ${kind} needs an inventory (inventory: in the spec, or inventory: { file: PATH })`, EXIT.usage);
    this.remoteDir = `/tmp/flexbench-${kind}-${process.pid}-${Date.now().toString(36)}`;
    this.commands = commands;
  }

  /** CPUs a node offers in trial order, when known without asking it (inventory, or the netns machine). */
  protected knownCores(node: NodeName): number[] | null {
    return this.reports[node]?.cores ?? this.inv.nodes[node].cores ?? null;
  }

  protected nfKind(nf: string): 'testpmd' | 'command' | 'flexbench' {
    if (nf === 'testpmd') return 'testpmd';
    if (this.commands[nf]) return 'command';
    return 'flexbench';
  }

  skipReason(t: PlanTrial): string | null {
    const n2 = this.inv.nodes.node2;
    const cores = this.knownCores('node2');
    const need = t.nf === 'testpmd' ? t.cores + 1 : t.cores;
    if (cores && need > cores.length) return `needs ${need} CPUs on node2 (${t.nf === 'testpmd' ? '1 main + ' + t.cores + ' forwarding' : t.cores + ' workers'}); node2 has ${cores.length}`;
    const kind = this.nfKind(t.nf);
    if (kind === 'flexbench' && !n2.tools.flexbench) return 'inventory node2.tools.flexbench (bin/flexbench.js of a built checkout on node2) is not set';
    if (kind === 'flexbench' && !n2.data_ports[0].iface) return `flexbench NFs need a kernel interface on node2's data port (AF_XDP/AF_PACKET); the inventory gives only PCI ${n2.data_ports[0].pci}`;
    if (kind === 'testpmd' && t.store !== 'none' && t.store !== 'hashmap') return 'testpmd keeps no state';
    if (this.inv.generator === 'testpmd' && this.opts.spec.traffic.rate !== 'max') return 'testpmd as generator cannot pace at a rate: use rate: max, or generator: pktgen';
    if (t.store !== 'none' && t.store !== 'hashmap') {
      const pre = this.inv.stores[t.store]?.[t.location as 'local' | 'remote'];
      if (!pre && t.store !== 'redis') return `store ${t.store} on a two-node testbed needs a running server: set inventory stores.${t.store}.${t.location}.url (flexbench starts only redis over SSH)`;
      if (!pre && t.location === 'remote' && !this.inv.nodes.node1.store_port?.address) return 'a remote store needs node1.store_port.address in the inventory (node2 reaches the store there)';
    }
    return null;
  }

  // -- command lines -----------------------------------------------------------------------------

  private lcores(node: NodeName, n: number): { main: number; workers: number[] } {
    const order = this.knownCores(node) ?? Array.from({ length: n + 1 }, (_, i) => i);
    const l = dpdkLcores(order, n);
    if (!l) throw new FlexbenchError(`${node} has ${order.length} CPUs (${order.join(',')}), a DPDK app with ${n} forwarding core(s) needs ${n + 1}`, EXIT.trialsFailed);
    return l;
  }

  private dpdkCommon(node: NodeInventory) {
    return { noHuge: !node.dpdk.hugepages, memoryMb: node.dpdk.memory_mb, totalNumMbufs: node.dpdk.total_num_mbufs, extraEal: node.dpdk.eal_args };
  }

  /** testpmd on node2: MAC swap on n cores with n queues and RSS, one port looped back on itself. */
  testpmdNfArgv(t: PlanTrial): string[] {
    const n2 = this.inv.nodes.node2;
    const port = n2.data_ports[0];
    const { main, workers } = this.lcores('node2', t.cores);
    return testpmdArgv({
      binary: n2.tools.testpmd,
      lcores: [main, ...workers],
      nbCores: t.cores,
      filePrefix: `fb${this.kind}n2-${process.pid}-${t.index}`,
      vdevs: port.iface && !port.pci ? [afPacketVdev(0, port.iface, t.cores)] : [],
      pci: port.pci ? [port.pci] : [],
      queues: t.cores,
      forwardMode: 'macswap',
      extraApp: ['--port-topology=loop'],
      ...this.dpdkCommon(n2),
    });
  }

  /** testpmd as generator on node1: replays the pcap (net_pcap, infinite_rx) into the data port. Port index of the data port too. */
  testpmdGenArgv(t: PlanTrial, remotePcap: string): { argv: string[]; dataPort: number } {
    const n1 = this.inv.nodes.node1;
    const port = n1.data_ports[0];
    const { main, workers } = this.lcores('node1', 1);
    // PCI devices are probed before virtual ones: with a PCI data port it is port 0 and the pcap port 1
    const usePci = Boolean(port.pci);
    const vdevs = usePci ? [pcapReplayVdev(0, remotePcap)] : [pcapReplayVdev(0, remotePcap), afPacketVdev(1, port.iface!, 1)];
    const argv = testpmdArgv({
      binary: n1.tools.testpmd,
      lcores: [main, ...workers],
      nbCores: 1,
      filePrefix: `fb${this.kind}n1-${process.pid}-${t.index}`,
      vdevs,
      pci: usePci ? [port.pci!] : [],
      forwardMode: 'io',
      ...this.dpdkCommon(n1),
    });
    return { argv, dataPort: usePci ? 0 : 1 };
  }

  pktgenGenArgv(t: PlanTrial, remotePcap: string): string[] {
    const n1 = this.inv.nodes.node1;
    const port = n1.data_ports[0];
    const order = this.knownCores('node1') ?? [0, 1, 2];
    if (order.length < 3) throw new FlexbenchError('pktgen needs 3 CPUs on node1 (main, rx, tx)', EXIT.trialsFailed);
    return pktgenArgv({
      binary: n1.tools.pktgen ?? 'pktgen',
      lcores: [order[2], order[0], order[1]],
      filePrefix: `fb${this.kind}pg-${process.pid}-${t.index}`,
      pci: port.pci ? [port.pci] : [],
      vdevs: port.pci ? [] : [afPacketVdev(0, port.iface!, 1)],
      noHuge: !n1.dpdk.hugepages,
      memoryMb: n1.dpdk.memory_mb,
      port: 0,
      rxCore: order[0],
      txCore: order[1],
      pcap: remotePcap,
      extraEal: n1.dpdk.eal_args,
    });
  }

  flexbenchNfArgv(t: PlanTrial, storeUrl: string | null, maxSeconds: number): string[] {
    const n2 = this.inv.nodes.node2;
    const a = [n2.tools.node, n2.tools.flexbench ?? '<node2.tools.flexbench>', 'nf', 'run', '--nf', t.nf, '--cores', String(t.cores), '--port', n2.data_ports[0].iface!];
    if (t.store !== 'none') {
      a.push('--store', storeUrl ?? (t.store === 'hashmap' ? 'hashmap:' : `${t.store}://<started by the harness>`));
      a.push('--nf-id', t.nf, '--instance', 'ins1', '--mode', t.mode, '--flush-ms', String(this.opts.spec.state.flush_ms));
    }
    // an upper bound: the harness stops it (SIGTERM -> it prints its JSON line) once the window is measured
    a.push('--duration', String(Math.ceil(maxSeconds)), '--json');
    return a;
  }

  commandNfArgv(t: PlanTrial, storeUrl: string | null, maxSeconds: number, remotePcap: string): string[] {
    const n2 = this.inv.nodes.node2;
    const { workers } = this.lcores('node2', t.cores);
    return expandArgv(this.commands[t.nf].argv, {
      iface: n2.data_ports[0].iface ?? '',
      pci: n2.data_ports[0].pci ?? '',
      cores: t.cores,
      corelist: workers.join(','),
      duration: Math.ceil(maxSeconds),
      store: storeUrl ?? '',
      pcap: remotePcap,
      mode: t.mode,
      nf: t.nf,
    });
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
    const gen = this.inv.generator === 'pktgen' ? this.pktgenGenArgv(t, rp) : this.testpmdGenArgv(t, rp).argv;
    const k = this.nfKind(t.nf);
    const nf = k === 'testpmd' ? this.testpmdNfArgv(t) : k === 'command' ? this.commandNfArgv(t, null, this.maxSeconds(), rp) : this.flexbenchNfArgv(t, null, this.maxSeconds());
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
    const stateful = (s: string) => s !== 'none' && s !== 'hashmap';
    const started = (loc: 'local' | 'remote') => m.stores.some((s) => stateful(s) && m.locations.includes(loc) && s === 'redis' && !this.inv.stores.redis?.[loc]);
    const needs1: PreflightNeeds = { testpmd: this.inv.generator === 'testpmd', pktgen: this.inv.generator === 'pktgen', flexbench: false, redis: started('remote'), hugepages: true, cores: this.inv.generator === 'pktgen' ? 3 : 2 };
    const needs2: PreflightNeeds = {
      testpmd: m.nfs.includes('testpmd'),
      pktgen: false,
      flexbench: m.nfs.some((n) => this.nfKind(n) === 'flexbench'),
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
    const h = this.host('node2');
    const r = this.reports.node2;
    const mem = await h.exec(['cat', '/proc/meminfo'], { allowFailure: true });
    const kb = Number(mem.stdout.match(/MemTotal:\s+(\d+)/)?.[1] ?? 0);
    const arch = await h.exec(['uname', '-m'], { allowFailure: true });
    const port = this.inv.nodes.node2.data_ports[0];
    // model and driver of the data port: "Intel Corporation 82599ES 10-Gigabit SFI/SFP+ (ixgbe)", PCI ids without lspci
    let nic: string | null = null;
    const dev = port.pci ? `/sys/bus/pci/devices/${port.pci}` : `/sys/class/net/${port.iface}/device`;
    const drv = await h.exec(['readlink', `${dev}/driver`], { allowFailure: true });
    if (drv.code === 0) {
      const driver = drv.stdout.trim().split('/').pop() ?? '?';
      const pci = port.pci ?? (await h.exec(['readlink', dev], { allowFailure: true })).stdout.trim().split('/').pop() ?? '';
      const names = pci ? await h.exec(['lspci', '-s', pci, '-mm'], { allowFailure: true }) : null;
      const ids = await h.exec(['cat', `${dev}/vendor`, `${dev}/device`], { allowFailure: true });
      nic = nicDescription(driver, names?.code === 0 ? names.stdout : null, ids.code === 0 ? ids.stdout : null);
    } else if (port.iface) nic = `${port.iface} (kernel, no device)`;
    const stores: Record<string, string | null> = {};
    for (const s of this.opts.spec.matrix.stores) if (s !== 'none' && s !== 'hashmap') stores[s] = r?.versions[s] ?? this.reports.node1?.versions[s] ?? null;
    return {
      cpu_model: r?.cpuModel ?? 'unknown',
      cores: r?.cores.length ?? 0,
      core_list: r?.cores ?? [],
      kernel: r?.kernel ?? 'unknown',
      node: r?.versions.node ?? 'unknown',
      platform: 'linux',
      arch: arch.stdout.trim() || 'unknown',
      memory_gb: Math.round((kb / 1024 / 1024) * 10) / 10,
      store_versions: stores,
      dpdk_version: r?.versions.dpdk ?? this.reports.node1?.versions.dpdk ?? null,
      testbed: this.kind,
      nic,
    };
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

  async startStore(store: string, location: string, signal: AbortSignal): Promise<StoreHandle | null> {
    if (store === 'none' || store === 'hashmap') return null;
    const loc = location as 'local' | 'remote';
    const node: NodeName = loc === 'local' ? 'node2' : 'node1';
    const h = this.host(node);
    const cli = this.inv.nodes[node].tools.redis_cli;
    const pre = this.inv.stores[store]?.[loc];
    if (pre) {
      const handle: StoreHandle = {
        store,
        location,
        url: pre.url,
        reset: async () => {
          if (store === 'redis') {
            const u = new URL(pre.url);
            await h.exec([cli, '-h', u.hostname, '-p', u.port || '6379', 'FLUSHALL']);
          } else {
            const { resolveStoreServer } = (await import('../../runtime/stores/server.js')) as typeof import('../../runtime/stores/server.js');
            await (await resolveStoreServer(store)).reset(pre.url);
          }
        },
        stop: async () => undefined, // not ours to stop
      };
      return handle;
    }
    if (store !== 'redis') throw new FlexbenchError(`store ${store}: no running server in the inventory (stores.${store}.${loc}.url)`, EXIT.environment);
    // local: node2's loopback; remote: node1's store port, where node2 connects over the second link
    const bind = loc === 'local' ? '127.0.0.1' : this.inv.nodes.node1.store_port?.address;
    if (!bind) throw new FlexbenchError('a remote store needs node1.store_port.address in the inventory', EXIT.usage);
    const port = STORE_PORT_BASE + this.storeSeq++;
    const dir = `${this.remoteDir}/redis-${loc}-${port}`;
    await h.exec(['mkdir', '-p', dir]);
    const argv = [this.inv.nodes[node].tools.redis_server, '--port', String(port), '--bind', bind, '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--dir', dir, '--daemonize', 'no'];
    const proc = h.spawn(argv, { signal, buffer: true });
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = await h.exec([cli, '-h', bind, '-p', String(port), 'PING'], { allowFailure: true });
      if (r.stdout.trim() === 'PONG') break;
      const early = await Promise.race([proc.done, sleep(200).then(() => null)]);
      if (early) throw new FlexbenchError(`redis-server on ${node} exited at start: ${(early.stderr || early.stdout).trim().split('\n').slice(-3).join(' | ')}`, EXIT.environment);
      if (Date.now() > deadline) {
        await proc.kill();
        throw new FlexbenchError(`redis-server on ${node} did not answer PING on ${bind}:${port} within 15 s`, EXIT.environment);
      }
    }
    let stopped = false;
    const handle: StoreHandle = {
      store,
      location,
      url: `redis://${bind}:${port}`,
      reset: async () => void (await h.exec([cli, '-h', bind, '-p', String(port), 'FLUSHALL'])),
      stop: async () => {
        if (stopped) return;
        stopped = true;
        const i = this.stores.indexOf(handle);
        if (i >= 0) this.stores.splice(i, 1);
        await proc.kill(KILL_GRACE_MS);
      },
    };
    this.stores.push(handle);
    return handle;
  }

  private logStream(req: TrialRequest): WriteStream {
    const dir = join(req.runDir, 'logs');
    mkdirSync(dir, { recursive: true });
    return createWriteStream(join(dir, `${String(req.trial.index).padStart(4, '0')}-${req.trial.trial_id.replace(/\//g, '_')}.log`));
  }

  async runTrial(req: TrialRequest): Promise<TrialMeasurement> {
    const ac = new AbortController();
    const onAbort = () => ac.abort(req.signal.reason);
    if (req.signal.aborted) onAbort();
    req.signal.addEventListener('abort', onAbort, { once: true });
    const log = this.logStream(req);
    const started: HostProcess[] = [];
    try {
      const m = await this.trial(req, ac.signal, log, started);
      return m;
    } finally {
      req.signal.removeEventListener('abort', onAbort);
      // whatever still runs (failure, interrupt) dies with its process group
      await Promise.all(started.map((p) => p.kill(KILL_GRACE_MS).catch(() => undefined)));
      // DPDK leaves its runtime dir (config, sockets) behind on exit: one per trial would pile up
      const i = req.trial.index;
      const dirs = (n: string, pre: string[]) => pre.map((p) => `/var/run/dpdk/fb${this.kind}${p}-${process.pid}-${i}`);
      await Promise.all([
        this.hosts.node1?.exec(['rm', '-rf', ...dirs('node1', ['n1', 'pg'])], { allowFailure: true }).catch(() => undefined),
        this.hosts.node2?.exec(['rm', '-rf', ...dirs('node2', ['n2'])], { allowFailure: true }).catch(() => undefined),
      ]);
      log.end();
    }
  }

  private async trial(req: TrialRequest, signal: AbortSignal, log: WriteStream, started: HostProcess[]): Promise<TrialMeasurement> {
    const t = req.trial;
    const tr = req.traffic;
    const h1 = this.host('node1');
    const h2 = this.host('node2');
    const rp = this.remotePcapPath(req.pcap);
    const storeUrl = req.store?.url ?? null;
    const kind = this.nfKind(t.nf);
    const write = (who: string) => (c: string) => log.write(c.split('\n').map((l, i, a) => (i === a.length - 1 && l === '' ? '' : `[${who}] ${l}`)).join('\n'));

    // 1. the NF on node2, sampled as it runs
    const nfSamples: Sample[] = [];
    let nfReady = false;
    let nfArgv: string[];
    let nfParser: TestpmdStatsParser | null = null;
    let nfErr = '';
    if (kind === 'testpmd') {
      nfArgv = this.testpmdNfArgv(t);
      const clock = new TestpmdClock(STATS_PERIOD_S);
      nfParser = new TestpmdStatsParser((s) => {
        const at = clock.next(s);
        const p = s.ports.find((x) => x.port === 0);
        if (p) nfSamples.push({ at, arr: now(), rx: p.rxPackets, tx: p.txPackets });
        nfReady = true;
      });
    } else if (kind === 'flexbench') nfArgv = this.flexbenchNfArgv(t, storeUrl, this.maxSeconds());
    else nfArgv = this.commandNfArgv(t, storeUrl, this.maxSeconds(), rp);
    const target = kind === 'command' ? this.commands[t.nf] : null;
    // a command target is ready at its ready line, or start_wait_s after launch if it has none
    const readyRe = target?.ready ? new RegExp(target.ready.regex) : null;
    let readyTail = '';
    const watchReady = (stream: 'stdout' | 'stderr', c: string) => {
      if (!readyRe || nfReady || target!.ready!.stream !== stream) return;
      const lines = (readyTail + c).split('\n');
      readyTail = (lines.pop() ?? '').slice(-4096);
      if (lines.some((l) => readyRe.test(l)) || readyRe.test(readyTail)) nfReady = true;
    };
    log.write(`# ${new Date().toISOString()} node2$ ${shellJoin(nfArgv)}\n`);
    const nf = h2.spawn(kind === 'testpmd' ? lineBuffered(nfArgv) : nfArgv, {
      signal,
      onStdout: (c) => {
        write('node2')(c);
        nfParser?.push(c);
        watchReady('stdout', c);
      },
      onStderr: (c) => {
        write('node2')(c);
        watchReady('stderr', c);
        if (kind !== 'flexbench') return;
        nfErr += c;
        const lines = nfErr.split('\n');
        nfErr = lines.pop() ?? '';
        for (const l of lines) {
          const p = parseNfProgress(l);
          if (p) {
            nfSamples.push({ at: p.t, arr: now(), rx: p.rx_total, tx: p.rx_total });
            nfReady = true;
          }
        }
      },
    });
    started.push(nf);
    const readyBy = now() + this.inv.start_timeout_s;
    const settledAt = target && !readyRe ? now() + target.start_wait_s : Infinity;
    let nfExited = false;
    void nf.done.then(() => (nfExited = true));
    while (!nfReady) {
      if (signal.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);
      if (nfExited) {
        const r = await nf.done;
        throw new FlexbenchError(`the NF on node2 exited before forwarding (${r.signal ?? `code ${r.code}`}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`, EXIT.trialsFailed);
      }
      if (now() >= settledAt) break;
      if (now() > readyBy) {
        throw new FlexbenchError(readyRe ? `the NF on node2 printed no line matching ${JSON.stringify(target!.ready!.regex)} on ${target!.ready!.stream} within ${this.inv.start_timeout_s} s` : `the NF on node2 showed no statistics within ${this.inv.start_timeout_s} s`, EXIT.trialsFailed);
      }
      await sleep(50, signal);
    }
    log.write(`# ${new Date().toISOString()} NF ready\n`);

    // 2. the generator on node1: what it sends, and what comes back (the paper's rate)
    const genSamples: Sample[] = [];
    let genArgv: string[];
    let gen: HostProcess;
    let lua: PktgenLua | null = null;
    const linkGbps = this.inv.nodes.node1.data_ports[0]!.speed_gbps;
    const asked = askedPps(tr.rate, this.inv.generator, t.frame_size, linkGbps, this.inv.pktgen_max_rate_percent);
    let stopPolling = false;
    let poller: Promise<void> = Promise.resolve();
    if (this.inv.generator === 'pktgen') {
      genArgv = this.pktgenGenArgv(t, rp);
      log.write(`node1$ ${shellJoin(genArgv)}\n`);
      gen = h1.spawn(genArgv, { signal, onStdout: write('node1'), onStderr: write('node1'), buffer: false });
      started.push(gen);
      lua = await this.openPktgen(h1, readyBy + this.inv.start_timeout_s, signal);
      const pct = tr.rate === 'max' ? this.inv.pktgen_max_rate_percent : ratePercent(tr.rate, t.frame_size, linkGbps);
      await lua.setup(0, pct);
      await lua.start(0);
      const l = lua;
      poller = (async () => {
        while (!stopPolling && !signal.aborted) {
          const c = await l.counters(0);
          const t = now();
          genSamples.push({ at: t, arr: t, rx: c.ipackets, tx: c.opackets });
          await sleep(1000, signal);
        }
      })();
    } else {
      const g = this.testpmdGenArgv(t, rp);
      genArgv = g.argv;
      const clock = new TestpmdClock(STATS_PERIOD_S);
      const parser = new TestpmdStatsParser((s: TestpmdSnapshot) => {
        const at = clock.next(s);
        const p = s.ports.find((x) => x.port === g.dataPort);
        if (p) genSamples.push({ at, arr: now(), rx: p.rxPackets, tx: p.txPackets });
      });
      log.write(`# ${new Date().toISOString()} node1$ ${shellJoin(genArgv)}\n`);
      gen = h1.spawn(lineBuffered(genArgv), {
        signal,
        buffer: false,
        onStdout: (c) => {
          write('node1')(c);
          parser.push(c);
        },
        onStderr: write('node1'),
      });
      started.push(gen);
    }
    let genExited = false;
    void gen.done.then(() => (genExited = true));
    // the clock starts at the generator's first sample (start-up takes seconds and varies)
    const genBy = now() + this.inv.start_timeout_s;
    while (genSamples.length === 0) {
      if (signal.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);
      if (genExited) {
        const r = await gen.done;
        throw new FlexbenchError(`the generator on node1 exited at start (${r.signal ?? `code ${r.code}`}); see the trial log`, EXIT.trialsFailed);
      }
      if (nfExited) throw new FlexbenchError('the NF on node2 exited while the generator was starting; see the trial log', EXIT.trialsFailed);
      if (now() > genBy) throw new FlexbenchError(`the generator on node1 showed no statistics within ${this.inv.start_timeout_s} s`, EXIT.trialsFailed);
      await sleep(50, signal);
    }
    // on the generator's own clock
    const t0 = genSamples[0].at;
    const from = t0 + tr.warmup_s;
    const to = from + tr.duration_s;
    const windowDeadline = genSamples[0].arr + tr.warmup_s + tr.duration_s + 30;
    while (!(genSamples.length > 0 && genSamples[genSamples.length - 1].at >= to - 0.05)) {
      if (signal.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);
      if (genExited) throw new FlexbenchError('the generator on node1 stopped during the measured window; see the trial log', EXIT.trialsFailed);
      if (nfExited) throw new FlexbenchError('the NF on node2 stopped during the measured window; see the trial log', EXIT.trialsFailed);
      if (now() > windowDeadline) throw new FlexbenchError('the generator stopped reporting statistics during the measured window', EXIT.trialsFailed);
      await sleep(50, signal);
    }

    log.write(`# ${new Date().toISOString()} window measured, stopping\n`);
    // 3. stop: generator first (so the NF sees its last packets), then the NF, which prints its totals
    stopPolling = true;
    await poller.catch(() => undefined);
    if (lua) {
      await lua.stop(0).catch(() => undefined);
      lua.close();
    }
    await gen.kill(KILL_GRACE_MS);
    log.write(`# ${new Date().toISOString()} generator stopped\n`);
    const stopWith = target?.stop_signal ?? 'TERM';
    log.write(`# ${new Date().toISOString()} stopping the NF with SIG${stopWith}\n`);
    const nfResult = await nf.kill(KILL_GRACE_MS * 2, stopWith);
    log.write(`# ${new Date().toISOString()} NF stopped (${nfResult.signal ?? `code ${nfResult.code}`})\n`);
    if (signal.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);

    const gw = windowOf(genSamples, from, to);
    if (!gw) throw new FlexbenchError('the generator gave fewer than two samples in the measured window', EXIT.trialsFailed);
    const returnedPps = gw.rx / gw.seconds;
    // the generator's window on the harness clock, to read the NF's counters over the same interval
    const genOff = clockOffset(genSamples);
    const genFrom = gw.a.at + genOff;
    const genTo = gw.b.at + genOff;
    const sentPps = gw.tx / gw.seconds;

    // NF-side counters over the same window, where the NF reports them
    let nfFinal: unknown = null;
    let nfRx: number | null = null;
    let nfTx: number | null = null;
    // per-core counts where the NF gives them (flexbench nf run); testpmd's and a command's are per port only
    let perCore: { core: number; rx_packets: number; tx_packets: number }[] = [];
    if (kind === 'testpmd') {
      nfParser?.end();
      const w = alignedWindow(nfSamples, genFrom, genTo);
      if (w) {
        nfRx = w.rx / w.seconds;
        nfTx = w.tx / w.seconds;
      }
      nfFinal = nfParser?.final ?? null;
    } else if (kind === 'flexbench') {
      const last = nfResult.stdout.trim().split('\n').pop() ?? '';
      try {
        const j = JSON.parse(last) as { rx_packets: number; tx_packets: number; per_core?: { core: number; rx_packets: number; tx_packets: number }[] };
        nfFinal = j;
        const w = alignedWindow(nfSamples, genFrom, genTo);
        if (w) {
          nfRx = w.rx / w.seconds;
          // the rate lines carry rx totals; tx follows the final tx/rx ratio
          nfTx = j.rx_packets > 0 ? nfRx * (j.tx_packets / j.rx_packets) : 0;
        }
        if (Array.isArray(j.per_core)) perCore = j.per_core.map((c) => ({ core: c.core, rx_packets: c.rx_packets, tx_packets: c.tx_packets }));
      } catch {
        throw new FlexbenchError(`flexbench nf run on node2 did not end with a JSON line: ${JSON.stringify(last.slice(0, 200))} (${(nfResult.stderr || '').trim().split('\n').slice(-2).join(' | ')})`, EXIT.trialsFailed);
      }
    } else {
      nfRx = readRate(this.commands[t.nf], nfResult.stdout, nfResult.stderr);
      nfFinal = { rate_pps: nfRx };
    }

    const flags = generatorFlags(sentPps, asked, this.inv.shortfall_tolerance);
    const extras: TwoNodeExtras = {
      generator: { tool: this.inv.generator, tx_packets: gw.tx, rx_packets: gw.rx, tx_pps: sentPps, rx_pps: returnedPps, asked_pps: asked },
      nf: { tool: kind === 'flexbench' ? 'flexbench nf run' : kind, rx_packets: nfRx === null ? null : Math.round(nfRx * gw.seconds), tx_packets: nfTx === null ? null : Math.round(nfTx * gw.seconds), rx_pps: nfRx, tx_pps: nfTx, final: nfFinal },
      flags,
    };
    const dir = join(req.runDir, 'two-nodes');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${String(t.index).padStart(4, '0')}.json`), JSON.stringify({ trial_id: t.trial_id, window_s: gw.seconds, ...extras }, null, 2) + '\n');
    for (const f of flags) log.write(`FLAG ${f}\n`);

    const rxPps = nfRx ?? sentPps;
    return Object.assign(
      {
        // tx: packets returned to node1 per second, where the paper measures; rx: what the NF received
        rx_packets: Math.round(rxPps * gw.seconds),
        tx_packets: gw.rx,
        dropped: Math.max(0, gw.tx - gw.rx),
        duration_s: gw.seconds,
        rx_pps: rxPps,
        tx_pps: returnedPps,
        per_core: perCore,
        commands: [`node2$ ${shellJoin(nfArgv)}`, `node1$ ${shellJoin(genArgv)}`],
        flags,
      },
      { two_nodes: extras },
    );
  }

  /** Pktgen's Lua socket on node1's localhost, through the SSH connection; retried while Pktgen starts. */
  private async openPktgen(h: Host, until: number, signal: AbortSignal): Promise<PktgenLua> {
    let last: unknown;
    while (now() < until && !signal.aborted) {
      try {
        return new PktgenLua(await h.connectTcp('127.0.0.1', PKTGEN_LUA_PORT));
      } catch (e) {
        last = e;
        await sleep(500, signal);
      }
    }
    throw new FlexbenchError(`pktgen's Lua socket (127.0.0.1:${PKTGEN_LUA_PORT} on node1) did not open: ${(last as Error)?.message ?? 'interrupted'}`, EXIT.trialsFailed);
  }

  async teardown(): Promise<void> {
    for (const s of [...this.stores].reverse()) await s.stop().catch(() => undefined);
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
