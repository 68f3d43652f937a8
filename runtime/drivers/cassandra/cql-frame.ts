// CQL native protocol v4 frames for the flush's own connection (flush-socket.ts): requests encoded
// straight into one reused buffer (STARTUP, PREPARE, EXECUTE, BATCH; no object per value), and the
// responses it reads (READY, AUTHENTICATE, RESULT: void or prepared, ERROR). Pure: no socket.
// Values are written by the bind types the server gave at PREPARE, for the types the driver's
// statements bind (schema.ts): bigint/counter, int, double, text, list<text>.

import { grown } from '../../../common/grow-buffer.js';

export const PROTOCOL_VERSION = 4;
export const HEADER = 9;

export const OP = {
  error: 0x00,
  startup: 0x01,
  ready: 0x02,
  authenticate: 0x03,
  result: 0x08,
  prepare: 0x09,
  execute: 0x0a,
  event: 0x0c,
  batch: 0x0d,
} as const;

/** [option] ids of the bind types this encoder writes */
export const TYPE = { ascii: 0x01, bigint: 0x02, counter: 0x05, double: 0x07, int: 0x09, timestamp: 0x0b, varchar: 0x0d, list: 0x20 } as const;

/** A bind type: its option id, and for a list its element's. */
export interface BindType { id: number; elem?: number }

/** Error codes the flush reads (protocol v4 section 9). */
export const ERR = { unprepared: 0x2500, protocol: 0x000a, badCredentials: 0x0100 } as const;

/** cassandra-driver's Long (or any {high, low} of int32 halves): a bigint without a BigInt */
export interface LongLike { high: number; low: number }

/** A bound value the flush's statements carry. */
export type CqlValue = LongLike | number | string | readonly string[] | null;

/** A statement prepared on the server: its id and bind types. */
export interface Prepared { id: Buffer; types: BindType[] }

/** batch types of a BATCH request */
export const BATCH = { logged: 0, unlogged: 1, counter: 2 } as const;

const isLong = (v: unknown): v is LongLike => typeof v === 'object' && v !== null && typeof (v as LongLike).high === 'number' && typeof (v as LongLike).low === 'number';

/** true when every bind type is one the writer encodes */
export function encodable(types: readonly BindType[]): boolean {
  return types.every((t) => t.id === TYPE.list ? t.elem === TYPE.varchar || t.elem === TYPE.ascii : t.id === TYPE.ascii || t.id === TYPE.bigint || t.id === TYPE.counter || t.id === TYPE.double || t.id === TYPE.int || t.id === TYPE.timestamp || t.id === TYPE.varchar);
}

/** Grows on demand; every request is written at its start and handed out as a view (no copy). */
export class FrameWriter {
  buf: Buffer;
  off = 0;
  private start = 0;

  constructor(size = 1 << 16) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /**
   * A new buffer for the next requests: the socket still holds the last view (a write the kernel did
   * not take whole), so it must not be written over.
   */
  detach(): void {
    this.buf = Buffer.allocUnsafe(this.buf.length);
    this.off = 0;
  }

  private room(n: number): void {
    this.buf = grown(this.buf, this.off, this.off + n);
  }

  private begin(stream: number, opcode: number): void {
    this.start = 0;
    this.off = 0;
    this.room(HEADER);
    const b = this.buf;
    b[0] = PROTOCOL_VERSION;
    b[1] = 0; // flags: no compression, tracing, payload
    b.writeInt16BE(stream, 2);
    b[4] = opcode;
    this.off = HEADER;
  }

  /** the frame: its body length written into the header */
  private end(): Buffer {
    this.buf.writeInt32BE(this.off - this.start - HEADER, this.start + 5);
    return this.buf.subarray(this.start, this.off);
  }

  private byte(v: number): void { this.room(1); this.buf[this.off++] = v; }
  private short(v: number): void { this.room(2); this.buf.writeUInt16BE(v, this.off); this.off += 2; }
  private int(v: number): void { this.room(4); this.buf.writeInt32BE(v, this.off); this.off += 4; }

  /** a [string] ([short] length) or, `long`, a [long string] ([int] length) */
  private string(s: string, long = false): void {
    const head = long ? 4 : 2;
    this.room(head + s.length * 3);
    const n = this.buf.write(s, this.off + head, 'utf8');
    if (long) this.buf.writeInt32BE(n, this.off); else this.buf.writeUInt16BE(n, this.off);
    this.off += head + n;
  }

  private shortBytes(b: Buffer): void {
    this.short(b.length);
    this.room(b.length);
    b.copy(this.buf, this.off);
    this.off += b.length;
  }

