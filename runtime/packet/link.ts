// The link between a front-end (what stands for the switch or load balancer in front of several NF
// instances) and one core of an `nf run --port link:PATH` process: a Unix stream socket carrying frames.
//
// Frame: a 16-byte header of four little-endian u32 — type, seq, count, payload bytes — then the payload.
//   DATA (front-end -> core): `count` Int32 frame lengths, then the frames back to back.
//   DATA (core -> front-end): the same layout for the burst the NF returned, in the order received;
//     a length of 0 is a packet the NF dropped (so the front-end matches every packet it sent).
//   HELLO (core -> front-end), ASSIGN, ADOPT (front-end -> core), READY, ADOPTED (core -> front-end):
//     control frames, count 0, the payload a JSON object.
// A front-end knows which flow each packet it sent belongs to by order: replies come back in order.

export const LINK = { DATA: 1, HELLO: 2, ASSIGN: 3, READY: 4, ADOPT: 5, ADOPTED: 6 } as const;
export const LINK_HEADER = 16;

/** What a core says when it connects. */
export interface LinkHello {
  /** the instance id it serves; null for a standby waiting for ASSIGN */
  instance: string | null;
  core: number;
  cores: number;
  pid: number;
}
/** ASSIGN: serve `instance` (a standby takes a dead instance's id, a new instance its own), after loading `adopt`'s partitions too. */
export interface LinkAssign {
  instance: string;
  adopt: string[];
  /** the share of a pool the instance takes (a NAT's pairs): the one the instance it replaces had */
  share?: { index: number; of: number };
}
/** ADOPT: load these (ended) instances' partitions into the running NF, then say ADOPTED. */
export interface LinkAdopt {
  adopt: string[];
}

/**
 * Reassembles frames from a byte stream into one growing buffer (copied once per chunk, compacted
 * when the consumed part dominates). `next()` parses the next whole frame into the fields below.
 */
export class FrameReader {
  buf = new Uint8Array(1 << 20);
  private dv = new DataView(this.buf.buffer);
  private start = 0;
  private end = 0;
  type = 0;
  seq = 0;
  count = 0;
  /** byte offset in `buf` of the current frame's payload, and its length */
  payload = 0;
  payloadBytes = 0;

  push(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      if (live + chunk.length > this.buf.length) {
        let size = this.buf.length;
        while (size < live + chunk.length) size *= 2;
        const nb = new Uint8Array(size);
        nb.set(this.buf.subarray(this.start, this.end));
        this.buf = nb;
        this.dv = new DataView(nb.buffer);
      } else this.buf.copyWithin(0, this.start, this.end);
      this.start = 0;
      this.end = live;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** true when a whole frame is available: its fields are set and it is consumed from the stream */
  next(): boolean {
    if (this.end - this.start < LINK_HEADER) return false;
    const s = this.start;
    const bytes = this.dv.getUint32(s + 12, true);
    if (this.end - s < LINK_HEADER + bytes) return false;
    this.type = this.dv.getUint32(s, true);
    this.seq = this.dv.getUint32(s + 4, true);
    this.count = this.dv.getUint32(s + 8, true);
    this.payload = s + LINK_HEADER;
    this.payloadBytes = bytes;
    this.start = s + LINK_HEADER + bytes;
    if (this.start === this.end) this.start = this.end = 0;
    return true;
  }

  /** the current frame's payload as JSON (control frames) */
  json<T>(): T {
    return JSON.parse(Buffer.from(this.buf.buffer, this.buf.byteOffset + this.payload, this.payloadBytes).toString('utf8')) as T;
  }
}

/** A control frame (JSON payload). */
export function controlFrame(type: number, body: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  const out = Buffer.allocUnsafe(LINK_HEADER + json.length);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(0, 4);
  out.writeUInt32LE(0, 8);
  out.writeUInt32LE(json.length, 12);
  json.copy(out, LINK_HEADER);
  return out;
}

/** Writes a DATA header at `at` of `out`. */
export function writeDataHeader(out: DataView, at: number, seq: number, count: number, payloadBytes: number): void {
  out.setUint32(at, LINK.DATA, true);
  out.setUint32(at + 4, seq >>> 0, true);
  out.setUint32(at + 8, count, true);
  out.setUint32(at + 12, payloadBytes, true);
}
