// The port of `nf run --port link:PATH`: one core's queue pair over a link to a front-end
// (runtime/packet/link.ts). Bursts arrive as DATA frames and leave as DATA frames in the same order,
// a dropped packet as a length of 0. A standby core waits for ASSIGN before it opens any state; a
// running core may be told to ADOPT an ended instance's partitions (scale-in).
import net from 'node:net';
import { createBurst, type Burst } from './burst.js';
import type { Port } from './port.js';
import { FrameReader, LINK, LINK_HEADER, controlFrame, writeDataHeader, type LinkAdopt, type LinkAssign, type LinkHello } from './link.js';

export class LinkPort implements Port {
  readonly kind = 'link';
  readonly burst: Burst;
  private readonly reader = new FrameReader();
  private ended = false;
  private seq = 0;
  private wake: (() => void) | null = null;
  private assignWait: ((a: LinkAssign | null) => void) | null = null;
  /** an ADOPT the packet loop has to carry out at its next pause (null: none) */
  pendingAdopt: LinkAdopt | null = null;
  private dvOf: Uint8Array | null = null;
  private dv = new DataView(new ArrayBuffer(0));

  private constructor(private readonly sock: net.Socket) {
    this.burst = createBurst(2048, 64);
    sock.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      if (this.assignWait) this.controlOnly();
      this.poke();
    });
    const end = () => {
      this.ended = true;
      this.poke();
      if (this.assignWait) { const f = this.assignWait; this.assignWait = null; f(null); }
    };
    sock.on('end', end);
    sock.on('close', end);
    sock.on('error', end);
  }

  static open(path: string, hello: LinkHello): Promise<LinkPort> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection(path);
      sock.setNoDelay?.(true);
      const fail = (e: Error) => reject(new Error(`link ${path}: ${e.message}`));
      sock.once('error', fail);
      sock.once('connect', () => {
        sock.off('error', fail);
        const p = new LinkPort(sock);
        sock.write(controlFrame(LINK.HELLO, hello));
        resolve(p);
      });
    });
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** standby: parse frames while no packets flow (only control frames can come before ASSIGN is answered) */
  private controlOnly(): void {
    while (this.assignWait && this.reader.next()) {
      if (this.reader.type === LINK.ASSIGN) {
        const f = this.assignWait;
        this.assignWait = null;
        f(this.reader.json<LinkAssign>());
      }
    }
  }

  /** A standby's assignment; null if the link ended first. */
  assignment(): Promise<LinkAssign | null> {
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.assignWait = resolve;
      this.controlOnly();
    });
  }

  /** Tell the front-end this core serves `instance` now (its state is loaded). */
  ready(instance: string, info: Record<string, unknown> = {}): void {
    this.sock.write(controlFrame(LINK.READY, { instance, ...info }));
  }

  adopted(info: Record<string, unknown>): void {
    this.sock.write(controlFrame(LINK.ADOPTED, info));
  }

  /** Resolves on the next bytes, the link's end, or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.wake = null; resolve(); }, ms);
      this.wake = () => { clearTimeout(t); resolve(); };
    });
  }

  rx(max: number): number {
    const r = this.reader;
    for (;;) {
      if (!r.next()) return this.ended ? -1 : 0;
      if (r.type === LINK.ADOPT) { this.pendingAdopt = r.json<LinkAdopt>(); continue; }
      if (r.type !== LINK.DATA) continue;
      const b = this.burst;
      const n = r.count;
      if (n > b.capacity || n > max) throw new Error(`link: a frame of ${n} packets exceeds the burst (${Math.min(max, b.capacity)})`);
      if (this.dvOf !== r.buf) { this.dvOf = r.buf; this.dv = new DataView(r.buf.buffer, r.buf.byteOffset); }
      const dv = this.dv;
      let src = r.payload + 4 * n;
      for (let i = 0; i < n; i++) {
        const len = dv.getInt32(r.payload + 4 * i, true);
        if (len > b.slotBytes) throw new Error(`link: a ${len}-byte frame exceeds the port's ${b.slotBytes}-byte slots`);
        b.u8.set(r.buf.subarray(src, src + len), b.off[i]);
        b.len[i] = len;
        src += len;
      }
      b.count = n;
      return n;
    }
  }

  tx(): number {
    const b = this.burst;
    const n = b.count;
    let bytes = 0;
    let sent = 0;
    for (let i = 0; i < n; i++) if (b.len[i] > 0) { bytes += b.len[i]; sent++; }
    const payload = 4 * n + bytes;
    const out = Buffer.allocUnsafe(LINK_HEADER + payload); // one buffer per burst: the socket keeps it until written
    const dv = new DataView(out.buffer, out.byteOffset, out.length);
    writeDataHeader(dv, 0, this.seq++, n, payload);
    let at = LINK_HEADER + 4 * n;
    for (let i = 0; i < n; i++) {
      const len = b.len[i] > 0 ? b.len[i] : 0;
      dv.setInt32(LINK_HEADER + 4 * i, len, true);
      if (len > 0) {
        out.set(b.u8.subarray(b.off[i], b.off[i] + len), at);
        at += len;
      }
    }
    if (!this.ended) this.sock.write(out);
    return sent;
  }

  missed(): number {
    return 0; // the front-end counts what found a core's queue full
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.sock.destroyed) return resolve();
      this.sock.end(() => resolve());
      setTimeout(() => { this.sock.destroy(); resolve(); }, 2000).unref();
    });
  }
}
