// `flexbench pcap generate`: the paper's traffic (64 B frames, one packet per flow, random 5-tuples), reproducible from a seed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Xoshiro128 } from './prng.js';
import { encodePcap, pcapFileBytes, MAX_PCAP_FILE_BYTES, PCAP_HEADER_LEN, RECORD_HEADER_LEN } from './pcap.js';
import { ensureOutputDir, checkFreeSpace, formatBytes } from '../../common/output-dir.js';
import {
  ETH_HLEN, ETHERTYPE_IPV4, IPPROTO_TCP, IPPROTO_UDP, parseMac, ipv4HeaderChecksum, l4Checksum, l4ChecksumOffset,
} from './inet.js';

const macString = z.string().refine((s) => {
  try {
    parseMac(s);
    return true;
  } catch {
    return false;
  }
}, 'must be a MAC address like 02:00:00:00:00:01');

/** Most flows (= packets) in one generated file: the generator keeps every 5-tuple in memory to keep them distinct. */
export const MAX_FLOWS = 10_000_000;
/** Most files one generation (or spec) asks for. */
export const MAX_FILES = 10_000;
/** Most bytes one generation (or spec) writes in all its files together. */
const MAX_PCAP_TOTAL_BYTES = 16 * 2 ** 30;
/** Seeds are 32-bit. */
export const MAX_SEED = 0xffffffff;

/** Why `files` pcaps of `flows` frames of `frameSize` bytes are too big, or null. */
export function pcapBytesProblem(flows: number, files: number, frameSize: number): { per: 'file' | 'total'; message: string } | null {
  const one = pcapFileBytes(flows, frameSize);
  if (one > MAX_PCAP_FILE_BYTES) {
    return { per: 'file', message: `a pcap of ${flows} flows of ${frameSize} B is ${formatBytes(one)}, more than the ${formatBytes(MAX_PCAP_FILE_BYTES)} a file may hold (an NF keeps its whole capture in memory); use fewer flows or smaller frames` };
  }
  if (one * files > MAX_PCAP_TOTAL_BYTES) {
    return { per: 'total', message: `${files} pcaps of ${formatBytes(one)} are ${formatBytes(one * files)}, more than the ${formatBytes(MAX_PCAP_TOTAL_BYTES)} flexbench generates at once; use fewer files or flows` };
  }
  return null;
}

export const GenerateOptions = z.object({
  out: z.string().min(1),
  flows: z.number().int().min(1).max(MAX_FLOWS).default(50_000),
  files: z.number().int().min(1).max(MAX_FILES).default(10),
  frameSize: z.number().int().min(64).max(1518).default(64),
  seed: z.number().int().min(0).max(MAX_SEED).default(1),
  proto: z.enum(['udp', 'tcp']).default('udp'),
  srcMac: macString.default('02:00:00:00:00:01'),
  dstMac: macString.default('02:00:00:00:00:02'),
  prefix: z.string().regex(/^[A-Za-z0-9._-]+$/).default('flows'),
}).superRefine((o, ctx) => {
  const p = pcapBytesProblem(o.flows, o.files, o.frameSize);
  if (p) ctx.addIssue({ code: 'custom', path: [p.per === 'file' ? 'flows' : 'files'], message: p.message });
});
export type GenerateOptions = z.input<typeof GenerateOptions>;

/** Draws a unicast-looking IPv4 address: 1.0.0.0-223.255.255.255 without 127/8. */
function randomIPv4(rng: Xoshiro128): number {
  for (;;) {
    const a = rng.nextU32();
    const first = a >>> 24;
    if (first !== 0 && first !== 127 && first < 224) return a;
  }
}

/**
 * Exact set of (src IP, dst IP, ports word) triples: open addressing over one Int32Array (3 words a
 * slot, src 0 = empty: drawn addresses never start with 0). A BigInt Set took minutes for 10 M flows.
 */
class TupleSet {
  private readonly t: Int32Array;
  private readonly mask: number;
  constructor(n: number) {
    let cap = 16;
    while (cap < n * 2) cap *= 2;
    this.mask = cap - 1;
    this.t = new Int32Array(cap * 3);
  }
  /** adds the triple; false when it was there already */
  add(a: number, b: number, c: number): boolean {
    const t = this.t;
    let h = Math.imul(a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b), 0xc2b2ae35);
    h ^= h >>> 15;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const e = i * 3;
      if (t[e] === 0) { t[e] = a; t[e + 1] = b; t[e + 2] = c; return true; }
      if (t[e] === a && t[e + 1] === b && t[e + 2] === c) return false;
    }
  }
}

/**
 * One file as a classic pcap in memory: exactly `flows` distinct 5-tuples, one packet each, written
 * in place into one buffer from a template frame (no object per packet).
 */
