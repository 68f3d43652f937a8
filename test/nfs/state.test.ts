// The stateful NFs against a real redis-server: exact counters after --packets N, NAT/LB state in the
// paper's key layout, and NAT recovery by a new instance with the same id.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { readPcap, encodePcap } from '../../runtime/packet/pcap.js';
import { Redis } from 'ioredis';
import { startRedis, type RunningRedis } from '../../runtime/stores/redis.js';
import { generatePcaps } from '../../runtime/packet/generate.js';
import { flexbench, lastJson, tsharkFields, tempDir } from '../runtime/packet/helpers.js';

let redis: RunningRedis;
let client: Redis;
let tmp: ReturnType<typeof tempDir>;
let input: string;

before(async () => {
  tmp = tempDir('state');
  [input] = generatePcaps({ out: tmp.dir, flows: 2000, files: 1, seed: 41 });
  redis = await startRedis();
  client = new Redis(redis.port, '127.0.0.1', { lazyConnect: false });
});

after(async () => {
  client?.disconnect();
  await redis?.stop();
  tmp?.cleanup();
});

const nfRun = (args: string[]) => flexbench(['nf', 'run', '--input', input, '--json', '--progress', '0', '--store', redis.url, ...args]);

async function counterSum(nf: string, inst: string, cores: number): Promise<number[]> {
  const out: number[] = [];
  for (let c = 0; c < cores; c++) out.push(Number((await client.get(`${nf}@${inst}@${c}@Counter@pktCounter`)) ?? 0));
  return out;
}

test('counter-async on Redis: after --packets N the pktCounters over cores sum to exactly N', async () => {
  const p = await nfRun(['--nf', 'counter-async', '--cores', '2', '--packets', '123457', '--nf-id', 'ca', '--instance', 'i1', '--flush-ms', '1']);
  assert.equal(p.code, 0, p.stderr);
  const r = lastJson(p);
  assert.equal(r.rx_packets, 123457);
  assert.equal(r.store, redis.url);
  assert.equal(r.mode, 'async');
  const per = await counterSum('ca', 'i1', 2);
  assert.equal(per[0] + per[1], 123457);
  assert.deepEqual(per, r.per_core.map((c: any) => c.rx_packets), 'each core counted its own packets');
});

test('counter-sync on Redis: every packet awaited in the store, sum exact; --mode async is refused', async () => {
  const p = await nfRun(['--nf', 'counter-sync', '--cores', '2', '--packets', '2001', '--nf-id', 'cs', '--instance', 'i1']);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(lastJson(p).mode, 'sync');
  const per = await counterSum('cs', 'i1', 2);
  assert.equal(per[0] + per[1], 2001);
  const bad = await nfRun(['--nf', 'counter-sync', '--packets', '10', '--mode', 'async']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /counter-sync runs in sync mode/);
});

test('a store-bound NF (counter-sync on Redis, bursts of 1024) still ends its warm-up and stops on time', async () => {
  // a chunk of 64 such bursts takes seconds: warm-up and stop are checked per burst, not per chunk
  const p = await nfRun(['--nf', 'counter-sync', '--burst', '1024', '--warmup', '0.5', '--duration', '1', '--nf-id', 'csw', '--instance', 'i1']);
  assert.equal(p.code, 0, p.stderr);
  const r = lastJson(p);
  assert.equal(r.warmup_s, 0.5);
  assert.ok(r.rx_packets > 0, 'packets in the window');
  assert.ok(r.duration_s < 1.8, `stopped within a burst of the end: window ${r.duration_s} s`);
  assert.equal(r.per_core[0].rx_packets, r.rx_packets);
});

test('nat and lb keep their state in Redis under nf@instance@core@Type@id', async () => {
  const nat = await nfRun(['--nf', 'nat', '--cores', '2', '--packets', '2000', '--nf-id', 'nat', '--instance', 'i1']);
  assert.equal(nat.code, 0, nat.stderr);
  let mapped = 0;
  for (let c = 0; c < 2; c++) mapped += await client.hlen(`nat@i1@${c}@Map@natMap`);
  const flows = lastJson(nat).per_core.reduce((s: number, c: any) => s + c.nf.flows, 0);
  assert.ok(flows > 1900, `${flows} flows`); // the quota splits evenly, RSS does not: a core may loop over part of its ring
  assert.equal(mapped, flows, 'one mapping per flow in the store');
  const lb = await nfRun(['--nf', 'lb', '--cores', '2', '--packets', '2000', '--nf-id', 'lb', '--instance', 'i1', '--lb-backends', '198.19.1.1,198.19.1.2']);
  assert.equal(lb.code, 0, lb.stderr);
  let load = 0;
  for (let c = 0; c < 2; c++) {
    const h = await client.hgetall(`lb@i1@${c}@CounterMap@serverLoad`);
    const v = Object.values(h).map(Number);
    assert.equal(v.length, 2);
    assert.ok(Math.abs(v[0] - v[1]) <= 1, `core ${c} loads ${v}`);
    load += v[0] + v[1];
  }
  assert.equal(load, lastJson(lb).per_core.reduce((s: number, c: any) => s + c.nf.flows, 0), 'one load unit per flow');
});

test('nat recovery: a new instance with the same id rewrites every known flow with the same mapping', async () => {
  const first = join(tmp.dir, 'first.pcap');
  const second = join(tmp.dir, 'second.pcap');
  const a = await nfRun(['--nf', 'nat', '--packets', '1000', '--nf-id', 'natr', '--instance', 'i9', '--output', first]);
  assert.equal(a.code, 0, a.stderr);
  // the second instance (async mode, the default) sees the same 1000 flows in reverse order, then 500
  // new ones: without recovery the reversed flows would draw pool pairs in another order
  const src = readPcap(input);
  const frame = (i: number) => src.bytes.subarray(src.offsets[i], src.offsets[i] + src.lengths[i]);
  const order = [...Array.from({ length: 1000 }, (_, i) => 999 - i), ...Array.from({ length: 500 }, (_, i) => 1000 + i)];
  const replay = join(tmp.dir, 'reversed.pcap');
  writeFileSync(replay, encodePcap(order.map(frame)));
  const b = await flexbench(['nf', 'run', '--input', replay, '--json', '--progress', '0', '--store', redis.url, '--nf', 'nat', '--packets', '1500', '--nf-id', 'natr', '--instance', 'i9', '--output', second]);
  assert.equal(b.code, 0, b.stderr);
  const f = ['ip.dst', 'udp.dstport', 'ip.src', 'udp.srcport'];
  const r1 = await tsharkFields(first, f);
  const r2 = await tsharkFields(second, f);
  for (let i = 0; i < 1000; i++) assert.deepEqual(r2[i], r1[999 - i], `flow ${999 - i} mapped differently after recovery`);
  const all = new Set(r2.map((x) => `${x[2]}:${x[3]}`));
  assert.equal(all.size, 1500, 'new flows after recovery take fresh pairs');
});
