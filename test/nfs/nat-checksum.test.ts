// The NAT's incremental checksums (RFC 1624 eq. 3) over their edge values, by property (fast-check): a
// segment whose checksum computes to 0x0000 written as 0x0000 or as Linux's 0xFFFF (skb_checksum_help's
// CSUM_MANGLED_0, what an end host with tx offload off sends for about one pure ACK in 65,536), a
// translated segment whose checksum computes to 0x0000 (TCP must write 0x0000, never 0xFFFF, which tshark
// calls bad; UDP must write 0xFFFF, since 0 means none), UDP's "no checksum" kept, IPv4 headers that
// compute to zero, pool addresses and ports at 0 and 0xFFFF. Every output must equal a from-scratch
// computation, both ways. The endpoints NAT test (test/harness/netns) leans on this: what the NAT sends
// gets tshark's strict verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createBurst } from '../../runtime/packet/burst.js';
import { onesSum } from '../../runtime/packet/inet.js';
import { csumAdjust, fold16, wordDelta } from '../../nfs/packet.js';
import { Nat } from '../../nfs/nat.js';
import type { NfOptions } from '../../nfs/types.js';
import { put, type Pkt } from './nat-frames.js';

const fold = (s: number): number => {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
};
/** a - b in one's complement (16 bits) */
const sub = (a: number, b: number): number => fold(a + (~b & 0xffff));
const word = (u8: Uint8Array, at: number): number => (u8[at]! << 8) | u8[at + 1]!;
const setWord = (u8: Uint8Array, at: number, v: number): void => {
  u8[at] = v >> 8;
  u8[at + 1] = v & 255;
};

const IP = 14;
const L4 = IP + 20;
const proto = (f: Uint8Array): number => f[IP + 9]!;
const l4SumAt = (f: Uint8Array): number => L4 + (proto(f) === 6 ? 16 : proto(f) === 17 ? 6 : 2);
/** where a payload word starts (even offset from the L4 header: the sums stay word-aligned) */
const payloadAt = (f: Uint8Array): number => L4 + (proto(f) === 6 ? 20 : 8);

/** One's-complement sum of what the L4 checksum covers, its own field left out (1..0xFFFF: the data is never all zero). */
function l4Rest(f: Uint8Array): number {
  const len = word(f, IP + 2) - 20;
  let s = proto(f) === 1 ? 0 : onesSum(f, IP + 12, 8) + proto(f) + len;
  s = onesSum(f, L4, len, s) - word(f, l4SumAt(f));
  return fold(s);
}
const ipRest = (f: Uint8Array): number => fold(onesSum(f, IP, 20) - word(f, IP + 10));

/** How a test packet's checksums are shaped before the NAT sees it. */
type Form = 'any' | 'in-zero' | 'in-zero-linux' | 'out-zero' | 'udp-none';

/**
 * Writes the L4 checksum field from scratch: a zero result as 0x0000, as 0xFFFF for UDP (0 is none) and for
 * TCP in-zero-linux (what Linux sends; its ICMP checksums are never so: a translation that is a one's-complement
 * no-op, identifier 0xFFFF -> 0, would rightly keep such a field as it came).
 */
function writeL4(f: Uint8Array, form: Form): void {
  if (form === 'udp-none' && proto(f) === 17) return setWord(f, l4SumAt(f), 0);
  const c = ~l4Rest(f) & 0xffff;
  setWord(f, l4SumAt(f), c === 0 && (proto(f) === 17 || (form === 'in-zero-linux' && proto(f) === 6)) ? 0xffff : c);
}

/** Shifts the first payload word (L4) or the IPv4 identification (header) so that a sum moves by k. */
function shift(f: Uint8Array, at: number, k: number): void {
  setWord(f, at, fold(word(f, at) + k));
}

function nfOptions(pool: { first: number; count: number; lo: number; n: number }): NfOptions {
  return {
    core: 0, cores: 1, natIps: { first: pool.first, count: pool.count }, natPorts: { lo: pool.lo, hi: pool.lo + pool.n - 1 }, lbBackends: [],
    natInside: { first: 0x0a000000, count: 1 << 16 }, natTimeoutS: 300, natOther: 'drop',
  };
}

