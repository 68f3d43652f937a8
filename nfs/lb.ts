// Load balancer: a new flow goes to the least-loaded backend by this core's load counters (FlexState
// countermap `serverLoad`, one counter per backend); every packet of the flow is rewritten toward it
// (destination IP, checksums per RFC 1624), MACs swapped. Flow -> backend lives in map `lbFlows`.
import { parseFlowKey, type CounterMapHandle, type MapHandle } from '../runtime/state/api.js';
import type { Burst, NetworkFunction, NfModule, NfOptions } from './types.js';
import { hash4 } from '../common/flow-hash.js';
import { CompactFlowTable } from './compact-flow-table.js';
import { Int32Words, PROTO_TCP, csumAdjust, misaligned, fold16, ipToLe, ipv4L4Offset, word32Delta } from './packet.js';

const LB_LOAD_ID = 'serverLoad';
const LB_FLOWS_ID = 'lbFlows';

function dotted(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

class Lb implements NetworkFunction {
  /** flow -> backend index (16-byte entries: the new address and checksum delta are derived per packet) */
  private readonly table = new CompactFlowTable(50_000); // the paper's flow count: 20 B per flow there, 25.7 at 1,000,000
  private readonly words = new Int32Words();
  /** per-burst scratch: IPv4 header offsets, flow hashes and buckets (word index in the table) from pass 1 */
  private readonly ipOff = new Int32Array(1024);
  private readonly hashes = new Int32Array(1024);
  private readonly at = new Int32Array(1024);
  /** keeps pass 1's bucket reads observable so they are not optimised away */
  sink = 0;
  private readonly backendLe: Int32Array;
  /** local mirror of this core's load counters (the store is written, never read, on the hot path) */
  private readonly load: Float64Array;
  private readonly loadSlot: Int32Array;

  constructor(o: NfOptions, private readonly loads: CounterMapHandle | null, private readonly map: MapHandle | null) {
    this.backendLe = Int32Array.from(o.lbBackends.map(ipToLe));
    this.load = new Float64Array(o.lbBackends.length);
    this.loadSlot = Int32Array.from(o.lbBackends.map((ip) => (loads ? loads.slot(dotted(ip)) : -1)));
  }

  private addFlow(src: number, dst: number, ports: number, proto: number, j: number): void {
    this.table.insert(src, dst, ports, proto, j);
  }

  private newFlow(src: number, dst: number, ports: number, proto: number): void {
    const load = this.load;
    let j = 0;
    for (let k = 1; k < load.length; k++) if (load[k] < load[j]) j = k;
    load[j]++;
    if (this.loads !== null) this.loads.addToSlotNoWait(this.loadSlot[j], 1);
    // keyed by the flow's words: no string made on the packet thread (the state thread makes the store's)
    if (this.map !== null) this.map.setSlotNoWait(this.map.slotOfFlow(src, dst, ports, proto), j);
    this.addFlow(src, dst, ports, proto, j);
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
        if (t !== null && vals[i] < this.backendLe.length && this.table.find(t[0], t[1], t[2], t[3]) < 0) this.addFlow(t[0], t[1], t[2], t[3], vals[i]);
      }
    }
  }

  process(b: Burst): number {
    const u8 = b.u8;
    const u16 = b.u16;
    const i32 = this.words.of(b);
    const offs = b.off;
    const lens = b.len;
    const table = this.table;
    const n = b.count;
    const ipOff = this.ipOff;
    const hashes = this.hashes;
    const at = this.at;
    // Pass 1: parse and hash every packet and note its bucket; then read every bucket in a loop of a
    // few instructions per packet, so the burst's cache misses are in flight together.
    for (let i = 0; i < n; i++) {
      const off = offs[i]!;
      // the common frame (IPv4, a 20-byte header, TCP/UDP, not a fragment) from three header words; others the general way
      let ip = off + 14;
      const w = ip >> 2;
      const p = (i32[w + 2]! >>> 8) & 255;
      if (lens[i]! < 42 || u16[(off + 12) >> 1] !== 0x0008 || (i32[w]! & 255) !== 0x45 || (p !== PROTO_TCP && p !== 17) || (i32[w + 1]! & 0xff3f0000) !== 0) {
        ip = ipv4L4Offset(b, i);
        ipOff[i] = ip;
        if (ip < 0) continue;
        if ((ip & 3) !== 0) throw misaligned(b, i); // word reads below need the IPv4 header 32-bit aligned
      } else if ((ip & 3) !== 0) throw misaligned(b, i);
      ipOff[i] = ip;
      const v = ip >> 2;
      const h = hash4(i32[v + 3]!, i32[v + 4]!, i32[(ip + ((u8[ip]! & 15) << 2)) >> 2]!, u8[ip + 9]!);
      hashes[i] = h;
      at[i] = table.at(h);
    }
    let touched = 0;
    const d0 = table.data;
    for (let i = 0; i < n; i++) if (ipOff[i]! >= 0) touched |= d0[at[i]! + 3]!;
    this.sink = touched;
    // Pass 2: look up (new flows pick a backend), rewrite and swap the MACs.
    let data = table.data;
    const backendLe = this.backendLe;
    for (let i = 0; i < n; i++) {
      const o = offs[i]!;
      if ((o & 1) !== 0) throw misaligned(b, i);
      const mw = o >> 1;
      const a0 = u16[mw]!, a1 = u16[mw + 1]!, a2 = u16[mw + 2]!;
      u16[mw] = u16[mw + 3]!;
      u16[mw + 1] = u16[mw + 4]!;
      u16[mw + 2] = u16[mw + 5]!;
      u16[mw + 3] = a0;
      u16[mw + 4] = a1;
      u16[mw + 5] = a2;
      const ip = ipOff[i]!;
      if (ip < 0) continue; // not balanced: forwarded untouched
      const w = ip >> 2;
      const l4 = ip + ((u8[ip]! & 15) << 2);
      const proto = u8[ip + 9]!;
      const src = i32[w + 3]!;
      const dst = i32[w + 4]!;
      const ports = i32[l4 >> 2]!;
      // the bucket of pass 1, unless a new flow of this burst grew the table
      let e = data === d0 ? table.findAt(at[i]!, src, dst, ports, proto) : table.findFrom(hashes[i]!, src, dst, ports, proto);
      if (e < 0) {
        this.newFlow(src, dst, ports, proto);
        data = table.data; // may have grown
        e = table.findFrom(hashes[i]!, src, dst, ports, proto);
      }
      const newDst = backendLe[(data[e + 3]! & 0xffffff) - 1]!;
      const d = fold16(word32Delta(dst, newDst)); // IP header and pseudo header alike
      i32[w + 4] = newDst;
      const hc = (ip + 10) >> 1;
      u16[hc] = csumAdjust(u16[hc]!, d);
      if (proto === PROTO_TCP) {
        const c = (l4 + 16) >> 1;
        u16[c] = csumAdjust(u16[c]!, d); // the destination address is part of the pseudo header
      } else {
        const c = (l4 + 6) >> 1;
        const old = u16[c]!;
        if (old !== 0) {
          const nc = csumAdjust(old, d);
          u16[c] = nc === 0 ? 0xffff : nc;
        }
      }
    }
    return n;
  }

  stats(): Record<string, number> {
    const s: Record<string, number> = { flows: this.table.size, table_bytes: this.table.bytes };
    if (this.map?.bytes) s.state_bytes = this.map.bytes() + (this.loads?.bytes?.() ?? 0);
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
