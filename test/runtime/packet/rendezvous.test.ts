// The rule that splits flows over live instances: a flow moves only when its own instance leaves or a
// new one outscores it, and the split is even enough to be the load balancer the docs say it stands for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flowHash, idHash, owner, score } from '../../../runtime/packet/rendezvous.js';

const ids = ['ins1', 'ins2', 'ins3'].map(idHash);
const flows = Array.from({ length: 20000 }, (_, i) => Math.imul(i + 1, 0x9e3779b1) >>> 0);

test('pinned values: FNV-1a of an id and the murmur3 finaliser', () => {
  assert.equal(idHash(''), 0x811c9dc5);
  assert.equal(idHash('a'), 0xe40c292c);
  assert.equal(score(0, 0), 0);
  assert.equal(score(1, 0), 0x514e28b7);
});

test('removing an instance moves only its flows, and adding one takes only from the others about 1/N', () => {
  const two = flows.map((f) => owner(f, ids, [true, true, false]));
  const three = flows.map((f) => owner(f, ids, [true, true, true]));
  const moved = three.filter((o, i) => o !== two[i]);
  assert.ok(moved.every((o) => o === 2), 'an added instance only takes flows');
  assert.ok(Math.abs(moved.length / flows.length - 1 / 3) < 0.02, `moved ${moved.length} of ${flows.length}`);
  const one = flows.map((f) => owner(f, ids, [true, false, false]));
  two.forEach((o, i) => { if (o === 0) assert.equal(one[i], 0); });
  assert.ok(Math.abs(two.filter((o) => o === 0).length / flows.length - 0.5) < 0.02);
  assert.equal(owner(flows[0], ids, [false, false, false]), -1);
});

test('the flow hash reads the 5-tuple of an IPv4 frame and nothing else', () => {
  const f = new Uint8Array(64);
  f[12] = 0x08; f[13] = 0x00; f[14] = 0x45; f[23] = 17;
  f.set([10, 0, 0, 1, 10, 0, 0, 2], 26);
  f.set([0x30, 0x39, 0x00, 0x35], 34);
  const h = flowHash(f, 0, 64);
  const g = f.slice();
  g[0] = 0xff; // a MAC
  g[50] = 0xff; // payload
  assert.equal(flowHash(g, 0, 64), h);
  const p = f.slice();
  p[35] = 0x3a; // source port
  assert.notEqual(flowHash(p, 0, 64), h);
});
