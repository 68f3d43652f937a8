// The rule that splits flows over live NF instances, as a switch or load balancer in front of them
// would: rendezvous (highest-random-weight) hashing of the flow's 5-tuple hash against each live
// instance id. A flow moves only when its own instance leaves, or a new instance outscores it: with N
// instances, adding one moves about 1/(N+1) of the flows and removing one moves only that one's flows.

/** FNV-1a of a string (an instance id), 32 bits. */
export function idHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's finaliser: a flow hash and an id hash mixed to a score. */
export function score(flow: number, id: number): number {
  let h = (flow ^ id) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Index in `ids` of the instance flow `flow` goes to among the live ones (`live[i]`), -1 if none is live. */
export function owner(flow: number, idHashes: ArrayLike<number>, live: ArrayLike<boolean>): number {
  let best = -1;
  let bestScore = -1;
  for (let i = 0; i < idHashes.length; i++) {
    if (!live[i]) continue;
    const s = score(flow, idHashes[i]);
    if (s > bestScore) {
      best = i;
      bestScore = s;
    }
  }
  return best;
}

/**
 * The flow hash of an untagged Ethernet IPv4 frame's 5-tuple (source and destination address, protocol,
 * and for TCP/UDP the ports), FNV-1a over those bytes; other frames hash their first 34 bytes.
 */
export function flowHash(u8: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5;
  const mix = (b: number) => {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  };
  const ipv4 = len >= 34 && u8[off + 12] === 0x08 && u8[off + 13] === 0x00;
  if (!ipv4) {
    for (let i = 0; i < Math.min(len, 34); i++) mix(u8[off + i]);
    return h >>> 0;
  }
  const ip = off + 14;
  for (let i = 12; i < 20; i++) mix(u8[ip + i]);
  const proto = u8[ip + 9];
  mix(proto);
  const l4 = ip + ((u8[ip] & 15) << 2);
  if ((proto === 6 || proto === 17) && l4 + 4 <= off + len) for (let i = 0; i < 4; i++) mix(u8[l4 + i]);
  return h >>> 0;
}
