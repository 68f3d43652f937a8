// NAT (NAPT, endpoint-dependent: one pool pair per 5-tuple) in both directions on one port. A packet
// from the inside (source in --nat-inside; every packet not sent to the pool when no prefix is given)
// leaves with a pool (address, port) as its source; a packet sent to a pool pair by the outside host
// of that mapping goes back to the inside host's address and port. Checksums are updated
// incrementally (RFC 1624; a UDP checksum of 0 stays 0). A ping is translated like a flow whose
// identifier is its port (RFC 5508: echo request out, echo reply back in). Mappings expire after --nat-timeout idle
// seconds and their pairs go back to the pool. The pool is split in per-core chunks (the paper's
// partitioning) handed out in blocks (nfs/nat-pool.ts): a core whose chunk is used up borrows a block
// another core gave back or never touched; when no core has one, it drops new flows and says so, and
// never touches a live mapping. Packets that are neither direction (non-IPv4, not TCP/UDP/ICMP echo, fragments, outside -> outside)
// are forwarded untouched (MACs swapped, as every packet was before the NAT knew directions), or
// dropped with --nat-other drop; counted either way.
//
// State modes (docs/runtime.md): the mapping flow -> pair lives in FlexState map `natMap`. Without a
// store (Native) and in `async` (FlexState's cache flushed every T ms) the packet never waits; `cache`
// (StatelessNF's Cache) reads only the local copy and writes through without waiting, but a flow it
// does not know waits for the store's answer; `stateless-async` (StatelessNF's Async) also sends a
// read of the mapping per packet, not waited on; `sync` waits for a read per packet and for the write
// of a new mapping.
import { parseFlowKey, type MapHandle, type StateContext } from '../runtime/state/api.js';
import type { Burst, NetworkFunction, NfModule, NfOptions } from './types.js';
import { hash4 } from '../common/flow-hash.js';
import { Int32Words, PROTO_ICMP, PROTO_TCP, csumAdjust, fold16, ipToLe, ipv4IcmpEchoOffset, ipv4L4Offset, misaligned, word32Delta, wordDelta } from './packet.js';
import { COLD_WORDS, C_PORTS, C_SRC, HOT_WORDS, H_LAST, H_POOL_IP, H_POOL_PORT_PROTO, NatMappings, PAIR_HELD, pairOfValue, pairValue, type PoolShape } from './nat-table.js';
import { NAT_BLOCK_DEFAULT, PairPool, PoolBlocks, blockSizeFor, poolSharedBytes } from './nat-pool.js';
import { LeasedPairPool, contextLocks, partitionOwner, type BlockLocks } from './nat-lease-pool.js';

const NAT_MAP_ID = 'natMap';
/** default idle timeout (s): RFC 4787 REQ-5 asks at least 2 min for UDP and recommends 5 */
export const NAT_DEFAULT_TIMEOUT_S = 300;
/** last use is written when it moved this much (ms): expiry is that much coarser, and a busy flow's record stays clean */
const LAST_STEP_MS = 64;
/** mapping ids examined for expiry per burst (and per new flow that found the pool empty: 32x) */
const SWEEP_PER_BURST = 8;
/** stateless-async: reads in flight before a burst waits for some to come back */
const MAX_INFLIGHT = 4096;

const D_OTHER = 0;
const D_OUT = 1;
const D_IN = 2;
const D_NOT_INSIDE = 3;

/** The per-core chunk boundaries (cores + 1) of instance `share.index` of `share.of` over a pool of `total` pairs. */
function poolChunks(total: number, share: { index: number; of: number }, cores: number): number[] {
  const all = share.of * cores;
  return Array.from({ length: cores + 1 }, (_, c) => Math.floor(((share.index * cores + c) * total) / all));
}

/** The pairs of the pool the options describe, and the block size the cores share them in (0: no sharing). */
function poolGeometry(o: Pick<NfOptions, 'natIps' | 'natPorts' | 'cores' | 'natBlock'>): { total: number; block: number } {
  const total = o.natIps.count * (o.natPorts.hi - o.natPorts.lo + 1);
  const block = o.natBlock ?? NAT_BLOCK_DEFAULT;
  return { total, block: block === 0 ? 0 : blockSizeFor(total, o.cores, block) };
}

/** (address & mask, mask) of a prefix as little-endian int32 words, to test a frame's address in one AND. */
function prefixLe(r: { first: number; count: number }, what: string): [number, number] {
  const { first, count } = r;
  if (!Number.isInteger(Math.log2(count)) || first % count !== 0) throw new Error(`${what}: ${count} address(es) from ${first} is not a prefix`);
  const mask = (0xffffffff - (count - 1)) >>> 0;
  return [ipToLe(first), ipToLe(mask)];
}

/** whether two prefixes share an address (one holds the other) */
export function prefixesOverlap(a: { first: number; count: number }, b: { first: number; count: number }): boolean {
  const [small, big] = a.count <= b.count ? [a, b] : [b, a];
  return small.first - (small.first % big.count) === big.first;
}

/** a MAC as the three little-endian u16 words a frame holds it in */
function macWords(m: number[] | null | undefined): Int32Array | null {
  if (!m) return null;
  if (m.length !== 6) throw new Error(`NAT next-hop MAC must have 6 bytes (got ${m.length})`);
  return Int32Array.of(m[0]! | (m[1]! << 8), m[2]! | (m[3]! << 8), m[4]! | (m[5]! << 8));
}

