// The AF_XDP port: one socket bound to one queue, its UMEM a SharedArrayBuffer that the burst views
// directly (zero copies in JS: rx hands out UMEM offsets, tx posts the same frames back).
import type { Port } from '../port.js';
import type { Burst } from '../burst.js';
import { IP_ALIGN } from '../burst.js';
import type { NativeAddon, XskRing, XskSocket, XskOptions, XskStats } from './native.js';

/** XDP_RING_NEED_WAKEUP in a ring's flags word */
const NEED_WAKEUP = 1;
/** the kernel puts XDP_PACKET_HEADROOM (256) in front of each received frame */
const XDP_HEADROOM = 256;
/** empty polls before blocking in poll(2) for up to 1 ms (saves a core when idle) */
const SPINS_BEFORE_SLEEP = 64;
const EAGAIN = 11;

interface XdpPortConfig {
  frameSize: number;
  frameCount: number;
  ringSize: number;
  zeroCopy: NonNullable<XskOptions['zeroCopy']>;
  xdpMode: NonNullable<XskOptions['xdpMode']>;
}
export const XDP_DEFAULTS: XdpPortConfig = { frameSize: 2048, frameCount: 16384, ringSize: 8192, zeroCopy: 'auto', xdpMode: 'auto' };

/** Bytes of SharedArrayBuffer one queue's UMEM needs (plus a page to align it). */
export const umemBytes = (c: XdpPortConfig) => c.frameSize * c.frameCount + 4096;

/** Typed-array view of one mapped ring: word indexes of producer, consumer, flags and the entries. */
class Ring {
  readonly w: Uint32Array;
  readonly prod: number;
  readonly cons: number;
  readonly flags: number;
  readonly desc: number;
  readonly mask: number;
  readonly size: number;
  constructor(r: XskRing) {
    this.w = new Uint32Array(r.buffer);
    this.prod = r.producer >> 2;
    this.cons = r.consumer >> 2;
    this.flags = r.flags >> 2;
    this.desc = r.desc >> 2;
    this.mask = r.size - 1;
    this.size = r.size;
  }
}

export class XdpPort implements Port {
  readonly kind: string;
  readonly burst: Burst;
  readonly info: XskSocket;
  private readonly fill: Ring;
  private readonly comp: Ring;
  private readonly rxr: Ring;
  private readonly txr: Ring;
  /** frames owned by user space and not in any ring or burst */
  private readonly free: Uint32Array;
  private nFree = 0;
  private readonly base: number;
  private readonly frameMask: number;
  private fillProd: number;
  private compCons: number;
  private rxCons: number;
  private txProd: number;
  /** burst frames handed out by rx() and not yet returned by tx() */
  private held = 0;
  private idle = 0;
  private closed = false;
  txFull = 0;

  constructor(private readonly native: NativeAddon, iface: string, queue: number, capacity: number, c: XdpPortConfig) {
    const sab = new SharedArrayBuffer(umemBytes(c));
    const umem = new Uint8Array(sab);
    // headroom IP_ALIGN puts every frame at % 4 === 2, as the burst contract wants
    this.info = native.xskOpen(iface, queue, umem, { frameSize: c.frameSize, frameCount: c.frameCount, ringSize: c.ringSize, headroom: IP_ALIGN, zeroCopy: c.zeroCopy, xdpMode: c.xdpMode });
    this.kind = `af_xdp:${iface}`;
    this.base = this.info.umemOffset;
    this.frameMask = ~(c.frameSize - 1) >>> 0;
    this.fill = new Ring(this.info.fill);
    this.comp = new Ring(this.info.comp);
    this.rxr = new Ring(this.info.rx);
    this.txr = new Ring(this.info.tx);
    this.fillProd = Atomics.load(this.fill.w, this.fill.prod);
    this.compCons = Atomics.load(this.comp.w, this.comp.cons);
    this.rxCons = Atomics.load(this.rxr.w, this.rxr.cons);
    this.txProd = Atomics.load(this.txr.w, this.txr.prod);
    this.free = new Uint32Array(c.frameCount);
    for (let i = c.frameCount - 1; i >= 0; i--) this.free[this.nFree++] = i * c.frameSize;
    this.burst = {
      u8: umem,
      u16: new Uint16Array(sab, 0, sab.byteLength >> 1),
      u32: new Uint32Array(sab, 0, sab.byteLength >> 2),
      i32: new Int32Array(sab, 0, sab.byteLength >> 2),
      off: new Int32Array(capacity),
      len: new Int32Array(capacity),
      capacity,
      slotBytes: c.frameSize - XDP_HEADROOM - IP_ALIGN,
      count: 0,
    };
    this.refill();
  }

