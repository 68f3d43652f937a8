// Two NAT instances share one pool through a real redis-server's locks (issue 18, Section VI-A between
// instances): a skewed flow mix sends ins1 far more flows than its share of the pool holds, so it runs
// through its first block and takes more, until every block is held (new flows dropped, said per
// instance); ins2 holds a spare block it never used, which its scale-in gives back and ins1 then
// takes, and the dropped flows get pairs. The front-end checks every returned packet's translated
// (address, port): no pair ever leaves on two flows, and ins2's moved flows keep theirs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { startRedis } from '../../../runtime/stores/redis.js';
import { generatePcaps } from '../../../runtime/packet/generate.js';
import { readPcap, encodePcap } from '../../../runtime/packet/pcap.js';
import { flowHash, idHash, owner } from '../../../runtime/packet/rendezvous.js';
import { runElasticTrial } from '../../../harness/testbeds/elastic.js';
import { pidAlive } from '../../../common/processes.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = join(ROOT, 'bin', 'flexbench.js');

/** A capture of `n2` flows the front-end sends to ins2 first, then `n1` it sends to ins1 (rendezvous over both live). */
function skewedPcap(dir: string, n1: number, n2: number): string {
  const [all] = generatePcaps({ out: dir, flows: 4 * (n1 + n2), files: 1 });
  const f = readPcap(all!);
  const ids = [idHash('ins1'), idHash('ins2')];
  const to: Uint8Array[][] = [[], []];
  for (let i = 0; i < f.count; i++) {
    const o = owner(flowHash(f.bytes, f.offsets[i]!, f.lengths[i]!), ids, [true, true]);
    if (to[o]!.length < (o === 0 ? n1 : n2)) to[o]!.push(f.bytes.slice(f.offsets[i]!, f.offsets[i]! + f.lengths[i]!));
  }
  assert.equal(to[0]!.length, n1);
  assert.equal(to[1]!.length, n2);
  const path = join(dir, 'skewed.pcap');
  writeFileSync(path, encodePcap([...to[1]!, ...to[0]!]));
  return path;
}

test('two NAT instances on Redis share the pool by block locks: the skewed one takes blocks past its share, a scale-in gives back its free block and the survivor takes it; no pair on two flows', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(os.tmpdir(), 'fb-elastic-pool-'));
  const redis = await startRedis();
  try {
    // 768 pairs in 12 blocks of 64 (a static half would be 384 pairs); ins1 680 flows, ins2 56: ins2's
    // block 6 runs low (8 left) so it takes a spare (block 7) it never uses; ins1 holds the other 10
    // blocks (640 pairs) and drops 40 flows' packets until ins2 is removed
    const pcap = skewedPcap(dir, 680, 56);
    const r = await runElasticTrial({
      cli: CLI, cwd: ROOT, nf: 'nat', cores: 1, storeUrl: redis.url, mode: 'async', flushMs: 1, pcapPath: pcap, rate: 20000,
      warmupS: 0.5, durationS: 1.5, instances: ['ins1', 'ins2'], events: [{ kind: 'remove', instance: 'ins2', at_s: 1 }],
      runDir: dir, name: 't', signal: new AbortController().signal, log: () => {},
      natPool: { ips: '198.19.0.0/32', ports: '1024-1791', block: 64 },
    });
    const { elastic } = r;
    const p1 = elastic.per_instance.ins1!.pool!;
    const p2 = elastic.per_instance.ins2!.pool!;
    // ins1 ran through its first block and took every free one, then found none: new flows dropped
    assert.ok(p1.exhausted > 0 && p1.drops > 0, JSON.stringify(p1));
    // ins2's scale-in gave back its unused block; ins1 took it: 10 blocks, then the 11th
    assert.equal(p2.blocks_taken, 2, JSON.stringify(p2));
    assert.equal(p2.blocks_released, 1, JSON.stringify(p2));
    assert.equal(p1.blocks_taken, 11, JSON.stringify(p1));
    assert.equal(p1.blocks_held, 11 + 1, 'its own 11 and ins2\'s block 6, kept for the adopted mappings');
    // every flow got a pair, no pair left on two flows (checked on every returned packet)
    assert.deepEqual(elastic.pairs && { used: elastic.pairs.used, shared: elastic.pairs.shared }, { used: 736, shared: 0 });
    assert.equal(elastic.changed_flows, 0, 'no flow ever changed its translation');
    const ev = elastic.events[0]!;
    assert.equal(ev.moved_flows, 56);
    assert.deepEqual([ev.checked_flows, ev.kept_flows, ev.changed_packets], [56, 56, 0]);
    assert.deepEqual(r.m.flags, []);
    for (const pids of Object.values(elastic.per_instance).map((p) => p.pids)) for (const pid of pids) assert.equal(pidAlive(pid), false);
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