  /** one bound [value] by its bind type */
  private value(t: BindType, v: CqlValue): void {
    if (v === null || v === undefined) { this.int(-1); return; }
    switch (t.id) {
      case TYPE.bigint:
      case TYPE.counter:
      case TYPE.timestamp:
        this.room(12);
        this.buf.writeInt32BE(8, this.off);
        if (isLong(v)) {
          this.buf.writeInt32BE(v.high | 0, this.off + 4);
          this.buf.writeInt32BE(v.low | 0, this.off + 8);
        } else {
          const n = v as number;
          if (!Number.isSafeInteger(n)) throw new TypeError(`a bigint value must be a safe integer: ${String(v)}`);
          this.buf.writeInt32BE(Math.floor(n / 0x1_0000_0000), this.off + 4);
          this.buf.writeUInt32BE(n >>> 0, this.off + 8);
        }
        this.off += 12;
        return;
      case TYPE.int:
        if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`an int value must be an integer: ${String(v)}`);
        this.room(8);
        this.buf.writeInt32BE(4, this.off);
        this.buf.writeInt32BE(v, this.off + 4);
        this.off += 8;
        return;
      case TYPE.double:
        this.room(12);
        this.buf.writeInt32BE(8, this.off);
        this.buf.writeDoubleBE(isLong(v) ? v.high * 0x1_0000_0000 + (v.low >>> 0) : Number(v), this.off + 4);
        this.off += 12;
        return;
      case TYPE.ascii:
      case TYPE.varchar:
        if (typeof v !== 'string') throw new TypeError(`a text value must be a string: ${String(v)}`);
        this.string(v, true);
        return;
      case TYPE.list: {
        if (!Array.isArray(v)) throw new TypeError('a list value must be an array');
        const at = this.off;
        this.int(0); // the whole list's length, written once its elements are
        this.int(v.length);
        for (const e of v as readonly string[]) this.string(e, true);
        this.buf.writeInt32BE(this.off - at - 4, at);
        return;
      }
      default:
        throw new TypeError(`bind type 0x${t.id.toString(16)} is not one the flush encodes`);
    }
  }

  private values(p: Prepared, params: readonly CqlValue[]): void {
    if (params.length !== p.types.length) throw new TypeError(`${params.length} values for ${p.types.length} bind markers`);
    this.short(params.length);
    for (let i = 0; i < params.length; i++) this.value(p.types[i]!, params[i]!);
  }

  /** STARTUP with CQL_VERSION 3.0.0 and no compression */
  startup(stream: number): Buffer {
    this.begin(stream, OP.startup);
    this.short(1);
    this.string('CQL_VERSION');
    this.string('3.0.0');
    return this.end();
  }

  prepare(stream: number, query: string): Buffer {
    this.begin(stream, OP.prepare);
    this.string(query, true);
    return this.end();
  }

  /** EXECUTE with values and skip-metadata (the flush's writes return nothing to describe) */
  execute(stream: number, p: Prepared, params: readonly CqlValue[], consistency: number): Buffer {
    this.begin(stream, OP.execute);
    this.shortBytes(p.id);
    this.short(consistency);
    this.byte(0x01 | 0x02);
    this.values(p, params);
    return this.end();
  }

  /** BATCH of prepared statements (`type`: BATCH.*), no serial consistency or default timestamp */
  batch(stream: number, type: number, stmts: readonly { p: Prepared; params: readonly CqlValue[] }[], consistency: number): Buffer {
    this.begin(stream, OP.batch);
    this.byte(type);
    this.short(stmts.length);
    for (const s of stmts) {
      this.byte(1); // kind: prepared
      this.shortBytes(s.p.id);
      this.values(s.p, s.params);
    }
    this.short(consistency);
    this.byte(0);
    return this.end();
  }
}

/** A response frame's header, read from `b` at `at`; null until the whole frame is in. */
export interface FrameHead { flags: number; stream: number; opcode: number; body: number; end: number }

export function frameAt(b: Buffer, at: number, len: number): FrameHead | null {
  if (len - at < HEADER) return null;
  const n = b.readInt32BE(at + 5);
  if (len - at - HEADER < n) return null;
  return { flags: b[at + 1]!, stream: b.readInt16BE(at + 2), opcode: b[at + 4]!, body: at + HEADER, end: at + HEADER + n };
}

/** What a response says, for the flush. */
export type Response =
  | { kind: 'ready' }
  | { kind: 'authenticate'; authenticator: string }
  | { kind: 'void' }
  | { kind: 'prepared'; prepared: Prepared }
  | { kind: 'result'; result: number }
  | { kind: 'error'; code: number; message: string }
  | { kind: 'other'; opcode: number };

/** The body of a response frame (its tracing id, warnings and custom payload skipped). */
export function parseResponse(b: Buffer, h: FrameHead): Response {
  let at = h.body;
  const short = () => { const v = b.readUInt16BE(at); at += 2; return v; };
  const int = () => { const v = b.readInt32BE(at); at += 4; return v; };
  const string = () => { const n = short(); const s = b.toString('utf8', at, at + n); at += n; return s; };
  const skipString = () => { const n = short(); at += n; }; // (not `at += short()`: that adds to the old `at`)
  if (h.flags & 0x02) at += 16; // tracing id
  if (h.flags & 0x08) for (let n = short(); n > 0; n--) skipString(); // warnings
  if (h.flags & 0x04) for (let n = short(); n > 0; n--) { skipString(); const l = int(); if (l > 0) at += l; } // custom payload
  switch (h.opcode) {
    case OP.ready: return { kind: 'ready' };
    case OP.authenticate: return { kind: 'authenticate', authenticator: string() };
    case OP.error: { const code = int(); return { kind: 'error', code, message: string() }; }
    case OP.result: {
      const result = int();
      if (result === 1) return { kind: 'void' };
      if (result !== 4) return { kind: 'result', result };
      const idLen = short();
      const id = Buffer.from(b.subarray(at, at + idLen)); // kept: the frame's buffer is reused
      at += idLen;
      const flags = int();
      const columns = int();
      const pk = int();
      at += 2 * pk;
      if (flags & 0x0001) { skipString(); skipString(); }
      const types: BindType[] = [];
      const option = (): BindType => {
        const id = short();
        if (id === 0) { skipString(); return { id }; } // custom: its class name
        if (id === TYPE.list || id === 0x22) return { id, elem: option().id };
        if (id === 0x21) { option(); option(); return { id }; }
        if (id === 0x30 || id === 0x31) return { id: -id }; // UDT/tuple: not encoded, nothing after it read
        return { id };
      };
      for (let i = 0; i < columns; i++) {
        if (!(flags & 0x0001)) { skipString(); skipString(); }
        skipString();
        const t = option();
        types.push(t);
        if (t.id < 0) break;
      }
      return { kind: 'prepared', prepared: { id, types } };
    }
    default: return { kind: 'other', opcode: h.opcode };
  }
}
