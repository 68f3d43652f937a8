// Two emulated nodes in network namespaces, each with its own sshd, joined by two veth pairs
// (port1: data, port2: store traffic) and reached from the root namespace over a management veth.
// End hosts for real traffic through node2's NF (endpoints.ts: `<id>-cli`, `<id>-srv`) go with them.
import { mkdtemp, readFile, rm, writeFile, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { LocalHost } from '../hosts/local.js';
import { pidAlive, sleep } from '../../common/processes.js';
import { deleteLink, ipv6OffArgv, linkNames, listNetns, netnsPids, removeNetns } from '../../common/netns.js';

const NETNS_PREFIX = 'fbn';
/** last-resort bound on a living sshd's start; a dead one fails at once */
const SSHD_START_CAP_MS = 120_000;

interface EmulatedNode {
  name: 'node1' | 'node2';
  /** network namespace */
  ns: string;
  /** root-namespace end of the management veth */
  rootIface: string;
  /** address sshd listens on (management veth, inside the namespace) */
  sshAddress: string;
  sshPort: number;
  /** data port (port1) and store port (port2) interface names inside the namespace */
  dataIface: string;
  storeIface: string;
  dataAddress: string;
  storeAddress: string;
}

export interface Emulation {
  id: string;
  runDir: string;
  /** private key authorised on both nodes, and a known_hosts holding both nodes' host keys */
  keyPath: string;
  knownHostsPath: string;
  user: string;
  node1: EmulatedNode;
  node2: EmulatedNode;
  destroy(): Promise<void>;
}

interface EmulationOptions {
  /** distinguishes concurrent emulations; names become `${prefix}${suffix}-node1` */
  suffix?: string;
  /** 0..49: picks the address block so concurrent emulations do not collide */
  slot?: number;
  /** sweep leftovers of every earlier emulation with this prefix first (default true) */
  sweep?: boolean;
  sshdPath?: string;
}

const host = new LocalHost('root namespace');
const sh = (argv: string[]) => host.exec(argv);
const shOk = (argv: string[]) => host.exec(argv, { allowFailure: true });

/** Remove namespaces, root veths and run dirs left by an emulation that did not clean up (crash, kill -9). */
export async function sweepStale(prefix = NETNS_PREFIX, only?: string): Promise<string[]> {
  const removed: string[] = [];
  const owned = (n: string) => (only ? n.startsWith(only + '-') : new RegExp(`^${prefix}[a-z0-9]*-(node[12]|cli|srv)$`).test(n));
  for (const ns of await listNetns()) {
    if (!owned(ns)) continue;
    // sshd and what it started: SIGTERM, SIGKILL after 300 ms
    await removeNetns(ns, { graceMs: 300, killWaitMs: 2000 });
    removed.push(`netns ${ns}`);
  }
  for (const name of await linkNames()) {
    const mine = only ? name.startsWith(only + '-') : new RegExp(`^${prefix}[a-z0-9]*-m[12]$`).test(name);
    if (mine) {
      await deleteLink(name);
      removed.push(`link ${name}`);
    }
  }
  // run dirs (keys, sshd logs) of earlier emulations with these names; a running one would have been swept above
  for (const d of await readdir(tmpdir()).catch(() => [] as string[])) {
    const mine = only ? d.startsWith(`${only}-run-`) : new RegExp(`^${prefix}[a-z0-9]*-run-`).test(d);
    if (mine) {
      await rm(join(tmpdir(), d), { recursive: true, force: true });
      removed.push(`dir ${d}`);
    }
  }
  // what a killed two-node run left on the (shared) filesystem: /tmp/flexbench-netns-<pid>-… of dead pids
  for (const d of await readdir(tmpdir()).catch(() => [] as string[])) {
    const m = /^flexbench-netns-(\d+)-/.exec(d);
    if (m && !pidAlive(Number(m[1]))) {
      await rm(join(tmpdir(), d), { recursive: true, force: true });
      removed.push(`dir ${d}`);
    }
  }
  return removed;
}

/** What an emulation with this id would leave behind if teardown failed (for tests and the sweep). */
export async function leftovers(id: string): Promise<string[]> {
  const out: string[] = [];
  for (const ns of await listNetns()) if (ns.startsWith(id + '-')) out.push(`netns ${ns}`);
  for (const name of await linkNames()) if (name.startsWith(id + '-')) out.push(`link ${name}`);
  for (const d of await readdir(tmpdir()).catch(() => [] as string[])) if (d.startsWith(`${id}-run-`)) out.push(`dir ${d}`);
  const ps = await shOk(['pgrep', '-f', `${tmpdir()}/${id}-run-`]);
  for (const p of ps.stdout.split(/\s+/).filter(Boolean)) out.push(`process ${p}`);
  return out;
}

async function requireRoot(): Promise<void> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new FlexbenchError('the netns testbed needs root (network namespaces, veths, sshd); run as root or use --testbed local', EXIT.environment);
  }
}

