import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { generatePcaps } from '../../runtime/packet/generate.js';
import { flexbench, lastJson, tsharkFields, tempDir } from '../runtime/packet/helpers.js';

test('lb (2 cores): flows spread evenly over backends, each flow sticks to one, checksums valid', async () => {
  const { dir, cleanup } = tempDir('lb');
  try {
    const [input] = generatePcaps({ out: dir, flows: 3001, files: 1, seed: 31, proto: 'tcp' });
    const out = join(dir, 'out.pcap');
    const backends = ['198.19.1.1', '198.19.1.2', '198.19.1.3', '198.19.1.4', '198.19.1.5'];
    const p = await flexbench(['nf', 'run', '--nf', 'lb', '--cores', '2', '--input', input, '--packets', '9003', '--output', out, '--json', '--progress', '0', '--lb-backends', backends.join(',')]);
    assert.equal(p.code, 0, p.stderr);
    const r = lastJson(p);
    assert.equal(r.tx_packets, 9003);
    const rows = await tsharkFields(out, ['ip.src', 'tcp.srcport', 'tcp.dstport', 'ip.dst', 'ip.checksum.status', 'tcp.checksum.status']);
    assert.ok(rows.every((x) => x[4] === '1' && x[5] === '1'), 'checksums good after rewriting');
    const flowTo = new Map<string, Set<string>>();
    for (const x of rows) {
      const f = `${x[0]}:${x[1]}:${x[2]}`;
      if (!flowTo.has(f)) flowTo.set(f, new Set());
      flowTo.get(f)!.add(x[3]);
    }
    assert.equal(flowTo.size, 3001);
    const perBackend = new Map<string, number>();
    for (const [, set] of flowTo) {
      assert.equal(set.size, 1, 'a flow goes to one backend');
      const b = [...set][0];
      perBackend.set(b, (perBackend.get(b) ?? 0) + 1);
    }
    assert.deepEqual([...perBackend.keys()].sort(), backends);
    const counts = [...perBackend.values()];
    // per-core least-loaded: each core is within 1 flow across backends, so the total within `cores`
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 2, `uneven spread ${counts}`);
  } finally {
    cleanup();
  }
});
