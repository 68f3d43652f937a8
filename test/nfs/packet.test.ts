import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csumAdjust, word32Delta, wordDelta } from '../../nfs/packet.js';
import { Xoshiro128 } from '../../runtime/packet/prng.js';
import { onesSum, finishChecksum } from '../../runtime/packet/inet.js';

test('RFC 1624 incremental update equals a full recompute, on byte-swapped words too', () => {
  const rng = new Xoshiro128(11);
  for (let t = 0; t < 2000; t++) {
    const words = Array.from({ length: 10 }, () => rng.nextU32() & 0xffff);
    const full = (ws: number[]) => finishChecksum(ws.reduce((s, w) => s + w, 0));
    const hc = full(words);
    const k = rng.intIn(0, 8);
    const n0 = rng.nextU32() & 0xffff;
    const n1 = rng.nextU32() & 0xffff;
    const after = words.slice();
    after[k] = n0;
    after[k + 1] = n1;
    const d = wordDelta(words[k], n0) + wordDelta(words[k + 1], n1);
    const inc = csumAdjust(hc, d);
    // one's-complement has two zeros; a checksum is only ever compared after folding
    assert.equal(finishChecksum(~inc & 0xffff) , finishChecksum(~full(after) & 0xffff));
    // byte-swapped view of the same words gives the byte-swapped checksum
    const sw = (x: number) => ((x & 255) << 8) | (x >>> 8);
    const swapped = csumAdjust(sw(hc), word32Delta(sw(words[k]) | (sw(words[k + 1]) << 16), sw(n0) | (sw(n1) << 16)));
    assert.equal(finishChecksum(~sw(swapped) & 0xffff), finishChecksum(~full(after) & 0xffff));
  }
  assert.equal(onesSum(Uint8Array.from([0x12, 0x34, 0x56]), 0, 3), 0x1234 + 0x5600);
});

test('NFs refuse frames that break the burst alignment contract instead of corrupting them', async () => {
  const { createBurst } = await import('../../runtime/packet/burst.js');
  const { generateFrames, GenerateOptions } = await import('../../runtime/packet/generate.js');
  const { nf: nat } = await import('../../nfs/nat.js');
  const { swapMacs } = await import('../../nfs/macswap.js');
  const frame = generateFrames(GenerateOptions.parse({ out: '/unused', flows: 1 }), 0)[0];
  const b = createBurst(60, 4);
  b.off[0] += 2; // off % 4 === 0: the IPv4 header is no longer 32-bit aligned
  b.u8.set(frame, b.off[0]);
  b.len[0] = frame.length;
  b.count = 1;
  const n = await nat.createNf(null, { core: 0, cores: 1, natIps: { first: 0xc6130000, count: 1 }, natPorts: { lo: 1000, hi: 1999 }, lbBackends: [] });
  assert.throws(() => n.process(b), /off % 4 === 2/);
  b.off[0] += 1;
  assert.throws(() => swapMacs(b), /odd byte/);
});
