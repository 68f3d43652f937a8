// The interface port (`flexbench nf run --port [xdp:|packet:|auto:]IFACE`): AF_XDP with one socket
// per core bound to its queue, or AF_PACKET (TPACKET_V3, fanout hash) when AF_XDP cannot load.
// prepareIface() runs once on the main thread and decides; openIfacePort() runs in each core's worker.
import { z } from 'zod';
import { FlexbenchError, EXIT } from '../../../harness/exit-codes.js';
import type { IfacePrepared, Port, PortOpenOptions } from '../port.js';
import { loadNative, nativeUnavailable } from './native.js';
import { preflight } from './preflight.js';
import { XdpPort, XDP_DEFAULTS, umemBytes } from './xdp-port.js';
import { PacketPort, PACKET_DEFAULTS } from './packet-port.js';

export const PORT_MODES = ['auto', 'xdp', 'packet'] as const;
export type PortMode = (typeof PORT_MODES)[number];

/** What every worker gets from prepareIface (structured-cloneable). */
const SharedSchema = z.object({
  mode: z.enum(['xdp', 'packet']),
  iface: z.string(),
  fanoutGroup: z.number().int().min(1).max(0xffff),
  xdp: z.object({ frameSize: z.number(), frameCount: z.number(), ringSize: z.number(), zeroCopy: z.enum(['auto', 'zerocopy', 'copy']), xdpMode: z.enum(['auto', 'native', 'generic']) }),
  packet: z.object({ blockSize: z.number(), blockCount: z.number(), retireMs: z.number(), txFrameSize: z.number(), txFrameCount: z.number() }),
  reason: z.string(),
});
export type IfaceShared = z.infer<typeof SharedSchema>;

/** Splits `[MODE:]IFACE`; the mode also comes from opts.mode or FLEXBENCH_PORT_MODE (default auto). */
export function parsePortSpec(spec: string, mode?: string): { iface: string; mode: PortMode } {
  let iface = spec;
  let m = mode ?? process.env.FLEXBENCH_PORT_MODE ?? 'auto';
  const colon = spec.indexOf(':');
  if (colon >= 0) {
    m = spec.slice(0, colon);
    iface = spec.slice(colon + 1);
  }
  if (!(PORT_MODES as readonly string[]).includes(m)) throw new FlexbenchError(`--port ${spec}: port mode "${m}" is not one of ${PORT_MODES.join(', ')}`, EXIT.usage);
  if (!iface) throw new FlexbenchError(`--port ${spec}: no interface name`, EXIT.usage);
  return { iface, mode: m as PortMode };
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

export async function prepareIface(o: PrepareOptions): Promise<IfacePrepared & { shared: IfaceShared }> {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const { iface, mode } = parsePortSpec(o.iface, o.mode);
  const xdpCfg = { ...XDP_DEFAULTS, ...o.xdp };
  const pktCfg = { ...PACKET_DEFAULTS, ...o.packet };
  const nativeWhy = nativeUnavailable();
  if (nativeWhy) throw new FlexbenchError(`interface port unavailable: ${nativeWhy}; --port replay and --port offered still work`, EXIT.environment);
  const pf = preflight(iface, o.queues, umemBytes(xdpCfg));
  let chosen: 'xdp' | 'packet' = 'packet';
  let reason = '';
  if (mode !== 'packet') {
    let why = pf.xdp.join('; ');
    if (!why) {
      // a trial socket on queue 0 proves the XDP program attaches and the queue binds
      try {
        const trial = new XdpPort(loadNative(), iface, 0, 1, xdpCfg);
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
  const fanoutGroup = ((process.pid * 2654435761) >>> 16) % 0xfffe + 1;
  return { shared: { mode: chosen, iface, fanoutGroup, xdp: xdpCfg, packet: pktCfg, reason } };
}

export async function openIfacePort(o: PortOpenOptions & { iface: string; shared: unknown }): Promise<Port> {
  const parsed = SharedSchema.safeParse(o.shared);
  // opened without prepareIface (e.g. directly from a test): decide here with the same rules
  const shared = parsed.success ? parsed.data : (await prepareIface({ iface: o.iface, queues: o.queues, log: () => {} })).shared;
  const native = loadNative();
  if (shared.mode === 'xdp') {
    // the kernel releases a closed socket's queue binding from a workqueue (the trial socket of
    // prepareIface, a previous run): EBUSY for a few milliseconds is normal
    for (let attempt = 0; ; attempt++) {
      try {
        return new XdpPort(native, shared.iface, o.queue, o.burstSize, shared.xdp);
      } catch (err) {
        if ((err as { code?: string }).code !== 'E16' || attempt >= 100) throw new FlexbenchError(`--port ${o.iface} queue ${o.queue}: ${(err as Error).message}`, EXIT.environment);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }
  return new PacketPort(native, shared.iface, o.burstSize, shared.packet, shared.fanoutGroup);
}