  /** Completed TX frames back to the free stack. */
  private reclaim(): void {
    const r = this.comp;
    const prod = Atomics.load(r.w, r.prod);
    let cons = this.compCons;
    if (prod === cons) return;
    const w = r.w;
    const fm = this.frameMask;
    while (cons !== prod) {
      this.free[this.nFree++] = w[r.desc + ((cons & r.mask) << 1)] & fm;
      cons = (cons + 1) >>> 0;
    }
    this.compCons = cons;
    Atomics.store(w, r.cons, cons);
  }

  /** Free frames into the fill ring, as many as fit. */
  private refill(): void {
    const r = this.fill;
    const room = r.size - ((this.fillProd - Atomics.load(r.w, r.cons)) >>> 0);
    let n = room < this.nFree ? room : this.nFree;
    if (n <= 0) return;
    const w = r.w;
    let p = this.fillProd;
    for (; n > 0; n--) {
      const slot = r.desc + ((p & r.mask) << 1);
      w[slot] = this.free[--this.nFree];
      w[slot + 1] = 0;
      p = (p + 1) >>> 0;
    }
    this.fillProd = p;
    Atomics.store(w, r.prod, p);
  }

  /** Frames of a burst that never reached tx() go back to the free stack. */
  private dropHeld(): void {
    const b = this.burst;
    for (let i = 0; i < this.held; i++) this.free[this.nFree++] = ((b.off[i] - this.base) & this.frameMask) >>> 0;
    this.held = 0;
  }

  rx(max: number): number {
    if (this.held) this.dropHeld();
    this.reclaim();
    this.refill();
    const r = this.rxr;
    let n = (Atomics.load(r.w, r.prod) - this.rxCons) >>> 0;
    if (n === 0) {
      if (++this.idle >= SPINS_BEFORE_SLEEP && this.idleSleep) {
        this.idle = 0;
        // poll(2) also wakes the driver when the fill ring asks for it
        this.native.xskPoll(this.info.handle, 1);
      } else if (Atomics.load(this.fill.w, this.fill.flags) & NEED_WAKEUP) {
        this.native.xskWakeupRx(this.info.handle);
      }
      this.burst.count = 0;
      return 0;
    }
    this.idle = 0;
    if (n > max) n = max;
    const w = r.w;
    const b = this.burst;
    let c = this.rxCons;
    for (let i = 0; i < n; i++) {
      const d = r.desc + ((c & r.mask) << 2);
      b.off[i] = this.base + w[d];
      b.len[i] = w[d + 2];
      c = (c + 1) >>> 0;
    }
    this.rxCons = c;
    Atomics.store(w, r.cons, c);
    b.count = n;
    this.held = n;
    return n;
  }