/** The frame through the NAT (one packet burst); fails when it was dropped. */
function through(nat: Nat, f: Uint8Array): Uint8Array {
  const b = createBurst(1514, 1);
  b.u8.set(f, b.off[0]!);
  b.len[0] = f.length;
  b.count = 1;
  assert.equal(nat.process(b), 1, 'the NAT forwarded it');
  return b.u8.slice(b.off[0]!, b.off[0]! + b.len[0]!);
}

function frameOf(p: Pkt, payload: Uint8Array): Uint8Array {
  const b = createBurst(1514, 1);
  put(b, 0, { ...p, payload: payload.length });
  const f = b.u8.slice(b.off[0]!, b.off[0]! + b.len[0]!);
  const at = payloadAt(f);
  f.set(payload, at);
  f[IP + 10] = f[IP + 11] = 0;
  setWord(f, IP + 10, ~ipRest(f) & 0xffff);
  return f;
}

/**
 * Shapes frame f's checksums by `form` (and its IPv4 header to compute to zero after the NAT when
 * `ipOutZero`), sends it through the NAT made by `nat()`, and checks the output against a from-scratch
 * computation. `probe` is a NAT in the same state that may translate a copy first (out-zero needs to
 * know where the translation takes the sums).
 */
function check(f: Uint8Array, form: Form, ipOutZero: boolean, probe: () => Nat, nat: Nat): Uint8Array {
  const udp = proto(f) === 17;
  if (form === 'in-zero' || form === 'in-zero-linux') shift(f, payloadAt(f), sub(0xffff, l4Rest(f)));
  writeL4(f, form);
  if (form === 'out-zero' || ipOutZero) {
    const seen = through(probe(), f.slice());
    if (form === 'out-zero') shift(f, payloadAt(f), sub(0xffff, l4Rest(seen)));
    if (ipOutZero) shift(f, IP + 4, sub(0xffff, ipRest(seen)));
    writeL4(f, form);
    setWord(f, IP + 10, ~ipRest(f) & 0xffff);
  }
  const inField = word(f, l4SumAt(f));
  const out = through(nat, f);
  const rest = l4Rest(out);
  const field = word(out, l4SumAt(out));
  assert.equal(word(out, IP + 10), ~ipRest(out) & 0xffff, 'IPv4 header checksum as computed from scratch');
  if (ipOutZero) assert.equal(word(out, IP + 10), 0, 'the case asked for: an IPv4 header that computes to zero');
  if (udp && inField === 0) {
    assert.equal(field, 0, 'a UDP checksum of 0 (none) stays 0');
    return out;
  }
  const scratch = ~rest & 0xffff;
  // TCP and ICMP: exactly the computed value (0x0000, never 0xFFFF); UDP: 0 is sent as 0xFFFF
  assert.equal(field, udp && scratch === 0 ? 0xffff : scratch, `${udp ? 'UDP' : proto(out) === 6 ? 'TCP' : 'ICMP'} checksum as computed from scratch (in ${inField.toString(16)})`);
  if (form === 'out-zero') assert.equal(rest, 0xffff, 'the case asked for: a translated checksum that computes to zero');
  return out;
}

const edge16 = fc.oneof(fc.constantFrom(0, 1, 0x00ff, 0x0100, 0x7fff, 0x8000, 0xff00, 0xfffe, 0xffff), fc.integer({ min: 0, max: 0xffff }));
const forms = fc.constantFrom<Form>('any', 'in-zero', 'in-zero-linux', 'out-zero', 'udp-none');

