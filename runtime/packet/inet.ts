// Ethernet/IPv4/UDP/TCP field offsets and checksum helpers shared by the generator, RSS and tests.

export const ETH_HLEN = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** Parses "aa:bb:cc:dd:ee:ff" into 6 bytes; throws a message naming the bad value. */
export function parseMac(s: string): Uint8Array {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new Error(`bad MAC address "${s}" (want aa:bb:cc:dd:ee:ff)`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** Parses dotted-quad IPv4 into an unsigned 32-bit number. */
export function parseIPv4(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m || m.slice(1).some((x) => Number(x) > 255)) throw new Error(`bad IPv4 address "${s}"`);
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

/** "A.B.C.D/N" (N 8..32) or "A.B.C.D" -> its first address and how many; throws a message naming what is wrong. */
export function parseIpRange(s: string): { first: number; count: number } {
  const [ip, bits] = s.split('/');
  const first = parseIPv4(ip ?? '');
  if (bits === undefined) return { first, count: 1 };
  const n = Number(bits);
  if (!Number.isInteger(n) || n < 8 || n > 32) throw new Error(`prefix length must be 8..32 (got "${bits}")`);
  const count = 2 ** (32 - n);
  return { first: first - (first % count), count };
}

/** "LO-HI" within 1-65535 -> the ports; throws a message naming the bad value. */
export function parsePortRange(s: string): { lo: number; hi: number } {
  const m = /^(\d+)-(\d+)$/.exec(s);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2]) : NaN;
  if (!m || lo < 1 || hi > 65535 || lo > hi) throw new Error(`want LO-HI within 1-65535 (got "${s}")`);
  return { lo, hi };
}

/** An unsigned 32-bit IPv4 address as a dotted quad (parseIPv4's inverse). */
export function formatIPv4(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** One's-complement sum of big-endian 16-bit words of bytes[off .. off+len) added to `sum` (not folded). */
export function onesSum(bytes: Uint8Array, off: number, len: number, sum = 0): number {
  let i = 0;
  for (; i + 1 < len; i += 2) sum += (bytes[off + i] << 8) | bytes[off + i + 1];
  if (i < len) sum += bytes[off + i] << 8;
  return sum;
}

/** Folds a running sum to 16 bits and complements it: the Internet checksum (RFC 1071). */
export function finishChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** Computes the IPv4 header checksum of the header at `ip` (checksum field treated as zero). */
export function ipv4HeaderChecksum(f: Uint8Array, ip: number): number {
  const ihl = (f[ip] & 0x0f) * 4;
  const sum = onesSum(f, ip, ihl) - ((f[ip + 10] << 8) | f[ip + 11]);
  return finishChecksum(sum);
}

/** Computes the UDP/TCP checksum over pseudo header + segment (checksum field treated as zero). */
export function l4Checksum(f: Uint8Array, ip: number): number {
  const ihl = (f[ip] & 0x0f) * 4;
  const proto = f[ip + 9];
  const totalLen = (f[ip + 2] << 8) | f[ip + 3];
  const l4 = ip + ihl;
  const l4len = totalLen - ihl;
  const csumAt = l4 + (proto === IPPROTO_TCP ? 16 : 6);
  let sum = onesSum(f, ip + 12, 8); // src + dst
  sum += proto + l4len;
  sum = onesSum(f, l4, l4len, sum);
  sum -= (f[csumAt] << 8) | f[csumAt + 1];
  const c = finishChecksum(sum);
  return proto === IPPROTO_UDP && c === 0 ? 0xffff : c;
}

/** Byte offset of the L4 checksum field of an IPv4 TCP/UDP frame, or -1. */
export function l4ChecksumOffset(f: Uint8Array, ip: number): number {
  const proto = f[ip + 9];
  const l4 = ip + (f[ip] & 0x0f) * 4;
  if (proto === IPPROTO_TCP) return l4 + 16;
  if (proto === IPPROTO_UDP) return l4 + 6;
  return -1;
}

/** Offset (from the frame's start) of the L4 payload of an IPv4 UDP/TCP frame; of the L3 payload for other IPv4; 14 otherwise. */
export function l4PayloadOffset(bytes: Uint8Array, off: number, len: number): number {
  if (len < ETH_HLEN + 20 || ((bytes[off + 12] << 8) | bytes[off + 13]) !== ETHERTYPE_IPV4) return ETH_HLEN;
  const l4 = ETH_HLEN + (bytes[off + ETH_HLEN] & 15) * 4;
  const proto = bytes[off + ETH_HLEN + 9];
  if (proto === IPPROTO_UDP) return l4 + 8;
  if (proto === IPPROTO_TCP && len >= l4 + 13) return l4 + (bytes[off + l4 + 12] >> 4) * 4;
  return l4;
}
