import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateFrames, GenerateOptions } from '../../../runtime/packet/generate.js';
import { encodePcap, parsePcap } from '../../../runtime/packet/pcap.js';
import { layoutRings, splitQuota } from '../../../runtime/packet/layout.js';
import { Toeplitz, defaultReta, frameRssHash, queueOf } from '../../../runtime/packet/toeplitz.js';
import { IP_ALIGN } from '../../../runtime/packet/burst.js';
import { RingPort } from '../../../runtime/packet/replay-port.js';

test('RSS keeps every flow on its core: each ring holds exactly the packets whose hash maps to it', () => {
  const frames = generateFrames(GenerateOptions.parse({ out: '/unused', flows: 5000, seed: 3 }), 0);
  // every flow twice, so a flow on two cores would show up
  const cap = parsePcap(encodePcap([...frames, ...frames]));
  const t = new Toeplitz();
  for (const cores of [1, 3, 4]) {
    const layout = layoutRings(cap, cores, 32);
    const reta = defaultReta(cores);
    const seen = new Map<string, number>();
    let total = 0;
    for (const ring of layout.rings) {
      const u8 = new Uint8Array(ring.data);
      const lens = new Int32Array(ring.lens);
      for (let k = 0; k < ring.count; k++) {
        const off = k * ring.stride + IP_ALIGN;
        assert.equal(queueOf(reta, frameRssHash(t, u8, off, lens[k])), ring.core);
        const key = Buffer.from(u8.subarray(off + 26, off + 38)).toString('hex');
        const prev = seen.get(key);
        assert.ok(prev === undefined || prev === ring.core, `flow ${key} on cores ${prev} and ${ring.core}`);
        seen.set(key, ring.core);
      }
      total += ring.count;
      if (cores > 1) assert.ok(ring.count > (10000 / cores) * 0.8, `core ${ring.core} got only ${ring.count} packets`);
    }
    assert.equal(total, 10000);
    assert.equal(seen.size, 5000);
  }
});

test('replay port loops over its ring in bursts, wrapping, frames IP-aligned', () => {
  const frames = generateFrames(GenerateOptions.parse({ out: '/unused', flows: 50, seed: 4 }), 0);
  const layout = layoutRings(parsePcap(encodePcap(frames)), 1, 32);
  const port = new RingPort(layout.rings[0], 32);
  const b = port.burst;
  const seen: string[] = [];
  for (let r = 0; r < 4; r++) {
    const n = port.rx(32);
    assert.equal(n, 32);
    for (let i = 0; i < n; i++) {
      assert.equal(b.off[i] % 4, IP_ALIGN);
      assert.equal(b.len[i], 60);
      seen.push(Buffer.from(b.u8.subarray(b.off[i], b.off[i] + b.len[i])).toString('hex'));
    }
  }
  // 128 packets from a 50-packet ring: packet k is frame k mod 50
  for (let k = 0; k < 128; k++) assert.equal(seen[k], Buffer.from(frames[k % 50]).toString('hex'));
  assert.equal(port.tx(), 32);
});

test('packet quotas split exactly and deterministically over cores that have packets', () => {
  assert.deepEqual(splitQuota(10, [{ count: 5 }, { count: 5 }, { count: 5 }]), [4, 3, 3]);
  assert.deepEqual(splitQuota(7, [{ count: 0 }, { count: 9 }]), [0, 7]);
  assert.equal(splitQuota(1_000_003, [{ count: 1 }, { count: 1 }, { count: 1 }, { count: 1 }]).reduce((a, b) => a + b, 0), 1_000_003);
});

test('a capture whose rings would need more than 4 GiB (one long frame among many short ones) is refused before anything is allocated', async () => {
  const { MAX_RING_BYTES } = await import('../../../runtime/packet/layout.js');
  const count = 300_000;
  const frames = { bytes: new Uint8Array(64), offsets: new Int32Array(count), lengths: new Int32Array(count).fill(60), count, maxLength: 16_128 };
  assert.throws(() => layoutRings(frames, 1, 32), (e: Error & { exitCode?: number }) =>
    e.exitCode === 2 && /^a capture of 300000 frames whose longest has 16128 bytes needs 4\.5 GiB of rings/.test(e.message));
  assert.equal(MAX_RING_BYTES, 4 * 2 ** 30);
});
