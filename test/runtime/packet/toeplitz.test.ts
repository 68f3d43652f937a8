import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Toeplitz, DEFAULT_RSS_KEY, defaultReta, frameRssHash, queueOf } from '../../../runtime/packet/toeplitz.js';
import { parseIPv4 } from '../../../runtime/packet/inet.js';
import { generateFrames, GenerateOptions } from '../../../runtime/packet/generate.js';

// Microsoft's "Verifying the RSS Hash Calculation" suite (also the 82599 datasheet 7.1.2.8.3):
// destination, source, IPv4-only hash, IPv4 with TCP ports hash.
const VECTORS: [string, number, string, number, number, number][] = [
  ['161.142.100.80', 1766, '66.9.149.187', 2794, 0x323e8fc2, 0x51ccc178],
  ['65.69.140.83', 4739, '199.92.111.2', 14230, 0xd718262a, 0xc626b0ea],
  ['12.22.207.184', 38024, '24.19.198.95', 12898, 0xd2d0a5de, 0x5c2b394a],
  ['209.142.163.6', 2217, '38.27.205.30', 48228, 0x82989176, 0xafc7327f],
  ['202.188.127.2', 1303, '153.39.163.191', 44251, 0x5d1809c5, 0x10e828a2],
];

test('Toeplitz hash matches the Microsoft RSS verification vectors (IPv4 only and IPv4 with TCP ports)', () => {
  const t = new Toeplitz();
  for (const [dst, dport, src, sport, h2, h4] of VECTORS) {
    const sip = parseIPv4(src);
    const dip = parseIPv4(dst);
    assert.equal(t.hashTuple(sip, dip), h2, `IPv4 ${src} -> ${dst}`);
    assert.equal(t.hashTuple(sip, dip, sport, dport), h4, `IPv4/TCP ${src}:${sport} -> ${dst}:${dport}`);
  }
});

test('byte-wise hashing equals the tuple form and the bit-by-bit definition', () => {
  const t = new Toeplitz();
  const input = Uint8Array.from([66, 9, 149, 187, 161, 142, 100, 80, 2794 >> 8, 2794 & 255, 1766 >> 8, 1766 & 255]);
  assert.equal(t.hash(input, 0, 12), 0x51ccc178);
  // the textbook algorithm: for every set input bit, xor the key's 32-bit window at that bit
  let ref = 0;
  for (let bit = 0; bit < 96; bit++) {
    if ((input[bit >> 3] >> (7 - (bit & 7))) & 1) {
      let w = 0;
      for (let j = 0; j < 32; j++) w = (w << 1) | ((DEFAULT_RSS_KEY[(bit + j) >> 3] >> (7 - ((bit + j) & 7))) & 1);
      ref ^= w;
    }
  }
  assert.equal(t.hash(input, 0, 12), ref >>> 0);
});

test('frame hash uses the 4-tuple for TCP and UDP, and the redirection table maps it to a queue', () => {
  const t = new Toeplitz();
  for (const proto of ['udp', 'tcp'] as const) {
    const frames = generateFrames(GenerateOptions.parse({ out: '/unused', flows: 200, proto, seed: 7 }), 0);
    for (const f of frames) {
      const dv = new DataView(f.buffer, f.byteOffset, f.byteLength); // frames may be views into one pcap buffer
      const want = t.hashTuple(dv.getUint32(26), dv.getUint32(30), dv.getUint16(34), dv.getUint16(36));
      assert.equal(frameRssHash(t, f, 0, f.length), want);
    }
  }
  const reta = defaultReta(3);
  assert.equal(reta.length, 128);
  assert.deepEqual([...reta.slice(0, 5)], [0, 1, 2, 0, 1]);
  assert.equal(queueOf(reta, 0x51ccc178), reta[0x51ccc178 & 127]);
});

test('non-IPv4 frames hash to 0 (queue 0), as on a NIC', () => {
  const f = new Uint8Array(60);
  f[12] = 0x86;
  f[13] = 0xdd; // IPv6 ethertype
  assert.equal(frameRssHash(new Toeplitz(), f, 0, 60), 0);
});
