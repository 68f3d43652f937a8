// Classic libpcap files (not pcapng): the format tshark, tcpreplay, DPDK's net_pcap and Pktgen all read.
import { writeFileSync } from 'node:fs';
import { readInputFile } from '../../common/input-file.js';
import { FlexbenchError } from '../../common/errors.js';

const LINKTYPE_ETHERNET = 1;
const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const PCAPNG_MAGIC = 0x0a0d0d0a;
export const PCAP_HEADER_LEN = 24;
export const RECORD_HEADER_LEN = 16;
/**
 * Largest pcap flexbench reads or writes: an NF holds its whole capture in memory and indexes it with
 * 32-bit offsets, and the generator builds a file in memory before writing it.
 */
export const MAX_PCAP_FILE_BYTES = 2 ** 30;

/** Longest frame replayed: DPDK's largest jumbo frame (RTE_ETHER_MAX_JUMBO_FRAME_LEN); every ring slot is as long as the capture's longest frame. */
export const MAX_FRAME_BYTES = 16_128;

/** Size of a classic pcap of `packets` frames of `frameSize` bytes on the wire (the file holds each without its 4-byte FCS). */
export function pcapFileBytes(packets: number, frameSize: number): number {
  return PCAP_HEADER_LEN + packets * (RECORD_HEADER_LEN + frameSize - 4);
}

/** All frames of one capture in one buffer: frame i is bytes[offsets[i] .. offsets[i] + lengths[i]). */
export interface PcapFrames {
  bytes: Uint8Array;
  offsets: Int32Array;
  lengths: Int32Array;
  count: number;
  /** largest captured frame length */
  maxLength: number;
}

/** Writes a pcap (microsecond timestamps, Ethernet) from frames given as a list of byte arrays. */
export function encodePcap(frames: ArrayLike<Uint8Array>, opts: { snaplen?: number; tsStepUs?: number } = {}): Buffer {
  let total = PCAP_HEADER_LEN;
  for (let i = 0; i < frames.length; i++) total += RECORD_HEADER_LEN + frames[i].length;
  const out = Buffer.alloc(total);
  writeHeader(out, opts.snaplen ?? 65535);
  let pos = PCAP_HEADER_LEN;
  const step = opts.tsStepUs ?? 1;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    const us = i * step;
    out.writeUInt32LE(Math.floor(us / 1e6), pos);
    out.writeUInt32LE(us % 1e6, pos + 4);
    out.writeUInt32LE(f.length, pos + 8);
    out.writeUInt32LE(f.length, pos + 12);
    out.set(f, pos + RECORD_HEADER_LEN);
    pos += RECORD_HEADER_LEN + f.length;
  }
  return out;
}

