// Frames for NAT tests: Ethernet + IPv4 + TCP/UDP or ICMP echo with checksums computed from scratch, read back with both.
import { createBurst, type Burst } from '../../runtime/packet/burst.js';
import { parseIPv4, ipv4HeaderChecksum, l4Checksum, l4ChecksumOffset, onesSum, finishChecksum } from '../../runtime/packet/inet.js';

export interface Pkt { src: string; dst: string; sport: number; dport: number; /** icmp: an echo request (sport = identifier, dport = sequence; icmpType 0 = reply) */ proto?: 'tcp' | 'udp' | 'icmp'; icmpType?: number; udpZero?: boolean; payload?: number; ethType?: number }

export const MAC_A = [2, 0, 0, 0, 0, 1];
export const MAC_NF = [2, 0, 0, 0, 0, 0xaa];

/** Writes a frame into slot i of the burst with checksums computed from scratch. */
export function put(b: Burst, i: number, p: Pkt): void {
  const o = b.off[i]!;
  const u8 = b.u8;
  const proto = p.proto ?? 'udp';
  const l4len = (proto === 'tcp' ? 20 : 8) + (p.payload ?? 6);
  const len = 14 + 20 + l4len;
  u8.fill(0, o, o + len);
  u8.set(MAC_NF, o);
  u8.set(MAC_A, o + 6);
  const et = p.ethType ?? 0x0800;
  u8[o + 12] = et >> 8;
  u8[o + 13] = et & 255;
  const dv = new DataView(u8.buffer, u8.byteOffset);
  const ip = o + 14;
  u8[ip] = 0x45;
  dv.setUint16(ip + 2, 20 + l4len);
  dv.setUint16(ip + 4, 0x1234 + i);
  dv.setUint16(ip + 6, 0x4000);
  u8[ip + 8] = 64;
  u8[ip + 9] = proto === 'tcp' ? 6 : proto === 'icmp' ? 1 : 17;
  dv.setUint32(ip + 12, parseIPv4(p.src));
  dv.setUint32(ip + 16, parseIPv4(p.dst));
  const l4 = ip + 20;
  if (proto === 'icmp') {
    u8[l4] = p.icmpType ?? 8;
    dv.setUint16(l4 + 4, p.sport);
    dv.setUint16(l4 + 6, p.dport);
    for (let k = 0; k < (p.payload ?? 6); k++) u8[l4 + 8 + k] = (k * 37 + i) & 255;
    dv.setUint16(ip + 10, ipv4HeaderChecksum(u8, ip));
    dv.setUint16(l4 + 2, icmpChecksum(u8, l4, l4len));
    b.len[i] = len;
    return;
  }
  dv.setUint16(l4, p.sport);
  dv.setUint16(l4 + 2, p.dport);
  if (proto === 'udp') dv.setUint16(l4 + 4, l4len);
  else {
    dv.setUint32(l4 + 4, 1000 + i);
    u8[l4 + 12] = 0x50;
    u8[l4 + 13] = 0x18;
    dv.setUint16(l4 + 14, 512);
  }
  for (let k = 0; k < (p.payload ?? 6); k++) u8[l4 + (proto === 'tcp' ? 20 : 8) + k] = (k * 37 + i) & 255;
  dv.setUint16(ip + 10, ipv4HeaderChecksum(u8, ip));
  if (!p.udpZero) dv.setUint16(l4ChecksumOffset(u8, ip), l4Checksum(u8, ip));
  b.len[i] = len;
}

/** ICMP checksum of the message at l4 (its checksum field counted as zero), from scratch. */
export function icmpChecksum(u8: Uint8Array, l4: number, n: number): number {
  return finishChecksum(onesSum(u8, l4, n) - ((u8[l4 + 2]! << 8) | u8[l4 + 3]!));
}

export function burstOf(pkts: Pkt[]): Burst {
  const b = createBurst(1514, 32);
  pkts.forEach((p, i) => put(b, i, p));
  b.count = pkts.length;
  return b;
}

const ipStr = (u8: Uint8Array, at: number) => `${u8[at]}.${u8[at + 1]}.${u8[at + 2]}.${u8[at + 3]}`;

/** What frame i holds now, with its checksums as sent and as computed from scratch. */
export function read(b: Burst, i: number) {
  const o = b.off[i]!;
  const u8 = b.u8;
  const ip = o + 14;
  const dv = new DataView(u8.buffer, u8.byteOffset);
  const icmp = u8[ip + 9] === 1;
  const at = icmp ? ip + 22 : l4ChecksumOffset(u8, ip);
  return {
    src: ipStr(u8, ip + 12), dst: ipStr(u8, ip + 16),
    // ICMP echo: the identifier as sport, the sequence as dport
    sport: dv.getUint16(icmp ? ip + 24 : ip + 20), dport: dv.getUint16(icmp ? ip + 26 : ip + 22),
    ipSum: dv.getUint16(ip + 10), ipScratch: ipv4HeaderChecksum(u8, ip),
    l4Sum: dv.getUint16(at), l4Scratch: icmp ? icmpChecksum(u8, ip + 20, dv.getUint16(ip + 2) - 20) : l4Checksum(u8, ip),
    dstMac: [...u8.subarray(o, o + 6)], srcMac: [...u8.subarray(o + 6, o + 12)], len: b.len[i]!,
  };
}

/** One frame as bytes (for a pcap). */
export function frame(p: Pkt): Uint8Array {
  const b = burstOf([p]);
  return b.u8.slice(b.off[0]!, b.off[0]! + b.len[0]!);
}