/**
 * Names and addresses of the two nodes (pure: the same suffix and slot always give the same plan).
 * Management 198.18.(200+slot).0/29, data 198.19.(2*slot).0/24, store 198.19.(2*slot+1).0/24.
 */
export function planNodes(suffix = '', slot = 0): { id: string; node1: EmulatedNode; node2: EmulatedNode } {
  const id = `${NETNS_PREFIX}${suffix}`;
  const m = 200 + slot;
  const mk = (name: 'node1' | 'node2', i: number): EmulatedNode => ({
    name,
    ns: `${id}-${name}`,
    rootIface: `${id}-m${i}`,
    sshAddress: `198.18.${m}.${i === 1 ? 2 : 6}`,
    sshPort: 22,
    dataIface: 'port1',
    storeIface: 'port2',
    dataAddress: `198.19.${2 * slot}.${i}`,
    storeAddress: `198.19.${2 * slot + 1}.${i}`,
  });
  return { id, node1: mk('node1', 1), node2: mk('node2', 2) };
}

/** Build the two nodes. Throws (after cleaning up what it made) with the failing step named. */
export async function createEmulation(opts: EmulationOptions = {}): Promise<Emulation> {
  await requireRoot();
  const suffix = opts.suffix ?? '';
  if (!/^[a-z0-9]{0,6}$/.test(suffix)) throw new FlexbenchError(`netns suffix "${suffix}" must be 0-6 lowercase letters/digits`, EXIT.usage);
  const slot = opts.slot ?? 0;
  if (!Number.isInteger(slot) || slot < 0 || slot > 49) throw new FlexbenchError(`netns slot ${slot} must be an integer 0..49`, EXIT.usage);
  const id = `${NETNS_PREFIX}${suffix}`;
  const sshd = opts.sshdPath ?? '/usr/sbin/sshd';
  if (opts.sweep ?? true) await sweepStale(NETNS_PREFIX, id);
  const { node1, node2 } = planNodes(suffix, slot);
  const m = 200 + slot;
  const runDir = await mkdtemp(join(tmpdir(), `${id}-run-`));
  const keyPath = join(runDir, 'id_ed25519');
  const knownHostsPath = join(runDir, 'known_hosts');
  const destroy = async (): Promise<void> => {
    await sweepStale(NETNS_PREFIX, id);
    await rm(runDir, { recursive: true, force: true });
  };
  try {
    await sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `flexbench-${id}`, '-f', keyPath]);
    await writeFile(join(runDir, 'authorized_keys'), await readFile(keyPath + '.pub'), { mode: 0o600 });
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation dir
    const known: string[] = [];
    for (const [i, n] of [[1, node1], [2, node2]] as const) {
      await sh(['ip', 'netns', 'add', n.ns]);
      // no IPv6 on the nodes' links: its frames (sent again when a veth's channels change) would reach the
      // generator's port and count as returned packets
      await sh(ipv6OffArgv(n.ns));
      await sh(['ip', '-n', n.ns, 'link', 'set', 'lo', 'up']);
      await sh(['ip', 'link', 'add', n.rootIface, 'type', 'veth', 'peer', 'name', 'mgmt', 'netns', n.ns]);
      const rootAddr = `198.18.${m}.${i === 1 ? 1 : 5}/30`;
      await sh(['ip', 'addr', 'add', rootAddr, 'dev', n.rootIface]);
      await sh(['ip', 'link', 'set', n.rootIface, 'up']);
      await sh(['ip', '-n', n.ns, 'addr', 'add', `${n.sshAddress}/30`, 'dev', 'mgmt']);
      await sh(['ip', '-n', n.ns, 'link', 'set', 'mgmt', 'up']);
    }
    // data and store links between the nodes, created directly inside the namespaces
    for (const [ifc, a1, a2] of [['port1', node1.dataAddress, node2.dataAddress], ['port2', node1.storeAddress, node2.storeAddress]] as const) {
      await sh(['ip', 'link', 'add', ifc, 'netns', node1.ns, 'type', 'veth', 'peer', 'name', ifc, 'netns', node2.ns]);
      await sh(['ip', '-n', node1.ns, 'addr', 'add', `${a1}/24`, 'dev', ifc]);
      await sh(['ip', '-n', node2.ns, 'addr', 'add', `${a2}/24`, 'dev', ifc]);
      await sh(['ip', '-n', node1.ns, 'link', 'set', ifc, 'up']);
      await sh(['ip', '-n', node2.ns, 'link', 'set', ifc, 'up']);
    }
    for (const n of [node1, node2]) {
      const hostKey = join(runDir, `${n.name}_host_ed25519`);
      await sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `${id}-${n.name}`, '-f', hostKey]);
      // no config file: every setting is on the command line; sshd daemonises once it listens
      await sh([
        'ip', 'netns', 'exec', n.ns, sshd, '-f', '/dev/null', '-h', hostKey, '-p', String(n.sshPort),
        '-E', join(runDir, `${n.name}-sshd.log`),
        '-o', `ListenAddress=${n.sshAddress}`,
        '-o', `PidFile=${join(runDir, `${n.name}-sshd.pid`)}`,
        '-o', `AuthorizedKeysFile=${join(runDir, 'authorized_keys')}`,
        '-o', 'StrictModes=no', '-o', 'UsePAM=no', '-o', 'PasswordAuthentication=no',
        '-o', 'KbdInteractiveAuthentication=no', '-o', 'PermitRootLogin=prohibit-password',
        '-o', 'Subsystem=sftp internal-sftp', '-o', 'AllowTcpForwarding=yes', '-o', 'UseDNS=no', '-o', 'MaxSessions=100',
        '-o', `SetEnv=FLEXBENCH_NODE=${n.name}`,
      ]);
      const pub = (await readFile(hostKey + '.pub', 'utf8')).trim().split(/\s+/);
      known.push(`${n.sshAddress} ${pub[0]} ${pub[1]}`);
    }
    await writeFile(knownHostsPath, known.join('\n') + '\n');
    // sshd daemonises before it listens: the nodes exist once both answer (a client connecting to both at
    // once could otherwise be refused by the second)
    for (const n of [node1, node2]) await waitListening(n, join(runDir, `${n.name}-sshd.log`));
    return { id, runDir, keyPath, knownHostsPath, user: 'root', node1, node2, destroy };
  } catch (e) {
    await destroy().catch(() => undefined);
    if (e instanceof FlexbenchError) throw new FlexbenchError(`creating the emulated nodes failed: ${e.message}`, EXIT.environment, { cause: e });
    throw e;
  }
}