/** Frame i leaves to `mac` (its source becomes the address it was sent to), or back to its sender when mac is null. */
function setMacs(u16: Uint16Array, off: number, mac: Int32Array | null): void {
  const w = off >> 1;
  const a0 = u16[w]!, a1 = u16[w + 1]!, a2 = u16[w + 2]!;
  if (mac === null) {
    u16[w] = u16[w + 3]!;
    u16[w + 1] = u16[w + 4]!;
    u16[w + 2] = u16[w + 5]!;
  } else {
    u16[w] = mac[0]!;
    u16[w + 1] = mac[1]!;
    u16[w + 2] = mac[2]!;
  }
  u16[w + 3] = a0;
  u16[w + 4] = a1;
  u16[w + 5] = a2;
}

/** Whether the ICMP message at l4 of frame i is all zero but its checksum field (an echo reply with identifier, sequence and data 0). */
function icmpAllZero(b: Burst, i: number, ip: number, l4: number): boolean {
  const u8 = b.u8;
  const frameEnd = b.off[i]! + b.len[i]!;
  const ipEnd = ip + ((u8[ip + 2]! << 8) | u8[ip + 3]!);
  const end = ipEnd < frameEnd ? ipEnd : frameEnd;
  for (let k = l4; k < end; k++) if (u8[k] !== 0 && (k < l4 + 2 || k > l4 + 3)) return false;
  return true;
}

/** Applies a folded RFC 1624 delta to the TCP, UDP or ICMP checksum of frame i's segment at l4 (UDP's 0 = none stays 0). */
function l4Adjust(b: Burst, i: number, ip: number, l4: number, proto: number, d: number): void {
  const u16 = b.u16;
  if (proto === PROTO_TCP) {
    const c = (l4 + 16) >> 1;
    u16[c] = csumAdjust(u16[c]!, d);
  } else if (proto === PROTO_ICMP) {
    const c = (l4 + 2) >> 1;
    const nc = csumAdjust(u16[c]!, d);
    // eq. 3 never yields 0xFFFF, yet that is the checksum of an all-zero message (TCP/UDP have a pseudo header, never all zero)
    u16[c] = nc === 0 && icmpAllZero(b, i, ip, l4) ? 0xffff : nc;
  } else {
    const c = (l4 + 6) >> 1;
    const old = u16[c]!;
    if (old !== 0) {
      const nc = csumAdjust(old, d);
      u16[c] = nc === 0 ? 0xffff : nc; // 0 means "no checksum" in UDP
    }
  }
}

type StoreMode = 'none' | 'async' | 'cache' | 'stateless-async' | 'sync';

export class Nat implements NetworkFunction {
  readonly maps: NatMappings;
  /** one instance's pool (its share, per-core chunks lent in blocks), or, instances sharing a store, blocks taken through the store's locks */
  readonly pool: PairPool | LeasedPairPool;
  private readonly leased: LeasedPairPool | null;
  private lockError = '';
  private readonly shape: PoolShape;
  private readonly words = new Int32Words();
  private readonly poolNet: number;
  private readonly poolMask: number;
  /** inside prefix; insideAll: none given, every packet not sent to the pool is from the inside */
  private readonly inNet: number;
  private readonly inMask: number;
  private readonly insideAll: boolean;
  private readonly passOther: boolean;
  private readonly outMac: Int32Array | null;
  private readonly inMac: Int32Array | null;
  private readonly timeoutMs: number;
  private readonly t0 = performance.now();
  private cursor = 0;
  readonly mode: StoreMode;
  // counters (the JSON result's per-core `nf` figures)
  private created = 0;
  private expired = 0;
  private poolDrops = 0;
  /** leased pool: of poolDrops, those dropped while a block was on its way (the pool not exhausted) */
  private poolWaitDrops = 0;
  private idDrops = 0;
  /** new flows dropped because the pool handed out a pair a live mapping holds (never, by the pool's rule) */
  private pairConflicts = 0;
  /** scale-in: mappings not adopted because a live mapping here holds their pair (never, by the pools' rule) */
  private adoptSkipped = 0;
  private outPackets = 0;
  private inPackets = 0;
  private inNoMapping = 0;
  private notNat = 0;
  private notInside = 0;
  private recovered = 0;
  private recoverSkipped = 0;
  private adopted = 0;
  private storeReads = 0;
  private storeWrites = 0;
  private storeAdopted = 0;
  private readFailures = 0;
  private lastReadError = '';
  private inflight = 0;
  private drained: (() => void) | null = null;
  /** per-burst scratch: IPv4 header offsets, directions, flow hashes from pass 1 */
  private readonly ipOff = new Int32Array(1024);
  private readonly dir = new Int8Array(1024);
  private readonly hashes = new Int32Array(1024);
  /** per-burst scratch: the key's ports word (TCP/UDP: both ports as read; ICMP echo: the identifier) */
  private readonly ports = new Int32Array(1024);
  /** per-burst scratch: the word index of each packet's bucket in its table */
  private readonly at = new Int32Array(1024);
  /** per-burst scratch: the mapping id pass 2 found (-1: none yet) */
  private readonly found = new Int32Array(1024);
  /** keeps pass 1's bucket reads observable so they are not optimised away */
  sink = 0;
  /** set in the store modes whose packets may wait (cache, stateless-async, sync): the worker awaits it per burst */
  processAsync?: (b: Burst) => Promise<number>;

