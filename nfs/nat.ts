// NAT: a pool of (IP, port) pairs split into per-core chunks; a new flow takes the next pair of its core's
// chunk, and every packet of the flow leaves with that source IP and port (checksums updated per RFC 1624),
// MACs swapped. The flow -> pair mapping lives in FlexState map `natMap` so a new instance recovers it.
import type { MapHandle } from '../runtime/state/api.js';
import type { Burst, NetworkFunction, NfModule, NfOptions } from './types.js';
import { hash4 } from './flow-hash.js';
import { CompactFlowTable, COMPACT_MAX_VALUE } from './compact-flow-table.js';
import { swapMacs } from './macswap.js';
import { Int32Words, PROTO_TCP, csumAdjust, misaligned, flowKey, fold16, ipToLe, ipv4L4Offset, parseFlowKey, word32Delta, wordDelta } from './packet.js';

const NAT_MAP_ID = 'natMap';

/** This core's share [lo, hi) of pool pair indices. */
function poolChunk(total: number, core: number, cores: number): [number, number] {
  return [Math.floor((core * total) / cores), Math.floor(((core + 1) * total) / cores)];
}

class Nat implements NetworkFunction {
  /** flow -> pair index - base (16-byte entries: the pair's address, port and checksum deltas are derived per packet) */
  private readonly table = new CompactFlowTable(1 << 15);
  private readonly words = new Int32Words();
  private next: number;
  private readonly end: number;
  private readonly nports: number;
  /** 1 / nports: pair -> address index without a division per packet */
  private readonly invPorts: number;
  /** 0 when every pair index of the pool fits an entry (pools up to 16,777,215 pairs), else this core's chunk start */
  private readonly base: number;
  private readonly firstIp: number;
  private readonly loPort: number;
  private poolDrops = 0;
  private recoverSkipped = 0;
  /** per-burst scratch: IPv4 header offsets and flow hashes from pass 1 */
  private readonly ipOff = new Int32Array(1024);
  private readonly hashes = new Int32Array(1024);
  /** keeps pass 1's bucket reads observable so they are not optimised away */
  sink = 0;

  constructor(private readonly o: NfOptions, private readonly map: MapHandle | null) {
    this.nports = o.natPorts.hi - o.natPorts.lo + 1;
    this.invPorts = 1 / this.nports;
    this.firstIp = o.natIps.first;
    this.loPort = o.natPorts.lo;
    const total = o.natIps.count * this.nports;
    let end: number;
    [this.next, end] = poolChunk(total, o.core, o.cores);
    // a bigger pool: entries hold the offset in this core's chunk, of which 16,777,215 pairs are used
    this.base = total - 1 <= COMPACT_MAX_VALUE ? 0 : this.next;
    this.end = Math.min(end, this.base + COMPACT_MAX_VALUE + 1);
  }

  /** Pair index -> (ip, port). */
  private pair(k: number): [number, number] {
    return [(this.o.natIps.first + Math.floor(k / this.nports)) >>> 0, this.o.natPorts.lo + (k % this.nports)];
  }

  /** Registers flow -> pair k (what a packet needs is derived from k: no per-flow precomputation to keep). */
  private addFlow(src: number, dst: number, ports: number, proto: number, k: number): void {
    this.table.insert(src, dst, ports, proto, k - this.base);
  }

  /** New flow: take the next pair of this core's chunk (false when the chunk is used up). */
  private newFlow(src: number, dst: number, ports: number, proto: number): boolean {
    if (this.next >= this.end) return false;
    const k = this.next++;
    if (this.map !== null) {
      const [ip, port] = this.pair(k);
      this.map.setSlotNoWait(this.map.slot(flowKey(src, dst, ports, proto)), ip * 65536 + port);
    }
    this.addFlow(src, dst, ports, proto, k);
    return true;
  }

  /** Recovery: rebuild the flow table and the pool cursor from the mapping held in the store. */
  async recover(): Promise<number> {
    if (this.map === null) return 0;
    const [keys, vals] = await this.map.entries();
    let n = 0;
    for (let i = 0; i < keys.length; i++) {
      const t = parseFlowKey(keys[i]);
      if (t === null) continue;
      const ip = Math.floor(vals[i] / 65536);
      const port = vals[i] % 65536;
      const k = (ip - this.o.natIps.first) * this.nports + (port - this.o.natPorts.lo);
      if (this.table.find(t[0], t[1], t[2], t[3]) >= 0) continue;
      if (k < this.base || k - this.base > COMPACT_MAX_VALUE) {
        this.recoverSkipped++; // outside what this core's entries address (pools over 16.7 M pairs only): a new mapping when seen
        continue;
      }
      this.addFlow(t[0], t[1], t[2], t[3], k);
      if (k >= this.next) this.next = k + 1;
      n++;
    }
    return n;
  }

