// Map keys made of a flow's four words (the IPv4 source and destination, the two ports, the
// protocol, as the packet holds them: little-endian int32 reads). The packet side keys a slot by
// the words alone (no string on the hot path); the string the store sees, `a.b.c.d:p>a.b.c.d:p/proto`
// (nfs/packet.ts flowKey's format, which recovery parses back), is made off it, once per key.

const ip = (le: number) => `${le & 255}.${(le >>> 8) & 255}.${(le >>> 16) & 255}.${le >>> 24}`;
const port = (w: number) => ((w & 255) << 8) | (w >>> 8);

/** the store key of a flow given as words */
export function flowKeyOfWords(srcLe: number, dstLe: number, portsLe: number, proto: number): string {
  return `${ip(srcLe)}:${port(portsLe & 0xffff)}>${ip(dstLe)}:${port(portsLe >>> 16)}/${proto}`;
}

/** flat groups of six int32s: table index, slot, then the four words of its key */
export const WORD_KEY_INTS = 6;
