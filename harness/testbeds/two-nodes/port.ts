// node2's data port for flexbench NFs: how many queues it really has (`ethtool -l`, not the count the
// kernel allocated), whether they can be set per trial (`ethtool -L`), which XDP programs are attached,
// and the rule that picks AF_XDP or AF_PACKET for an n-core trial. The NF is then started with that mode
// forced (`--port xdp:IFACE` / `packet:IFACE`), so it can never fall back silently and a cell never mixes
// modes; the mode is recorded in the trial (`port_mode`).
import type { Host } from '../../hosts/host.js';

export interface Channels {
  /** queues in use now (combined, else rx) */
  current: number;
  /** most the NIC allows; null when unknown (no ethtool) */
  max: number | null;
  /** how `ethtool -L` sets them: combined, or rx+tx (veth); null: it cannot */
  set: 'combined' | 'rxtx' | null;
  /** where the numbers came from */
  source: 'ethtool' | 'sysfs';
}

/** `ethtool -l IFACE`: pre-set maximums and current settings; combined where the NIC has it, else rx. */
export function parseEthtoolChannels(text: string): Channels | null {
  const sec = (title: RegExp) => {
    const i = text.search(title);
    if (i < 0) return null;
    const body = text.slice(i).split('\n').slice(1, 6).join('\n');
    const num = (k: string) => {
      const m = new RegExp(`^${k}:\\s+(\\S+)`, 'm').exec(body);
      return m && /^\d+$/.test(m[1]!) ? Number(m[1]) : null;
    };
    return { rx: num('RX'), tx: num('TX'), combined: num('Combined') };
  };
  const max = sec(/Pre-set maximums:/);
  const cur = sec(/Current hardware settings:/);
  if (!max || !cur) return null;
  if (cur.combined && cur.combined > 0) return { current: cur.combined, max: max.combined, set: 'combined', source: 'ethtool' };
  if (cur.rx && cur.rx > 0) return { current: cur.rx, max: max.rx, set: 'rxtx', source: 'ethtool' };
  return null;
}

/** XDP program ids attached to an interface, from `ip -j link show dev IFACE`. */
export function parseXdpIds(ipJson: string): number[] {
  let links: { xdp?: { prog?: { id?: number }; attached?: { prog?: { id?: number } }[] } }[];
  try {
    links = JSON.parse(ipJson);
  } catch {
    return [];
  }
  const ids = new Set<number>();
  for (const l of links) {
    if (l.xdp?.prog?.id) ids.add(l.xdp.prog.id);
    for (const a of l.xdp?.attached ?? []) if (a.prog?.id) ids.add(a.prog.id);
  }
  return [...ids];
}

export type PortMode = 'af_xdp' | 'af_packet';
export type PortChoice = { mode: PortMode; reason: string } | { skip: string };

/**
 * The rule for an n-core flexbench trial: AF_XDP needs its environment (bpffs, memlock, libxdp: what
 * `nf check-port` found at one queue) and n real queues, set per trial where the NIC allows; otherwise
 * AF_PACKET (fanout over n sockets works on any queue count), or a skip when the inventory asks for xdp only.
 */
export function choosePortMode(n: number, iface: string, ch: Channels | null, xdpProblem: string | null, wanted: 'auto' | 'xdp' | 'packet'): PortChoice {
  if (wanted === 'packet') return { mode: 'af_packet', reason: 'inventory port_mode: packet' };
  let why: string | null = xdpProblem;
  if (!why && !ch) why = `the queue count of ${iface} is unknown`;
  if (!why && ch) {
    const settable = ch.set !== null && ch.max !== null && ch.source === 'ethtool';
    if (ch.current !== n && !(settable && ch.max! >= n)) {
      why = ch.current < n ? `${iface} has ${ch.current} queue(s)${ch.max !== null ? ` (at most ${ch.max})` : ''}, an ${n}-core AF_XDP trial needs ${n}` : `${iface} has ${ch.current} queues and they cannot be set to ${n} (\`ethtool -L\`): AF_XDP would leave ${ch.current - n} queue(s) unread`;
    }
  }
  if (!why) return { mode: 'af_xdp', reason: ch!.current === n ? `${n} queue(s) on ${iface}` : `${iface} set to ${n} queue(s) for the trial (ethtool -L)` };
  if (wanted === 'xdp') return { skip: `AF_XDP (inventory port_mode: xdp) on ${n} core(s) is not possible: ${why}` };
  return { mode: 'af_packet', reason: `AF_XDP not possible on ${n} core(s): ${why}` };
}

/** The data port's queues, from ethtool where it is installed, else the kernel's rx-N queue directories. */
export async function readChannels(h: Host, iface: string): Promise<Channels | null> {
  const e = await h.exec(['ethtool', '-l', iface], { allowFailure: true, timeoutMs: 10_000 }).catch(() => null);
  const parsed = e && e.code === 0 ? parseEthtoolChannels(e.stdout) : null;
  if (parsed) return parsed;
  const q = await h.exec(['sh', '-c', 'ls -d /sys/class/net/"$1"/queues/rx-* | wc -l', 'sh', iface], { allowFailure: true }).catch(() => null);
  const n = Number(q?.stdout.trim());
  return Number.isInteger(n) && n > 0 ? { current: n, max: null, set: null, source: 'sysfs' } : null;
}

export async function setChannels(h: Host, iface: string, ch: Channels, n: number): Promise<void> {
  if (ch.current === n) return;
  const argv = ch.set === 'combined' ? ['ethtool', '-L', iface, 'combined', String(n)] : ['ethtool', '-L', iface, 'rx', String(n), 'tx', String(n)];
  await h.exec(argv);
  ch.current = n;
}

export async function xdpPrograms(h: Host, iface: string): Promise<number[]> {
  const r = await h.exec(['ip', '-j', 'link', 'show', 'dev', iface], { allowFailure: true }).catch(() => null);
  return r && r.code === 0 ? parseXdpIds(r.stdout) : [];
}

/** Detach every XDP program from iface (generic, native, offloaded); the ids that were there. */
export async function detachXdp(h: Host, iface: string): Promise<number[]> {
  const ids = await xdpPrograms(h, iface);
  if (ids.length === 0) return [];
  for (const m of ['xdpgeneric', 'xdpdrv', 'xdpoffload']) await h.exec(['ip', 'link', 'set', 'dev', iface, m, 'off'], { allowFailure: true }).catch(() => undefined);
  return ids;
}