  /** `locks`: the store's block locks and this partition's owner id (instances sharing a store: nat.ts's createNf gives them with --nat-share) */
  constructor(o: NfOptions, private readonly map: MapHandle | null, mode: StoreMode = map === null ? 'none' : 'async', locks: { locks: BlockLocks; owner: string } | null = null) {
    this.mode = mode;
    const nports = o.natPorts.hi - o.natPorts.lo + 1;
    this.shape = { firstIp: o.natIps.first, ips: o.natIps.count, loPort: o.natPorts.lo, nports };
    // several instances share one pool: instance i of N takes the i-th of N shares, split over its cores
    const share = o.natShare ?? { index: 0, of: 1 };
    const { total, block } = poolGeometry(o);
    const chunks = poolChunks(total, share, o.cores);
    // instances sharing a store: every block through its store lock, the search from this core's share;
    // else the cores of this instance share their blocks through o.shared (rebalancing), or each keeps its chunk
    this.leased = locks !== null && map !== null && block > 0
      ? new LeasedPairPool(locks.locks, { total, block, owner: locks.owner, preferred: chunks[o.core]!, onError: (what, e) => { this.lockError ||= `${what}: ${e.message}`; } })
      : null;
    this.pool = this.leased ?? (block > 0 && o.shared !== undefined && o.cores > 1
      ? new PairPool(new PoolBlocks(chunks, block, o.shared), o.core)
      : PairPool.alone(chunks[o.core]!, chunks[o.core + 1]!, block || NAT_BLOCK_DEFAULT));
    // sized for 65,536 mappings (or the chunk), grown by 1.5x: 50,000 flows fill the tables to 61 %
    // and the ids to 76 % (from 32,768: 54 % and 68 %), 1,000,000 flows 71 % and 89 % (64 % and 79 %)
    this.maps = new NatMappings(Math.min(1 << 16, Math.max(16, chunks[o.core + 1]! - chunks[o.core]!)), this.shape);
    [this.poolNet, this.poolMask] = prefixLe(o.natIps, '--nat-ips');
    this.insideAll = !o.natInside;
    [this.inNet, this.inMask] = o.natInside ? prefixLe(o.natInside, '--nat-inside') : [0, 0];
    if (o.natInside && prefixesOverlap(o.natInside, o.natIps)) throw new Error('--nat-inside and --nat-ips overlap: a reply to the pool would look like inside traffic');
    this.passOther = o.natOther !== 'drop';
    this.outMac = macWords(o.natOutsideMac);
    this.inMac = macWords(o.natInsideMac);
    this.timeoutMs = Math.round((o.natTimeoutS ?? NAT_DEFAULT_TIMEOUT_S) * 1000);
    if (!(this.timeoutMs > 0)) throw new Error(`NAT idle timeout must be above 0 s (got ${o.natTimeoutS})`);
    if (map !== null && (mode === 'cache' || mode === 'stateless-async' || mode === 'sync')) this.processAsync = (b) => this.processWaiting(b);
  }

  /** ms since the NAT started: a mapping's last use (int32 for 24 days) */
  private clock(): number {
    return (performance.now() - this.t0) | 0;
  }

