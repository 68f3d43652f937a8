// A NAT capture of both directions for the packet bench: each flow's packet, then the reply its
// outside host sends to the pool pair the NAT gave it. The replies are made from what `nf run --nf
// nat --output` sent: addresses, ports and MACs swapped, which keeps every checksum valid (a one's
// complement sum does not depend on the order of its words). One core hands out pool pairs in the
// order flows arrive, so a replay of this capture on one core gives each flow the pair its reply is
// sent to (the bench counts the replies that found no mapping).
import type { PcapFrames } from '../../runtime/packet/pcap.js';

const frame = (p: PcapFrames, i: number): Uint8Array => p.bytes.subarray(p.offsets[i]!, p.offsets[i]! + p.lengths[i]!);

/** What the outside host sends back to a translated frame: Ethernet addresses, IPv4 addresses and TCP/UDP ports swapped. */
export function replyTo(out: Uint8Array): Uint8Array {
  const r = Uint8Array.from(out);
  const ihl = (r[14]! & 15) * 4;
  const proto = r[23];
  if (r.length < 14 + ihl + 4 || r[12] !== 0x08 || r[13] !== 0x00 || (r[14]! >> 4) !== 4 || (proto !== 6 && proto !== 17)) {
    throw new Error('a reply is made only for an untagged IPv4 TCP or UDP frame');
  }
  const swap = (a: number, b: number, n: number) => {
    for (let k = 0; k < n; k++) [r[a + k], r[b + k]] = [r[b + k]!, r[a + k]!];
  };
  swap(0, 6, 6);
  swap(26, 30, 4);
  swap(14 + ihl, 16 + ihl, 2);
  return r;
}

/**
 * The both-ways capture: forward frame i, then the reply to translated frame i. `translated` is what
 * the NAT sent for `forward`, in its order (one core; nothing dropped).
 */
export function bothWays(forward: PcapFrames, translated: PcapFrames): Uint8Array[] {
  if (translated.count !== forward.count) {
    throw new Error(`the NAT sent ${translated.count} of the capture's ${forward.count} packets: a reply for each needs them all`);
  }
  const out: Uint8Array[] = [];
  for (let i = 0; i < forward.count; i++) out.push(frame(forward, i), replyTo(frame(translated, i)));
  return out;
}
