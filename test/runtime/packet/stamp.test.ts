// The latency stamp keeps a frame valid: its L4 checksum is updated for the bytes it replaced (RFC 1624).
// Exact checks against a full recomputation, then the real tshark reading a capture of stamped frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { GenerateOptions, generateFrames } from '../../../runtime/packet/generate.js';
import { encodePcap } from '../../../runtime/packet/pcap.js';
import { l4Checksum, l4ChecksumOffset, ETH_HLEN } from '../../../runtime/packet/inet.js';
import { STAMP_BYTES, StampScratch, readStamp, writeStamp } from '../../../runtime/packet/stamp.js';
import { tsharkFields, tempDir } from './helpers.js';

const stored = (f: Uint8Array) => {
  const at = l4ChecksumOffset(f, ETH_HLEN);
  return (f[at] << 8) | f[at + 1];
};

function stamped(proto: 'udp' | 'tcp', frameSize: number, flows = 200): Uint8Array[] {
  const frames = generateFrames(GenerateOptions.parse({ out: '/nonexistent', flows, files: 1, seed: 9, proto, frameSize }), 0).map((f) => Uint8Array.from(f));
  const s = new StampScratch();
  frames.forEach((f, i) => writeStamp(f, 0, f.length, 1234.5 + i * 0.125, s));
  return frames;
}

test('stamp: UDP and TCP checksums equal a full recomputation after stamping, at even and odd frame lengths; the stamp reads back', () => {
  const s = new StampScratch();
  // 64 B TCP has 6 B of payload: nf run refuses to stamp it (the stamp would hit the header)
  for (const [proto, sizes] of [['udp', [64, 65, 128, 129, 1500]], ['tcp', [78, 79, 128, 129, 1500]]] as const) {
    for (const size of sizes) {
      const frames = stamped(proto, size);
      frames.forEach((f, i) => {
        assert.equal(stored(f), l4Checksum(f, ETH_HLEN), `${proto} ${size} B frame ${i}: checksum stale after the stamp`);
        assert.equal(readStamp(f, 0, f.length, s), 1234.5 + i * 0.125);
      });
    }
  }
});

test('stamp: a UDP checksum of 0 (none, RFC 768) stays 0; bytes in Ethernet padding leave the checksum alone; a frame without a stamp reads NaN', () => {
  const s = new StampScratch();
  const [udp] = generateFrames(GenerateOptions.parse({ out: '/x', flows: 1, files: 1, seed: 1, frameSize: 128 }), 0).map((f) => Uint8Array.from(f));
  assert.ok(Number.isNaN(readStamp(udp, 0, udp.length, s)));
  const none = Uint8Array.from(udp);
  const at = l4ChecksumOffset(none, ETH_HLEN);
  none[at] = 0;
  none[at + 1] = 0;
  writeStamp(none, 0, none.length, 7, s);
  assert.equal(stored(none), 0);
  // the IP datagram ends 20 bytes before the frame does: the stamp lands in padding
  const padded = Uint8Array.from(udp);
  const ipLen = ((padded[16] << 8) | padded[17]) - 20;
  padded[16] = ipLen >> 8;
  padded[17] = ipLen & 0xff;
  padded[ETH_HLEN + 20 + 4] = (ipLen - 20) >> 8; // UDP length
  padded[ETH_HLEN + 20 + 5] = (ipLen - 20) & 0xff;
  const c = l4Checksum(padded, ETH_HLEN);
  padded[at] = c >> 8;
  padded[at + 1] = c & 0xff;
  writeStamp(padded, 0, padded.length, 7, s);
  assert.equal(stored(padded), c, 'a stamp in padding changed the checksum');
  assert.equal(l4Checksum(padded, ETH_HLEN), c);
  assert.equal(STAMP_BYTES, 12);
});

test('stamp: the real tshark finds every IPv4/UDP/TCP checksum of stamped frames good', async () => {
  const { dir, cleanup } = tempDir('stamp');
  try {
    for (const [proto, size] of [['udp', 64], ['udp', 1001], ['tcp', 128]] as const) {
      const file = join(dir, `${proto}-${size}.pcap`);
      writeFileSync(file, encodePcap(stamped(proto, size, 300)));
      const rows = await tsharkFields(file, ['frame.len', 'ip.checksum.status', `${proto}.checksum.status`]);
      assert.equal(rows.length, 300);
      assert.ok(rows.every((r) => r[1] === '1' && r[2] === '1'), `${proto} ${size} B: tshark status (2 = bad): ${JSON.stringify(rows.find((r) => r[2] !== '1'))}`);
    }
  } finally {
    cleanup();
  }
});