  /** Recovery: rebuild mappings and the pool from what the store holds (a dead instance's partition). */
  async recover(): Promise<number> {
    if (this.map === null) return 0;
    const [keys, vals] = await this.map.entries();
    const at: number[] = [];
    const flows: [number, number, number, number][] = [];
    const pairs: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const k = pairOfValue(this.shape, vals[i]!);
      const t = k >= 0 ? parseFlowKey(keys[i]!) : null;
      if (t !== null) {
        at.push(i);
        flows.push(t);
        pairs.push(k);
      } else this.recoverSkipped++;
    }
    // the pairs are taken with their blocks first: one held by another core (or listed twice) is refused
    const ok = this.pool.claim(pairs);
    const now = this.clock();
    let n = 0;
    for (let j = 0; j < at.length; j++) {
      const i = at[j]!;
      const t = flows[j]!;
      if (ok[j] !== 1 || this.maps.fwd.find(t[0], t[1], t[2], t[3]) >= 0) {
        if (ok[j] === 1) this.pool.release(pairs[j]!);
        this.recoverSkipped++; // not a pair this core may hold: the flow gets a new one when seen
        continue;
      }
      const m = this.maps.add(t[0], t[1], t[2], t[3], pairs[j]!, now);
      if (m < 0) {
        if (m !== PAIR_HELD) this.pool.release(pairs[j]!); // a held pair is its live mapping's
        this.recoverSkipped++;
        continue;
      }
      this.maps.setSlot(m, this.map.slot(keys[i]!));
      n++;
    }
    this.recovered = n;
    return n;
  }

  /**
   * Leased pool: its first block before the first packet. A takeover (mappings recovered) does not
   * wait: its recovered pairs are safe under the dead partition's lease and the block comes meanwhile.
   */
  async start(): Promise<void> {
    if (this.leased === null) return;
    const first = this.leased.init();
    if (this.recovered === 0) await first;
    else first.catch(() => undefined);
  }

  /**
   * Scale-out/in: the mappings another instance made (its partition of this core, read from the store)
   * are kept here with their pairs, which stay out of this pool (they are the other instance's share),
   * and written to this instance's map too, so a later failover of this instance recovers them.
   */
  async adopt(from: StateContext): Promise<number> {
    const [keys, vals] = await from.map(NAT_MAP_ID).entries();
    const now = this.clock();
    const owner = partitionOwner(from.partition.instance, from.partition.core);
    let n = 0;
    for (let i = 0; i < keys.length; i++) {
      const t = parseFlowKey(keys[i]!);
      const k = t === null ? -1 : pairOfValue(this.shape, vals[i]!);
      if (t === null || k < 0 || this.maps.fwd.find(t[0], t[1], t[2], t[3]) >= 0) continue;
      // leased pool: the pair's block is kept under its owner's lease while this mapping lives (refused: a block handed out here)
      if (this.leased !== null && !this.leased.adoptPair(k, owner)) continue;
      const m = this.maps.add(t[0], t[1], t[2], t[3], k, now);
      if (m < 0) {
        this.leased?.release(k); // undoes adoptPair's hold
        if (m !== PAIR_HELD) break; // no id left
        this.adoptSkipped++; // the pair held here already: the flow gets a new pair when seen
        continue;
      }
      if (this.map !== null) {
        const s = this.map.slot(keys[i]!);
        this.maps.setSlot(m, s);
        this.map.setSlotNoWait(s, vals[i]!);
        this.storeWrites++;
      }
      n++;
    }
    this.adopted += n;
    if (this.leased !== null && n > 0) await this.leased.renew(); // the adopted blocks' leases, at once: their owner may be gone
    return n;
  }

  /** New mapping for a forward 5-tuple from the pool, or -1 (pool chunk or id space used up: the packet is dropped). */
  private create(src: number, dst: number, ports: number, proto: number, now: number, k = -1): number {
    if (k < 0) k = this.pool.take();
    if (k < 0) {
      this.sweep(now, SWEEP_PER_BURST * 32); // idle mappings not yet swept may free a pair
      k = this.pool.take();
      if (k < 0) {
        this.poolDrops++;
        if (this.leased !== null && !this.leased.dry) this.poolWaitDrops++;
        return -1;
      }
    }
    const m = this.maps.add(src, dst, ports, proto, k, now);
    if (m < 0) {
      // a pair a live mapping holds stays out of the pool (it comes back when that mapping goes; the pool's
      // count of its block keeps the one take too much: unreachable while the pool hands a pair out once)
      if (m === PAIR_HELD) this.pairConflicts++;
      else {
        this.pool.release(k);
        this.idDrops++;
      }
      return -1;
    }
    this.created++;
    return m;
  }

  /** Native and FlexState async: a new flow's mapping is made here and written without waiting. */
  private createLocal(src: number, dst: number, ports: number, proto: number, now: number): number {
    const m = this.create(src, dst, ports, proto, now);
    if (m >= 0 && this.map !== null) {
      const s = this.map.slotOfFlow(src, dst, ports, proto); // by the flow's words: no string on the packet thread
      this.maps.setSlot(m, s);
      this.map.setSlotNoWait(s, pairValue(this.shape, this.maps.pairOf(m)));
      this.storeWrites++;
    }
    return m;
  }

  /** Expires up to `budget` mappings idle longer than the timeout, round robin over the ids. */
  sweep(now: number, budget: number): void {
    const maps = this.maps;
    const high = maps.high;
    if (high === 0) return;
    const hot = maps.hot;
    let c = this.cursor;
    const n = budget < high ? budget : high;
    for (let j = 0; j < n; j++) {
      if (c >= high) c = 0;
      const last = hot[c * HOT_WORDS + H_LAST]!;
      if (last >= 0 && now - last > this.timeoutMs) this.expire(c);
      c++;
    }
    this.cursor = c;
  }

  private expire(m: number): void {
    const s = this.maps.slotOf(m);
    if (s >= 0 && this.map !== null) {
      this.map.eraseSlotNoWait(s);
      this.storeWrites++;
    }
    this.pool.release(this.maps.remove(m)); // not done for an adopted mapping's pair: another instance's share
    this.expired++;
  }

  /**
   * Pass 1: parse, classify and hash every packet and note its bucket; then, in a loop of a few
   * instructions per packet, read every bucket: the burst's cache misses are in flight together
   * (touched while hashing, the CPU's window held only a few packets' worth of them).
   */
  private classify(b: Burst, i32: Int32Array): void {
    const u8 = b.u8;
    const ipOff = this.ipOff;
    const dir = this.dir;
    const hashes = this.hashes;
    const at = this.at;
    const maps = this.maps;
    const fwd = maps.fwd;
    let touched = 0;
    const u16 = b.u16;
    const portsOf = this.ports;
    const offs = b.off;
    const lens = b.len;
    for (let i = 0, n = b.count; i < n; i++) {
      // the common frame (IPv4 with a 20-byte header, TCP/UDP, not a fragment) from three header words; others the general way
      const off = offs[i]!;
      let ip = off + 14;
      const hw = ip >> 2;
      const p = (i32[hw + 2]! >>> 8) & 255;
      let ports: number;
      if (lens[i]! >= 42 && u16[(off + 12) >> 1] === 0x0008 && (i32[hw]! & 255) === 0x45 && (p === PROTO_TCP || p === 17) && (i32[hw + 1]! & 0xff3f0000) === 0 && (ip & 3) === 0) {
        ports = i32[hw + 5]!;
      } else if ((ip = ipv4L4Offset(b, i)) >= 0) {
        if ((ip & 3) !== 0) throw misaligned(b, i); // word reads below need the IPv4 header 32-bit aligned
        ports = i32[(ip + ((u8[ip]! & 15) << 2)) >> 2]!;
      } else {
        ip = ipv4IcmpEchoOffset(b, i); // ping: its identifier stands for the ports
        if (ip < 0 || (ip & 3) !== 0) {
          ipOff[i] = -1;
          dir[i] = D_OTHER;
          continue;
        }
        ports = u16[(ip + ((u8[ip]! & 15) << 2) + 4) >> 1]!;
      }
      ipOff[i] = ip;
      portsOf[i] = ports;
      const w = ip >> 2;
      const src = i32[w + 3]!;
      const dst = i32[w + 4]!;
      if ((dst & this.poolMask) === this.poolNet) {
        // a reply: the pool pair it is sent to leads to its mapping (no hash)
        dir[i] = D_IN;
        at[i] = maps.replyWord(dst, ports, u8[ip + 9]!);
      } else if (this.insideAll || (src & this.inMask) === this.inNet) {
        const h = hash4(src, dst, ports, u8[ip + 9]!);
        hashes[i] = h;
        dir[i] = D_OUT;
        at[i] = fwd.at(h);
      } else dir[i] = D_NOT_INSIDE;
    }
    const fd = fwd.data;
    const bp = maps.byPair;
    for (let i = 0, n = b.count; i < n; i++) {
      const d = dir[i]!;
      if (d === D_OUT) touched |= fd[at[i]! + 3]!;
      else if (d === D_IN && at[i]! >= 0) touched |= bp[at[i]!]!;
    }
    this.sink = touched;
  }

  /** Neither direction: forwarded untouched (MACs swapped) or dropped, by --nat-other (pass unless told); counted. */
  private other(b: Burst, i: number, d: number): number {
    if (d === D_OTHER) this.notNat++;
    else this.notInside++;
    if (this.passOther) {
      setMacs(b.u16, b.off[i]!, null);
      return 1;
    }
    b.len[i] = 0;
    return 0;
  }

  /** Rewrites frame i's source to mapping m's pool pair (the checksum deltas from what it replaces: RFC 1624). */
  private rewriteOut(b: Burst, i32: Int32Array, i: number, ip: number, l4: number, proto: number, m: number, now: number): void {
    const u16 = b.u16;
    const hot = this.maps.hot;
    const o = m * HOT_WORDS;
    if (now - hot[o + H_LAST]! >= LAST_STEP_MS) hot[o + H_LAST] = now; // a record read, not dirtied, by most packets
    const poolIp = hot[o + H_POOL_IP]!;
    const poolPort = hot[o + H_POOL_PORT_PROTO]! & 0xffff;
    const sw = (ip >> 2) + 3;
    const dIp = fold16(word32Delta(i32[sw]!, poolIp));
    i32[sw] = poolIp;
    const hc = (ip + 10) >> 1;
    u16[hc] = csumAdjust(u16[hc]!, dIp);
    const icmp = proto === PROTO_ICMP;
    const pw = (icmp ? l4 + 4 : l4) >> 1;
    // ICMP's checksum has no pseudo header: the identifier alone changes it
    const dL4 = fold16((icmp ? 0 : dIp) + wordDelta(u16[pw]!, poolPort));
    u16[pw] = poolPort;
    l4Adjust(b, i, ip, l4, proto, dL4);
    setMacs(u16, b.off[i]!, this.outMac);
    this.outPackets++;
  }

  /** Rewrites frame i's destination back to mapping m's inside address and port. */
  private rewriteIn(b: Burst, i32: Int32Array, i: number, ip: number, l4: number, proto: number, m: number, now: number): void {
    const u16 = b.u16;
    const hot = this.maps.hot;
    const o = m * HOT_WORDS;
    if (now - hot[o + H_LAST]! >= LAST_STEP_MS) hot[o + H_LAST] = now; // a record read, not dirtied, by most packets
    const cold = this.maps.cold;
    const q = m * COLD_WORDS;
    const src = cold[q + C_SRC]!;
    const insidePort = cold[q + C_PORTS]! & 0xffff;
    const dw = (ip >> 2) + 4;
    const dIp = fold16(word32Delta(i32[dw]!, src));
    i32[dw] = src;
    const hc = (ip + 10) >> 1;
    u16[hc] = csumAdjust(u16[hc]!, dIp);
    const icmp = proto === PROTO_ICMP;
    const pw = (icmp ? l4 + 4 : l4 + 2) >> 1;
    const dL4 = fold16((icmp ? 0 : dIp) + wordDelta(u16[pw]!, insidePort));
    u16[pw] = insidePort;
    l4Adjust(b, i, ip, l4, proto, dL4);
    setMacs(u16, b.off[i]!, this.inMac);
    this.inPackets++;
  }

  process(b: Burst): number {
    const i32 = this.words.of(b);
    const u8 = b.u8;
    const len = b.len;
    const n = b.count;
    this.classify(b, i32);
    const now = this.clock();
    this.sweep(now, SWEEP_PER_BURST);
    const ipOff = this.ipOff;
    const dir = this.dir;
    const hashes = this.hashes;
    const portsOf = this.ports;
    const maps = this.maps;
    const fwd = maps.fwd;
    // Pass 2: look up every packet (its bucket, or a reply's pair word, is in cache since pass 1), then
    // touch every mapping's hot record in a loop of its own, as pass 1 did the buckets
    const found = this.found;
    const at = this.at;
    for (let i = 0; i < n; i++) {
      const d = dir[i]!;
      if (d === D_OUT) {
        const w = ipOff[i]! >> 2;
        const e = fwd.findAt(at[i]!, i32[w + 3]!, i32[w + 4]!, portsOf[i]!, u8[(w << 2) + 9]!);
        found[i] = e >= 0 ? fwd.value(e) : -1;
      } else if (d === D_IN) {
        // the pair's mapping, if any: whether the reply is its is checked in pass 3, its records touched first
        const a = at[i]!;
        found[i] = a >= 0 ? maps.byPair[a]! - 1 : -1;
      } else found[i] = -1;
    }
    let hot = this.maps.hot;
    const cold = this.maps.cold;
    let touched = 0;
    for (let i = 0; i < n; i++) {
      const m = found[i]!;
      if (m >= 0) touched |= dir[i] === D_IN ? hot[m * HOT_WORDS]! ^ cold[m * COLD_WORDS]! : hot[m * HOT_WORDS]!; // a reply reads both records
    }
    this.sink = touched;
    // Pass 3: new flows get a mapping, every packet is rewritten. A mapping found in pass 2 stays
    // valid unless one expired since (a new flow that found the pool dry sweeps): then look again.
    const expired0 = this.expired;
    const u16 = b.u16;
    const offs = b.off;
    const outMac = this.outMac;
    let sent = 0;
    let fastOut = 0;
    for (let i = 0; i < n; i++) {
      const d = dir[i]!;
      if (d !== D_OUT && d !== D_IN) {
        sent += this.other(b, i, d);
        continue;
      }
      const ip = ipOff[i]!;
      const w = ip >> 2;
      const proto = u8[ip + 9]!;
      const l4 = ip + ((u8[ip]! & 15) << 2);
      let m = found[i]!;
      if (m >= 0 && d === D_IN && !maps.replyIs(m, i32[w + 3]!, portsOf[i]!, proto)) m = -1; // another host's, port's or protocol's pair
      if (m >= 0 && d === D_OUT && proto !== PROTO_ICMP && this.expired === expired0) {
        // an outbound TCP/UDP packet of a known flow, written out here (rewriteOut's work, RFC 1624)
        const o = m * HOT_WORDS;
        if (now - hot[o + H_LAST]! >= LAST_STEP_MS) hot[o + H_LAST] = now; // a record read, not dirtied, by most packets
        const poolIp = hot[o + H_POOL_IP]!;
        const poolPort = hot[o + H_POOL_PORT_PROTO]! & 0xffff;
        const dIp = fold16(word32Delta(i32[w + 3]!, poolIp));
        i32[w + 3] = poolIp;
        const hc = (ip + 10) >> 1;
        u16[hc] = csumAdjust(u16[hc]!, dIp);
        const pw = l4 >> 1;
        const dL4 = fold16(dIp + wordDelta(u16[pw]!, poolPort));
        u16[pw] = poolPort;
        if (proto === PROTO_TCP) {
          const c = (l4 + 16) >> 1;
          u16[c] = csumAdjust(u16[c]!, dL4);
        } else {
          const c = (l4 + 6) >> 1;
          const old = u16[c]!;
          if (old !== 0) {
            const nc = csumAdjust(old, dL4);
            u16[c] = nc === 0 ? 0xffff : nc; // 0 means "no checksum" in UDP
          }
        }
        const mw = offs[i]! >> 1;
        const a0 = u16[mw]!, a1 = u16[mw + 1]!, a2 = u16[mw + 2]!;
        if (outMac === null) {
          u16[mw] = u16[mw + 3]!;
          u16[mw + 1] = u16[mw + 4]!;
          u16[mw + 2] = u16[mw + 5]!;
        } else {
          u16[mw] = outMac[0]!;
          u16[mw + 1] = outMac[1]!;
          u16[mw + 2] = outMac[2]!;
        }
        u16[mw + 3] = a0;
        u16[mw + 4] = a1;
        u16[mw + 5] = a2;
        fastOut++;
        continue;
      }
      if (m < 0 || this.expired !== expired0) {
        // new in this burst (an earlier packet of it may have made its mapping), or ids moved
        const src = i32[w + 3]!;
        const dst = i32[w + 4]!;
        const ports = portsOf[i]!;
        if (d === D_OUT) {
          const e = fwd.findFrom(hashes[i]!, src, dst, ports, proto);
          m = e >= 0 ? fwd.value(e) : this.createLocal(src, dst, ports, proto, now);
        } else m = maps.reply(src, dst, ports, proto);
        hot = maps.hot; // a new mapping may have grown the records
        if (m < 0) {
          if (d === D_IN) this.inNoMapping++; // to the pool without a live mapping from this outside host: dropped, as a NAT filters
          len[i] = 0;
          continue;
        }
      }
      if (d === D_OUT) this.rewriteOut(b, i32, i, ip, l4, proto, m, now);
      else this.rewriteIn(b, i32, i, ip, l4, proto, m, now);
      sent++;
    }
    this.outPackets += fastOut;
    return sent + fastOut;
  }

  /** cache, stateless-async, sync: the same rewrite, with the store requests (and waits) of the mode. */
  private async processWaiting(b: Burst): Promise<number> {
    const map = this.map!;
    const i32 = this.words.of(b);
    const u8 = b.u8;
    const len = b.len;
    const n = b.count;
    this.classify(b, i32);
    let now = this.clock();
    this.sweep(now, SWEEP_PER_BURST);
    const ipOff = this.ipOff;
    const dir = this.dir;
    const hashes = this.hashes;
    const fwd = this.maps.fwd;
    const portsOf = this.ports;
    const sync = this.mode === 'sync';
    const perPacket = this.mode === 'stateless-async';
    let sent = 0;
    for (let i = 0; i < n; i++) {
      const d = dir[i]!;
      if (d === D_OTHER || d === D_NOT_INSIDE) {
        sent += this.other(b, i, d);
        continue;
      }
      const ip = ipOff[i]!;
      const w = ip >> 2;
      const l4 = ip + ((u8[ip]! & 15) << 2);
      const proto = u8[ip + 9]!;
      const src = i32[w + 3]!;
      const dst = i32[w + 4]!;
      const ports = portsOf[i]!;
      let m: number;
      if (d === D_OUT) {
        const e = fwd.findFrom(hashes[i]!, src, dst, ports, proto);
        if (e >= 0) m = fwd.value(e);
        else {
          // a flow the local copy does not know: the packet cannot go on without the store's answer
          m = await this.createFromStore(map, src, dst, ports, proto, now, sync);
          now = this.clock();
          if (m < 0) {
            len[i] = 0;
            continue;
          }
          this.rewriteOut(b, i32, i, ip, l4, proto, m, now);
          sent++;
          continue; // its read was the one just made
        }
      } else {
        m = this.maps.reply(src, dst, ports, proto);
        if (m < 0) {
          this.inNoMapping++;
          len[i] = 0;
          continue;
        }
      }
      const s = this.maps.slotOf(m);
      if (sync && s >= 0) {
        await this.read(map, s); // every packet waits for its mapping from the store
        now = this.clock();
      } else if (perPacket && s >= 0) {
        this.readNoWait(map, s);
        if (this.inflight >= MAX_INFLIGHT) await new Promise<void>((r) => { this.drained = r; });
      }
      if (d === D_OUT) this.rewriteOut(b, i32, i, ip, l4, proto, m, now);
      else this.rewriteIn(b, i32, i, ip, l4, proto, m, now);
      sent++;
    }
    return sent;
  }

  /** A flow new to the local copy: ask the store (a mapping an earlier instance left is taken over when its pair is free), else make one. */
  private async createFromStore(map: MapHandle, src: number, dst: number, ports: number, proto: number, now: number, wait: boolean): Promise<number> {
    const s = map.slotOfFlow(src, dst, ports, proto);
    const key = map.keyOf(s);
    const v = await this.read(map, s);
    now = this.clock();
    const had = this.maps.fwd.find(src, dst, ports, proto);
    if (had >= 0) return this.maps.fwd.value(had); // made while this one waited
    let k = v === null ? -1 : pairOfValue(this.shape, v);
    if (k >= 0 && !this.pool.claimOne(k)) k = -1;
    const m = this.create(src, dst, ports, proto, now, k);
    if (m < 0) return -1;
    if (k >= 0) this.storeAdopted++; // counted once its mapping is made
    this.maps.setSlot(m, s);
    if (k < 0) {
      const value = pairValue(this.shape, this.maps.pairOf(m));
      this.storeWrites++;
      if (wait) await map.set(key, value);
      else map.setSlotNoWait(s, value);
    }
    return m;
  }

  private read(map: MapHandle, s: number): Promise<number | null> {
    this.storeReads++;
    return map.get(map.keyOf(s));
  }

  private readonly onRead = (): void => {
    this.inflight--;
    if (this.drained !== null && this.inflight <= MAX_INFLIGHT >> 1) {
      const r = this.drained;
      this.drained = null;
      r();
    }
  };

  private readonly onReadFail = (e: Error): void => {
    this.readFailures++;
    this.lastReadError = e.message;
    this.onRead();
  };

  /** stateless-async: the mapping's read goes out; the packet does not wait for it */
  private readNoWait(map: MapHandle, s: number): void {
    this.inflight++;
    this.storeReads++;
    map.get(map.keyOf(s)).then(this.onRead, this.onReadFail);
  }

  async close(): Promise<void> {
    while (this.inflight > 0) await new Promise<void>((r) => { this.drained = r; });
    this.sweep(this.clock(), this.maps.high); // what went idle while no packet came is expired and counted
    await this.leased?.close(); // a scale-in's free blocks go back to the store; those with live mappings keep a fresh lease
  }

  stats(): Record<string, number> {
    return {
      flows: this.maps.live,
      mappings_created: this.created,
      mappings_expired: this.expired,
      pool_left: this.pool.left,
      pool_drops: this.poolDrops,
      ...(this.leased !== null ? this.leaseStats(this.leased) : this.pool instanceof PairPool && this.pool.blocks.cores > 1 ? this.blockStats(this.pool) : {}),
      out_packets: this.outPackets,
      in_packets: this.inPackets,
      in_no_mapping: this.inNoMapping,
      not_nat: this.notNat,
      not_inside: this.notInside,
      table_bytes: this.maps.bytes,
      pool_bytes: this.pool.bytes,
      ...(this.map?.bytes ? { state_bytes: this.map.bytes() } : {}),
      ...(this.idDrops ? { id_drops: this.idDrops } : {}),
      ...(this.pairConflicts ? { pair_conflicts: this.pairConflicts } : {}),
      ...(this.adoptSkipped ? { adopt_skipped: this.adoptSkipped } : {}),
      ...(this.recovered ? { recovered: this.recovered } : {}),
      ...(this.recoverSkipped ? { recover_skipped: this.recoverSkipped } : {}),
      ...(this.adopted ? { adopted: this.adopted } : {}),
      ...(this.map !== null ? { store_reads: this.storeReads, store_writes: this.storeWrites, store_adopted: this.storeAdopted, store_read_failures: this.readFailures } : {}),
    };
  }

  /**
   * rebalancing: blocks this core borrowed (from the reserve or another core) and gave back, the block
   * size. What it lent is left out: another core may still borrow after this one reported.
   */
  private blockStats(pool: PairPool): Record<string, number> {
    const c = pool.counts();
    return { pool_blocks_borrowed: c.borrowed, pool_blocks_returned: c.returned, pool_block: pool.blocks.block };
  }

  /**
   * Leased pool: blocks whose lock this core took and gave back, held at the end (its own and adopted
   * ones), searches that found every block held, and what should stay 0 (leases lost, conflicts, errors).
   */
  private leaseStats(pool: LeasedPairPool): Record<string, number> {
    const c = pool.counts();
    return {
      pool_blocks_taken: c.taken, pool_blocks_released: c.released, pool_blocks_held: c.held, pool_blocks_adopted: c.adopted,
      pool_exhausted: c.exhausted, pool_block: pool.block, pool_drops_waiting: this.poolWaitDrops,
      ...(c.lost ? { pool_leases_lost: c.lost } : {}), ...(c.conflicts ? { pool_block_conflicts: c.conflicts } : {}), ...(c.errors ? { pool_lock_errors: c.errors } : {}),
    };
  }

  /** Sentences for the run's result: what went wrong that the counters alone do not say. */
  messages(): string[] {
    const out: string[] = [];
    const dry = this.poolDrops - this.poolWaitDrops;
    if (dry > 0 && this.leased !== null) {
      const c = this.leased.counts();
      out.push(`NAT pool exhausted on this instance core: ${dry} packet(s) of new flows dropped (the pool's ${this.leased.total} pairs in ${this.leased.nb} blocks of ${this.leased.block}, ` +
        `shared by every instance through the store's locks; this core took ${c.taken} and found none free ${c.exhausted} time(s); ` +
        'widen --nat-ips or --nat-ports, or shorten --nat-timeout); existing mappings were kept');
    }
    if (this.poolWaitDrops > 0) {
      out.push(`NAT pool: ${this.poolWaitDrops} packet(s) of new flows dropped while this core's next block was on its way from the store (new flows came faster than its block locks were answered; ` +
        'a larger --nat-block asks less often)');
    } else if (this.poolDrops > 0 && this.pool instanceof PairPool) {
      const shared = this.pool.blocks.cores > 1
        ? ` and it borrowed ${this.pool.counts().borrowed} block(s) of ${this.pool.blocks.block}; no core had one to spare`
        : '';
      out.push(`NAT pool exhausted on this core: ${this.poolDrops} packet(s) of new flows dropped (this core's chunk holds ${this.pool.end - this.pool.start} pairs${shared}; ` +
        'widen --nat-ips or --nat-ports, or shorten --nat-timeout); existing mappings were kept');
    }
    const lc = this.leased?.counts();
    if (this.lockError) out.push(`NAT pool: ${lc?.errors ?? 0} block lock request(s) failed, first: ${this.lockError}`);
    if (lc !== undefined && lc.lost > 0) out.push(`NAT pool: ${lc.lost} block lease(s) were found lost when renewed (the store was away longer than the ${this.leased!.leaseMs} ms lease)`);
    if (this.readFailures > 0) out.push(`NAT: ${this.readFailures} store read(s) failed, last: ${this.lastReadError}`);
    if (this.pairConflicts > 0) out.push(`NAT: ${this.pairConflicts} new flow(s) dropped: the pool handed out a pair a live mapping holds (a flexbench bug: please report it with this run's spec)`);
    if (this.adoptSkipped > 0) out.push(`NAT: ${this.adoptSkipped} mapping(s) not adopted: a live mapping here holds their pool pair (those flows get a new pair when seen)`);
    return out;
  }
}

export const nf: NfModule = {
  sharedBytes(o) {
    const { total, block } = poolGeometry(o);
    return poolSharedBytes(total, o.cores, block);
  },
  async createNf(ctx: StateContext | null, opts) {
    // instances sharing a store (--nat-share) take the pool's blocks through its locks, owned per partition;
    // not on hashmap: it lives in each thread of one process, its locks are not shared by the cores
    const locks = ctx && opts.natShare && !ctx.config.store.startsWith('hashmap') ? { locks: contextLocks(ctx), owner: partitionOwner(ctx.partition.instance, ctx.partition.core) } : null;
    const nat = new Nat(opts, ctx ? ctx.map(NAT_MAP_ID) : null, ctx ? ctx.mode : 'none', locks);
    await nat.recover();
    await nat.start();
    return nat;
  },
};
