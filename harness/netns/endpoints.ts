// Two end hosts for real traffic through an NF (StatelessNF's iperf/RTT setup): a client namespace on the
// inside, a server namespace on the outside, and the NF's one port (`nat0`) in the NF's namespace
// between them. The NF runs one-armed (an AF_XDP/AF_PACKET port sends where it receives), so a u32
// steering in the NF's namespace plays the switch: whatever the client or the server sends goes to the
// NF's port, and what the NF sends goes to the client or the server by destination address. Every
// interface carries one MAC, so a frame the NF forwards is accepted whether the NF swaps MACs or not;
// checksum and segmentation offloads are off, so every packet on the wire has its real checksums and
// fits an MTU (an NF port sees what the wire carries).
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { LocalHost } from '../hosts/local.js';
import { ipv6OffArgv, removeNetns } from '../../common/netns.js';

/** The one MAC every interface of the path carries (locally administered). */
export const PATH_MAC = '02:fb:00:00:00:01';

export interface EndpointsPlan {
  /** the NF's namespace (an emulation's node2) */
  nfNs: string;
  /** the NF's port inside nfNs */
  nfIface: string;
  client: { ns: string; iface: string; address: string; net: string; gateway: string };
  server: { ns: string; iface: string; address: string; net: string; gateway: string };
  /** outside addresses a NAT hands out (in the server's net, routed to the NF) */
  pool: string;
}

/**
 * Names and addresses (pure). `id` is an emulation's (fbn<suffix>): the end hosts are `${id}-cli` and
 * `${id}-srv`, so an emulation's sweep removes them too. Inside 198.18.(100+slot).0/24, outside
 * 198.18.(150+slot).0/24 with the pool at .64/26: clear of the emulation's 198.18.200+ and 198.19.
 */
export function planEndpoints(id: string, slot: number, nfNs = `${id}-node2`): EndpointsPlan {
  if (!Number.isInteger(slot) || slot < 0 || slot > 49) throw new FlexbenchError(`endpoints slot ${slot} must be an integer 0..49`, EXIT.usage);
  const inside = `198.18.${100 + slot}`;
  const outside = `198.18.${150 + slot}`;
  return {
    nfNs,
    nfIface: 'nat0',
    client: { ns: `${id}-cli`, iface: 'eth0', address: `${inside}.2`, net: `${inside}.0/24`, gateway: `${inside}.1` },
    server: { ns: `${id}-srv`, iface: 'eth0', address: `${outside}.2`, net: `${outside}.0/24`, gateway: `${outside}.1` },
    pool: `${outside}.64/26`,
  };
}

