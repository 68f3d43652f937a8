// The NAT in both directions on bursts built here: exact checksums (compared with a from-scratch
// computation), mappings, filtering, expiry, pool exhaustion, the rule for what it cannot translate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIPv4 } from '../../runtime/packet/inet.js';
import { MAC_A, MAC_NF, burstOf, read, type Pkt } from './nat-frames.js';
import { Xoshiro128 } from '../../runtime/packet/prng.js';
import { Nat } from '../../nfs/nat.js';
import type { NfOptions } from '../../nfs/types.js';

function opts(over: Partial<NfOptions> = {}): NfOptions {
  return {
    core: 0, cores: 1, natIps: { first: parseIPv4('198.19.0.0'), count: 4 }, natPorts: { lo: 2000, hi: 2009 }, lbBackends: [],
    natInside: { first: parseIPv4('10.0.0.0'), count: 256 }, natTimeoutS: 300, natOther: 'drop', ...over,
  };
}

/** the NAT with a clock the test sets (ms) */
function natAt(o: NfOptions): { nat: Nat; at: (ms: number) => void } {
  const nat = new Nat(o, null);
  let t = 0;
  (nat as unknown as { clock: () => number }).clock = () => t;
  return { nat, at: (ms) => { t = ms; } };
}

for (const proto of ['tcp', 'udp', 'icmp'] as const) {
  test(`nat ${proto}: out and back in, checksums equal to a from-scratch computation, the reply finds its inside host`, () => {
    const { nat } = natAt(opts());
    const out = burstOf([{ src: '10.0.0.2', dst: '203.0.113.9', sport: 5555, dport: 80, proto }]);
    assert.equal(nat.process(out), 1);
    const o = read(out, 0);
    assert.equal(o.src, '198.19.0.0');
    assert.equal(o.sport, 2000);
    assert.equal(o.dst, '203.0.113.9');
    assert.equal(o.dport, 80);
    assert.equal(o.ipSum, o.ipScratch);
    assert.equal(o.l4Sum, o.l4Scratch);
    // the reply: to the pool pair (ICMP echo reply: to the pool address, the pool identifier, the sequence kept)
    const icmp = proto === 'icmp';
    const back = burstOf([icmp ? { src: '203.0.113.9', dst: '198.19.0.0', sport: 2000, dport: 80, proto, icmpType: 0 } : { src: '203.0.113.9', dst: '198.19.0.0', sport: 80, dport: 2000, proto }]);
    assert.equal(nat.process(back), 1);
    const r = read(back, 0);
    if (icmp) assert.deepEqual([r.src, r.dst, r.sport, r.dport], ['203.0.113.9', '10.0.0.2', 5555, 80]);
    else assert.deepEqual([r.src, r.sport, r.dst, r.dport], ['203.0.113.9', 80, '10.0.0.2', 5555]);
    assert.equal(r.ipSum, r.ipScratch);
    assert.equal(r.l4Sum, r.l4Scratch);
    const s = nat.stats();
    assert.equal(s.out_packets, 1);
    assert.equal(s.in_packets, 1);
    assert.equal(s.flows, 1);
  });
}

