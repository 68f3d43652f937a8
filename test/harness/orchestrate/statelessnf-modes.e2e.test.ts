// experiments/statelessnf.yaml's Table 2 trials in every mode (issue 17's "iperf3 TCP and UDP with 10
// streams through the flexbench NAT on the netns testbed in every mode"): one `flexbench run` of the
// shipped spec cut to its iperf3 tests, one repetition of 1 s, over a local and a remote Redis, with
// FlexState's flushed async beside StatelessNF's three. Every
// trial carries all 10 streams and reports a throughput; the NAT made one mapping per connection (the
// control connection and the 10 streams) and never made one again mid-connection, dropped nothing for
// want of a pair and found every reply's mapping. A cell's two tests ran back to back on one NF (the pid both
// records name), each cell on its own, and none is left after the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { readTrials } from '../../../harness/results/files.js';
import { runCli, ROOT } from './cli.js';
import { pidRunning } from '../../../common/processes.js';

const skip = process.getuid?.() === 0 ? false : 'needs root (network namespaces): run the tests as root';

test('statelessnf.yaml: iperf3 TCP and UDP with 10 streams through the NAT in Native, Cache, Async, Sync (and FlexState\'s async) over a local and a remote Redis, one mapping per connection', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-snfm-'));
  try {
    const s = parse(readFileSync(join(ROOT, 'experiments/statelessnf.yaml'), 'utf8')) as Record<string, any>;
    s.inventory = { ...s.inventory, suffix: 'snfm', slot: 46 };
    s.traffic = { ...s.traffic, duration_s: 1 };
    s.matrix = { ...s.matrix, locations: ['local', 'remote'], modes: ['cache', 'stateless-async', 'sync', 'async'], repetitions: 1 };
    delete s.matrix.frame_sizes;
    delete s.measure;
    s.endpoints = { ...s.endpoints, tests: ['tcp', 'udp'] };
    delete s.profiles;
    writeFileSync(join(dir, 'snf.yaml'), stringify(s));
    const r = await runCli(['run', 'snf.yaml', '--out', 'out', '--seed', '3'], dir, undefined, { ms: 280_000, signal: 'SIGINT' });
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const trials = readTrials(join(dir, 'out'));
    const cells = ['nat/none/local/none', ...['local', 'remote'].flatMap((l) => ['cache', 'stateless-async', 'sync', 'async'].map((m) => `nat/redis/${l}/${m}`))];
    assert.deepEqual(trials.map((t) => t.trial_id).sort(), cells.flatMap((c) => ['iperf_tcp', 'iperf_udp'].map((m) => `${c}/c1/p0/r0/${m}`)).sort());
    // one NF per cell's group of tests: both tests on it, back to back (1st and 2nd on it), another NF for every cell
    const pidOf = new Map<string, number>();
    for (const c of cells) {
      const two = trials.filter((t) => t.trial_id.startsWith(`${c}/`)).sort((a, b) => a.started_at!.localeCompare(b.started_at!));
      assert.ok(two.every((t) => t.resident && t.resident.nf_pid > 0 && t.resident.gen_pid === null), `${c}: ${JSON.stringify(two.map((t) => t.resident))}`);
      assert.equal(two[0]!.resident!.nf_pid, two[1]!.resident!.nf_pid, `${c}: both tests on one NF`);
      assert.deepEqual(two.map((t) => t.resident!.trial), [1, 2]);
      pidOf.set(c, two[0]!.resident!.nf_pid);
    }
    assert.equal(new Set(pidOf.values()).size, cells.length, `a new NF for every cell: ${[...pidOf.values()].join(', ')}`);
    assert.deepEqual([...pidOf.values()].filter((p) => pidRunning(p)), [], 'no NF left after the run');
    // the tests of a group are adjacent in the run's order
    const order = [...trials].sort((a, b) => a.started_at!.localeCompare(b.started_at!)).map((t) => t.resident!.nf_pid);
    assert.equal(order.filter((p, i) => i === 0 || order[i - 1] !== p).length, cells.length, 'each group\'s tests back to back');
    // the NF's statistics at each test's end are over its life so far: a test's own are the growth since the test before it on that NF
    const before = (t: (typeof trials)[number]) => trials.find((x) => x.resident?.nf_pid === t.resident!.nf_pid && x.resident!.trial === t.resident!.trial - 1)?.nf_stats ?? {};
    for (const t of trials) {
      assert.equal(t.status, 'ok', `${t.trial_id}: ${t.reason}`);
      assert.equal(t.iperf?.streams, s.endpoints.streams, `${t.trial_id}: every stream ran`);
      assert.equal(t.iperf?.proto, t.measure === 'iperf_tcp' ? 'tcp' : 'udp');
      assert.ok(t.throughput_mbps! > 0, `${t.trial_id}: a throughput`);
      const b = before(t);
      const n = Object.fromEntries(Object.entries(t.nf_stats!).map(([k, v]) => [k, v - (b[k] ?? 0)]));
      // iperf3's control connection and its 10 streams, each mapped once: a mapping lost mid-connection would be made again
      assert.equal(n.mappings_created, s.endpoints.streams + 1, `${t.trial_id}: ${JSON.stringify(n)}`);
      assert.equal(n.in_no_mapping, 0, `${t.trial_id}: every reply found its mapping`);
      assert.equal(n.pool_drops, 0);
      if (t.store === 'redis') assert.equal(n.store_writes, s.endpoints.streams + 1, `${t.trial_id}: each mapping written to the store once`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
