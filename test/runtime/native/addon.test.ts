// The native addon on its own: argument checking with messages that name the problem, the AF_PACKET
// mapping geometry, buffers detached on close, and UMEM placement inside a SharedArrayBuffer.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadNative, nativeUnavailable } from '../../../runtime/packet/iface/native.js';
import { effectiveCaps } from '../../../runtime/packet/iface/preflight.js';

const root = process.getuid?.() === 0;

describe('native addon', () => {
  test('is built and loads (runtime/native/build.sh)', () => {
    assert.equal(nativeUnavailable(), null);
  });

  test('xskOpen rejects bad geometry before touching the kernel', () => {
    const a = loadNative();
    const u8 = new Uint8Array(new SharedArrayBuffer(64 * 2048 + 4096));
    assert.throws(() => a.xskOpen('lo', 0, u8, { frameSize: 1000, frameCount: 64 }), /frameSize must be 2048 or 4096/);
    assert.throws(() => a.xskOpen('lo', 0, u8, { frameSize: 2048, frameCount: 64, ringSize: 100 }), /ringSize must be a power of two/);
    assert.throws(() => a.xskOpen('lo', 0, u8, { frameSize: 2048, frameCount: 65, ringSize: 64 }), /umemView holds \d+ bytes but 65 frames of 2048 bytes need \d+ from its first page boundary/);
    assert.throws(() => a.xskOpen('lo', 0, new Uint16Array(8) as unknown as Uint8Array, {}), /umemView must be a Uint8Array/);
    assert.throws(() => a.xskOpen('an-interface-name-too-long', 0, u8, {}), /at most 15 characters/);
    assert.throws(() => a.xskOpen('lo', 0, u8, { zeroCopy: 'zerocopy', xdpMode: 'generic', frameSize: 2048, frameCount: 64, ringSize: 64 }), /zerocopy.*needs xdpMode native/);
  });

  test('packetOpen names a missing interface and bad options', () => {
    const a = loadNative();
    assert.throws(() => a.packetOpen('fbx-nosuch0', {}), /no interface named fbx-nosuch0/);
    assert.throws(() => a.packetOpen('lo', { blockSize: 1000 }), /blockSize must be a multiple of the page size/);
    assert.throws(() => a.packetOpen('lo', { txFrameSize: 100 }), /txFrameSize must divide blockSize/);
  });

  test('packetOpen maps RX blocks then TX frames; close detaches the buffer', { skip: root ? false : 'needs root (CAP_NET_RAW)' }, () => {
    const a = loadNative();
    const s = a.packetOpen('lo', { blockSize: 1 << 16, blockCount: 4, txFrameSize: 2048, txFrameCount: 64 });
    try {
      assert.equal(s.txOffset, (1 << 16) * 4);
      assert.equal(s.txDataOffset, 48, 'TPACKET_ALIGN(sizeof(struct tpacket3_hdr))');
      assert.ok(s.txFrameCount >= 64);
      assert.equal(s.txBlockSize % 4096, 0);
      assert.equal(s.buffer.byteLength, s.txOffset + s.txBlockSize * Math.ceil(s.txFrameCount / s.txFramesPerBlock));
      const st = a.packetStats(s.handle);
      assert.equal(typeof st.drops, 'number');
    } finally {
      a.packetClose(s.handle);
    }
    assert.equal(s.buffer.byteLength, 0, 'JS can no longer touch the unmapped ring');
    assert.throws(() => a.packetKick(s.handle), /already closed/);
  });

  test('raiseMemlock lifts the soft limit to the hard one (unlimited with CAP_SYS_RESOURCE), as /proc/self/limits then says', () => {
    const r = loadNative().raiseMemlock();
    const limits = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max locked memory'))!.split(/\s{2,}/);
    const [soft, hard] = [limits[1]!, limits[2]!];
    assert.equal(soft, hard, 'soft limit raised to the hard one');
    assert.equal(r.cur === -1 ? 'unlimited' : String(r.cur), soft);
    // CAP_SYS_RESOURCE (bit 24) may raise the hard limit too (this sandbox's root lacks it: 8 MiB stays)
    if ((effectiveCaps() >> 24n) & 1n) assert.equal(r.cur, -1, 'with CAP_SYS_RESOURCE it is unlimited');
  });
});
