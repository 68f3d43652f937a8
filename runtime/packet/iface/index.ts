// The interface port (`flexbench nf run --port [xdp:|packet:|auto:]IFACE`): AF_XDP with one socket
// per core bound to its queue, or AF_PACKET (TPACKET_V3, fanout hash) when AF_XDP cannot load.
// prepareIface() runs once on the main thread and decides; openIfacePort() runs in each core's worker.
import { z } from 'zod';
import { FlexbenchError, EXIT } from '../../../common/errors.js';
import type { IfacePrepared, Port, PortOpenOptions } from '../port.js';
import { loadNative, nativeUnavailable } from './native.js';
import { preflight } from './preflight.js';
import { XdpPort, XDP_DEFAULTS, umemBytes } from './xdp-port.js';
import { PacketPort, PACKET_DEFAULTS } from './packet-port.js';

const PORT_MODES = ['auto', 'xdp', 'packet'] as const;
type PortMode = (typeof PORT_MODES)[number];

/** What every worker gets from prepareIface (structured-cloneable). */
const SharedSchema = z.object({
  mode: z.enum(['xdp', 'packet']),
  iface: z.string(),
  /** NIC queue of each core */
  queueIds: z.array(z.number().int().min(0)),
  fanoutGroup: z.number().int().min(1).max(0xffff),
  xdp: z.object({ frameSize: z.number(), frameCount: z.number(), ringSize: z.number(), zeroCopy: z.enum(['auto', 'zerocopy', 'copy']), xdpMode: z.enum(['auto', 'native', 'generic']) }),
  packet: z.object({ blockSize: z.number(), blockCount: z.number(), retireMs: z.number(), txFrameSize: z.number(), txFrameCount: z.number() }),
  reason: z.string(),
});
type IfaceShared = z.infer<typeof SharedSchema>;

/**
 * Splits `[MODE:]IFACE[,QUEUES]`. QUEUES is a count (`eth1,4`: queues 0-3) or a list of queue ids and
 * ranges (`eth1,4-7` or `eth1,2,5`), mapped to cores in order; the default is one queue per core
 * from 0. The mode also comes from `mode` or FLEXBENCH_PORT_MODE (default auto).
 */
export function parsePortSpec(spec: string, mode?: string): { iface: string; mode: PortMode; queueIds: number[] | null } {
  let rest = spec;
  let m = mode ?? process.env.FLEXBENCH_PORT_MODE ?? 'auto';
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    m = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
  }
  if (!(PORT_MODES as readonly string[]).includes(m)) throw new FlexbenchError(`--port ${spec}: port mode "${m}" is not one of ${PORT_MODES.join(', ')}`, EXIT.usage);
  const [iface, ...qs] = rest.split(',');
  if (!iface) throw new FlexbenchError(`--port ${spec}: no interface name`, EXIT.usage);
  let queueIds: number[] | null = null;
  if (qs.length === 1 && /^\d+$/.test(qs[0])) {
    const n = Number(qs[0]);
    if (n < 1) throw new FlexbenchError(`--port ${spec}: queue count must be at least 1`, EXIT.usage);
    queueIds = Array.from({ length: n }, (_, i) => i);
  } else if (qs.length > 0) {
    queueIds = [];
    for (const q of qs) {
      const r = /^(\d+)-(\d+)$/.exec(q);
      if (r && Number(r[1]) <= Number(r[2])) for (let i = Number(r[1]); i <= Number(r[2]); i++) queueIds.push(i);
      else if (/^\d+$/.test(q)) queueIds.push(Number(q));
      else throw new FlexbenchError(`--port ${spec}: "${q}" is not a queue id or range (want e.g. eth1,4 or eth1,4-7 or eth1,2,5)`, EXIT.usage);
    }
    if (new Set(queueIds).size !== queueIds.length) throw new FlexbenchError(`--port ${spec}: a queue is listed twice`, EXIT.usage);
  }
  return { iface, mode: m as PortMode, queueIds };
}

export interface PrepareOptions {
  iface: string;
  queues: number;
  mode?: string;
  /** where the chosen mode and fallback reason are reported (stderr by default) */
  log?: (line: string) => void;
  xdp?: Partial<IfaceShared['xdp']>;
  packet?: Partial<IfaceShared['packet']>;
}

