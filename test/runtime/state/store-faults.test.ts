// The store-kill matrix through `flexbench nf run` (counter-async, one core, a real redis-server): each
// fault a store can have mid-run, and the exact promise each --on-state-loss mode makes about it.
//  - persistence (appendonly, fsync always), SIGKILL + restart: nothing acknowledged is lost, no loss reported
//  - no persistence, restarted empty: found at the next flush, reported on stderr and in the JSON with
//    the exact count lost; fail stops the run (exit 5), warn continues on top of what is left, reload
//    writes the acknowledged state back (the store ends exact)
//  - hung (SIGSTOP, then SIGCONT): flushes time out and are resent; nothing lost, nothing reported
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rmSync, writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { startRedis, type RunningRedis } from '../../../runtime/stores/redis.js';
import { generatePcaps } from '../../../runtime/packet/generate.js';
import { flexbench, lastJson, tempDir, type Proc } from '../packet/helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let tmp: ReturnType<typeof tempDir>;
let input: string;
let config: string;
/** faults injected over the whole file, for the closing note */
const faults = { kills: 0, emptyRestarts: 0, hangs: 0, outcomes: [] as string[] };

before(() => {
  tmp = tempDir('faults');
  [input] = generatePcaps({ out: tmp.dir, flows: 2000, files: 1, seed: 7 });
  // a hung store must make flushes time out within the run
  config = join(tmp.dir, 'state.yaml');
  writeFileSync(config, 'nf: faults\ninstance: i\nstore: "hashmap:"\ndriver:\n  commandTimeoutMs: 300\n  reconnectMaxMs: 100\n');
});
after(() => {
  tmp?.cleanup();
  console.log(`# store faults injected: ${faults.kills} kills (${faults.emptyRestarts} restarted empty), ${faults.hangs} hangs`);
  for (const o of faults.outcomes) console.log(`#   ${o}`);
});

/**
 * `nf run` for `seconds` with the fault `inject` applied once the first rate line is out. Returns the
 * process result and the counter the store holds at the end (the NF counted exactly rx_packets).
 */
async function faultRun(redis: { current: RunningRedis }, instance: string, extra: string[], inject: () => Promise<void>): Promise<{ p: Proc; stored: number; rates: number[] }> {
  let injected: Promise<void> | null = null;
  const rates: number[] = [];
  const p = await flexbench(
    ['nf', 'run', '--nf', 'counter-async', '--input', input, '--json', '--progress', '0.25', '--duration', '3', '--config', config,
      '--store', redis.current.url, '--instance', instance, ...extra],
    {
      onStderr: (s) => {
        for (const m of s.matchAll(/t=([\d.]+)s rx ([\d.]+) Mpps/g)) rates.push(Number(m[2]));
        if (injected === null && /t=/.test(s)) injected = sleep(400).then(inject);
      },
    },
  );
  assert.ok(injected, `the run printed no rate line: ${p.stderr}`);
  await injected;
  const r = new Redis(redis.current.port, '127.0.0.1');
  try {
    return { p, stored: Number((await r.get(`faults@${instance}@0@Counter@pktCounter`)) ?? 0), rates };
  } finally {
    r.disconnect();
  }
}