  process(b: Burst): number {
    const u8 = b.u8;
    const u16 = b.u16;
    const i32 = this.words.of(b);
    const len = b.len;
    const table = this.table;
    const n = b.count;
    const ipOff = this.ipOff;
    const hashes = this.hashes;
    // Pass 1: parse and hash every packet, touching its bucket: the burst's cache misses overlap.
    let touched = 0;
    for (let i = 0; i < n; i++) {
      const ip = ipv4L4Offset(b, i);
      ipOff[i] = ip;
      if (ip < 0) continue;
      if ((ip & 3) !== 0) throw misaligned(b, i); // word reads below need the IPv4 header 32-bit aligned
      const w = ip >> 2;
      const h = hash4(i32[w + 3], i32[w + 4], i32[(ip + ((u8[ip] & 15) << 2)) >> 2], u8[ip + 9]);
      hashes[i] = h;
      touched |= table.touch(h);
    }
    this.sink = touched;
    // Pass 2: look up and rewrite.
    let data = table.data;
    let sent = 0;
    const base = this.base - 1; // entries hold pair - base + 1
    const inv = this.invPorts;
    const nports = this.nports;
    const firstIp = this.firstIp;
    const loPort = this.loPort;
    for (let i = 0; i < n; i++) {
      const ip = ipOff[i];
      if (ip < 0) {
        sent++; // not NAT-able (non-IPv4, fragments): forwarded untouched
        continue;
      }
      const w = ip >> 2;
      const l4 = ip + ((u8[ip] & 15) << 2);
      const proto = u8[ip + 9];
      const src = i32[w + 3];
      const dst = i32[w + 4];
      const ports = i32[l4 >> 2];
      let e = table.findFrom(hashes[i], src, dst, ports, proto);
      if (e < 0) {
        if (!this.newFlow(src, dst, ports, proto)) {
          len[i] = 0; // pool chunk exhausted: the paper's per-core starvation
          this.poolDrops++;
          continue;
        }
        data = table.data; // may have grown
        e = table.findFrom(hashes[i], src, dst, ports, proto);
      }
      // pair k -> (address, port), then the RFC 1624 deltas of this packet's rewrite
      const k = (data[e + 3] & 0xffffff) + base;
      const a = Math.floor((k + 0.5) * inv); // exact: k < 2^32, nports <= 65536
      const port = loPort + (k - a * nports);
      const newSrc = ipToLe(firstIp + a);
      const newPortLe = ((port & 255) << 8) | (port >>> 8);
      const dIp = word32Delta(src, newSrc);
      i32[w + 3] = newSrc;
      const hc = (ip + 10) >> 1;
      u16[hc] = csumAdjust(u16[hc], fold16(dIp));
      u16[l4 >> 1] = newPortLe;
      const dl4 = fold16(dIp + wordDelta(ports & 0xffff, newPortLe)); // pseudo-header source + source port
      if (proto === PROTO_TCP) {
        const c = (l4 + 16) >> 1;
        u16[c] = csumAdjust(u16[c], dl4);
      } else {
        const c = (l4 + 6) >> 1;
        const old = u16[c];
        if (old !== 0) {
          const nc = csumAdjust(old, dl4);
          u16[c] = nc === 0 ? 0xffff : nc; // 0 means "no checksum" in UDP
        }
      }
      sent++;
    }
    swapMacs(b);
    return sent;
  }

  stats(): Record<string, number> {
    return { flows: this.table.size, pool_left: this.end - this.next, pool_drops: this.poolDrops, table_bytes: this.table.bytes, ...(this.recoverSkipped ? { recover_skipped: this.recoverSkipped } : {}) };
  }
}

export const nf: NfModule = {
  async createNf(ctx, opts) {
    const nat = new Nat(opts, ctx ? ctx.map(NAT_MAP_ID) : null);
    await nat.recover();
    return nat;
  },
};