test('nat: checksums stay exact over many random flows, both ways (seeded), UDP checksum 0 stays 0', () => {
  const rng = new Xoshiro128(7);
  const { nat } = natAt(opts({ natIps: { first: parseIPv4('100.64.0.0'), count: 1024 }, natPorts: { lo: 1024, hi: 65535 }, natInside: { first: parseIPv4('10.0.0.0'), count: 1 << 16 } }));
  const ip = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  for (let round = 0; round < 200; round++) {
    const pkts: Pkt[] = [];
    for (let i = 0; i < 32; i++) {
      pkts.push({
        src: ip((parseIPv4('10.0.0.0') + (rng.nextU32() & 0xffff)) >>> 0), dst: ip((parseIPv4('11.0.0.0') + (rng.nextU32() & 0xffffff)) >>> 0),
        sport: rng.intIn(1, 65535), dport: rng.intIn(1, 65535), proto: i % 2 ? 'tcp' : 'udp', udpZero: i % 4 === 0, payload: rng.intIn(0, 40),
      });
    }
    const b = burstOf(pkts);
    assert.equal(nat.process(b), 32);
    const replies: Pkt[] = [];
    for (let i = 0; i < 32; i++) {
      const r = read(b, i);
      assert.equal(r.ipSum, r.ipScratch, `round ${round} packet ${i}: IPv4 checksum`);
      if (pkts[i]!.udpZero && pkts[i]!.proto === 'udp') assert.equal(r.l4Sum, 0, 'UDP without a checksum stays without');
      else assert.equal(r.l4Sum, r.l4Scratch, `round ${round} packet ${i}: ${pkts[i]!.proto} checksum`);
      replies.push({ src: r.dst, dst: r.src, sport: r.dport, dport: r.sport, proto: pkts[i]!.proto, udpZero: pkts[i]!.udpZero, payload: 3 });
    }
    const back = burstOf(replies);
    assert.equal(nat.process(back), 32);
    for (let i = 0; i < 32; i++) {
      const r = read(back, i);
      assert.deepEqual([r.dst, r.dport], [pkts[i]!.src, pkts[i]!.sport]);
      assert.equal(r.ipSum, r.ipScratch);
      if (pkts[i]!.udpZero && pkts[i]!.proto === 'udp') assert.equal(r.l4Sum, 0);
      else assert.equal(r.l4Sum, r.l4Scratch);
    }
  }
  assert.equal(nat.stats().flows, 200 * 32);
});

test('nat: a packet to a pool pair from another outside host or port, or to a pair never handed out, is dropped and counted', () => {
  const { nat } = natAt(opts());
  nat.process(burstOf([{ src: '10.0.0.2', dst: '203.0.113.9', sport: 5555, dport: 53 }]));
  const b = burstOf([
    { src: '203.0.113.10', dst: '198.19.0.0', sport: 53, dport: 2000 },
    { src: '203.0.113.9', dst: '198.19.0.0', sport: 54, dport: 2000 },
    { src: '203.0.113.9', dst: '198.19.0.0', sport: 53, dport: 2001 },
    { src: '203.0.113.9', dst: '198.19.0.0', sport: 53, dport: 2000 },
  ]);
  assert.equal(nat.process(b), 1);
  assert.deepEqual([...b.len.subarray(0, 4)].map((x) => x > 0), [false, false, false, true]);
  assert.equal(nat.stats().in_no_mapping, 3);
});

test('nat: one mapping per 5-tuple, packets of a flow keep it; the MACs go where they are told', () => {
  const { nat } = natAt(opts({ natOutsideMac: [2, 0, 0, 0, 0, 0xbb], natInsideMac: null }));
  const b = burstOf([
    { src: '10.0.0.2', dst: '203.0.113.9', sport: 1, dport: 2 },
    { src: '10.0.0.2', dst: '203.0.113.9', sport: 1, dport: 3 },
    { src: '10.0.0.2', dst: '203.0.113.9', sport: 1, dport: 2 },
  ]);
  nat.process(b);
  assert.deepEqual([0, 1, 2].map((i) => read(b, i).sport), [2000, 2001, 2000]);
  assert.deepEqual(read(b, 0).dstMac, [2, 0, 0, 0, 0, 0xbb]);
  assert.deepEqual(read(b, 0).srcMac, MAC_NF, 'leaves from the address it was sent to');
  const back = burstOf([{ src: '203.0.113.9', dst: '198.19.0.0', sport: 2, dport: 2000 }]);
  nat.process(back);
  assert.deepEqual(read(back, 0).dstMac, MAC_A, 'no inside MAC given: back to the sender');
});

