// The NAT in every state mode over a real redis-server (and Native, without a store): the same
// translation both ways, the store requests each mode makes, the mappings the store holds after the
// run, and a restarted instance that translates the replies back from what it recovered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { encodePcap } from '../../runtime/packet/pcap.js';
import { startRedis, type RunningRedis } from '../../runtime/stores/redis.js';
import { flexbench, lastJson, tsharkFields, tempDir } from '../runtime/packet/helpers.js';
import { frame } from './nat-frames.js';

const F = 100;
const flows = Array.from({ length: F }, (_, j) => ({ src: `10.0.1.${2 + (j % 60)}`, dst: `203.0.113.${1 + (j % 9)}`, sport: 40000 + j, dport: 53, proto: 'udp' as const }));
const replies = flows.map((f, j) => frame({ src: f.dst, dst: '198.19.0.1', sport: f.dport, dport: 3000 + j, proto: 'udp' }));
const natArgs = ['--nat-ips', '198.19.0.1/32', '--nat-ports', '3000-3999', '--nat-inside', '10.0.0.0/16', '--nat-other', 'drop', '--json', '--progress', '0'];

let redis: RunningRedis;
let dir: string;
let cleanup: () => void;
let both: string;
let back: string;
before(async () => {
  redis = await startRedis();
  ({ dir, cleanup } = tempDir('nat-modes'));
  // every flow out twice, then each reply
  both = join(dir, 'both.pcap');
  writeFileSync(both, encodePcap([...flows.map((f) => frame(f)), ...flows.map((f) => frame(f)), ...replies]));
  back = join(dir, 'back.pcap');
  writeFileSync(back, encodePcap(replies));
});
after(async () => {
  await redis?.stop();
  cleanup?.();
});

const MODES = ['none', 'async', 'cache', 'stateless-async', 'sync'] as const;
/** store reads a mode makes for this capture: one per new flow (the miss waits for it), one per packet of a known flow */
const READS: Record<string, number | undefined> = { none: undefined, async: 0, cache: F, 'stateless-async': 3 * F, sync: 3 * F };

for (const mode of MODES) {
  test(`nat, ${mode === 'none' ? 'Native (--store none)' : `${mode} over redis`}: both ways, the store requests of the mode, the mappings in the store, a restart translates replies from them`, async () => {
    const store = mode === 'none' ? ['--store', 'none'] : ['--store', redis.url, '--mode', mode, '--nf-id', 'natm', '--instance', `i-${mode}`];
    const out = join(dir, `out-${mode}.pcap`);
    const p = await flexbench(['nf', 'run', '--nf', 'nat', '--input', both, '--packets', String(3 * F), '--output', out, ...store, ...natArgs]);
    assert.equal(p.code, 0, p.stderr);
    const r = lastJson(p);
    assert.equal(r.mode, mode === 'none' ? null : mode);
    assert.equal(r.store, mode === 'none' ? null : redis.url);
    assert.equal(r.tx_packets, 3 * F);
    const nf = r.per_core[0].nf;
    assert.deepEqual([nf.out_packets, nf.in_packets, nf.flows, nf.mappings_created], [2 * F, F, F, F]);
    assert.equal(nf.store_reads, READS[mode]);
    assert.equal(nf.store_writes, mode === 'none' ? undefined : F);
    const rows = await tsharkFields(out, ['ip.src', 'udp.srcport', 'ip.dst', 'udp.dstport', 'ip.checksum.status', 'udp.checksum.status']);
    assert.ok(rows.every((x) => x[4] === '1' && x[5] === '1'), 'checksums good');
    flows.forEach((f, j) => {
      assert.deepEqual(rows[F + j]!.slice(0, 4), ['198.19.0.1', String(3000 + j), f.dst, '53']);
      assert.deepEqual(rows[2 * F + j]!.slice(0, 4), [f.dst, '53', f.src, String(f.sport)]);
    });
    if (mode === 'none') return;
    const db = new Redis(redis.url);
    try {
      const held = await db.hgetall(`natm@i-${mode}@0@Map@natMap`);
      assert.equal(Object.keys(held).length, F, 'the store holds every mapping after the run');
      assert.equal(held[`10.0.1.2:40000>203.0.113.1:53/17`], String((((198 << 24) | (19 << 16) | 1) >>> 0) * 65536 + 3000));
    } finally {
      db.disconnect();
    }
    // a new instance with the same ids recovers the mappings: the replies alone go back in
    const q = await flexbench(['nf', 'run', '--nf', 'nat', '--input', back, '--packets', String(F), ...store, ...natArgs]);
    assert.equal(q.code, 0, q.stderr);
    const s = lastJson(q).per_core[0].nf;
    assert.deepEqual([s.recovered, s.in_packets, s.in_no_mapping], [F, F, 0]);
  });
}

test('nat --store none refuses a mode; an NF that keeps its state in a store refuses --store none; LB refuses a StatelessNF mode', async () => {
  const { dir: d, cleanup: c } = tempDir('nat-modes-bad');
  try {
    const input = join(d, 'x.pcap');
    writeFileSync(input, encodePcap(replies.slice(0, 1)));
    const a = await flexbench(['nf', 'run', '--nf', 'nat', '--input', input, '--packets', '1', '--store', 'none', '--mode', 'sync']);
    assert.notEqual(a.code, 0);
    assert.match(a.stderr, /--mode sync needs a store/);
    const b = await flexbench(['nf', 'run', '--nf', 'counter-async', '--input', input, '--packets', '1', '--store', 'none']);
    assert.notEqual(b.code, 0);
    assert.match(b.stderr, /keeps its state in a store \(only nat run without one\)/);
    const l = await flexbench(['nf', 'run', '--nf', 'lb', '--input', input, '--packets', '1', '--mode', 'cache']);
    assert.notEqual(l.code, 0);
    assert.match(l.stderr, /--nf lb runs in mode sync or async \(got --mode cache\)/);
  } finally {
    c();
  }
});
