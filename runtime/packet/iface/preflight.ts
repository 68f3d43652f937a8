// Up-front checks for the interface port: capabilities, bpffs, RLIMIT_MEMLOCK and the interface's
// queues, each problem phrased with the command that fixes it.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { z } from 'zod';
import { FlexbenchError, EXIT } from '../../../common/errors.js';

const CAP = { NET_ADMIN: 12, NET_RAW: 13, IPC_LOCK: 14, SYS_ADMIN: 21, BPF: 39 } as const;
const BPFFS = '/sys/fs/bpf';

/** Effective capabilities of this process, from /proc/self/status. */
export function effectiveCaps(status = readFileSync('/proc/self/status', 'utf8')): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/im.exec(status);
  return m ? BigInt('0x' + m[1]) : 0n;
}
const has = (caps: bigint, bit: number) => (caps & (1n << BigInt(bit))) !== 0n;

/** Whether a BPF filesystem is mounted at `at`, from /proc/self/mounts. */
export function bpffsMounted(mounts = readFileSync('/proc/self/mounts', 'utf8'), at = BPFFS): boolean {
  return mounts.split('\n').some((l) => {
    const [, dir, type] = l.split(' ');
    return dir === at && type === 'bpf';
  });
}

/** Soft RLIMIT_MEMLOCK in bytes (Infinity = unlimited), from /proc/self/limits. */
export function memlockLimit(limits = readFileSync('/proc/self/limits', 'utf8')): number {
  const m = /^Max locked memory\s+(\S+)/m.exec(limits);
  if (!m) return Infinity;
  return m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

const LinkSchema = z.array(
  z.object({
    ifname: z.string(),
    operstate: z.string().optional(),
    num_rx_queues: z.number().int().optional(),
    num_tx_queues: z.number().int().optional(),
    address: z.string().optional(),
    mtu: z.number().optional(),
  }).passthrough(),
);
type LinkInfo = z.infer<typeof LinkSchema>[number];

/** The interface as `ip -d -j link show` sees it in this network namespace. */
export function linkInfo(iface: string): LinkInfo {
  if (!/^[A-Za-z0-9_.@-]{1,15}$/.test(iface)) throw new FlexbenchError(`bad interface name "${iface}" (1-15 characters of A-Z a-z 0-9 _ . @ -)`, EXIT.usage);
  let out: string;
  try {
    out = execFileSync('ip', ['-d', '-j', 'link', 'show', 'dev', iface], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new FlexbenchError('`ip` (iproute2) is not installed: apt-get install iproute2', EXIT.environment);
    throw new FlexbenchError(`interface ${iface} does not exist in this network namespace (${(e.stderr ?? '').trim()}); check \`ip link\`, or enter its namespace with \`nsenter --net=/run/netns/NS\``, EXIT.environment);
  }
  const links = LinkSchema.parse(JSON.parse(out));
  if (links.length !== 1) throw new FlexbenchError(`interface ${iface}: ip link answered ${links.length} links`, EXIT.environment);
  return links[0];
}

export interface Preflight {
  link: LinkInfo;
  rxQueues: number;
  /** reasons AF_XDP cannot be used here, each naming its fix (empty = fine) */
  xdp: string[];
  /** reasons AF_PACKET cannot be used here (empty = fine) */
  packet: string[];
  /** things that work but deserve a line on stderr */
  warnings: string[];
}

/** `queuesNeeded`: highest queue id used + 1 (= queues when cores take queues 0..queues-1). */
export function preflight(iface: string, queues: number, umemBytesPerQueue: number, queuesNeeded = queues): Preflight {
  const link = linkInfo(iface);
  const caps = effectiveCaps();
  const rxQueues = link.num_rx_queues ?? 1;
  const xdp: string[] = [];
  const packet: string[] = [];
  const warnings: string[] = [];
  const asRoot = 'run flexbench as root (sudo)';
  if (!has(caps, CAP.NET_RAW)) packet.push(`AF_PACKET needs CAP_NET_RAW: ${asRoot}`);
  if (!has(caps, CAP.NET_ADMIN)) xdp.push(`attaching XDP needs CAP_NET_ADMIN: ${asRoot}`);
  if (!has(caps, CAP.BPF) && !has(caps, CAP.SYS_ADMIN)) xdp.push(`loading the XDP program needs CAP_BPF (or CAP_SYS_ADMIN): ${asRoot}`);
  if (!bpffsMounted()) {
    xdp.push(`libxdp needs a BPF filesystem at ${BPFFS}: \`mount -t bpf bpf ${BPFFS}\` (\`ip netns exec\` remounts /sys and hides it: use \`nsenter --net=/run/netns/NS\` instead, or mount it inside)`);
  }
  const limit = memlockLimit();
  const need = umemBytesPerQueue * queues;
  if (!has(caps, CAP.IPC_LOCK) && limit < need) {
    xdp.push(`RLIMIT_MEMLOCK is ${limit} bytes but ${queues} UMEM(s) need ${need}: \`ulimit -l unlimited\` before starting (LimitMEMLOCK=infinity under systemd)`);
  }
  if (queuesNeeded > rxQueues) {
    xdp.push(`${iface} has ${rxQueues} RX queue(s) but queue ${queuesNeeded - 1} is wanted: \`ethtool -L ${iface} combined ${queuesNeeded}\` (a veth: create it with numrxqueues ${queuesNeeded} numtxqueues ${queuesNeeded}), or use fewer cores`);
  } else if (queues < rxQueues) {
    warnings.push(`${iface} has ${rxQueues} RX queues but only ${queues} core(s): AF_XDP serves ${queues} of them, the rest go to the kernel stack (\`ethtool -L ${iface} combined ${queues}\` to match)`);
  }
  if (link.operstate === 'DOWN') warnings.push(`${iface} is down: \`ip link set ${iface} up\``);
  return { link, rxQueues, xdp, packet, warnings };
}
