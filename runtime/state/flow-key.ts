// Map keys made of a flow's four words (the IPv4 source and destination, the two ports, the
// protocol, as the packet holds them: little-endian int32 reads). The packet side keys a slot by
// the words alone (no string on the hot path); the string the store sees, `a.b.c.d:p>a.b.c.d:p/proto`
// (which an NF's recovery parses back, parseFlowKey, through api.ts), is made off it, once per key.

const ip = (le: number) => `${le & 255}.${(le >>> 8) & 255}.${(le >>> 16) & 255}.${le >>> 24}`;
const port = (w: number) => ((w & 255) << 8) | (w >>> 8);

/** the store key of a flow given as words */
export function flowKeyOfWords(srcLe: number, dstLe: number, portsLe: number, proto: number): string {
  return `${ip(srcLe)}:${port(portsLe & 0xffff)}>${ip(dstLe)}:${port(portsLe >>> 16)}/${proto}`;
}

/** Inverse of flowKeyOfWords, for recovery: [srcLe, dstLe, portsLe, proto] or null. */
export function parseFlowKey(k: string): [number, number, number, number] | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+):(\d+)>(\d+)\.(\d+)\.(\d+)\.(\d+):(\d+)\/(\d+)$/.exec(k);
  if (!m) return null;
  const n = m.slice(1).map(Number);
  const le = (a: number, b: number, c: number, d: number) => a | (b << 8) | (c << 16) | (d << 24);
  return [le(n[0]!, n[1]!, n[2]!, n[3]!), le(n[5]!, n[6]!, n[7]!, n[8]!), port(n[4]!) | (port(n[9]!) << 16), n[10]!];
}
