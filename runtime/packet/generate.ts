// `flexbench pcap generate`: the paper's traffic (64 B frames, one packet per flow, random 5-tuples), reproducible from a seed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Xoshiro128 } from './prng.js';
import { encodePcap } from './pcap.js';
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

export const GenerateOptions = z.object({
  out: z.string().min(1),
  flows: z.number().int().min(1).max(10_000_000).default(50_000),
  files: z.number().int().min(1).max(10_000).default(10),
  frameSize: z.number().int().min(64).max(1518).default(64),
  seed: z.number().int().min(0).max(0xffffffff).default(1),
  proto: z.enum(['udp', 'tcp']).default('udp'),
  srcMac: macString.default('02:00:00:00:00:01'),
  dstMac: macString.default('02:00:00:00:00:02'),
  prefix: z.string().regex(/^[A-Za-z0-9._-]+$/).default('flows'),
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

/** Builds the frames of one file: exactly `flows` distinct 5-tuples, one packet each. */
export function generateFrames(o: z.output<typeof GenerateOptions>, fileIndex: number): Uint8Array[] {
  const rng = new Xoshiro128(o.seed, fileIndex);
  const frameLen = o.frameSize - 4; // the FCS belongs to the NIC, not the capture
  const proto = o.proto === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
  const l4hdr = proto === IPPROTO_TCP ? 20 : 8;
  if (ETH_HLEN + 20 + l4hdr > frameLen) throw new Error(`frame size ${o.frameSize} too small for ${o.proto}`);
  const src = parseMac(o.srcMac);
  const dst = parseMac(o.dstMac);
  const seen = new Set<bigint>();
  const frames: Uint8Array[] = [];
  while (frames.length < o.flows) {
    const sip = randomIPv4(rng);
    const dip = randomIPv4(rng);
    const sport = rng.intIn(1024, 65535);
    const dport = rng.intIn(1024, 65535);
    const key = (BigInt(sip) << 64n) | (BigInt(dip) << 32n) | BigInt(((sport << 16) | dport) >>> 0);
    if (seen.has(key)) continue; // exactly `flows` distinct 5-tuples
    seen.add(key);
    const f = new Uint8Array(frameLen);
    const dv = new DataView(f.buffer);
    f.set(dst, 0);
    f.set(src, 6);
    dv.setUint16(12, ETHERTYPE_IPV4);
    const ip = ETH_HLEN;
    f[ip] = 0x45;
    dv.setUint16(ip + 2, frameLen - ETH_HLEN);
    dv.setUint16(ip + 4, frames.length & 0xffff); // identification
    dv.setUint16(ip + 6, 0x4000); // don't fragment
    f[ip + 8] = 64;
    f[ip + 9] = proto;
    dv.setUint32(ip + 12, sip);
    dv.setUint32(ip + 16, dip);
    const l4 = ip + 20;
    dv.setUint16(l4, sport);
    dv.setUint16(l4 + 2, dport);
    if (proto === IPPROTO_UDP) {
      dv.setUint16(l4 + 4, frameLen - l4);
    } else {
      dv.setUint32(l4 + 4, rng.nextU32()); // seq
      dv.setUint32(l4 + 8, rng.nextU32()); // ack
      f[l4 + 12] = 5 << 4;
      f[l4 + 13] = 0x18; // PSH|ACK: a data segment of an established flow
      dv.setUint16(l4 + 14, 65535);
    }
    for (let i = l4 + l4hdr; i < frameLen; i++) f[i] = i & 0xff; // fixed payload pattern
    dv.setUint16(ip + 10, ipv4HeaderChecksum(f, ip));
    dv.setUint16(l4ChecksumOffset(f, ip), l4Checksum(f, ip));
    frames.push(f);
  }
  return frames;
}

/** Writes `files` pcaps into `out`; returns their paths. */
export function generatePcaps(input: GenerateOptions): string[] {
  const o = GenerateOptions.parse(input);
  mkdirSync(o.out, { recursive: true });
  const width = String(o.files - 1).length;
  const paths: string[] = [];
  for (let i = 0; i < o.files; i++) {
    const p = join(o.out, `${o.prefix}-${String(i).padStart(width, '0')}.pcap`);
    writeFileSync(p, encodePcap(generateFrames(o, i)));
    paths.push(p);
  }
  return paths;
}
