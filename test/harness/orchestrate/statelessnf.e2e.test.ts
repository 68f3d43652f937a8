// experiments/statelessnf.yaml end to end, cut to two cells (Native and Sync over a local Redis), one
// frame size and the echo test: one `flexbench run` on the netns testbed yields Figure 3's records (the
// generator's trial at max load with its NDR search as sub-records, through a NAT that maps every flow
// once and sees no reply to its pool) beside the end-host trial, and draws Figure 3 and Table 3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { readTrials, readSummary } from '../../../harness/results/files.js';
import { runCli, ROOT } from './cli.js';
import { pidRunning } from '../../../common/processes.js';

const skip = process.getuid?.() === 0 ? false : 'needs root (network namespaces): run the tests as root';

test('statelessnf.yaml yields Figure 3 (NDR per mode and frame size, searched through the NAT) beside the end-host tests in one run', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-snf-'));
  try {
    // the shipped spec, its measure: and traffic as they are; fewer cells, sizes and datagrams
    const s = parse(readFileSync(join(ROOT, 'experiments/statelessnf.yaml'), 'utf8')) as Record<string, any>;
    s.inventory = { ...s.inventory, suffix: 'snfe', slot: 41 };
    s.matrix = { ...s.matrix, stores: ['none', 'redis'], locations: ['local'], modes: ['sync'], frame_sizes: [1500], repetitions: 1 };
    s.endpoints = { ...s.endpoints, tests: ['rtt'], rtt_packets: 200, ping_packets: 5 };
    // the remote profile kept: the run names the store location it left out and the profile that runs it
    s.profiles = { remote: s.profiles.remote };
    writeFileSync(join(dir, 'snf.yaml'), stringify(s));
    const r = await runCli(['run', 'snf.yaml', '--out', 'out', '--seed', '1'], dir, undefined, { ms: 280_000, signal: 'SIGINT' });
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const out = join(dir, 'out');
    const plan = readTrials(out);
    const all = readTrials(out, { sub: true });
    const flows = s.traffic.flows as number;
    for (const cell of ['nat/none/local/none', 'nat/redis/local/sync']) {
      const t = plan.find((x) => x.trial_id === `${cell}/c1/f1500/p0/r0`);
      assert.ok(t, `${cell}: the generator's trial at 1500 B`);
      assert.equal(t.status, 'ok', `${cell}: ${t.reason}`);
      assert.equal(t.measure, 'throughput');
      assert.ok(t.ndr_pps! > 0, `${cell}: an NDR was found (${JSON.stringify(t.search?.goals)})`);
      if (t.ndr_upper_pps !== null) assert.ok(t.ndr_pps! <= t.ndr_upper_pps!, `${cell}: lower bound below upper`);
      const subs = all.filter((x) => x.parent_trial_id === t.trial_id);
      assert.equal(subs.length, t.search_trials, `${cell}: every search trial recorded`);
      assert.ok(subs.every((x) => x.measure === 'search' && x.status === 'ok' && x.frame_size === 1500));
      // real two-way-consistent flows: each mapped once, none of them a reply to the pool, nothing dropped for a port
      for (const x of [t, ...subs]) {
        const n = x.nf_stats!;
        assert.equal(n.mappings_created, flows, `${x.trial_id}: ${JSON.stringify(n)}`);
        assert.equal(n.in_no_mapping, 0, `${x.trial_id}: no frame addressed to the NAT's pool`);
        assert.equal(n.pool_drops, 0);
      }
      const rtt = plan.find((x) => x.trial_id === `${cell}/c1/p0/r0/rtt`);
      assert.equal(rtt?.status, 'ok', `${cell}: the echo through the NAT (${rtt?.reason})`);
      // the echo ran on its own group's NF (on the end hosts' port), not the search's; neither is left after the run
      assert.ok(rtt.resident && rtt.resident.nf_pid > 0 && rtt.resident.trial === 1, JSON.stringify(rtt.resident));
      assert.notEqual(rtt.resident.nf_pid, t.resident!.nf_pid);
      assert.deepEqual([rtt.resident.nf_pid, t.resident!.nf_pid].filter((p) => pidRunning(p)), [], `${cell}: no NF left`);
    }
    const ndr = readSummary(out).filter((x) => x.metric === 'ndr_mpps');
    assert.deepEqual(ndr.map((x) => `${x.store}/${x.mode}/${x.frame_size}`).sort(), ['none/none/1500', 'redis/sync/1500']);
    const md = readFileSync(join(out, 'endpoints.md'), 'utf8');
    assert.match(md, /## Figure 3: highest UDP rate before loss by frame size \(NDR, kpps\)/);
    assert.match(md, /\| Native \(no store\) \| — \| \d+\.\d \[/);
    assert.match(md, /\| Sync \| redis \(local\) \| \d+\.\d \[/);
    assert.match(md, /\*\*Paper's Figure 3\*\*: UDP max transmission rate before loss/);
    for (const f of ['rate-by-frame-size-nat.png', 'table3-rtt.png']) assert.ok(existsSync(join(out, 'plots', f)), `plots/${f}`);
    // the paper's order checked where two modes were measured; the location left out named, in the file and on stderr
    assert.match(md, /## The paper's order, checked\n[^]*- redis \(local\), Figure 3 NDR kpps at 1500 B: Native ≥ Sync: holds/);
    assert.match(md, /## Not measured in this run\n\n- store location remote: `--profile remote`: /);
    assert.match(r.stderr, /tables: .*endpoints\.md \(Tables 2 and 3/);
    assert.match(r.stderr, /not measured in this run: store location remote: `--profile remote`/);
    // only the echo ran: no Table 2 figure drawn from nothing
    assert.ok(!existsSync(join(out, 'plots', 'table2-throughput.png')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
