// The AF_PACKET fallback port: a TPACKET_V3 socket in a PACKET_FANOUT_HASH group (one per core).
// The burst views the RX blocks in place; tx() copies each frame into the TX frame ring and kicks once.
import type { Port } from '../port.js';
import type { Burst } from '../burst.js';
import type { NativeAddon, PacketSocket, PacketOptions } from './native.js';

const TP_STATUS_USER = 1; // RX block: filled, owned by user space
const TP_STATUS_KERNEL = 0;
const TP_STATUS_SEND_REQUEST = 1; // TX frame: queued for the kernel
const TP_STATUS_SENDING = 2;
const TP_STATUS_WRONG_FORMAT = 4;
const SPINS_BEFORE_SLEEP = 64;
/** queued TX frames that trigger a send(): one syscall per two full bursts; rx() flushes when idle */
const KICK_BATCH = 64;
// tpacket_block_desc / tpacket_hdr_v1 and tpacket3_hdr field offsets (linux/if_packet.h)
const BLK_STATUS = 8;
const BLK_NUM_PKTS = 12;
const BLK_FIRST = 16;
const H_NEXT = 0;
const H_SNAPLEN = 12;
const H_LEN = 16;
const H_STATUS = 20;
const H_MAC = 24;

interface PacketPortConfig {
  blockSize: number;
  blockCount: number;
  retireMs: number;
  txFrameSize: number;
  txFrameCount: number;
}
// a block retires when full or after retireMs: blockCount x retireMs is the shortest stall the ring absorbs
export const PACKET_DEFAULTS: PacketPortConfig = { blockSize: 1 << 16, blockCount: 256, retireMs: 2, txFrameSize: 2048, txFrameCount: 2048 };

export class PacketPort implements Port {
  readonly kind: string;
  readonly burst: Burst;
  readonly info: PacketSocket;
  private readonly w: Int32Array;
  private readonly u32: Uint32Array;
  private blk = 0;
  /** packets left in the current block (-1 = no block open) */
  private left = -1;
  private next = 0;
  /** blocks fully handed out, released at the next rx() once their burst has been sent */
  private finished = 0;
  private txIdx = 0;
  private unkicked = 0;
  private idle = 0;
  private dropsSoFar = 0;
  private closed = false;
  txFull = 0;
  txWrongFormat = 0;

  constructor(private readonly native: NativeAddon, iface: string, capacity: number, c: PacketPortConfig, fanoutGroup: number) {
    const opts: PacketOptions = { ...c, fanoutGroup, fanout: 'hash' };
    this.info = native.packetOpen(iface, opts);
    this.kind = `af_packet:${iface}`;
    const buf = this.info.buffer;
    this.w = new Int32Array(buf);
    this.u32 = new Uint32Array(buf);
    this.burst = {
      u8: new Uint8Array(buf),
      u16: new Uint16Array(buf),
      u32: this.u32,
      i32: this.w,
      off: new Int32Array(capacity),
      len: new Int32Array(capacity),
      capacity,
      slotBytes: this.info.txFrameSize - this.info.txDataOffset,
      count: 0,
    };
  }

  private releaseFinished(): void {
    const nb = this.info.blockCount;
    const bs = this.info.blockSize;
    for (let k = this.finished; k > 0; k--) {
      const b = (this.blk - k + nb) % nb;
      Atomics.store(this.w, (b * bs + BLK_STATUS) >> 2, TP_STATUS_KERNEL);
    }
    this.finished = 0;
  }

  rx(max: number): number {
    this.releaseFinished();
    const bs = this.info.blockSize;
    const nb = this.info.blockCount;
    const u32 = this.u32;
    const b = this.burst;
    let n = 0;
    while (n < max) {
      if (this.left <= 0) {
        if (this.left === 0) {
          // block done: hand it back after this burst is sent
          this.finished++;
          this.blk = (this.blk + 1) % nb;
          this.left = -1;
        }
        const at = this.blk * bs;
        if ((Atomics.load(this.w, (at + BLK_STATUS) >> 2) & TP_STATUS_USER) === 0) break;
        this.left = u32[(at + BLK_NUM_PKTS) >> 2];
        this.next = at + u32[(at + BLK_FIRST) >> 2];
        continue;
      }
      const h = this.next;
      b.off[n] = h + (u32[(h + H_MAC) >> 2] & 0xffff);
      b.len[n] = u32[(h + H_SNAPLEN) >> 2];
      n++;
      this.left--;
      this.next = h + u32[(h + H_NEXT) >> 2];
    }
    b.count = n;
    if (n === 0 && this.unkicked > 0) this.kick();
    if (n === 0 && ++this.idle >= SPINS_BEFORE_SLEEP && this.idleSleep) {
      this.idle = 0;
      this.native.packetPoll(this.info.handle, 1);
    } else if (n > 0) this.idle = 0;
    return n;
  }

