// Two network namespaces joined by a multi-queue veth pair (names fbx-*, 198.18.0.0/15), for the interface bench and its tests.
// and the bench. Everything created here is removed by destroy(), which never throws.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { ipv6OffArgv } from '../../common/netns.js';

export interface VethPair {
  /** sender side: namespace and interface */
  genNs: string;
  genIf: string;
  /** NF side */
  nfNs: string;
  nfIf: string;
  genMac: string;
  nfMac: string;
  destroy(): void;
}

const sh = (args: string[]) => execFileSync(args[0], args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

/** Why these tests cannot run here, or null. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, AF_XDP, AF_PACKET)';
  for (const tool of ['ip', 'nsenter', 'tcpreplay', 'tshark']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  return null;
}

/** libxdp needs bpffs at /sys/fs/bpf; mount it if absent (what the port's preflight asks for). */
export function ensureBpffs(): void {
  const mounted = spawnSync('sh', ['-c', "awk '$2==\"/sys/fs/bpf\" && $3==\"bpf\"' /proc/self/mounts | grep -q ."]).status === 0;
  if (!mounted) {
    mkdirSync('/sys/fs/bpf', { recursive: true });
    sh(['mount', '-t', 'bpf', 'bpf', '/sys/fs/bpf']);
  }
}

export function createVethPair(tag: string, queues: number): VethPair {
  const genNs = `fbx-${tag}-g`;
  const nfNs = `fbx-${tag}-n`;
  const genIf = `fbx${tag}g0`.slice(0, 15);
  const nfIf = `fbx${tag}n0`.slice(0, 15);
  const destroy = () => {
    for (const ns of [genNs, nfNs]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  destroy();
  try {
    sh(['ip', 'netns', 'add', genNs]);
    sh(['ip', 'netns', 'add', nfNs]);
    const q = String(queues);
    sh(['ip', 'link', 'add', genIf, 'numtxqueues', q, 'numrxqueues', q, 'netns', genNs, 'type', 'veth', 'peer', 'name', nfIf, 'numtxqueues', q, 'numrxqueues', q, 'netns', nfNs]);
    const octet = 1 + (Math.abs([...tag].reduce((h, c) => h * 31 + c.charCodeAt(0), 7)) % 250);
    for (const [ns, ifc, host] of [[genNs, genIf, 1], [nfNs, nfIf, 2]] as const) {
      // no IPv6 and no ARP: the only frames on the wire are the ones the test sends
      sh(ipv6OffArgv(ns));
      sh(['ip', '-n', ns, 'link', 'set', ifc, 'arp', 'off']);
      sh(['ip', '-n', ns, 'link', 'set', ifc, 'up']);
      sh(['ip', '-n', ns, 'addr', 'add', `198.18.${octet}.${host}/24`, 'dev', ifc]);
    }
    const mac = (ns: string, ifc: string) => JSON.parse(sh(['ip', '-n', ns, '-j', 'link', 'show', 'dev', ifc]))[0].address as string;
    return { genNs, genIf, nfNs, nfIf, genMac: mac(genNs, genIf), nfMac: mac(nfNs, nfIf), destroy };
  } catch (err) {
    destroy();
    throw err;
  }
}
