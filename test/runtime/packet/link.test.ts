// The link's framing: frames split across chunks and several in one chunk come out whole and in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameReader, LINK, LINK_HEADER, controlFrame, writeDataHeader } from '../../../runtime/packet/link.js';

function data(seq: number, frames: number[][]): Buffer {
  const bytes = frames.reduce((s, f) => s + f.length, 0);
  const out = Buffer.alloc(LINK_HEADER + 4 * frames.length + bytes);
  const dv = new DataView(out.buffer, out.byteOffset, out.length);
  writeDataHeader(dv, 0, seq, frames.length, 4 * frames.length + bytes);
  let at = LINK_HEADER + 4 * frames.length;
  frames.forEach((f, i) => { dv.setInt32(LINK_HEADER + 4 * i, f.length, true); out.set(f, at); at += f.length; });
  return out;
}

test('frames come out whole whatever the chunking', () => {
  const stream = Buffer.concat([data(7, [[1, 2, 3], [4]]), controlFrame(LINK.READY, { instance: 'ins1' }), data(8, [[9, 9]])]);
  for (const step of [1, 3, 16, 17, stream.length]) {
    const r = new FrameReader();
    const seen: string[] = [];
    for (let i = 0; i < stream.length; i += step) {
      r.push(stream.subarray(i, i + step));
      while (r.next()) {
        if (r.type === LINK.DATA) {
          const dv = new DataView(r.buf.buffer, r.buf.byteOffset);
          const lens = Array.from({ length: r.count }, (_, k) => dv.getInt32(r.payload + 4 * k, true));
          const body = Array.from(r.buf.subarray(r.payload + 4 * r.count, r.payload + r.payloadBytes));
          seen.push(`data ${r.seq} ${lens.join('/')} ${body.join(',')}`);
        } else seen.push(`ctl ${r.type} ${JSON.stringify(r.json())}`);
      }
    }
    assert.deepEqual(seen, ['data 7 3/1 1,2,3,4', `ctl ${LINK.READY} {"instance":"ins1"}`, 'data 8 2 9,9'], `chunks of ${step}`);
  }
});

test('a frame bigger than the buffer grows it', () => {
  const r = new FrameReader();
  const big = data(1, [Array.from({ length: 1500 }, () => 5)].concat(Array.from({ length: 1000 }, () => Array.from({ length: 1500 }, () => 6))));
  r.push(big);
  assert.ok(r.next());
  assert.equal(r.count, 1001);
});
