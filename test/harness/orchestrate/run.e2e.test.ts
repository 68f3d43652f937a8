// End to end through the real CLI: real NF processes, a real redis-server started and stopped by the harness,
// a real SIGINT in the middle of a run and a resume. Trials are 1 s so the file stays quick.
import { NF_V8_FLAGS } from '../../../runtime/nf-process/result.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { readRunJson, readTrials, readSummary } from '../../../harness/results/files.js';
import { loadSpec } from '../../../harness/spec/load.js';
import { unreachedCells } from '../../../harness/orchestrate/auto.js';
import { runCli, ROOT } from './cli.js';


/** Our NF processes still alive (the run's temp dir is in their --input path). */
function leftovers(marker: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', marker], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('nf run') || l.includes('redis-server'));
  } catch {
    return [];
  }
}

/** Whether anything still listens on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

test('e2e: hashmap and a real redis-server; every results file written and consistent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'h3-e2e-'));
  try {
    writeFileSync(join(dir, 'small.yaml'), `name: small
description: e2e
traffic: { flows: 200, files: 2, duration_s: 1, warmup_s: 0.5 }
matrix:
  nfs: [nat]
  stores: [hashmap, redis]
  locations: [local, remote]
  cores: [1, 1024]
figures:
  - { id: small-nat, title: "NAT e2e", filter: { nf: nat } }
`);
    // one function builds each trial's argv: the dry run prints exactly what the run executes, in the same order
    const dry = await runCli(['run', 'small.yaml', '--dry-run', '--seed', '7'], dir);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^order: interleaved in 2 round\(s\), seed 7/m);
    const dryArgv = new Map<number, string>();
    const dryOrder: number[] = [];
    let cur = -1;
    for (const line of dry.stdout.split('\n')) {
      const m = /^#\s*(\d+) /.exec(line);
      if (m) { cur = Number(m[1]) - 1; if (!/SKIP:/.test(line)) dryOrder.push(cur); continue; }
      const c = /^\s+\$ (.*)$/.exec(line);
      if (c) dryArgv.set(cur, c[1]!);
    }
    const r = await runCli(['run', 'small.yaml', '--out', 'out', '--json', '--seed', '7'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\[1\/4\] round 1 of 2 /);
    const outDir = join(dir, 'out');
    const run = readRunJson(outDir);
    assert.equal(run.status, 'complete');
    assert.equal(run.spec_file, 'small.yaml');
    assert.deepEqual(run.counts, { planned: 16, ok: 4, failed: 0, skipped: 12, missing: 0 });
    assert.equal((run.spec_given as { name: string }).name, 'small');
    assert.equal(run.spec_resolved.testbed, 'local');
    const fp = run.provenance.fingerprint;
    assert.equal(fp.testbed, 'local');
    assert.ok(fp.cores >= 1 && fp.kernel.length > 0 && fp.node.startsWith('v'));
    assert.equal(fp.core_list?.length, fp.cores, 'the CPUs this run may use, listed');
    assert.match(fp.store_versions.redis ?? '', /^\d+\.\d+/);
    assert.equal(run.provenance.pcaps.length, 2);
    for (const p of run.provenance.pcaps) assert.match(p.sha256, /^[0-9a-f]{64}$/);
    assert.match(run.provenance.git_commit ?? '', /^[0-9a-f]{40}$/);
    assert.ok(run.provenance.ended_at);
    assert.equal(typeof run.provenance.host_busy_cores, 'number', 'how busy the host was is recorded');
    assert.deepEqual(run.provenance.nf_v8_flags, [...NF_V8_FLAGS], 'the V8 flags every nf run of the build set on itself');

    const trials = readTrials(outDir);
    assert.equal(trials.length, 16);
    const ok = trials.filter((t) => t.status === 'ok');
    assert.deepEqual(ok.map((t) => t.store).sort(), ['hashmap', 'hashmap', 'redis', 'redis']);
    for (const t of ok) {
      assert.ok(t.rx_pps! > 0 && t.tx_pps! > 0, `rates of ${t.trial_id}`);
      assert.ok(t.duration_s! >= 0.95 && t.duration_s! < 1.7, `measured window of ${t.trial_id} is at least duration_s: ${t.duration_s}`);
      assert.ok(t.per_core.length === 1 && t.per_core[0].rx_packets === t.rx_packets, 'per core and totals count the same window');
      assert.match(t.commands[0], /^flexbench nf run --nf nat --cores 1 .*--warmup 0\.5 --duration 1 --json$/);
      assert.equal(t.pcap_sha256, run.provenance.pcaps.find((p) => p.name === t.pcap)!.sha256);
    }
    const port = Number(/--store redis:\/\/127\.0\.0\.1:(\d+)/.exec(ok.find((t) => t.store === 'redis')!.commands[0])?.[1]);
    assert.ok(port > 0, 'the NF was pointed at the redis-server the harness started');
    // the executed argv is the dry run's, the store's port filled in; the order is the one the seed gave
    for (const t of ok) assert.equal(t.commands[0]!.replace(`127.0.0.1:${port}`, '127.0.0.1:PORT'), dryArgv.get(t.index), t.trial_id);
    assert.deepEqual([...ok].sort((a, b) => a.started_at!.localeCompare(b.started_at!)).map((t) => t.index), dryOrder);
    assert.deepEqual(ok.map((t) => t.round).sort(), [0, 0, 1, 1]);
    assert.deepEqual(run.order, { kind: 'interleaved', seed: 7, rounds: 2, blocked: true });
    for (const t of ok) assert.equal(typeof t.host_busy_cores, 'number', 'how busy the host was during the trial');
    assert.ok(typeof run.provenance.eta_s === 'number' && typeof run.provenance.wall_s === 'number', 'ETA and wall time recorded side by side');
    assert.equal(run.provenance.eta_model_s, run.provenance.eta_s, 'no earlier run here: the estimate is not scaled');
    assert.doesNotMatch(r.stderr, /as the estimate held/);
    const reasons = new Set(trials.filter((t) => t.status === 'skipped').map((t) => t.reason));
    assert.ok([...reasons].some((x) => /remote store needs a second node/.test(x!)), [...reasons].join('\n'));
    assert.ok([...reasons].some((x) => /needs 1024 cores/.test(x!)));

    const summary = readSummary(outDir);
    const redis1 = summary.find((s) => s.store === 'redis' && s.location === 'local' && s.cores === 1 && s.metric === 'tx_mpps')!;
    assert.equal(redis1.n, 2);
    const mpps = ok.filter((t) => t.store === 'redis').map((t) => t.tx_pps! / 1e6);
    assert.ok(Math.abs(redis1.mean! - (mpps[0] + mpps[1]) / 2) < 1e-9);
    assert.ok(redis1.ci95_low! <= redis1.mean! && redis1.mean! <= redis1.ci95_high!);

    const png = readFileSync(join(outDir, 'plots', 'small-nat.png'));
    assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    // a run with --out writes nothing outside it: its figures are in its own plots/ only (issue 21 point 5)
    assert.ok(!existsSync(join(dir, 'plots')), 'figures copied to ./plots by a run with --out');
    assert.ok(readFileSync(join(outDir, 'plots', 'small-nat.svg'), 'utf8').includes('line rate 14.88 Mpps'));
    assert.equal(readdirSync(join(outDir, 'logs')).length, 4, 'one log per trial that ran');
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!).counts, run.counts);
    // the harness stopped the redis-server it started
    assert.equal(await listening(port), false);
    assert.deepEqual(leftovers(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGINT mid-run keeps what finished, marks the run incomplete, ends its children; --resume runs only the rest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'h3-resume-'));
  try {
    writeFileSync(join(dir, 'r.yaml'), `name: resumable
traffic: { flows: 100, files: 3, duration_s: 1, warmup_s: 0.5 }
matrix: { nfs: [lb], stores: [hashmap], cores: [1] }
`);
    let sent = false;
    const first = await runCli(['run', 'r.yaml', '--out', 'out', '--no-plots'], dir, (all, kill) => {
      // interrupt while the second trial runs
      if (!sent && /\[2\/3\]/.test(all)) {
        sent = true;
        setTimeout(() => kill('SIGINT'), 700);
      }
    });
    assert.ok(sent, first.stderr);
    assert.equal(first.code, 130, first.stderr);
    assert.match(first.stderr, /resume with: flexbench run --resume /);
    const outDir = join(dir, 'out');
    const run = readRunJson(outDir);
    assert.equal(run.status, 'incomplete');
    const done = readTrials(outDir);
    assert.equal(done.length, 1, 'the trial cut short leaves no record');
    assert.equal(done[0].status, 'ok');
    assert.equal(run.counts.missing, 2);
    assert.deepEqual(readdirSync(outDir).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock')), [], 'no half-written file, no lock left');
    assert.deepEqual(leftovers(dir), [], 'no NF process survives the interrupt');

    const second = await runCli(['run', '--resume', 'out', '--no-plots'], dir);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /\[1\/2\]/, 'only the two missing trials run');
    const after = readRunJson(outDir);
    assert.equal(after.status, 'complete');
    assert.equal(after.provenance.resumed_at.length, 1);
    assert.equal(after.provenance.started_at, run.provenance.started_at);
    const all = readTrials(outDir);
    assert.deepEqual(all.map((t) => t.trial_id), ['lb/hashmap/local/async/c1/p0/r0', 'lb/hashmap/local/async/c1/p1/r0', 'lb/hashmap/local/async/c1/p2/r0']);
    assert.ok(all.every((t) => t.status === 'ok'));
    assert.equal(all[0].started_at, done[0].started_at, 'the finished trial was not run again');
    assert.equal(readSummary(outDir).find((s) => s.metric === 'tx_mpps')!.n, 3);

    // a resume elsewhere or by other code is refused: the cells would mix two machines or two versions
    const runJson = join(outDir, 'run.json');
    const good = readFileSync(runJson, 'utf8');
    const reopen = (edit: (r: any) => void) => {
      const r = JSON.parse(good);
      r.status = 'incomplete';
      edit(r);
      writeFileSync(runJson, JSON.stringify(r));
    };
    reopen((r) => { r.provenance.fingerprint.kernel = '5.10.0-other'; });
    const elsewhere = await runCli(['run', '--resume', 'out', '--no-plots'], dir);
    assert.equal(elsewhere.code, 2);
    assert.match(elsewhere.stderr, /this machine differs from the one the run started on:\n\s+kernel: run started on "5\.10\.0-other" vs here "/);
    reopen((r) => { r.provenance.git_commit = 'deadbeef'.repeat(5); });
    const otherCode = await runCli(['run', '--resume', 'out', '--no-plots'], dir);
    assert.equal(otherCode.code, 2);
    assert.match(otherCode.stderr, /the run started on commit deadbeef/);
    assert.equal(readTrials(outDir).length, 3, 'a refused resume changes no result');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a forced second Ctrl-C still leaves run.json not "running" and a summary.csv', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'h3-force-'));
  try {
    writeFileSync(join(dir, 'f.yaml'), `name: forced
traffic: { flows: 100, files: 3, duration_s: 1, warmup_s: 0.5 }
matrix: { nfs: [lb], stores: [hashmap], cores: [1] }
`);
    let sent = false;
    const r = await runCli(['run', 'f.yaml', '--out', 'out', '--no-plots'], dir, (all, kill) => {
      if (!sent && /\[2\/3\]/.test(all)) {
        sent = true;
        // twice in a row: the second one exits at once, with the trial still running
        kill('SIGINT');
        setTimeout(() => kill('SIGINT'), 50);
      }
    });
    assert.ok(sent, r.stderr);
    assert.equal(r.code, 130, r.stderr);
    const outDir = join(dir, 'out');
    const run = readRunJson(outDir);
    assert.equal(run.status, 'incomplete');
    assert.ok(run.provenance.ended_at);
    assert.equal(readTrials(outDir).length, 1, 'the finished trial is kept');
    assert.ok(existsSync(join(outDir, 'summary.csv')), 'summary.csv written from what finished');
    assert.equal(readSummary(outDir).find((x) => x.metric === 'tx_mpps')!.n, 1);
    assert.deepEqual(readdirSync(outDir).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock')), [], 'no half-written file, no lock left');
    assert.deepEqual(leftovers(dir), [], 'no NF process survives');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('repetitions auto: rounds stop once every cell is within target_ci; the rest is recorded as not needed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'h3-auto-'));
  const CAP = 6;
  try {
    // a wide target (±60 %): almost any host stops at one of the first checks; which one is the rule's to say, from
    // the rates it measured (a busy 2-core host needed a fourth round once: three samples were not within ±60 %)
    writeFileSync(join(dir, 'a.yaml'), `name: auto
traffic: { flows: 100, files: 1, duration_s: 0.5, warmup_s: 0.3 }
matrix: { nfs: [lb], stores: [hashmap], cores: [1], repetitions: auto, target_ci: "60%", max_repetitions: ${CAP} }
`);
    const r = await runCli(['run', 'a.yaml', '--out', 'out', '--no-plots'], dir);
    assert.equal(r.code, 0, r.stderr);
    const run = readRunJson(join(dir, 'out'));
    assert.equal(run.status, 'complete');
    const trials = readTrials(join(dir, 'out'));
    // the stopping rule (orchestrate/auto.ts, pinned by its own tests) replayed on the recorded trials: the first
    // check, from 3 rounds on, at which no cell is left unreached
    const { spec } = await loadSpec(join(dir, 'a.yaml'));
    const ok = trials.filter((t) => t.status === 'ok');
    let stop = CAP;
    for (let k = 3; k <= Math.min(CAP, ok.length); k++) {
      if (unreachedCells(spec, ok.slice(0, k)).length === 0) {
        stop = k;
        break;
      }
    }
    assert.equal(run.auto?.rounds_run, stop, JSON.stringify(run.auto));
    assert.deepEqual(trials.map((t) => t.status), [...Array(stop).fill('ok'), ...Array(CAP - stop).fill('skipped')]);
    if (stop < CAP) {
      assert.deepEqual(run.auto?.unreached, []);
      assert.match(trials[CAP - 1]!.reason!, new RegExp(`^not needed: every cell reached ±60\\.0% after ${stop} rounds`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('paired ratios with ratio_interval median: ratios.csv names the order-statistic interval, run.json and the last lines carry the orderings', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'h3-median-'));
  try {
    // 6 rounds (2 pcaps x 3 repetitions): the fewest pairs the median's 95 % interval needs
    writeFileSync(join(dir, 'm.yaml'), `name: median
traffic: { flows: 100, files: 2, duration_s: 0.3, warmup_s: 0.3 }
matrix: { nfs: [nat], stores: [hashmap, redis], cores: [1], repetitions: 3, ratio_interval: median }
baseline: { store: hashmap }
`);
    const r = await runCli(['run', 'm.yaml', '--out', 'out', '--no-plots'], dir);
    assert.equal(r.code, 0, r.stderr);
    const out = join(dir, 'out');
    const run = readRunJson(out);
    const trials = readTrials(out).filter((t) => t.status === 'ok');
    assert.equal(trials.length, 12);
    const ratios = readFileSync(join(out, 'ratios.csv'), 'utf8').trim().split('\n');
    const redis = ratios.filter((l) => l.startsWith('nat,redis,') && l.includes(',tx_mpps_own,'));
    assert.equal(redis.length, 1, ratios.join('\n'));
    assert.match(redis[0]!, /,6,[0-9.]+,[0-9.]+,[0-9.]+,"per-round ratio; median, order-statistic \(sign-test\) interval; 96\.9 %"$/);
    // the recorded interval is the 1st and 6th of the six per-round own-time ratios
    const own = (store: string, round: number) => trials.find((t) => t.store === store && t.round === round)!.tx_pps_own!;
    const xs = [0, 1, 2, 3, 4, 5].map((k) => own('redis', k) / own('hashmap', k)).sort((a, b) => a - b);
    const [low, high] = redis[0]!.split(',').slice(12, 14).map(Number);
    assert.ok(Math.abs(low! - xs[0]!) < 1e-9 && Math.abs(high! - xs[5]!) < 1e-9, `${low} ${high} vs ${xs.join(' ')}`);
    // the ordering of the group, in run.json and said at the end of the run
    assert.equal(run.orderings?.length, 1);
    const o = run.orderings![0]!;
    // the baseline names the store only: the group keeps the location
    assert.deepEqual([o.group, o.metric, o.baseline], ['nat/local/async/1', 'tx_mpps_own', 'store=hashmap']);
    assert.ok(['hashmap ≈ redis', 'hashmap ~ redis', 'hashmap > redis', 'redis > hashmap'].includes(o.order), o.order);
    // the one pair, on the paired interval of the six rounds, against the default margin (target_ci 3 %)
    const p = o.pairs![0]!;
    const symbol = { apart: '>', within: '≈', unresolved: '~' }[p.relation];
    assert.ok(o.order.includes(` ${symbol} `), `${o.order} for ${JSON.stringify(p)}`);
    const [lo, hi] = p.hi === 'hashmap' ? [1 / xs[5]!, 1 / xs[0]!] : [xs[0]!, xs[5]!];
    assert.ok(Math.abs(p.low! - lo) < 1e-9 && Math.abs(p.high! - hi) < 1e-9, `${JSON.stringify(p)} vs ${xs.join(' ')}`);
    const expected = p.ratio > 1.03 && lo > 1 ? 'apart' : lo >= 1 / 1.03 && hi <= 1.03 ? 'within' : 'unresolved';
    assert.equal(p.relation, expected, `${o.order}: [${lo}, ${hi}]`);
    assert.ok(r.stderr.includes(`paired ratios tx_mpps_own over store=hashmap, nat/local/async/1: ${o.order}`), r.stderr);
    assert.match(r.stderr, /orderings: > apart beyond target_ci 3\.0%, ≈ within it, ~ unresolved/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('validate exits 2 with positions; run of an invalid spec starts nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'h3-invalid-'));
  try {
    writeFileSync(join(dir, 'bad.yaml'), 'name: bad\nmatrix:\n  nfs: [nat]\n  cores: [0]\n  stores: [redis]\nfigurs: []\n');
    const v = await runCli(['validate', 'bad.yaml'], dir);
    assert.equal(v.code, 2);
    assert.match(v.stderr, /bad\.yaml:4:11: matrix\.cores\[0\]: expected a number > 0, found 0/);
    assert.match(v.stderr, /bad\.yaml:6:1: figurs: unknown key "figurs"; did you mean "figures"\?/);
    const r = await runCli(['run', 'bad.yaml', '--out', 'out'], dir);
    assert.equal(r.code, 2);
    assert.ok(!existsSync(join(dir, 'out')), 'nothing written');
    const ok = await runCli(['validate', join(ROOT, 'experiments', 'core-sweep.yaml')], dir);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /valid \(core-sweep\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dry run prints every trial with its command and an ETA, and runs nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'h3-dry-'));
  try {
    const r = await runCli(['run', join(ROOT, 'experiments', 'testbed.yaml'), '--dry-run'], dir);
    assert.equal(r.code, 0, r.stderr);
    const trials = r.stdout.split('\n').filter((l) => /^#\s*\d+ /.test(l));
    assert.equal(trials.length, 40);
    assert.match(r.stdout, /\$ dpdk-testpmd -l 0,1 .*--vdev net_pcap0,rx_pcap=.*infinite_rx=1 --vdev net_null0,no-rx=1 .*--forward-mode=macswap/);
    assert.match(r.stdout, /SKIP: testpmd needs 3 lcores/);
    assert.match(r.stdout, /^ETA \d/m);
    assert.ok(!existsSync(join(dir, 'results')) && !existsSync(join(dir, 'pcaps')), 'a dry run writes nothing');
    // the same spec on the emulated nodes: generator on node1, NF on node2, over SSH
    const nn = await runCli(['run', join(ROOT, 'experiments', 'store-location.yaml'), '--testbed', 'netns', '--dry-run'], dir);
    assert.equal(nn.code, 0, nn.stderr);
    assert.match(nn.stdout, /^spec store-location on testbed netns: /m);
    assert.match(nn.stdout, /\$ node2\$ .*nf run --nf nat .*--port port1/);
    assert.match(nn.stdout, /\$ node1\$ dpdk-testpmd .*net_af_packet1,iface=port1/);
    const bad = await runCli(['run', '--resume', dir, '--testbed', 'netns'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /cannot change a resumed run/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
