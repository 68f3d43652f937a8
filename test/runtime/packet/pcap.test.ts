import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePcaps } from '../../../runtime/packet/generate.js';
import { readPcap, parsePcap, encodePcap } from '../../../runtime/packet/pcap.js';
import { tsharkFields, tempDir, flexbench } from './helpers.js';
import { flowFrames } from './iface/frames.js';

test('generated pcaps: tshark reads them, exact distinct flows, valid checksums, 60-byte frames; same seed = same bytes, files differ', async () => {
  const { dir, cleanup } = tempDir('gen');
  try {
    const a = generatePcaps({ out: join(dir, 'a'), flows: 3000, files: 3, seed: 42 });
    const b = generatePcaps({ out: join(dir, 'b'), flows: 3000, files: 3, seed: 42 });
    const c = generatePcaps({ out: join(dir, 'c'), flows: 3000, files: 1, seed: 43 });
    for (let i = 0; i < 3; i++) assert.ok(readFileSync(a[i]).equals(readFileSync(b[i])), `file ${i} differs across runs of the same seed`);
    assert.ok(!readFileSync(a[0]).equals(readFileSync(a[1])), 'files 0 and 1 are identical');
    assert.ok(!readFileSync(a[0]).equals(readFileSync(c[0])), 'another seed gave the same file');
    for (const file of a) {
      const rows = await tsharkFields(file, ['frame.len', 'ip.checksum.status', 'udp.checksum.status', 'ip.src', 'ip.dst', 'udp.srcport', 'udp.dstport', 'eth.src', 'eth.dst']);
      assert.equal(rows.length, 3000);
      assert.ok(rows.every((r) => r[0] === '60'), 'every frame is 60 bytes in the file (64 on the wire)');
      assert.ok(rows.every((r) => r[1] === '1' && r[2] === '1'), 'IPv4 and UDP checksums all good');
      assert.equal(new Set(rows.map((r) => r.slice(3, 7).join(' '))).size, 3000, 'every packet is its own 5-tuple');
      assert.ok(rows.every((r) => r[7] === '02:00:00:00:00:01' && r[8] === '02:00:00:00:00:02'), 'node1 -> node2 MACs');
    }
  } finally {
    cleanup();
  }
});

test('TCP and larger frames: checksums valid in tshark, sizes as asked', async () => {
  const { dir, cleanup } = tempDir('gen-tcp');
  try {
    const [f] = generatePcaps({ out: dir, flows: 500, files: 1, seed: 5, proto: 'tcp', frameSize: 128 });
    const rows = await tsharkFields(f, ['frame.len', 'ip.checksum.status', 'tcp.checksum.status', 'ip.proto']);
    assert.equal(rows.length, 500);
    assert.ok(rows.every((r) => r[0] === '124' && r[1] === '1' && r[2] === '1' && r[3] === '6'));
  } finally {
    cleanup();
  }
});

test('reader: round trip, and clear errors for truncated, non-Ethernet and pcapng captures', () => {
  const frames = [Uint8Array.from({ length: 60 }, (_, i) => i), Uint8Array.from({ length: 70 }, (_, i) => 255 - i)];
  const buf = encodePcap(frames);
  const r = parsePcap(buf, 'x.pcap');
  assert.equal(r.count, 2);
  assert.equal(r.maxLength, 70);
  assert.deepEqual([...r.bytes.subarray(r.offsets[1], r.offsets[1] + r.lengths[1])], [...frames[1]]);
  assert.throws(() => parsePcap(buf.subarray(0, 10), 'x.pcap'), /x\.pcap: truncated pcap: 10 bytes/);
  assert.throws(() => parsePcap(buf.subarray(0, buf.length - 5), 'x.pcap'), /truncated pcap: packet 2 .* claims 70 bytes, only 65 remain/);
  assert.throws(() => parsePcap(buf.subarray(0, 24 + 16 + 60 + 7), 'x.pcap'), /record header of packet 2 .* cut short/);
  const raw = Buffer.from(buf);
  raw.writeUInt32LE(101, 20); // LINKTYPE_RAW
  assert.throws(() => parsePcap(raw, 'x.pcap'), /link type 101 is not Ethernet/);
  const ng = Buffer.from(buf);
  ng.writeUInt32LE(0x0a0d0d0a, 0);
  assert.throws(() => parsePcap(ng, 'x.pcap'), /pcapng/);
  assert.throws(() => parsePcap(buf.subarray(0, 24), 'x.pcap'), /holds no packets/);
  assert.throws(() => readPcap('/nonexistent/x.pcap'), /cannot read pcap \/nonexistent\/x\.pcap/);
  // big-endian files (written by other tools) are read too
  const be = Buffer.alloc(24 + 16 + 60);
  be.writeUInt32BE(0xa1b2c3d4, 0);
  be.writeUInt16BE(2, 4);
  be.writeUInt16BE(4, 6);
  be.writeUInt32BE(65535, 16);
  be.writeUInt32BE(1, 20);
  be.writeUInt32BE(60, 24 + 8);
  be.writeUInt32BE(60, 24 + 12);
  assert.equal(parsePcap(be).count, 1);
});

test('`flexbench pcap generate` writes the files and rejects bad flags with exit 2', async () => {
  const { dir, cleanup } = tempDir('gen-cli');
  try {
    const ok = await flexbench(['pcap', 'generate', '--out', dir, '--flows', '100', '--files', '2', '--seed', '9']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim().split('\n').length, 2);
    const info = await flexbench(['pcap', 'info', join(dir, 'flows-0.pcap'), '--cores', '2', '--json']);
    const j = JSON.parse(info.stdout);
    assert.equal(j.packets, 100);
    assert.equal(j.flows, 100);
    assert.equal(j.rss_per_core[0] + j.rss_per_core[1], 100);
    const bad = await flexbench(['pcap', 'generate', '--out', dir, '--frame-size', '32']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--frame-size/);
    // several packets per flow whose IP id and checksum differ: still one flow each, as tshark counts them
    const many = join(dir, 'many.pcap');
    writeFileSync(many, encodePcap(flowFrames({ flows: 13, perFlow: 8, srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02' })));
    const mi = JSON.parse((await flexbench(['pcap', 'info', many, '--json'])).stdout);
    assert.equal(mi.packets, 104);
    const tuples = new Set((await tsharkFields(many, ['ip.src', 'ip.dst', 'udp.srcport', 'udp.dstport'])).map((r) => r.join(' ')));
    assert.equal(tuples.size, 13);
    assert.equal(mi.flows, tuples.size);
    writeFileSync(join(dir, 'bad.pcap'), Buffer.alloc(12));
    const badInfo = await flexbench(['pcap', 'info', join(dir, 'bad.pcap')]);
    assert.equal(badInfo.code, 2);
    assert.match(badInfo.stderr, /truncated pcap/);
  } finally {
    cleanup();
  }
});
