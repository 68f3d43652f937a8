// Load balancer: a new flow goes to the least-loaded backend by this core's load counters (FlexState
// countermap `serverLoad`, one counter per backend); every packet of the flow is rewritten toward it
// (destination IP, checksums per RFC 1624), MACs swapped. Flow -> backend lives in map `lbFlows`.
import type { CounterMapHandle, MapHandle } from '../runtime/state/api.js';
import type { Burst, NetworkFunction, NfModule, NfOptions } from './types.js';
import { FlowTable } from './flow-table.js';
import { swapMacs } from './macswap.js';
import { PROTO_TCP, PROTO_UDP, csumAdjust, flowKey, ipToLe, ipv4L4Offset, parseFlowKey, word32Delta } from './packet.js';

export const LB_LOAD_ID = 'serverLoad';
export const LB_FLOWS_ID = 'lbFlows';

function dotted(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

class Lb implements NetworkFunction {
  private readonly table = new FlowTable(1 << 15);
  private backend = new Uint8Array(1 << 12);
  private dIp = new Int32Array(1 << 12);
  private flows = 0;
  private readonly backendLe: Uint32Array;
  /** local mirror of this core's load counters (the store is written, never read, on the hot path) */
  private readonly load: Float64Array;
  private readonly loadSlot: Int32Array;

  constructor(o: NfOptions, private readonly loads: CounterMapHandle | null, private readonly map: MapHandle | null) {
    if (o.lbBackends.length > 255) throw new Error('lb supports at most 255 backends');
    this.backendLe = Uint32Array.from(o.lbBackends.map(ipToLe));
    this.load = new Float64Array(o.lbBackends.length);
    this.loadSlot = Int32Array.from(o.lbBackends.map((ip) => (loads ? loads.slot(dotted(ip)) : -1)));
  }

  private addFlow(src: number, dst: number, ports: number, proto: number, j: number): number {
    const f = this.flows++;
    if (f === this.backend.length) {
      const b = new Uint8Array(f * 2);
      b.set(this.backend);
      this.backend = b;
      const d = new Int32Array(f * 2);
      d.set(this.dIp);
      this.dIp = d;
    }
    this.backend[f] = j;
    this.dIp[f] = word32Delta(dst, this.backendLe[j]);
    this.table.put(src, dst, ports, proto, f);
    return f;
  }

  private newFlow(src: number, dst: number, ports: number, proto: number): number {
    const load = this.load;
    let j = 0;
    for (let k = 1; k < load.length; k++) if (load[k] < load[j]) j = k;
    load[j]++;
    if (this.loads !== null) this.loads.addToSlotNoWait(this.loadSlot[j], 1);
    if (this.map !== null) this.map.setSlotNoWait(this.map.slot(flowKey(src, dst, ports, proto)), j);
    return this.addFlow(src, dst, ports, proto, j);
  }

  async recover(): Promise<void> {
    if (this.loads !== null) {
      const [keys, vals] = await this.loads.entries();
      for (let i = 0; i < keys.length; i++) {
        const j = Array.from(this.loadSlot).findIndex((s) => this.loads!.keyOf(s) === keys[i]);
        if (j >= 0) this.load[j] = vals[i];
      }
    }
    if (this.map !== null) {
      const [keys, vals] = await this.map.entries();
      for (let i = 0; i < keys.length; i++) {
        const t = parseFlowKey(keys[i]);
        if (t !== null && vals[i] < this.backendLe.length && this.table.get(t[0], t[1], t[2], t[3]) < 0) this.addFlow(t[0], t[1], t[2], t[3], vals[i]);
      }
    }
  }

  process(b: Burst): number {
    const u8 = b.u8;
    const u16 = b.u16;
    const u32 = b.u32;
    const table = this.table;
    for (let i = 0, n = b.count; i < n; i++) {
      const ip = ipv4L4Offset(b, i);
      if (ip < 0) continue; // not balanced: forwarded untouched
      const w = ip >> 2;
      const l4 = ip + ((u8[ip] & 15) << 2);
      const proto = u8[ip + 9];
      const src = u32[w + 3];
      const dst = u32[w + 4];
      const ports = u32[l4 >> 2];
      let f = table.get(src, dst, ports, proto);
      if (f < 0) f = this.newFlow(src, dst, ports, proto);
      const d = this.dIp[f];
      u32[w + 4] = this.backendLe[this.backend[f]];
      const hc = (ip + 10) >> 1;
      u16[hc] = csumAdjust(u16[hc], d);
      if (proto === PROTO_TCP) {
        const c = (l4 + 16) >> 1;
        u16[c] = csumAdjust(u16[c], d); // the destination address is part of the pseudo header
      } else if (proto === PROTO_UDP) {
        const c = (l4 + 6) >> 1;
        const old = u16[c];
        if (old !== 0) {
          const nc = csumAdjust(old, d);
          u16[c] = nc === 0 ? 0xffff : nc;
        }
      }
    }
    swapMacs(b);
    return b.count;
  }

  stats(): Record<string, number> {
    const s: Record<string, number> = { flows: this.flows };
    this.load.forEach((v, j) => (s[`backend_${j}`] = v));
    return s;
  }
}

export const nf: NfModule = {
  async createNf(ctx, opts) {
    const lb = new Lb(opts, ctx ? ctx.counterMap(LB_LOAD_ID) : null, ctx ? ctx.map(LB_FLOWS_ID) : null);
    await lb.recover();
    return lb;
  },
};
