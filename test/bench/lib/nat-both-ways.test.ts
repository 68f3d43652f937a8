// The packet bench's both-ways NAT capture: replies made from the NAT's own output find their mappings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bothWays, replyTo } from '../../../bench/lib/nat-both-ways.js';
import { generatePcaps } from '../../../runtime/packet/generate.js';
import { encodePcap, parsePcap, readPcap, type PcapFrames } from '../../../runtime/packet/pcap.js';
import { layoutRings } from '../../../runtime/packet/layout.js';
import { RingPort } from '../../../runtime/packet/replay-port.js';
import { parseIPv4 } from '../../../runtime/packet/inet.js';
import { Nat } from '../../../nfs/nat.js';
import type { NfOptions } from '../../../nfs/types.js';

const opts = { core: 0, cores: 1, natIps: { first: parseIPv4('198.19.0.0'), count: 16 }, natPorts: { lo: 1024, hi: 65535 }, lbBackends: [], natTimeoutS: 300, natOther: 'pass' } as unknown as NfOptions;

/** every frame of `p` through `nat` once, in bursts of 32; what it sent, in order */
function through(nat: Nat, p: PcapFrames): Uint8Array[] {
  const port = new RingPort(layoutRings(p, 1, 32).rings[0]!, 32);
  const out: Uint8Array[] = [];
  for (let left = p.count; left > 0; left -= port.burst.count) {
    port.rx(Math.min(32, left));
    nat.process(port.burst);
    const b = port.burst;
    for (let k = 0; k < b.count; k++) if (b.len[k]! > 0) out.push(Uint8Array.from(b.u8.subarray(b.off[k]!, b.off[k]! + b.len[k]!)));
  }
  return out;
}

test('replyTo swaps MACs, addresses and ports and nothing else (the checksums stay valid as they were)', () => {
  const f = new Uint8Array(60);
  f.set([1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16, 0x08, 0x00, 0x45], 0);
  f[23] = 17;
  f.set([198, 19, 0, 1, 9, 9, 9, 9], 26); // source: the pool address; destination: the outside host
  f.set([0x04, 0x4d, 0x01, 0xbb], 34); // 1101 -> 443
  f.set([0xab, 0xcd], 24); // the IPv4 checksum, as it was
  const r = replyTo(f);
  assert.deepEqual([...r.subarray(0, 12)], [11, 12, 13, 14, 15, 16, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...r.subarray(26, 38)], [9, 9, 9, 9, 198, 19, 0, 1, 0x01, 0xbb, 0x04, 0x4d]);
  assert.deepEqual([...r.subarray(24, 26)], [0xab, 0xcd]);
  assert.deepEqual([...r.subarray(38)], [...f.subarray(38)]);
  const icmp = Uint8Array.from(f);
  icmp[23] = 1;
  assert.throws(() => replyTo(icmp), /only for an untagged IPv4 TCP or UDP frame/);
});

test('the both-ways capture: each flow then its reply; replayed on one core, every reply finds its mapping and goes back to its inside host', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-both-'));
  try {
    const [path] = generatePcaps({ out: dir, flows: 100, files: 1, seed: 7, prefix: 'f' });
    const forward = readPcap(path!);
    const translated = parsePcap(encodePcap(through(new Nat(opts, null, 'none'), forward)));
    const frames = bothWays(forward, translated);
    assert.equal(frames.length, 200);
    const both = parsePcap(encodePcap(frames));
    const nat = new Nat(opts, null, 'none');
    const sent = through(nat, both);
    const s = nat.stats();
    assert.deepEqual([s.flows, s.out_packets, s.in_packets, s.in_no_mapping], [100, 100, 100, 0]);
    // reply i leaves to flow i's inside host and port, as the outside host's copy of flow i had them reversed
    for (let i = 0; i < 100; i++) {
      const f = forward.bytes.subarray(forward.offsets[i]!, forward.offsets[i]! + forward.lengths[i]!);
      const back = sent[2 * i + 1]!;
      assert.deepEqual([...back.subarray(30, 34)], [...f.subarray(26, 30)], `reply ${i}: to the inside address`);
      assert.deepEqual([...back.subarray(36, 38)], [...f.subarray(34, 36)], `reply ${i}: to the inside port`);
    }
    assert.throws(() => bothWays(forward, parsePcap(encodePcap(frames.slice(0, 10)))), /sent 10 of the capture's 100 packets/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