test('nat checksums: edge values both ways (0x0000, Linux 0xFFFF, results that compute to zero, UDP none) equal a from-scratch computation', () => {
  fc.assert(
    fc.property(
      fc.record({
        proto: fc.constantFrom<'tcp' | 'udp' | 'icmp'>('tcp', 'udp', 'icmp'),
        inside: fc.integer({ min: 1, max: 0xfffe }),
        outside: fc.oneof(fc.constantFrom(0xac100000, 0xac1fffff), fc.integer({ min: 0xac100000, max: 0xac1fffff })),
        sport: edge16,
        dport: edge16,
        // all-zero data too: an echo reply with identifier, sequence and data 0 is all zero, its checksum 0xFFFF
        payload: fc.oneof(fc.uint8Array({ minLength: 2, maxLength: 48 }), fc.integer({ min: 1, max: 24 }).map((n) => new Uint8Array(2 * n))),
        // pools at the ends of the address and port spaces: their words are the deltas' edge cases
        poolIp: fc.constantFrom(0x00000000, 0x64400000, 0xc6120000, 0xfffffff0),
        poolCount: fc.constantFrom(1, 4, 16),
        poolLo: fc.oneof(fc.constantFrom(0, 1, 0xff00, 0xffc0), fc.integer({ min: 0, max: 0xffc0 })),
        poolN: fc.constantFrom(1, 2, 64),
        outForm: forms,
        backForm: forms,
        ipOut: fc.boolean(),
        ipBack: fc.boolean(),
      }),
      (c) => {
        const pool = { first: c.poolIp, count: c.poolCount, lo: Math.min(c.poolLo, 0x10000 - c.poolN), n: c.poolN };
        const ipStr = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
        const src = ipStr(0x0a000000 + c.inside);
        const dst = ipStr(c.outside);
        const fresh = () => new Nat(nfOptions(pool), null);
        const nat = fresh();
        // out: the probe is a fresh NAT too, so it hands the flow the same pool pair
        const out = check(frameOf({ src, dst, sport: c.sport, dport: c.dport, proto: c.proto }, c.payload), c.outForm, c.ipOut, fresh, nat);
        const poolAddr = ipStr((out[IP + 12]! << 24 | out[IP + 13]! << 16 | out[IP + 14]! << 8 | out[IP + 15]!) >>> 0);
        const icmp = c.proto === 'icmp';
        const poolPort = word(out, icmp ? L4 + 4 : L4);
        // back: a reply to the pool pair, translated to the inside host (the same NAT serves as its own probe)
        const reply: Pkt = icmp ? { src: dst, dst: poolAddr, sport: poolPort, dport: c.dport, proto: 'icmp', icmpType: 0 } : { src: dst, dst: poolAddr, sport: c.dport, dport: poolPort, proto: c.proto };
        const back = check(frameOf(reply, c.payload), c.backForm, c.ipBack, () => nat, nat);
        assert.equal(ipStr((back[IP + 16]! << 24 | back[IP + 17]! << 16 | back[IP + 18]! << 8 | back[IP + 19]!) >>> 0), src, 'the reply reaches the inside host');
      },
    ),
    {
      numRuns: 3000,
      seed: 20261205,
      examples: [[{ proto: 'icmp', inside: 1, outside: 0xac100000, sport: 0, dport: 0, payload: new Uint8Array(2), poolIp: 0x64400000, poolCount: 1, poolLo: 1024, poolN: 1, outForm: 'any', backForm: 'any', ipOut: false, ipBack: false }]],
    },
  );
});

test('csumAdjust: a checksum of 0x0000 and its Linux form 0xFFFF give the exact result for every delta, and never 0xFFFF', () => {
  // rest 0xFFFF: the field computes to zero; every word change m -> m' (folded delta 1..0xFFFF)
  for (const hc of [0x0000, 0xffff]) {
    for (let d = 1; d <= 0xffff; d++) {
      const want = ~fold(0xffff + d) & 0xffff;
      const got = csumAdjust(hc, d);
      if (got !== want) assert.fail(`csumAdjust(${hc.toString(16)}, ${d.toString(16)}) = ${got.toString(16)}, want ${want.toString(16)}`);
    }
  }
});

test('csumAdjust over random sums and word changes equals the from-scratch checksum (fast-check)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 0xffff }), edge16, edge16, edge16, edge16, fc.boolean(), (rest, m1, n1, m2, n2, linux) => {
      // a field for data summing to `rest` (0 written as Linux's 0xFFFF when asked), two 16-bit words changed
      const c = ~rest & 0xffff;
      const hc = c === 0 && linux ? 0xffff : c;
      const d = fold16(wordDelta(m1, n1) + wordDelta(m2, n2));
      const after = fold(rest + (~m1 & 0xffff) + n1 + (~m2 & 0xffff) + n2);
      assert.equal(csumAdjust(hc, d), ~after & 0xffff);
    }),
    { numRuns: 20000, seed: 1624 },
  );
});
