import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { generatePcaps } from '../../runtime/packet/generate.js';
import { flexbench, lastJson, tsharkFields, tempDir } from '../runtime/packet/helpers.js';
import { parseIPv4 } from '../../runtime/packet/inet.js';

for (const proto of ['udp', 'tcp'] as const) {
  test(`nat (${proto}, 2 cores): tshark finds valid checksums, one mapping per flow, no mapping shared, all from the pool`, async () => {
    const { dir, cleanup } = tempDir(`nat-${proto}`);
    try {
      const [input] = generatePcaps({ out: dir, flows: 4000, files: 1, seed: 21, proto });
      const out = join(dir, 'out.pcap');
      // 10,000 packets over 4,000 flows: every flow is seen more than once
      const p = await flexbench(['nf', 'run', '--nf', 'nat', '--cores', '2', '--input', input, '--packets', '10000', '--output', out, '--json', '--progress', '0', '--nat-ips', '198.19.0.0/30', '--nat-ports', '2000-9999']);
      assert.equal(p.code, 0, p.stderr);
      const r = lastJson(p);
      assert.equal(r.rx_packets, 10000);
      assert.equal(r.tx_packets, 10000);
      const inRows = await tsharkFields(input, ['ip.src', `${proto}.srcport`, 'ip.dst', `${proto}.dstport`]);
      const original = new Set(inRows.map((x) => x.join(' ')));
      const rows = await tsharkFields(out, ['ip.src', `${proto}.srcport`, 'ip.dst', `${proto}.dstport`, 'ip.checksum.status', `${proto}.checksum.status`, 'eth.src', 'eth.dst']);
      assert.equal(rows.length, 10000);
      assert.ok(rows.every((x) => x[4] === '1' && x[5] === '1'), 'IPv4 and L4 checksums good after rewriting');
      assert.ok(rows.every((x) => x[6] === '02:00:00:00:00:02' && x[7] === '02:00:00:00:00:01'), 'sent back with MACs swapped');
      const lo = parseIPv4('198.19.0.0');
      assert.ok(rows.every((x) => parseIPv4(x[0]) - lo < 4 && Number(x[1]) >= 2000 && Number(x[1]) <= 9999), 'sources from the pool');
      // The destination (not rewritten) plus which original flow it is: match by destination, unique per flow here.
      const byDst = new Map<string, Set<string>>();
      for (const x of rows) {
        const dst = `${x[2]}:${x[3]}`;
        if (!byDst.has(dst)) byDst.set(dst, new Set());
        byDst.get(dst)!.add(`${x[0]}:${x[1]}`);
      }
      const flowsByDst = new Map<string, number>();
      for (const f of original) {
        const [, , d, dp] = f.split(' ');
        flowsByDst.set(`${d}:${dp}`, (flowsByDst.get(`${d}:${dp}`) ?? 0) + 1);
      }
      assert.equal(byDst.size, 4000, 'every flow went out');
      for (const [dst, maps] of byDst) assert.equal(maps.size, flowsByDst.get(dst), `flow(s) to ${dst} use ${maps.size} mappings`);
      const mappings = new Set(rows.map((x) => `${x[0]}:${x[1]}`));
      assert.equal(mappings.size, 4000, 'no two flows share a mapping');
      assert.equal(r.per_core.reduce((s: number, c: any) => s + c.nf.flows, 0), 4000);
    } finally {
      cleanup();
    }
  });
}

test('nat drops new flows once its core chunk of the pool is used up', async () => {
  const { dir, cleanup } = tempDir('nat-pool');
  try {
    const [input] = generatePcaps({ out: dir, flows: 300, files: 1, seed: 22 });
    const p = await flexbench(['nf', 'run', '--nf', 'nat', '--input', input, '--packets', '300', '--json', '--progress', '0', '--nat-ips', '198.19.0.9', '--nat-ports', '5000-5099']);
    assert.equal(p.code, 0, p.stderr);
    const r = lastJson(p);
    assert.equal(r.rx_packets, 300);
    assert.equal(r.tx_packets, 100);
    assert.equal(r.nf_dropped, 200);
    assert.equal(r.per_core[0].nf.pool_left, 0);
  } finally {
    cleanup();
  }
});
