// `flexbench run` with a Redis Cluster master SIGKILLed under two instances (issue 18), end to end: a
// real cluster of 3 masters with one replica each, a real SIGKILL on the front-end's clock, the replica
// promoted after cluster-node-timeout; the instances keep forwarding, their failed flushes are retried
// until the new master takes them, the NAT keeps every translation and the counter's merged total is
// the packets forwarded less exactly what the promoted replica was found to lack. Nothing is left running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { runCli } from './cli.js';
import { pidAlive } from '../../../common/processes.js';
import type { TrialRecord } from '../../../harness/results/format.js';

const NODE_TIMEOUT_MS = 1000;

const SPEC = `name: failover-cluster-e2e
testbed: local
traffic: { frame_size: 64, flows: 500, files: 1, warmup_s: 1, duration_s: 5, rate: 20000 }
matrix: { nfs: [nat, counter-async], stores: [redis-cluster], modes: [async], cores: [1], repetitions: 1 }
state: { flush_ms: 1, on_state_loss: warn, redis_cluster: { masters: 3, replicas: 1, node_timeout_ms: ${NODE_TIMEOUT_MS} } }
instances: [ins1, ins2]
events:
  - kill: { store_node: master-of-ins1, at_s: 1.2 }
`;

test('a Redis Cluster master killed mid-run: promoted replica, flushes retried, translations and counts kept within the bound', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(os.tmpdir(), 'fb-failover-cluster-'));
  try {
    writeFileSync(join(dir, 'spec.yaml'), SPEC);
    const r = await runCli(['run', 'spec.yaml', '--out', join(dir, 'out')], dir, undefined, { ms: 200_000, signal: 'SIGINT' });
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const trials = readFileSync(join(dir, 'out', 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TrialRecord);
    assert.equal(trials.length, 2);
    for (const t of trials) {
      assert.equal(t.status, 'ok', `${t.nf}: ${t.reason}`);
      const e = t.elastic!;
      const s = e.store_events?.[0];
      assert.ok(s, `${t.nf}: no store event recorded`);
      assert.equal(s.node, 'master-of-ins1');
      assert.equal(s.role, 'master');
      assert.equal(pidAlive(s.pid), false, 'the killed node is gone');
      // Redis fails a master only after cluster-node-timeout; then a replica is elected
      assert.ok(s.promoted_ms !== null && s.promoted_ms >= NODE_TIMEOUT_MS, `${t.nf}: promoted ${s.promoted_ms} ms after the kill`);
      assert.ok(s.promoted_port !== null && s.promoted_port !== s.port);
      // the NF kept running: none lost for want of an instance after the kill, and while the master was
      // down (the kill to the promotion) it forwarded most of what it was sent; an NF waiting on its store
      // there would have returned next to nothing until the promotion
      const rows = readFileSync(join(dir, 'out', e.series_file), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
      // the window ends at 6 s: the promotion (2-3 s after the kill at 1.2 s) and the flushes after it fall inside it on a busy host too
      const after = rows.filter((x) => x[0]! >= s.at_ms + 100 && x[0]! < 6000);
      assert.ok(after.length > 300 && after.every((x) => x[3] === 0), `${t.nf}: packets lost with no instance after the store node's kill`);
      const down = rows.filter((x) => x[0]! >= s.at_ms && x[0]! < s.at_ms + s.promoted_ms!);
      const sum = (xs: number[][], i: number) => xs.reduce((a, x) => a + x[i]!, 0);
      assert.ok(sum(down, 2) > 0.5 * sum(down, 1), `${t.nf}: forwarded ${sum(down, 2)} of ${sum(down, 1)} packets while the master was down`);
      for (const g of s.outages) assert.ok(g.to_ms !== null, `${t.nf}: ${g.instance} core ${g.core} never wrote again`);
      // every packet is accounted for
      assert.equal(e.sent, e.returned + e.lost + e.missed + e.nf_dropped);
      for (const p of Object.values(e.per_instance).flatMap((x) => x.pids)) assert.equal(pidAlive(p), false, `pid ${p} outlived the trial`);
    }
    const nat = trials.find((t) => t.nf === 'nat')!;
    assert.equal(nat.elastic!.changed_flows, 0, 'a flow changed its translation while the store failed over');
    // the counter flushes every millisecond: its partition's flushes failed until the promoted master took them
    const ctr = trials.find((t) => t.nf === 'counter-async')!;
    const s = ctr.elastic!.store_events![0]!;
    const own = s.outages.filter((g) => g.instance === 'ins1');
    assert.ok(own.length > 0 && s.flushes_failed > 0, `ins1's flushes never failed: ${JSON.stringify(s.outages)}`);
    assert.ok(s.driver_recovered_ms !== null && s.driver_recovered_ms >= NODE_TIMEOUT_MS, `driver recovered ${s.driver_recovered_ms} ms after the kill`);
    // no instance died: the store holds every increment but those the promoted replica was found to lack
    const c = ctr.elastic!.counter!;
    assert.ok(c.difference <= 0 && c.difference >= -s.counts_lost, `total ${c.store_total}, forwarded ${c.forwarded}, counts lost ${s.counts_lost}`);
    // the table names the store node kill beside REINFORCE's 10 ms
    const csv = readFileSync(join(dir, 'out', 'elastic.csv'), 'utf8');
    assert.match(csv, /\nnat,redis-cluster,async,1,kill-store-node,[01],/);
    assert.match(csv, /\ncounter-async,redis-cluster,async,1,kill-store-node,1,/);
    assert.match(r.stderr + r.stdout, /kill-store-node/);
    // nothing of the cluster is left: its nodes' records are gone with them
    assert.equal(existsSync(join(dir, 'out', 'run.json')), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
