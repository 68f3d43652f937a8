import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { encodePcap } from '../../runtime/packet/pcap.js';
import { frame } from './nat-frames.js';
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

for (const proto of ['tcp', 'udp'] as const) {
  test(`nat (${proto}) both ways on a pcap: inside flows leave from the pool, their replies come back to the inside hosts, tshark finds every checksum good`, async () => {
    const { dir, cleanup } = tempDir(`nat-both-${proto}`);
    try {
      // 200 inside flows, then one reply each to the pair it will get (1 core: pairs in order, ports first)
      const flows = Array.from({ length: 200 }, (_, j) => ({ src: `10.0.${j % 3}.${2 + (j % 50)}`, dst: `203.0.113.${1 + (j % 7)}`, sport: 30000 + j, dport: 80 + (j % 5), proto }));
      const frames = [...flows.map((f) => frame(f))];
      flows.forEach((f, j) => frames.push(frame({ src: f.dst, dst: '198.19.0.1', sport: f.dport, dport: 3000 + j, proto })));
      // a stranger's packet to a live pair, and an ARP: dropped and counted
      frames.push(frame({ src: '203.0.113.99', dst: '198.19.0.1', sport: 80, dport: 3000, proto }));
      frames.push(frame({ src: '10.0.0.2', dst: '10.0.0.1', sport: 0, dport: 0, ethType: 0x0806 }));
      const input = join(dir, 'in.pcap');
      writeFileSync(input, encodePcap(frames));
      const out = join(dir, 'out.pcap');
      const p = await flexbench(['nf', 'run', '--nf', 'nat', '--input', input, '--packets', String(frames.length), '--output', out, '--json', '--progress', '0',
        '--nat-ips', '198.19.0.1/32', '--nat-ports', '3000-3999', '--nat-inside', '10.0.0.0/16', '--nat-outside-mac', '02:00:00:00:00:bb', '--nat-other', 'drop']);
      assert.equal(p.code, 0, p.stderr);
      const r = lastJson(p);
      assert.equal(r.tx_packets, 400);
      assert.equal(r.nf_dropped, 2);
      const nf = r.per_core[0].nf;
      assert.deepEqual([nf.out_packets, nf.in_packets, nf.in_no_mapping, nf.not_nat, nf.flows], [200, 200, 1, 1, 200]);
      const rows = await tsharkFields(out, ['ip.src', `${proto}.srcport`, 'ip.dst', `${proto}.dstport`, 'ip.checksum.status', `${proto}.checksum.status`, 'eth.dst']);
      assert.equal(rows.length, 400);
      assert.ok(rows.every((x) => x[4] === '1' && x[5] === '1'), 'IPv4 and L4 checksums good after rewriting, both ways');
      flows.forEach((f, j) => {
        assert.deepEqual(rows[j]!.slice(0, 4), ['198.19.0.1', String(3000 + j), f.dst, String(f.dport)], `flow ${j} out`);
        assert.equal(rows[j]![6], '02:00:00:00:00:bb', 'to the outside next hop');
        assert.deepEqual(rows[200 + j]!.slice(0, 4), [f.dst, String(f.dport), f.src, String(f.sport)], `flow ${j} back in`);
      });
    } finally {
      cleanup();
    }
  });
}