function writeHeader(out: Buffer, snaplen: number): void {
  out.writeUInt32LE(MAGIC_US, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeInt32LE(0, 8); // thiszone
  out.writeUInt32LE(0, 12); // sigfigs
  out.writeUInt32LE(snaplen, 16);
  out.writeUInt32LE(LINKTYPE_ETHERNET, 20);
}

/** Streams frames into a pcap held in memory, then writes it out in one go. */
export class PcapWriter {
  private chunks: Buffer[] = [];
  private cur: Buffer;
  private pos = PCAP_HEADER_LEN;
  private n = 0;

  constructor(private readonly path: string, chunkBytes = 1 << 22) {
    this.cur = Buffer.alloc(Math.max(chunkBytes, 1 << 16));
    writeHeader(this.cur, 65535);
  }

  /** Appends one frame taken from bytes[off .. off + len). */
  add(bytes: Uint8Array, off: number, len: number): void {
    if (this.pos + RECORD_HEADER_LEN + len > this.cur.length) {
      this.chunks.push(this.cur.subarray(0, this.pos));
      this.cur = Buffer.alloc(Math.max(this.cur.length, RECORD_HEADER_LEN + len));
      this.pos = 0;
    }
    const us = this.n++;
    this.cur.writeUInt32LE(Math.floor(us / 1e6), this.pos);
    this.cur.writeUInt32LE(us % 1e6, this.pos + 4);
    this.cur.writeUInt32LE(len, this.pos + 8);
    this.cur.writeUInt32LE(len, this.pos + 12);
    this.cur.set(bytes.subarray(off, off + len), this.pos + RECORD_HEADER_LEN);
    this.pos += RECORD_HEADER_LEN + len;
  }

  get count(): number {
    return this.n;
  }

  close(): void {
    this.chunks.push(this.cur.subarray(0, this.pos));
    writeFileSync(this.path, Buffer.concat(this.chunks));
  }
}

/** Reads a whole classic pcap; errors name the file and what is wrong (truncation, link type, pcapng). */
export function readPcap(path: string): PcapFrames {
  return parsePcap(readInputFile(path, MAX_PCAP_FILE_BYTES, 'pcap'), path);
}

export function parsePcap(buf: Uint8Array, name = 'pcap'): PcapFrames {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < PCAP_HEADER_LEN) {
    throw new FlexbenchError(`${name}: truncated pcap: ${buf.length} bytes, the file header alone needs ${PCAP_HEADER_LEN}`);
  }
  const magicLE = dv.getUint32(0, true);
  let le: boolean;
  if (magicLE === MAGIC_US || magicLE === MAGIC_NS) le = true;
  else if (dv.getUint32(0, false) === MAGIC_US || dv.getUint32(0, false) === MAGIC_NS) le = false;
  else if (magicLE === PCAPNG_MAGIC) {
    throw new FlexbenchError(`${name}: this is a pcapng file; flexbench reads classic pcap (convert with \`editcap -F pcap IN OUT\`)`);
  } else {
    throw new FlexbenchError(`${name}: not a pcap file (magic 0x${magicLE.toString(16).padStart(8, '0')})`);
  }
  const linkType = dv.getUint32(20, le) & 0x0fffffff;
  if (linkType !== LINKTYPE_ETHERNET) {
    throw new FlexbenchError(`${name}: link type ${linkType} is not Ethernet (1); flexbench replays Ethernet captures only`);
  }
  // First pass: count and validate, so the second pass fills exact-size arrays.
  let pos = PCAP_HEADER_LEN;
  let count = 0;
  let maxLength = 0;
  while (pos < buf.length) {
    if (pos + RECORD_HEADER_LEN > buf.length) {
      throw new FlexbenchError(`${name}: truncated pcap: record header of packet ${count + 1} at byte ${pos} is cut short (${buf.length - pos} of ${RECORD_HEADER_LEN} bytes)`);
    }
    const incl = dv.getUint32(pos + 8, le);
    if (pos + RECORD_HEADER_LEN + incl > buf.length) {
      throw new FlexbenchError(`${name}: truncated pcap: packet ${count + 1} at byte ${pos} claims ${incl} bytes, only ${buf.length - pos - RECORD_HEADER_LEN} remain`);
    }
    if (incl < 14) throw new FlexbenchError(`${name}: packet ${count + 1} has ${incl} bytes, shorter than an Ethernet header`);
    if (incl > MAX_FRAME_BYTES) throw new FlexbenchError(`${name}: packet ${count + 1} at byte ${pos} has ${incl} bytes, more than the ${MAX_FRAME_BYTES} of the largest jumbo frame (a capture taken with offloads? re-capture with them off, or cut it with \`editcap -s ${MAX_FRAME_BYTES}\`)`);
    if (incl > maxLength) maxLength = incl;
    pos += RECORD_HEADER_LEN + incl;
    count++;
  }
  if (count === 0) throw new FlexbenchError(`${name}: the capture holds no packets`);
  const offsets = new Int32Array(count);
  const lengths = new Int32Array(count);
  pos = PCAP_HEADER_LEN;
  for (let i = 0; i < count; i++) {
    const incl = dv.getUint32(pos + 8, le);
    offsets[i] = pos + RECORD_HEADER_LEN;
    lengths[i] = incl;
    pos += RECORD_HEADER_LEN + incl;
  }
  return { bytes: buf, offsets, lengths, count, maxLength };
}
