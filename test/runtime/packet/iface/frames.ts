// Test traffic for the interface port: `flows` UDP flows of `perFlow` packets each, interleaved,
// with valid IPv4/UDP checksums, from 198.18.0.0/15 addresses.
import { ETH_HLEN, ETHERTYPE_IPV4, IPPROTO_UDP, parseMac, ipv4HeaderChecksum, l4Checksum } from '../../../../runtime/packet/inet.js';

export interface FlowSpec {
  flows: number;
  perFlow: number;
  srcMac: string;
  dstMac: string;
  frameSize?: number;
}

export function flowFrames(o: FlowSpec): Uint8Array[] {
  const size = o.frameSize ?? 64;
  const src = parseMac(o.srcMac);
  const dst = parseMac(o.dstMac);
  const out: Uint8Array[] = [];
  for (let k = 0; k < o.perFlow; k++) {
    for (let f = 0; f < o.flows; f++) {
      const b = new Uint8Array(size - 4); // the FCS is not on the wire as seen by a capture
      b.set(dst, 0);
      b.set(src, 6);
      b[12] = ETHERTYPE_IPV4 >> 8;
      b[13] = ETHERTYPE_IPV4 & 0xff;
      const ip = ETH_HLEN;
      const total = b.length - ETH_HLEN;
      b[ip] = 0x45;
      b[ip + 2] = total >> 8;
      b[ip + 3] = total & 0xff;
      b[ip + 4] = k >> 8; // IP id = packet number within its flow
      b[ip + 5] = k & 0xff;
      b[ip + 8] = 64;
      b[ip + 9] = IPPROTO_UDP;
      // 198.18.1.x -> 198.19.y.z
      b.set([198, 18, 1, 1 + (f % 250)], ip + 12);
      b.set([198, 19, (f >> 8) & 255, f & 255], ip + 16);
      const sc = ipv4HeaderChecksum(b, ip);
      b[ip + 10] = sc >> 8;
      b[ip + 11] = sc & 0xff;
      const u = ip + 20;
      const sport = 10000 + f;
      b[u] = sport >> 8;
      b[u + 1] = sport & 0xff;
      b[u + 2] = 0x13;
      b[u + 3] = 0x88; // port 5000
      b[u + 4] = (total - 20) >> 8;
      b[u + 5] = (total - 20) & 0xff;
      const uc = l4Checksum(b, ip);
      b[u + 6] = uc >> 8;
      b[u + 7] = uc & 0xff;
      out.push(b);
    }
  }
  return out;
}
