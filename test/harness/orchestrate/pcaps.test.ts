// Pcaps per frame size: one list in frame-size order, names apart across sizes, a trial's own found by (size, index).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec } from '../../../harness/spec/load.js';
import { plannedPcaps, pcapOf } from '../../../harness/orchestrate/pcaps.js';

test('frame_sizes: each size its pcaps (names carry the size), pcapOf finds a trial\'s; without the axis, names as before', async () => {
  const spec = (await parseSpec('name: p\ntraffic: { files: 2 }\nmatrix: { nfs: [nat], cores: [1], frame_sizes: [64, 1500] }\n', 'p.yaml')).spec;
  const pcaps = plannedPcaps(spec, '/cache');
  assert.deepEqual(pcaps.map((p) => [p.name, p.frame_size]), [['flows-f64-0.pcap', 64], ['flows-f64-1.pcap', 64], ['flows-f1500-0.pcap', 1500], ['flows-f1500-1.pcap', 1500]]);
  assert.notEqual(pcaps[0]!.path.split('/')[2], pcaps[2]!.path.split('/')[2], 'one cache directory per size');
  assert.equal(pcapOf(spec, pcaps, { frame_size: 1500, pcap_index: 1 }).name, 'flows-f1500-1.pcap');
  assert.equal(pcapOf(spec, pcaps, { frame_size: 64, pcap_index: 0 }).name, 'flows-f64-0.pcap');
  const plain = (await parseSpec('name: p\ntraffic: { files: 2, frame_size: 128 }\nmatrix: { nfs: [nat], cores: [1] }\n', 'p.yaml')).spec;
  assert.deepEqual(plannedPcaps(plain, '/cache').map((p) => [p.name, p.frame_size]), [['flows-0.pcap', 128], ['flows-1.pcap', 128]]);
});
