// The async flush's own connection to one Redis server (not ioredis): a batch is encoded straight
// into one reusable Buffer as a RESP EVALSHA of the flush script (no string or array per entry),
// written with one call, and the reply read through a fixed buffer (net's `onread`). With lazy
// replies (the state thread's periodic flushes) the socket is not read between flushes: the reply
// waits in the kernel until the state thread's next tick reads it (one read call, the socket kept out
// of the event loop's poll set), so a flush costs that thread one wake-up (its tick) instead of two
// (tick + reply), and the next batch goes out from that same wake.
import { readSync } from 'node:fs';
import type net from 'node:net';
import { grown } from '../../../common/grow-buffer.js';
import { connectReading, socketFd, writeNow } from '../../../common/tcp-connect.js';
import { RequestTimer } from '../../../common/request-timer.js';
import type { Change, FlushBatch } from '../driver.js';
import { flushKeys, writeFlushArgs, type FlushSink } from './flush-encode.js';

/** A reply of the flush script: an integer, an array of integers and bulk strings, or an error line. */
export type FlushReply = { kind: 'int'; value: number } | { kind: 'array'; items: (number | string | null)[] } | { kind: 'error'; message: string };

const CRLF = 0x0a0d; // "\r\n" as a little-endian uint16

/** Grows on demand; reused for every flush of the connection. */
export class RespWriter implements FlushSink {
  buf = Buffer.allocUnsafe(1 << 16);
  off = 0;
  args = 0;

  private room(n: number): void {
    this.buf = grown(this.buf, this.off, this.off + n);
  }

  private digits(v: number): number {
    let n = 1;
    while (v >= 10) { v = Math.floor(v / 10); n++; }
    return n;
  }

  /** writes a non-negative integer's digits (no string made) */
  private uint(v: number): void {
    const n = this.digits(v);
    let i = this.off + n;
    this.off = i;
    do { this.buf[--i] = 48 + (v % 10); v = Math.floor(v / 10); } while (v > 0);
  }

  private crlf(): void {
    this.buf.writeUInt16LE(CRLF, this.off);
    this.off += 2;
  }

  /** a bulk string's header: `$len` CRLF */
  private head(len: number): void {
    this.buf[this.off++] = 36; // $
    this.uint(len);
    this.crlf();
  }

  /** writes s's chars as bytes at `at`; false (what was written is then garbage) at the first that is not ASCII */
  private asciiAt(s: string, at: number): boolean {
    const b = this.buf;
    for (let i = 0; i < s.length; i++) {
      const ch = s.charCodeAt(i);
      if (ch > 127) return false;
      b[at + i] = ch;
    }
    return true;
  }