export async function prepareIface(o: PrepareOptions): Promise<IfacePrepared & { shared: IfaceShared; cleanup(): Promise<void> }> {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const { iface, mode, queueIds: listed } = parsePortSpec(o.iface, o.mode);
  if (listed && listed.length !== o.queues) {
    throw new FlexbenchError(`--port ${o.iface} names ${listed.length} queue(s) but the run has ${o.queues} core(s): one queue per core`, EXIT.usage);
  }
  const queueIds = listed ?? Array.from({ length: o.queues }, (_, i) => i);
  const xdpCfg = { ...XDP_DEFAULTS, ...o.xdp };
  const pktCfg = { ...PACKET_DEFAULTS, ...o.packet };
  const nativeWhy = nativeUnavailable();
  if (nativeWhy) throw new FlexbenchError(`interface port unavailable: ${nativeWhy}; --port replay and --port offered still work`, EXIT.environment);
  // UMEM pages count against RLIMIT_MEMLOCK (kernels before 5.11): lift it as far as this process may,
  // for every worker thread, so the preflight only complains about what is really out of reach
  loadNative().raiseMemlock();
  const pf = preflight(iface, o.queues, umemBytes(xdpCfg), Math.max(...queueIds) + 1);
  let chosen: 'xdp' | 'packet' = 'packet';
  let reason = '';
  if (mode !== 'packet') {
    let why = pf.xdp.join('; ');
    if (!why) {
      // a trial socket on the first queue proves the XDP program attaches and the queue binds. It is
      // closed at once: kept open while the workers attach, its close detaches libxdp's program
      // under their sockets (seen on veth). Cost: one more attach, which some NICs pay with a link reset.
      try {
        const trial = new XdpPort(loadNative(), iface, queueIds[0], 1, xdpCfg);
        reason = trial.info.fallbacks ? `AF_XDP ${trial.info.copyMode}/${trial.info.xdpMode} (faster modes failed: ${trial.info.fallbacks})` : `AF_XDP ${trial.info.copyMode}/${trial.info.xdpMode}`;
        trial.close();
        chosen = 'xdp';
      } catch (err) {
        why = (err as Error).message;
      }
    }
    if (chosen !== 'xdp') {
      if (mode === 'xdp') throw new FlexbenchError(`--port ${o.iface}: AF_XDP unavailable: ${why}`, EXIT.environment);
      reason = `AF_XDP unavailable (${why}); falling back to AF_PACKET`;
    }
  }
  if (chosen === 'packet') {
    if (pf.packet.length) throw new FlexbenchError(`--port ${o.iface}: AF_PACKET unavailable: ${pf.packet.join('; ')}`, EXIT.environment);
    reason = `${reason ? reason + ': ' : ''}AF_PACKET TPACKET_V3, fanout hash over ${o.queues} socket(s)`;
  }
  for (const w of pf.warnings) log(`flexbench: warning: ${w}`);
  log(`flexbench: port ${iface}: ${reason}`);
  // fanout group ids are per network namespace; pid-derived keeps concurrent runs apart
  const fanoutGroup = ((Math.imul(process.pid, 0x9e3779b1) >>> 16) % 0xfffe) + 1;
  if (chosen === 'packet' && listed) log(`flexbench: note: AF_PACKET spreads flows by fanout hash; the queue list ${listed.join(',')} is not used`);
  return { shared: { mode: chosen, iface, queueIds, fanoutGroup, xdp: xdpCfg, packet: pktCfg, reason }, cleanup: async () => {} };
}

export async function openIfacePort(o: PortOpenOptions & { iface: string; shared: unknown }): Promise<Port> {
  const parsed = SharedSchema.safeParse(o.shared);
  // opened without prepareIface (e.g. directly from a test): decide here with the same rules
  let shared: IfaceShared;
  if (parsed.success) shared = parsed.data;
  else {
    const p = await prepareIface({ iface: o.iface, queues: o.queues, log: () => {} });
    await p.cleanup();
    shared = p.shared;
  }
  const native = loadNative();
  if (shared.mode === 'xdp') {
    // the kernel releases a closed socket's queue binding from a workqueue (the trial socket of
    // prepareIface, a previous run): EBUSY for a while is normal
    for (let attempt = 0; ; attempt++) {
      try {
        return new XdpPort(native, shared.iface, shared.queueIds[o.queue] ?? o.queue, o.burstSize, shared.xdp);
      } catch (err) {
        if ((err as { code?: string }).code !== 'E16' || attempt >= 300) throw new FlexbenchError(`--port ${o.iface} queue ${o.queue}: ${(err as Error).message}`, EXIT.environment);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }
  return new PacketPort(native, shared.iface, o.burstSize, shared.packet, shared.fanoutGroup);
}