/**
 * Resolves once the node's sshd accepts a TCP connection. No fixed deadline while the daemon lives: on a loaded
 * runner its start (key loading, re-exec) took longer than 10 s. It fails at once, with its log, when nothing
 * runs in the namespace any more, and after SSHD_START_CAP_MS as a last resort.
 */
async function waitListening(n: EmulatedNode, logPath: string): Promise<void> {
  const start = Date.now();
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect({ host: n.sshAddress, port: n.sshPort });
      s.once('connect', () => (s.destroy(), res(true)));
      s.once('error', () => (s.destroy(), res(false)));
    });
    if (ok) return;
    const waited = Date.now() - start;
    // every 20th try (about a second apart): is the daemon still there?
    const gone = i % 20 === 19 && (await netnsPids(n.ns)).length === 0;
    if (gone || waited > SSHD_START_CAP_MS) {
      const log = (await readFile(logPath, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join(' | ');
      const why = gone ? 'exited before it listened' : `did not listen within ${Math.round(waited / 1000)} s although it runs`;
      throw new FlexbenchError(`sshd on ${n.sshAddress}:${n.sshPort} (${n.ns}) ${why}${log ? `; its log: ${log}` : ''}`, EXIT.environment);
    }
    await sleep(50);
  }
}

/**
 * Mounts a BPF filesystem where the nodes' commands run, so AF_XDP (libxdp) loads there as on a lab node:
 * `ip netns exec` gave each sshd its own mount namespace with a fresh /sys and no bpffs. The mount lives
 * and dies with that namespace (the node's sshd), so nothing is left behind.
 */
export async function mountBpffs(em: Emulation): Promise<void> {
  for (const n of [em.node1, em.node2]) {
    const pid = (await readFile(join(em.runDir, `${n.name}-sshd.pid`), 'utf8')).trim();
    const there = await shOk(['nsenter', '-t', pid, '-m', 'sh', '-c', "awk '$2==\"/sys/fs/bpf\" && $3==\"bpf\"' /proc/self/mounts | grep -q ."]);
    if (there.code !== 0) await sh(['nsenter', '-t', pid, '-m', 'mount', '-t', 'bpf', 'bpf', '/sys/fs/bpf']);
  }
}
