// The pcap reader fuzzed (fast-check): random bytes, and valid captures mutated where readers break
// (truncated headers, huge or tiny caplen, wrong magic, byte order, link type). Every input must end in a
// valid result or a FlexbenchError with exit 2, within a time bound derived from this machine's own
// parse of a valid capture of the same size. The inputs tried are printed for the closing note.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parsePcap, encodePcap, PCAP_HEADER_LEN, RECORD_HEADER_LEN, MAX_FRAME_BYTES, type PcapFrames } from '../../../runtime/packet/pcap.js';
import { generateFrames, GenerateOptions } from '../../../runtime/packet/generate.js';
import { FlexbenchError, EXIT } from '../../../common/errors.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261205);
const RUNS = Number(process.env.FUZZ_RUNS ?? 10000);

/** A valid result is consistent with its bytes: every frame inside the buffer, an Ethernet header long, none longer than a jumbo frame. */
function checkValid(r: PcapFrames, buf: Uint8Array): void {
  assert.ok(r.count >= 1);
  assert.equal(r.offsets.length, r.count);
  let max = 0;
  for (let i = 0; i < r.count; i++) {
    assert.ok(r.lengths[i]! >= 14 && r.lengths[i]! <= MAX_FRAME_BYTES);
    assert.ok(r.offsets[i]! >= PCAP_HEADER_LEN + RECORD_HEADER_LEN && r.offsets[i]! + r.lengths[i]! <= buf.length);
    max = Math.max(max, r.lengths[i]!);
  }
  assert.equal(r.maxLength, max);
}

/** ms per byte of parsing a valid capture here, now (median of several), and a fixed cost per call. */
function baseline(): { perByteMs: number; perCallMs: number } {
  const buf = encodePcap(generateFrames(GenerateOptions.parse({ out: '/unused', flows: 20_000, seed: 9 }), 0));
  const tiny = encodePcap(generateFrames(GenerateOptions.parse({ out: '/unused', flows: 1, seed: 9 }), 0));
  const time = (b: Uint8Array) => {
    const xs: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      parsePcap(b);
      xs.push(performance.now() - t0);
    }
    return xs.sort((a, b) => a - b)[7]!;
  };
  time(buf); // warm the JIT
  return { perByteMs: time(buf) / buf.length, perCallMs: Math.max(time(tiny), 0.01) };
}

test('pcap reader fuzz: random and mutated captures end in a valid result or a clean exit-2 error, in bounded time', () => {
  const b = baseline();
  // 200x the measured cost of a valid parse of that size, and at least 50 ms: a hang or a blow-up is
  // orders beyond it, a busy machine's pause is not
  const boundMs = (n: number) => Math.max(50, 200 * (b.perCallMs + b.perByteMs * n));
  const counts = { tried: 0, valid: 0, refused: 0 };
  const base = encodePcap(generateFrames(GenerateOptions.parse({ out: '/unused', flows: 40, seed: 3 }), 0));

  const u32 = fc.oneof(fc.constantFrom(0, 1, 13, 14, 15, 60, 1514, 65535, 65536, MAX_FRAME_BYTES, MAX_FRAME_BYTES + 1, 0x7fffffff, 0x80000000, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));
  const magic = fc.constantFrom(0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a, 0, 0xffffffff, 0x12345678);
  // a mutation of the valid capture: one of the things real files get wrong
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('magic' as const), value: magic }),
    fc.record({ kind: fc.constant('linktype' as const), value: u32 }),
    fc.record({ kind: fc.constant('caplen' as const), record: fc.nat({ max: 39 }), value: u32 }),
    fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
    fc.record({ kind: fc.constant('swap-endian' as const) }),
  );
  const mutated = fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => {
    let buf = Buffer.from(base);
    for (const m of ms) {
      switch (m.kind) {
        case 'truncate': buf = buf.subarray(0, m.at % (buf.length + 1)); break;
        case 'magic': if (buf.length >= 4) buf.writeUInt32LE(m.value, 0); break;
        case 'linktype': if (buf.length >= 24) buf.writeUInt32LE(m.value, 20); break;
        case 'caplen': {
          // walk the records as written to reach record k (its incl_len at +8)
          let pos = PCAP_HEADER_LEN;
          for (let k = 0; k < m.record && pos + RECORD_HEADER_LEN <= base.length; k++) pos += RECORD_HEADER_LEN + base.readUInt32LE(pos + 8);
          if (pos + 12 <= buf.length) buf.writeUInt32LE(m.value, pos + 8);
          break;
        }
        case 'byte': if (buf.length) buf[m.at % buf.length] = m.value; break;
        case 'append': buf = Buffer.concat([buf, m.bytes]); break;
        case 'swap-endian':
          // the whole capture big-endian: header fields and every record header
          if (buf.length >= 24) {
            const be = Buffer.from(buf);
            be.writeUInt32BE(buf.readUInt32LE(0), 0); be.writeUInt16BE(buf.readUInt16LE(4), 4); be.writeUInt16BE(buf.readUInt16LE(6), 6);
            for (const o of [8, 12, 16, 20]) be.writeUInt32BE(buf.readUInt32LE(o), o);
            for (let pos = 24; pos + 16 <= buf.length;) {
              const incl = buf.readUInt32LE(pos + 8);
              for (const o of [0, 4, 8, 12]) be.writeUInt32BE(buf.readUInt32LE(pos + o), pos + o);
              pos += 16 + incl;
            }
            buf = be;
          }
          break;
      }
    }
    return new Uint8Array(buf);
  });
  // random bytes, and random bytes behind a valid file header (so the record walk is what gets fuzzed)
  const header = base.subarray(0, PCAP_HEADER_LEN);
  const random = fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.uint8Array({ maxLength: 512 }).map((r) => new Uint8Array(Buffer.concat([header, r]))));

  fc.assert(
    fc.property(fc.oneof({ arbitrary: mutated, weight: 3 }, { arbitrary: random, weight: 2 }), (buf) => {
      counts.tried++;
      const t0 = performance.now();
      let r: PcapFrames | undefined;
      try {
        r = parsePcap(buf, 'fuzz.pcap');
      } catch (e) {
        if (!(e instanceof FlexbenchError) || e.exitCode !== EXIT.usage) throw e;
        assert.match(e.message, /^fuzz\.pcap: /);
        counts.refused++;
      }
      const ms = performance.now() - t0;
      assert.ok(ms <= boundMs(buf.length), `${buf.length} bytes took ${ms.toFixed(1)} ms, bound ${boundMs(buf.length).toFixed(1)} ms`);
      if (r) {
        checkValid(r, buf);
        counts.valid++;
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
  process.stdout.write(`fuzz pcap reader: ${counts.tried} inputs tried (${counts.valid} valid, ${counts.refused} refused with exit 2), seed ${SEED}\n`);
  assert.equal(counts.valid + counts.refused, counts.tried);
  assert.ok(counts.valid > 0 && counts.refused > 0, 'both outcomes were exercised');
});

test('pcap reader: a frame longer than a jumbo frame is refused by name (it made every ring slot that long)', () => {
  const long = new Uint8Array(MAX_FRAME_BYTES + 1);
  assert.throws(() => parsePcap(encodePcap([new Uint8Array(60), long]), 'j.pcap'), (e: FlexbenchError) =>
    e.exitCode === 2 && /^j\.pcap: packet 2 at byte 100 has 16129 bytes, more than the 16128 of the largest jumbo frame/.test(e.message));
  assert.equal(parsePcap(encodePcap([new Uint8Array(MAX_FRAME_BYTES)])).maxLength, MAX_FRAME_BYTES);
});
