// The NAT's idle timeout in every state mode over a real redis-server: a mapping used within the timeout
// lives on, one idle past it expires, its pair returns to the pool and its key leaves the store (what a
// restarted instance would otherwise recover), and its late reply finds nothing. The clock is the test's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type RunningRedis } from '../../runtime/stores/redis.js';
import { openState } from '../../runtime/state/api.js';
import { parseIPv4 } from '../../runtime/packet/inet.js';
import { Nat } from '../../nfs/nat.js';
import type { NfOptions } from '../../nfs/types.js';
import type { Burst } from '../../runtime/packet/burst.js';
import { burstOf, read, type Pkt } from './nat-frames.js';

let redis: RunningRedis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const opts: NfOptions = {
  core: 0, cores: 1, natIps: { first: parseIPv4('198.19.0.0'), count: 1 }, natPorts: { lo: 2000, hi: 2009 }, lbBackends: [],
  natInside: { first: parseIPv4('10.0.0.0'), count: 256 }, natTimeoutS: 10, natOther: 'drop',
};
const A: Pkt = { src: '10.0.0.2', dst: '203.0.113.9', sport: 5000, dport: 53, proto: 'udp' };
const B: Pkt = { src: '10.0.0.3', dst: '203.0.113.9', sport: 5001, dport: 53, proto: 'udp' };
const replyTo = (port: number): Pkt => ({ src: '203.0.113.9', dst: '198.19.0.0', sport: 53, dport: port, proto: 'udp' });

for (const mode of ['async', 'cache', 'stateless-async', 'sync'] as const) {
  test(`nat ${mode} over redis: a mapping in use lives past the timeout, an idle one expires, its pair goes back to the pool and its key out of the store`, async () => {
    const instance = `x-${mode}-${process.pid}`;
    const ctx = await openState({ nf: 'natx', instance, store: redis.url, mode }, 0);
    const nat = new Nat(opts, ctx.map('natMap'), ctx.mode);
    let t = 0;
    (nat as unknown as { clock: () => number }).clock = () => t;
    const run = (b: Burst) => (nat.processAsync ? nat.processAsync(b) : Promise.resolve(nat.process(b)));
    const left0 = nat.pool.left;
    try {
      const a = burstOf([A]);
      assert.equal(await run(a), 1);
      const pair = read(a, 0).sport;
      // used every 6 s (out, then a reply): 18 s in all, longer than the 10 s timeout, and still the same pair
      for (t = 6000; t <= 18_000; t += 6000) {
        const b = burstOf([t % 12_000 === 0 ? A : replyTo(pair)]);
        assert.equal(await run(b), 1, `at ${t} ms`);
        if (t % 12_000 === 0) assert.equal(read(b, 0).sport, pair, `the same pair at ${t} ms`);
        else assert.equal(read(b, 0).dst, A.src, `the reply reaches the inside host at ${t} ms`);
      }
      assert.equal(nat.stats().mappings_expired, 0);
      // 10.001 s after A's last packet another flow's burst sweeps: A expires
      t = 18_000 + 10_001;
      assert.equal(await run(burstOf([B])), 1);
      const s = nat.stats();
      assert.deepEqual([s.mappings_created, s.mappings_expired, s.flows], [2, 1, 1]);
      assert.equal(nat.pool.left, left0 - 1, 'A\'s pair is back in the pool');
      // A's late reply: no mapping, dropped and counted
      assert.equal(await run(burstOf([replyTo(pair)])), 0);
      assert.equal(nat.stats().in_no_mapping, 1);
      await nat.close();
      await ctx.flush();
    } finally {
      await ctx.close();
    }
    const db = new Redis(redis.url);
    try {
      const held = await db.hkeys(`natx@${instance}@0@Map@natMap`);
      assert.deepEqual(held, ['10.0.0.3:5001>203.0.113.9:53/17'], 'only the live mapping is left in the store');
    } finally {
      db.disconnect();
    }
  });
}
