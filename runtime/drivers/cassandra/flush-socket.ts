// The async flush's own connection to one Cassandra node (not cassandra-driver): the plan's units and
// the meta row go out as EXECUTE/BATCH frames encoded straight into one reused buffer (cql-frame.ts),
// one write each, on protocol v4 with stream ids, and their RESULT/ERROR frames are read through a
// fixed buffer (net's `onread`). What it skips is the driver's per-request work on the packet
// thread: query plan, token-aware routing, its frame writer, a timer per request, result sets.
// Statements are prepared once on this connection (the server's ids are per node, the same the
// driver got) and again when the node answers Unprepared (restarted since).
import type net from 'node:net';
import { grown } from '../../../common/grow-buffer.js';
import { connectReading, writeNow } from '../../../common/tcp-connect.js';
import { RequestTimer } from '../../../common/request-timer.js';
import { ERR, FrameWriter, OP, encodable, frameAt, parseResponse, type CqlValue, type Prepared, type Response } from './cql-frame.js';

export interface FlushSocketOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** a request not answered within this fails (and the connection with it), as the driver's readTimeout */
  requestTimeoutMs: number;
}

/** An ERROR frame's code and message (the driver's ResponseError says the same). */
export class CqlError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** The node needs what this connection does not do (authentication, another protocol version): use the driver. */
export class FlushSocketUnusable extends Error {}

/** One statement of a unit: its text (prepared on first use) and bound values. */
export interface FlushStmt { query: string; params: readonly CqlValue[] }

const MAX_STREAMS = 1024;

export class CqlFlushSocket {
  private sock: net.Socket | null = null;
  private connecting: Promise<void> | null = null;
  private readonly w = new FrameWriter();
  private readonly rbuf = Buffer.allocUnsafe(1 << 16);
  private acc = Buffer.allocUnsafe(1 << 12);
  private accLen = 0;
  private readonly waiting: ({ resolve: (r: Response) => void; reject: (e: Error) => void } | null)[] = new Array(MAX_STREAMS).fill(null);
  private readonly sentAt = new Float64Array(MAX_STREAMS);
  private readonly free: number[] = Array.from({ length: MAX_STREAMS }, (_, i) => MAX_STREAMS - 1 - i);
  private readonly prepared = new Map<string, Prepared>();
  private readonly timer: RequestTimer;
  /** set once the node asked for something this connection does not do */
  unusable: Error | null = null;
  readonly io = { bytes: 0, writes: 0, reads: 0 };

  constructor(private readonly o: FlushSocketOptions) {
    this.timer = new RequestTimer(o.requestTimeoutMs, () => this.oldestSent(), () => this.fail(new Error(`${this.address}: no reply within ${o.requestTimeoutMs} ms`)));
  }

  get address(): string {
    return `${this.o.host}:${this.o.port}`;
  }

  /** when the oldest request still waiting was sent; Infinity when none is */
  private oldestSent(): number {
    let oldest = Infinity;
    for (let i = 0; i < MAX_STREAMS; i++) if (this.waiting[i] !== null && this.sentAt[i]! < oldest) oldest = this.sentAt[i]!;
    return oldest;
  }

  /** the connection is gone: every request in flight fails (its outcome unknown to the caller) */
  private fail(err: Error): void {
    const s = this.sock;
    this.sock = null;
    s?.destroy();
    this.accLen = 0;
    for (let i = 0; i < MAX_STREAMS; i++) {
      const w = this.waiting[i];
      if (w === null || w === undefined) continue;
      this.waiting[i] = null;
      this.free.push(i);
      w.reject(err);
    }
  }

  private onData(n: number, buf: Buffer): void {
    this.io.reads++;
    this.acc = grown(this.acc, this.accLen, this.accLen + n);
    buf.copy(this.acc, this.accLen, 0, n);
    this.accLen += n;
    let at = 0;
    for (let h = frameAt(this.acc, at, this.accLen); h !== null; h = frameAt(this.acc, at, this.accLen)) {
      at = h.end;
      if (h.stream < 0 || h.stream >= MAX_STREAMS) continue; // an event (stream -1): none registered for
      const w = this.waiting[h.stream];
      if (w === null || w === undefined) continue;
      let r: Response;
      try {
        r = parseResponse(this.acc, h);
      } catch (err) {
        this.fail(new Error(`${this.address}: a response frame did not parse: ${(err as Error).message}`));
        return;
      }
      this.waiting[h.stream] = null;
      this.free.push(h.stream);
      w.resolve(r);
    }
    if (at > 0) {
      if (at < this.accLen) this.acc.copy(this.acc, 0, at, this.accLen);
      this.accLen -= at;
    }
  }

