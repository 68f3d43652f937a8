// Section VI-A's starvation on a real `nf run` (2 cores, real worker threads): every new flow of a
// capture hashes to core 0, whose chunk of the pool is too small, while core 1 has spare pairs.
// Without rebalancing (--nat-block 0, the paper's partitioning) core 0 drops; with blocks it borrows
// one of core 1's and drops nothing, and no pair is handed to two flows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { encodePcap } from '../../runtime/packet/pcap.js';
import { Toeplitz, defaultReta, frameRssHash, queueOf } from '../../runtime/packet/toeplitz.js';
import { frame, type Pkt } from './nat-frames.js';
import { flexbench, lastJson, tsharkFields, tempDir } from '../runtime/packet/helpers.js';
import { startRedis, type RunningRedis } from '../../runtime/stores/redis.js';

let redis: RunningRedis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

/** `n` UDP flows whose packets RSS sends to `core` of 2 (the queue the engine's layout will give them) */
function flowsOnCore(core: number, n: number, from: number): Pkt[] {
  const rss = new Toeplitz();
  const reta = defaultReta(2);
  const out: Pkt[] = [];
  for (let j = from; out.length < n; j++) {
    const p: Pkt = { src: `10.${(j >> 16) & 255}.${(j >> 8) & 255}.${j & 255}`, dst: '203.0.113.7', sport: 20000 + (j % 40000), dport: 53, proto: 'udp' };
    const f = frame(p);
    if (queueOf(reta, frameRssHash(rss, f, 0, f.length)) === core) out.push(p);
  }
  return out;
}