  tx(): number {
    const b = this.burst;
    const r = this.txr;
    const w = r.w;
    let room = r.size - ((this.txProd - Atomics.load(w, r.cons)) >>> 0);
    let p = this.txProd;
    let sent = 0;
    for (let i = 0; i < b.count; i++) {
      const addr = b.off[i] - this.base;
      const len = b.len[i];
      if (len > 0 && room > 0) {
        const d = r.desc + ((p & r.mask) << 2);
        w[d] = addr;
        w[d + 1] = 0;
        w[d + 2] = len;
        w[d + 3] = 0;
        p = (p + 1) >>> 0;
        room--;
        sent++;
      } else {
        if (len > 0) this.txFull++;
        this.free[this.nFree++] = (addr & this.frameMask) >>> 0;
      }
    }
    this.held = 0;
    if (sent > 0) {
      this.txProd = p;
      Atomics.store(w, r.prod, p);
      // copy mode always asks; zero-copy drivers only when their TX NAPI sleeps
      // (copy mode sends at most 32 per kick and answers EAGAIN when more are waiting)
      if (Atomics.load(w, r.flags) & NEED_WAKEUP && this.native.xskKick(this.info.handle) === EAGAIN) this.native.xskKick(this.info.handle);
    }
    return sent;
  }

  /**
   * A sender's way to put a frame on the wire without receiving it first (a generator): a free UMEM
   * frame's data offset in `burst.u8` (room for `burst.slotBytes`), or -1 when no frame or TX descriptor
   * is free. Write the frame there, then `txCommit(len)`; `txFlush()` hands the committed ones to the kernel.
   */
  txReserve(): number {
    if (this.reservedAddr >= 0) return this.base + this.reservedAddr + XDP_HEADROOM;
    if (this.nFree === 0) this.reclaim();
    const r = this.txr;
    if (this.nFree === 0 || r.size - ((this.txProd + this.unflushed - Atomics.load(r.w, r.cons)) >>> 0) <= 0) return -1;
    this.reservedAddr = this.free[--this.nFree];
    return this.base + this.reservedAddr + XDP_HEADROOM;
  }
  private reservedAddr = -1;
  private unflushed = 0;

  /** Queues the reserved frame, `len` bytes (posted to the kernel at txFlush, or every 64 frames). */
  txCommit(len: number): void {
    const addr = this.reservedAddr;
    if (addr < 0) return;
    this.reservedAddr = -1;
    const r = this.txr;
    const w = r.w;
    const d = r.desc + ((((this.txProd + this.unflushed) >>> 0) & r.mask) << 2);
    w[d] = addr + XDP_HEADROOM;
    w[d + 1] = 0;
    w[d + 2] = len;
    w[d + 3] = 0;
    if (++this.unflushed >= 64) this.txFlush();
  }

  /** Posts the committed frames and kicks the kernel when it asks. */
  txFlush(): void {
    if (this.unflushed === 0) return;
    const w = this.txr.w;
    this.txProd = (this.txProd + this.unflushed) >>> 0;
    this.unflushed = 0;
    Atomics.store(w, this.txr.prod, this.txProd);
    if (Atomics.load(w, this.txr.flags) & NEED_WAKEUP && this.native.xskKick(this.info.handle) === EAGAIN) this.native.xskKick(this.info.handle);
  }

  /** false: rx() never blocks in poll(2) when idle (a busy-polling receiver timing packets) */
  idleSleep = true;

  /** Descriptors in the RX ring not yet handed out by rx(). */
  pending(): number {
    return (Atomics.load(this.rxr.w, this.rxr.prod) - this.rxCons) >>> 0;
  }

  /** Frames tx() found no free descriptor for in the TX ring. */
  txDropped(): number {
    return this.txFull;
  }

  /** the kernel's counters for this socket (why packets were missed) */
  stats(): XskStats & { txFull: number } {
    return { ...this.native.xskStats(this.info.handle), txFull: this.txFull };
  }

  missed(): number {
    if (this.closed) return this.lastMissed;
    const s = this.native.xskStats(this.info.handle);
    // what still waits in the RX ring counts too, so that a stopped run accounts for every packet
    this.lastMissed = s.rxDropped + s.rxRingFull + this.pending();
    return this.lastMissed;
  }
  private lastMissed = 0;

  close(): void {
    if (this.closed) return;
    this.missed();
    this.closed = true;
    this.native.xskClose(this.info.handle);
  }
}