  private send(frame: (stream: number) => Buffer): Promise<Response> {
    const s = this.sock;
    if (s === null) return Promise.reject(new Error(`${this.address}: not connected`));
    const stream = this.free.pop();
    if (stream === undefined) return Promise.reject(new Error(`${this.address}: ${MAX_STREAMS} requests in flight`));
    let bytes: Buffer;
    try {
      bytes = frame(stream);
    } catch (err) {
      this.free.push(stream);
      return Promise.reject(err);
    }
    return new Promise<Response>((resolve, reject) => {
      this.waiting[stream] = { resolve, reject };
      this.sentAt[stream] = performance.now();
      this.timer.sent();
      this.io.bytes += bytes.length;
      this.io.writes++;
      writeNow(s, bytes);
      // a write the kernel did not take whole keeps a view of the buffer: the next frame gets another
      if (s.writableLength > 0) this.w.detach();
    });
  }

  private connect(): Promise<void> {
    this.connecting ??= connectReading({
      host: this.o.host, port: this.o.port, connectTimeoutMs: this.o.connectTimeoutMs, prefix: `${this.address}: `,
      buffer: this.rbuf, onRead: (n, b) => { this.onData(n, b); return true; },
      up: (s) => { this.sock = s; },
      lost: (s, e) => { if (this.sock === s) this.fail(e); },
    }).then(async () => {
      const r = await this.send((stream) => this.w.startup(stream));
      if (r.kind === 'ready') return;
      // authentication or a protocol this node does not speak: the driver's path does it
      this.unusable = new FlushSocketUnusable(r.kind === 'authenticate' ? `${this.address} asks for authentication (${r.authenticator})` : r.kind === 'error' ? `${this.address} refused STARTUP v4: ${r.message}` : `${this.address} answered STARTUP with opcode ${r.kind}`);
      this.fail(this.unusable);
      throw this.unusable;
    }).finally(() => { this.connecting = null; });
    return this.connecting;
  }

  private async prepare(query: string): Promise<Prepared> {
    const r = await this.send((stream) => this.w.prepare(stream, query));
    if (r.kind === 'error') throw new CqlError(r.code, r.message);
    if (r.kind !== 'prepared') throw new Error(`${this.address}: PREPARE answered ${r.kind}`);
    if (!encodable(r.prepared.types)) {
      this.unusable = new FlushSocketUnusable(`a bind type of "${query}" is not one the flush encodes`);
      throw this.unusable;
    }
    this.prepared.set(query, r.prepared);
    return r.prepared;
  }

  /** every statement of the unit prepared on this node (once; again after Unprepared) */
  private async ready(stmts: readonly FlushStmt[]): Promise<void> {
    if (this.unusable) throw this.unusable;
    if (this.sock === null) await this.connect();
    for (const s of stmts) if (!this.prepared.has(s.query)) await this.prepare(s.query);
  }

  /**
   * One unit: one EXECUTE, or a BATCH (`counter`: a counter batch, else unlogged) of several
   * statements, at consistency `cl`. Resolves once the node applied it; rejects with its ERROR
   * (CqlError) or the connection's loss, when the outcome is unknown, as the driver's request would.
   */
  async run(stmts: readonly FlushStmt[], counter: boolean, cl: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await this.ready(stmts);
      const r = stmts.length === 1
        ? await this.send((stream) => this.w.execute(stream, this.prepared.get(stmts[0]!.query)!, stmts[0]!.params, cl))
        : await this.send((stream) => this.w.batch(stream, counter ? 2 : 1, stmts.map((s) => ({ p: this.prepared.get(s.query)!, params: s.params })), cl));
      if (r.kind === 'void' || r.kind === 'result') return;
      if (r.kind === 'error') {
        // the node lost its prepared statements (restarted): nothing was applied, prepare and send again
        if (r.code === ERR.unprepared && attempt === 0) { for (const s of stmts) this.prepared.delete(s.query); continue; }
        throw new CqlError(r.code, r.message);
      }
      throw new Error(`${this.address}: a write answered ${r.kind}`);
    }
  }

  close(): void {
    this.timer.close();
    this.fail(new Error(`${this.address}: connection closed`));
  }
}