function generatePcapBuffer(o: z.output<typeof GenerateOptions>, fileIndex: number): Buffer {
  const rng = new Xoshiro128(o.seed, fileIndex);
  const frameLen = o.frameSize - 4; // the FCS belongs to the NIC, not the capture
  const proto = o.proto === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
  const l4hdr = proto === IPPROTO_TCP ? 20 : 8;
  if (ETH_HLEN + 20 + l4hdr > frameLen) throw new Error(`frame size ${o.frameSize} too small for ${o.proto}`);
  const tpl = new Uint8Array(frameLen);
  const tv = new DataView(tpl.buffer);
  tpl.set(parseMac(o.dstMac), 0);
  tpl.set(parseMac(o.srcMac), 6);
  tv.setUint16(12, ETHERTYPE_IPV4);
  const ip = ETH_HLEN;
  tpl[ip] = 0x45;
  tv.setUint16(ip + 2, frameLen - ETH_HLEN);
  tv.setUint16(ip + 6, 0x4000); // don't fragment
  tpl[ip + 8] = 64;
  tpl[ip + 9] = proto;
  const l4 = ip + 20;
  if (proto === IPPROTO_UDP) {
    tv.setUint16(l4 + 4, frameLen - l4);
  } else {
    tpl[l4 + 12] = 5 << 4;
    tpl[l4 + 13] = 0x18; // PSH|ACK: a data segment of an established flow
    tv.setUint16(l4 + 14, 65535);
  }
  for (let i = l4 + l4hdr; i < frameLen; i++) tpl[i] = i & 0xff; // fixed payload pattern
  const rec = RECORD_HEADER_LEN + frameLen;
  const out = encodePcap([]);
  const buf = Buffer.alloc(PCAP_HEADER_LEN + o.flows * rec);
  out.copy(buf, 0, 0, PCAP_HEADER_LEN);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const seen = new TupleSet(o.flows);
  let n = 0;
  while (n < o.flows) {
    const sip = randomIPv4(rng);
    const dip = randomIPv4(rng);
    const sport = rng.intIn(1024, 65535);
    const dport = rng.intIn(1024, 65535);
    if (!seen.add(sip | 0, dip | 0, (sport << 16) | dport)) continue; // exactly `flows` distinct 5-tuples
    const r = PCAP_HEADER_LEN + n * rec;
    dv.setUint32(r, Math.floor(n / 1e6), true); // timestamps 1 µs apart, as encodePcap writes them
    dv.setUint32(r + 4, n % 1e6, true);
    dv.setUint32(r + 8, frameLen, true);
    dv.setUint32(r + 12, frameLen, true);
    const f = r + RECORD_HEADER_LEN;
    buf.set(tpl, f);
    const fip = f + ip;
    dv.setUint16(fip + 4, n & 0xffff); // identification
    dv.setUint32(fip + 12, sip);
    dv.setUint32(fip + 16, dip);
    dv.setUint16(fip + 20, sport);
    dv.setUint16(fip + 22, dport);
    if (proto === IPPROTO_TCP) {
      dv.setUint32(fip + 24, rng.nextU32()); // seq
      dv.setUint32(fip + 28, rng.nextU32()); // ack
    }
    dv.setUint16(fip + 10, ipv4HeaderChecksum(buf, fip));
    dv.setUint16(l4ChecksumOffset(buf, fip), l4Checksum(buf, fip));
    n++;
  }
  return buf;
}

/** The frames of one file (views into its pcap buffer). */
export function generateFrames(o: z.output<typeof GenerateOptions>, fileIndex: number): Uint8Array[] {
  const buf = generatePcapBuffer(o, fileIndex);
  const rec = RECORD_HEADER_LEN + o.frameSize - 4;
  return Array.from({ length: o.flows }, (_, i) => buf.subarray(PCAP_HEADER_LEN + i * rec + RECORD_HEADER_LEN, PCAP_HEADER_LEN + (i + 1) * rec));
}

/** Writes `files` pcaps into `out`; returns their paths. */
export function generatePcaps(input: GenerateOptions): string[] {
  const o = GenerateOptions.parse(input);
  ensureOutputDir(o.out, 'pcap directory');
  checkFreeSpace(o.out, pcapFileBytes(o.flows, o.frameSize) * o.files, `${o.files} pcap(s) of ${o.flows} flows`);
  const width = String(o.files - 1).length;
  const paths: string[] = [];
  for (let i = 0; i < o.files; i++) {
    const p = join(o.out, `${o.prefix}-${String(i).padStart(width, '0')}.pcap`);
    writeFileSync(p, generatePcapBuffer(o, i));
    paths.push(p);
  }
  return paths;
}