  /** a bulk string */
  str(s: string): void {
    const n = s.length;
    // short ASCII (op names, flags, most keys) byte by byte, written where they go after the header
    // ($, 1-2 digits, CRLF): no call into the Buffer binding
    if (n <= 64) {
      this.room(n + 24);
      if (this.asciiAt(s, this.off + (n < 10 ? 4 : 5))) {
        this.head(n);
        this.off += n;
        this.crlf();
        this.args++;
        return;
      }
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.room(len + 24);
    this.head(len);
    this.off += this.buf.write(s, this.off, len, 'utf8');
    this.crlf();
    this.args++;
  }

  /** a number as a bulk string: integers digit by digit, others as JavaScript prints them */
  num(v: number): void {
    if (!Number.isSafeInteger(v)) { this.str(String(v)); return; }
    const neg = v < 0;
    const a = neg ? -v : v;
    const len = this.digits(a) + (neg ? 1 : 0);
    this.room(len + 24);
    this.head(len);
    if (neg) this.buf[this.off++] = 45; // -
    this.uint(a);
    this.crlf();
    this.args++;
  }

  /** bytes already RESP-encoded (`args` arguments of them) */
  raw(b: Buffer, args: number): void {
    this.room(b.length);
    this.off += b.copy(this.buf, this.off);
    this.args += args;
  }

  /** starts a command; its argument count is written in front by end() */
  begin(): void {
    this.off = 32;
    this.args = 0;
  }

  /** the command's bytes: "*<args>\r\n" put just before the arguments */
  end(): Buffer {
    const n = this.digits(this.args);
    const start = 32 - n - 3;
    const save = this.off;
    this.off = start;
    this.buf[this.off++] = 42; // *
    this.uint(this.args);
    this.crlf();
    return this.buf.subarray(start, save);
  }
}

/** Parses one RESP value of the kinds the flush script and AUTH answer; null while incomplete. */
export function parseReply(b: Buffer, end: number): { reply: FlushReply; used: number } | null {
  const line = (at: number): number => {
    for (let i = at; i + 1 < end; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
    return -1;
  };
  const e = line(0);
  if (e < 0) return null;
  const t = b[0];
  const text = () => b.toString('utf8', 1, e);
  if (t === 45) return { reply: { kind: 'error', message: text() }, used: e + 2 }; // -
  if (t === 43) return { reply: { kind: 'array', items: [text()] }, used: e + 2 }; // + (AUTH's OK)
  if (t === 58) return { reply: { kind: 'int', value: Number(text()) }, used: e + 2 }; // :
  if (t !== 42) return { reply: { kind: 'error', message: `unexpected reply ${JSON.stringify(b.toString('latin1', 0, Math.min(end, 40)))}` }, used: end };
  const n = Number(text());
  const items: (number | string | null)[] = [];
  let at = e + 2;
  for (let k = 0; k < n; k++) {
    const le = line(at);
    if (le < 0) return null;
    const kind = b[at];
    const v = b.toString('utf8', at + 1, le);
    if (kind === 58) { items.push(Number(v)); at = le + 2; }
    else if (kind === 36) {
      const len = Number(v);
      if (len < 0) { items.push(null); at = le + 2; continue; }
      if (le + 2 + len + 2 > end) return null;
      items.push(b.toString('utf8', le + 2, le + 2 + len));
      at = le + 2 + len + 2;
    } else if (kind === 45 || kind === 43) { items.push(v); at = le + 2; }
    else return { reply: { kind: 'error', message: `unexpected reply element ${JSON.stringify(String.fromCharCode(kind ?? 32))}` }, used: end };
  }
  return { reply: { kind: 'array', items }, used: at };
}

/**
 * EVALSHA (or EVAL with the script when `script` is given) of a batch, in the flush script's
 * layout (flush-encode.ts). Returns the command's bytes and how many entries the batch held.
 */
export function encodeFlush(w: RespWriter, sha: string, script: string | null, seqKey: string, keyOf: (c: Change) => string, batch: FlushBatch, now = Date.now(), head?: FlushHead): { bytes: Buffer; entries: number } {
  w.begin();
  let keys: readonly string[], kidx: readonly number[];
  if (head !== undefined && script === null && head.fits(sha, seqKey, batch.changes)) {
    // the same structures as the last flush (a counter's every flush): its command head as it was
    w.raw(head.bytes, head.args);
    ({ keys, kidx } = head);
  } else {
    ({ keys, kidx } = flushKeys(seqKey, keyOf, batch.changes));
    if (script === null) { w.str('EVALSHA'); w.str(sha); } else { w.str('EVAL'); w.str(script); }
    w.num(keys.length);
    for (const k of keys) w.str(k);
    if (head !== undefined && script === null) head.keep(sha, seqKey, batch.changes, keys, kidx, w);
  }
  const entries = writeFlushArgs(w, keys, kidx, batch, now);
  return { bytes: w.end(), entries };
}

/**
 * The last EVALSHA's head (command, script id, KEYS) and the structures it was made for: a flush of
 * the same structures in the same order (the type and id of each change, compared by identity first)
 * copies its bytes instead of making the keys' strings and writing them again.
 */
export class FlushHead {
  bytes = Buffer.alloc(0);
  args = 0;
  keys: readonly string[] = [];
  kidx: readonly number[] = [];
  private sha = '';
  private seqKey = '';
  private types: Change['type'][] = [];
  private ids: string[] = [];

  fits(sha: string, seqKey: string, changes: readonly Change[]): boolean {
    const n = changes.length;
    if (n === 0 || n !== this.ids.length || sha !== this.sha || seqKey !== this.seqKey) return false;
    for (let i = 0; i < n; i++) {
      const c = changes[i]!;
      if (c.type !== this.types[i] || c.id !== this.ids[i]) return false;
    }
    return true;
  }

  /** what `w` holds from the command's start: the head just written for these changes */
  keep(sha: string, seqKey: string, changes: readonly Change[], keys: readonly string[], kidx: readonly number[], w: RespWriter): void {
    // a batch of many structures (a first pass over new flows) is not worth keeping
    if (changes.length > 16) { this.ids = []; return; }
    const len = w.off - 32;
    if (this.bytes.length < len) this.bytes = Buffer.allocUnsafe(Math.max(256, len));
    w.buf.copy(this.bytes, 0, 32, w.off);
    this.bytes = this.bytes.subarray(0, len);
    this.args = w.args;
    this.keys = keys;
    this.kidx = kidx;
    this.sha = sha;
    this.seqKey = seqKey;
    this.types = changes.map((c) => c.type);
    this.ids = changes.map((c) => c.id);
  }
}

export interface FlushSocketOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

/** What one flush cost on the wire. */
export interface FlushIo { bytes: number; writes: number; reads: number }

export class FlushSocket {
  private sock: net.Socket | null = null;
  private connecting: Promise<void> | null = null;
  private readonly w = new RespWriter();
  private readonly head = new FlushHead();
  private readonly rbuf = Buffer.allocUnsafe(1 << 16);
  private acc = Buffer.allocUnsafe(1 << 12);
  private accLen = 0;
  private waiting: { resolve: (r: FlushReply) => void; reject: (e: Error) => void } | null = null;
  private readonly timer: RequestTimer;
  private sentAt = 0;
  private lazy = false;
  /** reading stopped (lazy): the socket is out of the event loop's poll set */
  private readOff = false;
  readonly io: FlushIo = { bytes: 0, writes: 0, reads: 0 };

  constructor(private readonly o: FlushSocketOptions) {
    this.timer = new RequestTimer(o.commandTimeoutMs, () => (this.waiting === null ? Infinity : this.sentAt), () => this.fail(new Error(`no reply within ${o.commandTimeoutMs} ms`)));
  }

  /** lazy: between the periodic flushes the reply is read only when poll() asks for it */
  setLazy(on: boolean): void {
    this.lazy = on;
    if (!on && this.readOff) this.readOn(); // a reply now wakes the thread, as an awaited flush wants
  }

  /**
   * read a reply waiting in the kernel (the state thread's tick calls this): straight from the socket,
   * so the socket never joins the event loop's poll set between flushes (resuming the stream put it
   * back, and the reply, arriving after the tick had gone back to sleep, woke the thread a second time
   * per flush); a reply not in yet is read at a later tick, within the command timeout
   */
  poll(): void {
    if (this.waiting === null || !this.readOff) return;
    const fd = socketFd(this.sock);
    if (fd < 0) { this.readOn(); return; } // no descriptor to read (not Linux): through the stream
    let n: number;
    try {
      n = readSync(fd, this.rbuf, 0, this.rbuf.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') this.fail(err as Error);
      return;
    }
    if (n === 0) this.fail(new Error('connection closed'));
    else this.onData(n, this.rbuf);
  }

  private readOn(): void {
    this.readOff = false;
    this.sock?.resume();
  }

  private fail(err: Error): void {
    const s = this.sock;
    this.sock = null;
    this.readOff = false;
    s?.destroy();
    const w = this.waiting;
    this.waiting = null;
    this.accLen = 0;
    w?.reject(err);
  }

  private onData(n: number, buf: Buffer): boolean {
    this.io.reads++;
    this.acc = grown(this.acc, this.accLen, this.accLen + n);
    buf.copy(this.acc, this.accLen, 0, n);
    this.accLen += n;
    const r = parseReply(this.acc, this.accLen);
    if (r === null) return true;
    if (r.used < this.accLen) this.acc.copy(this.acc, 0, r.used, this.accLen);
    this.accLen -= r.used;
    const w = this.waiting;
    this.waiting = null;
    // lazy: stop reading (no wake-up for the next reply) until a tick asks; returning false stops it
    if (this.lazy) this.readOff = true;
    w?.resolve(r.reply);
    return !this.readOff;
  }

  private connect(): Promise<void> {
    this.connecting ??= connectReading({
      host: this.o.host, port: this.o.port, connectTimeoutMs: this.o.connectTimeoutMs, prefix: '',
      buffer: this.rbuf, onRead: (n, b) => this.onData(n, b),
      up: (s) => { this.sock = s; },
      lost: (s, e) => { if (this.sock === s) this.fail(e); },
    }).then(async () => {
      if (this.o.password !== undefined) {
        this.w.begin();
        this.w.str('AUTH');
        if (this.o.username !== undefined) this.w.str(this.o.username);
        this.w.str(this.o.password);
        const r = await this.send(this.w.end(), true);
        if (r.kind === 'error') throw new Error(r.message);
      }
    }).finally(() => { this.connecting = null; });
    return this.connecting;
  }

  private send(bytes: Buffer, eager = false): Promise<FlushReply> {
    const s = this.sock;
    if (s === null) return Promise.reject(new Error('not connected'));
    return new Promise<FlushReply>((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.sentAt = performance.now();
      this.timer.sent();
      this.io.bytes += bytes.length;
      this.io.writes++;
      writeNow(s, bytes);
      if (this.lazy && !eager) {
        if (!this.readOff) { this.readOff = true; s.pause(); }
      } else if (this.readOff) this.readOn();
    });
  }

  /** EVALSHA (or EVAL with `script`) of a batch; the reply and how many entries the batch held */
  async flush(sha: string, script: string | null, seqKey: string, keyOf: (c: Change) => string, batch: FlushBatch): Promise<{ reply: FlushReply; entries: number; encodeMs: number }> {
    if (this.sock === null) await this.connect();
    const t0 = performance.now();
    const { bytes, entries } = encodeFlush(this.w, sha, script, seqKey, keyOf, batch, Date.now(), this.head);
    const encodeMs = performance.now() - t0;
    return { reply: await this.send(bytes), entries, encodeMs };
  }

  close(): void {
    this.timer.close();
    this.readOff = false;
    const s = this.sock;
    this.sock = null;
    s?.destroy();
    const w = this.waiting;
    this.waiting = null;
    w?.reject(new Error('connection closed'));
  }
}
