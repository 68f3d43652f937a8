// A byte buffer grown in place of another when what it must hold no longer fits: the drivers' own flush connections
// write requests and gather replies in buffers reused for the connection's life, grown (doubled) only when needed.

/** `buf` itself while `need` bytes fit, else a larger buffer (doubled until they do) holding `buf`'s first `used` bytes. */
export function grown<B extends Buffer>(buf: B, used: number, need: number): B {
  if (need <= buf.length) return buf;
  let m = Math.max(buf.length * 2, 1);
  while (m < need) m *= 2;
  const b = Buffer.allocUnsafe(m);
  buf.copy(b, 0, 0, used);
  return b as B;
}