test('nat: a mapping lives while used, expires after the idle timeout, and its pair returns to the pool', () => {
  const { nat, at } = natAt(opts({ natTimeoutS: 10 }));
  const flow = { src: '10.0.0.2', dst: '203.0.113.9', sport: 7, dport: 9 };
  const left0 = nat.pool.left;
  for (let t = 0; t <= 60_000; t += 5000) {
    at(t);
    const b = burstOf([flow]);
    nat.process(b);
    assert.equal(read(b, 0).sport, 2000, `still the same mapping at ${t} ms`);
  }
  assert.equal(nat.stats().mappings_expired, 0);
  assert.equal(nat.pool.left, left0 - 1);
  at(60_000 + 10_001);
  nat.process(burstOf([{ src: '10.0.0.3', dst: '203.0.113.9', sport: 7, dport: 9 }])); // a burst: the sweep runs
  const s = nat.stats();
  assert.equal(s.mappings_expired, 1);
  assert.equal(s.flows, 1);
  // the expired flow's reply finds nothing; the flow itself gets a new mapping when it comes back
  const back = burstOf([{ src: '203.0.113.9', dst: '198.19.0.0', sport: 9, dport: 2000 }]);
  assert.equal(nat.process(back), 0);
  assert.equal(nat.stats().in_no_mapping, 1);
});

test('nat: the pool exhausted drops new flows, counts them, says so, and leaves live mappings as they were', () => {
  const { nat, at } = natAt(opts({ natIps: { first: parseIPv4('198.19.0.9'), count: 1 }, natPorts: { lo: 5000, hi: 5001 }, natTimeoutS: 1 }));
  const flows = [0, 1, 2, 3].map((k) => ({ src: '10.0.0.2', dst: '203.0.113.9', sport: 100 + k, dport: 80 }));
  const b = burstOf(flows);
  assert.equal(nat.process(b), 2);
  assert.deepEqual([...b.len.subarray(0, 4)].map((x) => x > 0), [true, true, false, false]);
  let s = nat.stats();
  assert.equal(s.pool_drops, 2);
  assert.equal(s.pool_left, 0);
  assert.match(nat.messages()[0]!, /NAT pool exhausted on this core: 2 packet\(s\) of new flows dropped .*2 pairs.*existing mappings were kept/);
  // the two live mappings still translate both ways
  const again = burstOf([flows[1]!, flows[0]!, { src: '203.0.113.9', dst: '198.19.0.9', sport: 80, dport: 5001 }]);
  assert.equal(nat.process(again), 3);
  assert.deepEqual([read(again, 0).sport, read(again, 1).sport, read(again, 2).dport, read(again, 2).dst], [5001, 5000, 101, '10.0.0.2']);
  // once they went idle, new flows get their pairs
  at(1001);
  const later = burstOf([flows[2]!, flows[3]!]);
  assert.equal(nat.process(later), 2);
  s = nat.stats();
  assert.equal(s.mappings_expired, 2);
  assert.equal(s.pool_drops, 2);
});

test('nat: what it cannot translate (ARP, ICMP other than echo, outside -> outside) is dropped with --nat-other drop, passed by default, counted either way', () => {
  const pkts: Pkt[] = [
    { src: '10.0.0.2', dst: '203.0.113.9', sport: 1, dport: 2, ethType: 0x0806 },
    { src: '203.0.113.1', dst: '203.0.113.9', sport: 1, dport: 2 },
    { src: '10.0.0.2', dst: '203.0.113.9', sport: 1, dport: 2 },
  ];
  const { nat } = natAt(opts());
  const b = burstOf(pkts);
  const icmp = b.off[0]! + 14 + 9;
  assert.equal(nat.process(b), 1);
  assert.deepEqual([nat.stats().not_nat, nat.stats().not_inside], [1, 1]);
  const { nat: pass } = natAt(opts({ natOther: undefined }));
  const c = burstOf(pkts);
  c.u8[icmp] = 1; // frame 0 as ICMP over IPv4 (EtherType IPv4 again)
  c.u8[c.off[0]! + 12] = 8;
  c.u8[c.off[0]! + 13] = 0;
  assert.equal(pass.process(c), 3);
  assert.equal(read(c, 1).src, '203.0.113.1', 'passed untouched');
  assert.deepEqual([pass.stats().not_nat, pass.stats().not_inside], [1, 1]);
});