  tx(): number {
    const b = this.burst;
    const i32 = this.w;
    const { txOffset, txBlockSize, txFrameSize, txFramesPerBlock, txFrameCount, txDataOffset } = this.info;
    let sent = 0;
    for (let i = 0; i < b.count; i++) {
      const len = b.len[i];
      if (len <= 0) continue;
      const idx = this.txIdx;
      const fpb = (idx / txFramesPerBlock) | 0;
      const frame = txOffset + fpb * txBlockSize + (idx - fpb * txFramesPerBlock) * txFrameSize;
      const st = Atomics.load(i32, (frame + H_STATUS) >> 2);
      if (st & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING)) {
        this.txFull++;
        continue;
      }
      if (st & TP_STATUS_WRONG_FORMAT) this.txWrongFormat++;
      const src = b.off[i];
      b.u8.copyWithin(frame + txDataOffset, src, src + (len < b.slotBytes ? len : b.slotBytes));
      this.u32[(frame + H_LEN) >> 2] = len < b.slotBytes ? len : b.slotBytes;
      Atomics.store(i32, (frame + H_STATUS) >> 2, TP_STATUS_SEND_REQUEST);
      this.txIdx = idx + 1 === txFrameCount ? 0 : idx + 1;
      sent++;
    }
    this.unkicked += sent;
    if (this.unkicked >= KICK_BATCH) this.kick();
    return sent;
  }

  /**
   * A sender's way to put a frame on the wire without a receive buffer (a generator): the byte offset in
   * `burst.u8` where the next free TX frame's data goes (at most `burst.slotBytes`), or -1 when the TX
   * ring is full. Write the frame there, then `txCommit(len)`; nothing is sent until then.
   */
  txReserve(): number {
    const idx = this.txIdx;
    const { txOffset, txBlockSize, txFrameSize, txFramesPerBlock, txDataOffset } = this.info;
    const fpb = (idx / txFramesPerBlock) | 0;
    const frame = txOffset + fpb * txBlockSize + (idx - fpb * txFramesPerBlock) * txFrameSize;
    const st = Atomics.load(this.w, (frame + H_STATUS) >> 2);
    if (st & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING)) return -1;
    if (st & TP_STATUS_WRONG_FORMAT) this.txWrongFormat++;
    this.reserved = frame;
    return frame + txDataOffset;
  }
  private reserved = -1;

  /** Queues the frame txReserve() handed out, `len` bytes; kicks the kernel every KICK_BATCH frames. */
  txCommit(len: number): void {
    const frame = this.reserved;
    if (frame < 0) return;
    this.reserved = -1;
    this.u32[(frame + H_LEN) >> 2] = len;
    Atomics.store(this.w, (frame + H_STATUS) >> 2, TP_STATUS_SEND_REQUEST);
    this.txIdx = this.txIdx + 1 === this.info.txFrameCount ? 0 : this.txIdx + 1;
    if (++this.unkicked >= KICK_BATCH) this.kick();
  }

  /** false: rx() never blocks in poll(2) when idle (a busy-polling receiver timing packets) */
  idleSleep = true;

  /** Sends what is queued now (a paced sender calls it after each release). */
  txFlush(): void {
    if (this.unkicked > 0) this.kick();
  }

  private kick(): void {
    this.unkicked = 0;
    this.native.packetKick(this.info.handle);
  }

  /** Packets retired to user space and not yet handed out by rx(). */
  pending(): number {
    const bs = this.info.blockSize;
    const nb = this.info.blockCount;
    let n = this.left > 0 ? this.left : 0;
    let b = this.left >= 0 ? (this.blk + 1) % nb : this.blk;
    for (let k = 0; k < nb - this.finished; k++, b = (b + 1) % nb) {
      if ((Atomics.load(this.w, (b * bs + BLK_STATUS) >> 2) & TP_STATUS_USER) === 0) break;
      if (this.left >= 0 && b === this.blk) break;
      n += this.u32[(b * bs + BLK_NUM_PKTS) >> 2];
    }
    return n;
  }

  /** Frames tx() found no free slot for in the TX ring. */
  txDropped(): number {
    return this.txFull;
  }

  /** Kernel drops (ring full) plus, so that a stopped run accounts for every packet, what still waits in the ring. */
  missed(): number {
    if (this.closed) return this.dropsSoFar + this.leftAtClose;
    this.dropsSoFar += this.native.packetStats(this.info.handle).drops;
    return this.dropsSoFar + this.pending();
  }
  private leftAtClose = 0;

  close(): void {
    if (this.closed) return;
    if (this.unkicked > 0) this.kick();
    this.dropsSoFar += this.native.packetStats(this.info.handle).drops;
    this.leftAtClose = this.pending();
    this.closed = true;
    this.native.packetClose(this.info.handle);
  }
}