test('nat pool on 2 cores: new flows all on core 0 exhaust its chunk; with --nat-block 0 it drops them, with blocks it borrows core 1\'s and drops none', async () => {
  const { dir, cleanup } = tempDir('nat-pool-run');
  try {
    // pool 1024 pairs: 512 per core, blocks of 256. Core 0: 700 new flows (one packet each);
    // core 1: 100 flows, 7 packets each (its ring as long as core 0's: --packets 1400 replays each once)
    const hot = flowsOnCore(0, 700, 0);
    const cold = flowsOnCore(1, 100, 100_000);
    const frames = [...hot.map((p) => frame(p))];
    for (let r = 0; r < 7; r++) for (const p of cold) frames.push(frame(p));
    const input = join(dir, 'skew.pcap');
    writeFileSync(input, encodePcap(frames));
    const run = async (block: number, out: string) => {
      const p = await flexbench(['nf', 'run', '--nf', 'nat', '--cores', '2', '--input', input, '--packets', '1400', '--output', out, '--json', '--progress', '0',
        '--nat-ips', '198.19.0.1/32', '--nat-ports', '3000-4023', '--nat-block', String(block)]);
      assert.equal(p.code, 0, p.stderr);
      return lastJson(p);
    };

    // the paper's static per-core chunks: core 0 starves while core 1 holds 412 spare pairs
    const fixed = await run(0, join(dir, 'fixed.pcap'));
    const [f0, f1] = [fixed.per_core[0].nf, fixed.per_core[1].nf];
    assert.deepEqual([fixed.per_core[0].rx_packets, fixed.per_core[1].rx_packets], [700, 700]);
    assert.deepEqual([f0.flows, f0.pool_drops, f0.pool_left], [512, 188, 0]);
    assert.deepEqual([f1.flows, f1.pool_drops, f1.pool_left], [100, 0, 412]);
    assert.equal(fixed.tx_packets, 1400 - 188);
    assert.equal(f0.pool_blocks_borrowed, undefined, 'no rebalancing: no block figures');
    assert.ok(fixed.warnings.some((w: string) => /^core 0: NAT pool exhausted on this core: 188 packet\(s\) of new flows dropped \(this core's chunk holds 512 pairs;/.test(w)), fixed.warnings.join('\n'));

    // blocks of 256: core 0 borrows core 1's untouched top block and every flow gets a pair
    const out = join(dir, 'rebalanced.pcap');
    const moved = await run(256, out);
    const [m0, m1] = [moved.per_core[0].nf, moved.per_core[1].nf];
    assert.equal(moved.tx_packets, 1400);
    assert.equal(moved.nf_dropped, 0);
    assert.deepEqual([m0.flows, m0.pool_drops, m0.pool_blocks_borrowed, m0.pool_blocks_returned, m0.pool_block], [700, 0, 1, 0, 256]);
    assert.deepEqual([m1.flows, m1.pool_drops, m1.pool_blocks_borrowed, m1.pool_blocks_returned], [100, 0, 0, 0]);
    // what is left when each core ended: core 0, 68 of its borrowed block; core 1, 156 of its first
    // block, and its top block too if it ended before core 0 borrowed that (a snapshot per core)
    assert.equal(m0.pool_left, 256 - 188);
    assert.ok(m1.pool_left === 256 - 100 || m1.pool_left === 512 - 100, `core 1 pool_left ${m1.pool_left}`);
    assert.ok(!moved.warnings.some((w: string) => /pool exhausted/.test(w)), moved.warnings.join('\n'));
    // on the wire: 800 flows, 800 distinct pool pairs, core 0's beyond its chunk from core 1's top block
    const rows = await tsharkFields(out, ['ip.src', 'udp.srcport', 'ip.dst', 'udp.dstport']);
    assert.equal(rows.length, 1400);
    const pairOf = new Map<string, string>();
    for (let i = 0; i < rows.length; i++) {
      const f = i < 700 ? hot[i]! : cold[(i - 700) % 100]!;
      const key = `${f.src}:${f.sport}`;
      const pair = `${rows[i]![0]}:${rows[i]![1]}`;
      assert.equal(pairOf.get(key) ?? pair, pair, `flow ${key} kept its pair`);
      pairOf.set(key, pair);
    }
    assert.equal(pairOf.size, 800);
    assert.equal(new Set(pairOf.values()).size, 800, 'no pair handed to two flows');
    const ports = hot.map((_, i) => Number(rows[i]![1]));
    assert.deepEqual(ports.slice(0, 512), Array.from({ length: 512 }, (_, i) => 3000 + i), "core 0's own chunk first, in order");
    assert.deepEqual(ports.slice(512), Array.from({ length: 188 }, (_, i) => 3768 + i), "then core 1's top block (pairs 768-1023)");
  } finally {
    cleanup();
  }
});

test('nat pool recovery on 2 cores over Redis: a new instance with the same id gives every flow its pair back, those of the block core 0 had borrowed from core 1 too', async () => {
  const { dir, cleanup } = tempDir('nat-pool-rec');
  try {
    const hot = flowsOnCore(0, 700, 0);
    const cold = flowsOnCore(1, 100, 100_000);
    const fresh = flowsOnCore(1, 100, 200_000);
    const first = join(dir, 'first.pcap');
    const run = async (frames: Uint8Array[], out: string) => {
      const input = join(dir, `in-${out.endsWith('first.pcap') ? 1 : 2}.pcap`);
      writeFileSync(input, encodePcap(frames));
      const p = await flexbench(['nf', 'run', '--nf', 'nat', '--cores', '2', '--input', input, '--packets', '1400', '--output', out, '--json', '--progress', '0',
        '--store', redis.url, '--mode', 'async', '--nf-id', 'natpool', '--instance', 'i1', '--nat-ips', '198.19.0.1/32', '--nat-ports', '3000-4023']);
      assert.equal(p.code, 0, p.stderr);
      return lastJson(p);
    };
    const once = [...hot.map((p) => frame(p))];
    for (let r = 0; r < 7; r++) for (const p of cold) once.push(frame(p));
    const a = await run(once, first);
    assert.deepEqual([a.per_core[0].nf.pool_blocks_borrowed, a.per_core[0].nf.pool_drops, a.tx_packets], [1, 0, 1400]);
    // the second instance sees core 0's flows in reverse (without recovery they would draw pairs in
    // another order), core 1's old flows 6 times, then 100 new ones
    const again = [...[...hot].reverse().map((p) => frame(p))];
    for (let r = 0; r < 6; r++) for (const p of cold) again.push(frame(p));
    for (const p of fresh) again.push(frame(p));
    const second = join(dir, 'second.pcap');
    const b = await run(again, second);
    const [b0, b1] = [b.per_core[0].nf, b.per_core[1].nf];
    assert.deepEqual([b0.recovered, b0.recover_skipped ?? 0, b0.mappings_created, b0.pool_blocks_borrowed, b0.pool_drops], [700, 0, 0, 1, 0],
      "core 0 recovered its 700 mappings, 188 of them with core 1's block it takes again");
    assert.deepEqual([b1.recovered, b1.recover_skipped ?? 0, b1.mappings_created, b1.pool_drops], [100, 0, 100, 0]);
    const f = ['ip.src', 'udp.srcport'];
    const r1 = (await tsharkFields(first, f)).map((x) => x.join(':'));
    const r2 = (await tsharkFields(second, f)).map((x) => x.join(':'));
    assert.equal(r2.length, 1400);
    for (let i = 0; i < 700; i++) assert.equal(r2[i], r1[699 - i], `hot flow ${699 - i} kept its pair`);
    for (let i = 0; i < 600; i++) assert.equal(r2[700 + i], r1[700 + (i % 100)], `cold flow ${i % 100} kept its pair`);
    const pairs = new Set(r2);
    assert.equal(pairs.size, 900, 'the 100 new flows got pairs no recovered mapping holds');
  } finally {
    cleanup();
  }
});