/** The commands that build the path, in order (pure; `describe` and the docs show them). */
export function endpointsCommands(p: EndpointsPlan): string[][] {
  const { client: c, server: s, nfNs: n } = p;
  const inNf = (...a: string[]) => ['ip', 'netns', 'exec', n, ...a];
  const off = (ns: string, ifc: string) => ['ip', 'netns', 'exec', ns, 'ethtool', '-K', ifc, 'tx', 'off', 'rx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off'];
  const tc = (...a: string[]) => inNf('tc', ...a);
  const redirect = (dev: string) => ['action', 'mirred', 'egress', 'redirect', 'dev', dev];
  return [
    ['ip', 'netns', 'add', c.ns],
    ['ip', 'netns', 'add', s.ns],
    ['ip', '-n', c.ns, 'link', 'set', 'lo', 'up'],
    ['ip', '-n', s.ns, 'link', 'set', 'lo', 'up'],
    ipv6OffArgv(c.ns),
    ipv6OffArgv(s.ns),
    // created with IPv6 off in the end hosts; the NF's own namespace keeps its settings (its other ports)
    ['ip', 'link', 'add', c.iface, 'netns', c.ns, 'address', PATH_MAC, 'type', 'veth', 'peer', 'name', 'cl0', 'netns', n, 'address', PATH_MAC],
    ['ip', 'link', 'add', s.iface, 'netns', s.ns, 'address', PATH_MAC, 'type', 'veth', 'peer', 'name', 'sv0', 'netns', n, 'address', PATH_MAC],
    ['ip', 'link', 'add', p.nfIface, 'netns', n, 'address', PATH_MAC, 'type', 'veth', 'peer', 'name', 'sw0', 'netns', n, 'address', PATH_MAC],
    ...['cl0', 'sv0', 'sw0', p.nfIface].map((i) => inNf('sysctl', '-qw', `net.ipv6.conf.${i}.disable_ipv6=1`)),
    ['ip', '-n', c.ns, 'addr', 'add', `${c.address}/24`, 'dev', c.iface],
    ['ip', '-n', s.ns, 'addr', 'add', `${s.address}/24`, 'dev', s.iface],
    ['ip', '-n', c.ns, 'link', 'set', c.iface, 'up'],
    ['ip', '-n', s.ns, 'link', 'set', s.iface, 'up'],
    ...['cl0', 'sv0', 'sw0', p.nfIface].map((i) => ['ip', '-n', n, 'link', 'set', i, 'up']),
    off(c.ns, c.iface),
    off(s.ns, s.iface),
    ...['cl0', 'sv0', 'sw0', p.nfIface].map((i) => off(n, i)),
    // no ARP on the path: the gateways are permanent neighbours (nobody answers for them)
    ['ip', '-n', c.ns, 'neigh', 'add', c.gateway, 'lladdr', PATH_MAC, 'dev', c.iface, 'nud', 'permanent'],
    ['ip', '-n', c.ns, 'route', 'add', 'default', 'via', c.gateway],
    ['ip', '-n', s.ns, 'neigh', 'add', s.gateway, 'lladdr', PATH_MAC, 'dev', s.iface, 'nud', 'permanent'],
    // the pool is on the server's net: reached through the gateway, not by ARP
    ['ip', '-n', s.ns, 'route', 'add', p.pool, 'via', s.gateway],
    // a forwarding NF (no NAT) hands the server the client's own address
    ['ip', '-n', s.ns, 'route', 'add', c.net, 'via', s.gateway],
    tc('qdisc', 'add', 'dev', 'cl0', 'clsact'),
    tc('qdisc', 'add', 'dev', 'sv0', 'clsact'),
    tc('qdisc', 'add', 'dev', 'sw0', 'clsact'),
    tc('filter', 'add', 'dev', 'cl0', 'ingress', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', ...redirect('sw0')),
    tc('filter', 'add', 'dev', 'sv0', 'ingress', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', ...redirect('sw0')),
    tc('filter', 'add', 'dev', 'sw0', 'ingress', 'protocol', 'ip', 'u32', 'match', 'ip', 'dst', c.net, ...redirect('cl0')),
    tc('filter', 'add', 'dev', 'sw0', 'ingress', 'protocol', 'ip', 'u32', 'match', 'ip', 'dst', s.net, ...redirect('sv0')),
  ];
}

export interface Endpoints extends EndpointsPlan {
  /** argv run in an end host's namespace */
  inClient(argv: string[]): string[];
  inServer(argv: string[]): string[];
  /** removes both end hosts and the NF-side interfaces; idempotent, never throws */
  destroy(): Promise<void>;
}

const host = new LocalHost('root namespace');

/** Build the path beside an existing NF namespace. Throws (after removing what it made) with the failing command. */
export async function createEndpoints(p: EndpointsPlan): Promise<Endpoints> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new FlexbenchError('the end hosts of an iperf/RTT trial need root (network namespaces, veths, tc)', EXIT.environment);
  }
  const destroy = async (): Promise<void> => {
    // the NF-side ends go with their peers; what runs in the end hosts (iperf3, echo, tshark) is killed first
    for (const ns of [p.client.ns, p.server.ns]) await removeNetns(ns, { first: 'SIGKILL', killWaitMs: 2000 });
    await host.exec(['ip', '-n', p.nfNs, 'link', 'del', p.nfIface], { allowFailure: true });
  };
  await destroy(); // what an earlier, killed run left under these names
  try {
    for (const argv of endpointsCommands(p)) {
      const r = await host.exec(argv, { allowFailure: true });
      // ethtool on a veth refuses some features (rx off on old kernels): the rest still apply
      if (r.code !== 0 && argv[4] !== 'ethtool') throw new FlexbenchError(`building the end hosts failed at \`${argv.join(' ')}\`: ${(r.stderr || r.stdout).trim()}`, EXIT.environment);
    }
  } catch (e) {
    await destroy();
    throw e;
  }
  return {
    ...p,
    inClient: (argv) => ['ip', 'netns', 'exec', p.client.ns, ...argv],
    inServer: (argv) => ['ip', 'netns', 'exec', p.server.ns, ...argv],
    destroy,
  };
}
