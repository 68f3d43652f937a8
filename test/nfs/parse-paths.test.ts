// NAT and LB read the common frame (IPv4, 20-byte header, TCP/UDP, not a fragment) from three header
// words and every other frame the general way: a frame with IP options and a fragment, in one burst
// with common ones, are each handled as the general parser says (exact checksums, fragments untouched).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIPv4, ipv4HeaderChecksum } from '../../runtime/packet/inet.js';
import { createBurst, type Burst } from '../../runtime/packet/burst.js';
import { frame, read, type Pkt } from './nat-frames.js';
import { Nat } from '../../nfs/nat.js';
import { nf as lbModule } from '../../nfs/lb.js';
import type { NfOptions } from '../../nfs/types.js';

const opts: NfOptions = {
  core: 0, cores: 1, natIps: { first: parseIPv4('198.19.0.0'), count: 4 }, natPorts: { lo: 2000, hi: 2009 }, lbBackends: [parseIPv4('10.9.0.1')],
  natInside: { first: parseIPv4('10.0.0.0'), count: 256 }, natTimeoutS: 300, natOther: 'pass',
};

/** The IPv4 header checksum of a frame written anew after its header was changed. */
function resealIpv4(f: Uint8Array): Uint8Array {
  f[24] = 0;
  f[25] = 0;
  const c = ipv4HeaderChecksum(f, 14);
  f[24] = c >> 8;
  f[25] = c & 255;
  return f;
}

/** frame p with 4 bytes of IP options (four NOPs): IHL 6, its header checksum recomputed */
function withOptions(p: Pkt): Uint8Array {
  const f = frame(p);
  const out = new Uint8Array(f.length + 4);
  out.set(f.subarray(0, 34));
  out.fill(1, 34, 38);
  out.set(f.subarray(34), 38);
  out[14] = 0x46;
  const total = ((out[16]! << 8) | out[17]!) + 4;
  out[16] = total >> 8;
  out[17] = total & 255;
  return resealIpv4(out);
}

/** frame p as a first fragment (MF set) */
function fragment(p: Pkt): Uint8Array {
  const f = frame(p);
  f[20] = 0x20;
  return resealIpv4(f);
}

function burstOfFrames(frames: Uint8Array[]): Burst {
  const b = createBurst(1514, 32);
  frames.forEach((f, i) => { b.u8.set(f, b.off[i]!); b.len[i] = f.length; });
  b.count = frames.length;
  return b;
}

/** the frame's UDP source port and destination port, read after an IHL of any length */
function ports(b: Burst, i: number): [number, number] {
  const ip = b.off[i]! + 14;
  const l4 = ip + (b.u8[ip]! & 15) * 4;
  return [(b.u8[l4]! << 8) | b.u8[l4 + 1]!, (b.u8[l4 + 2]! << 8) | b.u8[l4 + 3]!];
}

for (const proto of ['udp', 'tcp'] as const) {
  const p = (src: string, sport: number): Pkt => ({ src, dst: '203.0.113.9', sport, dport: 80, proto });

  test(`nat (${proto}): a frame with IP options is translated (general path), a fragment passes untouched, common frames beside them the fast way`, () => {
    const nat = new Nat(opts, null);
    const b = burstOfFrames([frame(p('10.0.0.2', 5555)), withOptions(p('10.0.0.3', 6666)), fragment(p('10.0.0.4', 7777)), frame(p('10.0.0.2', 5555))]);
    const before = fragment(p('10.0.0.4', 7777));
    assert.equal(nat.process(b), 4);
    for (const i of [0, 1, 3]) {
      const r = read(b, i);
      assert.equal(r.src.startsWith('198.19.0.'), true, `frame ${i} leaves from the pool`);
      assert.equal(r.ipSum, r.ipScratch, `frame ${i}: IPv4 checksum exact`);
      assert.equal(r.l4Sum, r.l4Scratch, `frame ${i}: L4 checksum exact`);
      assert.deepEqual(r.dstMac, [2, 0, 0, 0, 0, 1], `frame ${i}: MACs swapped`);
    }
    assert.deepEqual([read(b, 0).src, read(b, 0).sport], [read(b, 3).src, read(b, 3).sport], 'one mapping for the flow seen twice');
    assert.notDeepEqual(`${read(b, 1).src}:${ports(b, 1)[0]}`, `${read(b, 0).src}:${read(b, 0).sport}`);
    assert.deepEqual([...b.u8.subarray(b.off[2]! + 12, b.off[2]! + b.len[2]!)], [...before.subarray(12)], 'the fragment: only its MACs change');
    const s = nat.stats();
    assert.equal(s.out_packets, 3);
    assert.equal(s.not_nat, 1);
    assert.equal(s.flows, 2);
  });

  test(`lb (${proto}): a frame with IP options goes to the backend (general path), a fragment passes untouched, MACs of all swapped`, async () => {
    const lb = await lbModule.createNf(null, opts);
    const b = burstOfFrames([frame(p('10.0.0.2', 5555)), withOptions(p('10.0.0.3', 6666)), fragment(p('10.0.0.4', 7777))]);
    const before = fragment(p('10.0.0.4', 7777));
    assert.equal(lb.process(b), 3);
    for (const i of [0, 1]) {
      const r = read(b, i);
      assert.equal(r.dst, '10.9.0.1', `frame ${i} to the backend`);
      assert.equal(r.ipSum, r.ipScratch, `frame ${i}: IPv4 checksum exact`);
      assert.equal(r.l4Sum, r.l4Scratch, `frame ${i}: L4 checksum exact`);
      assert.deepEqual(r.dstMac, [2, 0, 0, 0, 0, 1], `frame ${i}: MACs swapped`);
    }
    assert.deepEqual(ports(b, 1), [6666, 80]);
    assert.equal(read(b, 2).dst, '203.0.113.9');
    assert.deepEqual([...b.u8.subarray(b.off[2]! + 12, b.off[2]! + b.len[2]!)], [...before.subarray(12)], 'the fragment: only its MACs change');
    assert.deepEqual(read(b, 2).dstMac, [2, 0, 0, 0, 0, 1]);
  });
}