test('persistence: Redis SIGKILLed and restarted from its appendonly file mid-run: nothing lost, no loss reported', async () => {
  const first = await startRedis({ extra: { persist: true } });
  const { port, dataDir } = first;
  const redis = { current: first };
  try {
    const { p, stored } = await faultRun(redis, 'persist', ['--on-state-loss', 'fail'], async () => {
      await redis.current.kill();
      faults.kills++;
      await sleep(300);
      redis.current = await startRedis({ port, dataDir, extra: { persist: true } });
    });
    assert.equal(p.code, 0, p.stderr);
    const j = lastJson(p);
    assert.equal(j.state_lost, false, p.stderr);
    assert.deepEqual(j.state_loss, []);
    assert.equal(stored, j.rx_packets, 'the store holds every packet counted');
    faults.outcomes.push(`persistence, SIGKILL + restart: ${j.rx_packets} counted, ${stored} in the store, nothing lost, no loss reported`);
  } finally {
    await redis.current.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

for (const mode of ['fail', 'warn', 'reload'] as const) {
  test(`no persistence, restarted empty mid-run, --on-state-loss ${mode}: found, reported with the exact count lost, and ${mode === 'fail' ? 'the run stops with exit 5' : mode === 'warn' ? 'the run continues on what is left' : 'the acknowledged state is written back'}`, async () => {
    const first = await startRedis();
    const redis = { current: first };
    const port = first.port;
    try {
      const { p, stored } = await faultRun(redis, `empty-${mode}`, mode === 'fail' ? [] : ['--on-state-loss', mode], async () => {
        await redis.current.kill();
        faults.kills++;
        faults.emptyRestarts++;
        await sleep(300);
        redis.current = await startRedis({ port });
      });
      const j = lastJson(p);
      assert.equal(j.state_lost, true, p.stderr);
      assert.equal(j.state_loss.length, 1, JSON.stringify(j.state_loss));
      const l = j.state_loss[0];
      assert.equal(l.core, 0);
      assert.equal(l.action, mode);
      assert.equal(l.store_seq, 0, 'it came back empty');
      assert.equal(l.flushes_lost, l.expected_seq);
      assert.equal(l.counts_exact, true);
      assert.ok(l.counts_lost > 0, JSON.stringify(l));
      assert.match(p.stderr, new RegExp(`core 0: state lost: store ${redis.current.url} holds flush 0 of partition faults@empty-${mode}@0`));
      if (mode === 'fail') {
        assert.equal(p.code, 5, p.stderr);
        assert.equal(j.stopped_by, 'state-loss');
        assert.match(p.stderr.trim().split('\n').pop()!, /nf run stopped: core 0: state lost/);
        assert.equal(stored, 0, 'nothing more is written to a store that lost state');
      } else {
        assert.equal(p.code, 0, p.stderr);
        assert.equal(j.stopped_by, 'duration');
        // the NF counted rx_packets: the store holds them less exactly what it reported lost (warn), or all (reload)
        assert.equal(stored, mode === 'warn' ? j.rx_packets - l.counts_lost : j.rx_packets, JSON.stringify(l));
      }
      if (mode === 'reload') assert.ok(l.reloaded_entries >= 1);
      faults.outcomes.push(`restarted empty, ${mode}: ${l.flushes_lost} acknowledged flushes and ${l.counts_lost} counts lost (reported exactly); ${j.rx_packets} counted, ${stored} in the store at the end, exit ${p.code}`);
    } finally {
      await redis.current.stop();
    }
  });
}

test('hung store (SIGSTOP for 1.5 s, then SIGCONT): flushes time out and are resent, packets keep flowing, nothing lost', async () => {
  const s = await startRedis();
  const redis = { current: s };
  try {
    const { p, stored, rates } = await faultRun(redis, 'hung', [], async () => {
      process.kill(s.pid, 'SIGSTOP');
      faults.hangs++;
      await sleep(1500);
      process.kill(s.pid, 'SIGCONT');
    });
    assert.equal(p.code, 0, p.stderr);
    const j = lastJson(p);
    assert.equal(j.state_lost, false, p.stderr);
    assert.equal(stored, j.rx_packets, 'every packet counted reached the store exactly once');
    // rate lines every 0.25 s: the ones inside the hang show the NF forwarding (not waiting on the store)
    assert.ok(rates.filter((r) => r > 0).length >= rates.length - 2, `packets kept flowing: ${rates.join(' ')}`);
    faults.outcomes.push(`hung 1.5 s: ${j.rx_packets} counted, ${stored} in the store, nothing lost, no loss reported`);
  } finally {
    try { process.kill(s.pid, 'SIGCONT'); } catch { /* gone */ }
    await s.stop();
  }
});
