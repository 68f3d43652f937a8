// measure: ndr_pdr and latency end to end through the real CLI (`flexbench run`): real `nf run`
// processes pacing each trial. Against ratelimit, whose capacity R is known, the search brackets R;
// a goal that cannot be met gives a flagged, irregular result and no number; an unpaced NF is refused
// before anything starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { readRunJson, readTrials, readSummary } from '../../../harness/results/files.js';
import { BUCKET_MS } from '../../../nfs/ratelimit.js';
import { runCli as runCliWith, ROOT } from './cli.js';

/** a search run takes longer than the default guard: past it, an interrupt (the run still writes its files) */
const runCli = (args: string[], cwd: string, onStderr?: Parameters<typeof runCliWith>[2]) => runCliWith(args, cwd, onStderr, { ms: 240_000, signal: 'SIGINT' });

const R = 50_000;
const W = 0.04;
const WARMUP = 0.3;
const D = 1;
/** nf run's default rx descriptors per queue: what a load above R can hide in the queue over warm-up + window */
const RING = 1024;

test(`flexbench run brackets ratelimit's R = ${R} pps within the search width, records every search trial, and measures latency beside the wire`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-measure-'));
  try {
    writeFileSync(join(dir, 'rl.yaml'), `name: rl
traffic: { flows: 500, files: 1, duration_s: ${D}, warmup_s: ${WARMUP} }
matrix: { nfs: [ratelimit], cores: [1] }
nf_options: { limit_pps: ${R}, limit_noise: 0.002, seed: 3 }
measure:
  ndr_pdr:
    goals:
      - { name: ndr, loss_ratio: 0, final_trial_duration: ${D}, initial_trial_duration: 0.5, width: ${W} }
      - { name: pdr, loss_ratio: 0.005, final_trial_duration: ${D}, initial_trial_duration: 0.5, width: ${W} }
    max_load_pps: ${R * 10}
  latency: { loads: [0, 0.5], low_rate_pps: 5000, duration_s: 0.5 }
`);
    const r = await runCli(['run', 'rl.yaml', '--out', 'out', '--seed', '1'], dir);
    assert.equal(r.code, 0, r.stderr);
    const out = join(dir, 'out');
    assert.equal(readRunJson(out).counts.ok, 1, 'one plan trial, however many sub-trials');
    const [cell] = readTrials(out);
    const all = readTrials(out, { sub: true });
    const search = all.filter((t) => t.measure === 'search');
    const ndr = cell!.search!.goals.find((g) => g.goal === 'ndr')!;
    const pdr = cell!.search!.goals.find((g) => g.goal === 'pdr')!;
    const at = `NDR ${ndr.lower_bound_pps?.toFixed(0)}..${ndr.upper_bound_pps?.toFixed(0)}, PDR ${pdr.lower_bound_pps?.toFixed(0)}..${pdr.upper_bound_pps?.toFixed(0)} in ${search.length} trials: ${search.map((t) => `${Math.round(t.load_pps!)}:${t.loss_ratio!.toFixed(4)}`).join(' ')}`;
    console.log(`# ratelimit R=${R} via flexbench run: ${at}`);

    // every search trial is a record with its load, loss, duration and phase, in order
    assert.equal(cell!.search_trials, search.length, at);
    assert.deepEqual(search.map((t) => t.search_n), search.map((_, i) => i + 1));
    for (const t of search) {
      assert.equal(t.parent_trial_id, cell!.trial_id);
      assert.ok(t.status === 'ok' && t.load_pps! > 0 && t.loss_ratio! >= 0 && t.loss_ratio! <= 1 && t.duration_s! > 0, JSON.stringify(t));
      assert.ok(['coarse', 'final'].includes(t.search_phase!) && ['ndr', 'pdr'].includes(t.search_goal!));
      assert.ok(t.intended_packets! >= t.tx_packets! * (1 - 1e-9) || t.loss_ratio === 0, 'forwarded never exceeds intended unless lossless');
    }
    // the search's bracket holds R, as far as the NF itself allows: it forwards R less its noise plus a
    // bucket of tokens, and a load above R hides at most a queue's worth over warm-up + window
    assert.ok(ndr.regular && pdr.regular, at);
    assert.equal(cell!.ndr_pps, ndr.lower_bound_pps);
    assert.equal(cell!.pdr_upper_pps, pdr.upper_bound_pps);
    const hidden = (BUCKET_MS / 1000 * R + RING) / (WARMUP + D) / R;
    assert.ok(ndr.lower_bound_pps! <= R * (1 + hidden), at);
    if (ndr.upper_bound_pps! < R * (1 - 2 * W)) {
      // a loss below R: only a host that kept the NF off a CPU (a competing load on 2 cores) explains it,
      // and the trial's record says so (the NF's wait share, or the host_busy flag)
      const lost = search.find((t) => Math.abs(t.load_pps! - ndr.upper_bound_pps!) < 1 && t.loss_ratio! > 0)!;
      assert.ok((lost.nf_wait_share ?? 0) > 0 || lost.flags.some((f) => f.startsWith('host_busy')), `${at}: lost at ${lost.load_pps} pps below R on a host that did not hold the NF back (${JSON.stringify({ wait: lost.nf_wait_share, flags: lost.flags })})`);
    }
    assert.ok(ndr.relative_width! <= W + 1e-9, at);
    assert.ok(ndr.lower_bound_pps! <= pdr.lower_bound_pps!, at);

    // latency: each load beside the wire at the same load, with its histogram
    const lat = all.filter((t) => t.measure === 'latency');
    const cal = all.filter((t) => t.measure === 'calibration');
    assert.deepEqual(lat.map((t) => t.latency_load), ['0', '50%']);
    assert.deepEqual(cal.map((t) => t.latency_load), ['0', '50%']);
    assert.ok(cal.every((t) => t.commands[0]!.includes('--nf wire')));
    assert.equal(lat[1]!.latency_reference, 'pdr');
    assert.ok(Math.abs(lat[1]!.load_pps! - 0.5 * pdr.lower_bound_pps!) < 1);
    for (const t of [...lat, ...cal]) {
      assert.equal(t.status, 'ok', t.reason ?? '');
      const l = t.latency!;
      assert.ok(l.samples > 0 && l.min_us <= l.p50_us && l.p50_us <= l.p90_us && l.p90_us <= l.p99_us && l.p99_us <= l.p999_us && l.p999_us <= l.max_us, JSON.stringify(l));
      assert.equal(hdr.decodeFromCompressedBase64(l.hdr).totalCount, l.samples, 'the serialised histogram holds every sample');
    }
    const rows = readSummary(out);
    assert.equal(rows.find((x) => x.metric === 'ndr_mpps')!.bound_high, ndr.upper_bound_pps! / 1e6);
    const p99 = rows.find((x) => x.metric === 'latency_p99_us' && x.load === '50%')!;
    assert.equal(p99.mean, lat[1]!.latency!.p99_us);
    assert.equal(p99.bias, cal[1]!.latency!.p99_us);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a goal that cannot be met (loss at the minimum load) is a flagged irregular result with no rate; latency at its fractions is not measured; frame sizes are an axis', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-measure-'));
  try {
    writeFileSync(join(dir, 'slow.yaml'), `name: slow
traffic: { flows: 200, files: 1, duration_s: 0.5, warmup_s: 0.2 }
matrix: { nfs: [ratelimit], cores: [1], frame_sizes: [64, 128] }
nf_options: { limit_pps: 2000 }
measure:
  ndr_pdr: { preset: quick, min_load_pps: 20000, max_load_pps: 100000 }
  latency: { loads: [0, 0.5], low_rate_pps: 500, duration_s: 0.5, calibrate: false }
`);
    const r = await runCli(['run', 'slow.yaml', '--out', 'out'], dir);
    assert.equal(r.code, 0, r.stderr);
    const out = join(dir, 'out');
    const cells = readTrials(out);
    assert.deepEqual(cells.map((c) => c.frame_size), [64, 128]);
    assert.ok(readRunJson(out).provenance.pcaps.map((p) => p.frame_size).join() === '64,128');
    for (const c of cells) {
      assert.equal(c.status, 'ok');
      for (const g of c.search!.goals) {
        assert.equal(g.regular, false);
        assert.match(g.irregular_reason!, /cannot be met/);
        assert.equal(g.lower_bound_pps, null, 'no false number');
      }
      assert.equal(c.ndr_pps, null);
      assert.ok(c.flags.some((f) => f.startsWith('irregular: ndr:')), c.flags.join('; '));
      const subs = readTrials(out, { sub: true }).filter((t) => t.parent_trial_id === c.trial_id);
      assert.equal(subs.find((t) => t.latency_load === '0')!.status, 'ok');
      const half = subs.find((t) => t.latency_load === '50%')!;
      assert.equal(half.status, 'skipped');
      assert.match(half.reason!, /search found no PDR/);
    }
    const ndrRow = readSummary(out).find((x) => x.metric === 'ndr_mpps' && x.frame_size === 64)!;
    assert.deepEqual([ndrRow.n, ndrRow.mean, ndrRow.n_irregular], [0, null, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('on the real NAT, NDR <= PDR <= the forwarding rate at max load, as measured in the same run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-measure-'));
  try {
    writeFileSync(join(dir, 'nat.yaml'), `name: nat
traffic: { flows: 500, files: 1, duration_s: 0.5, warmup_s: 0.3 }
matrix: { nfs: [nat], stores: [hashmap], modes: [async], cores: [1] }
measure:
  ndr_pdr:
    goals:
      - { name: ndr, loss_ratio: 0, final_trial_duration: 0.5, width: 0.1 }
      - { name: pdr, loss_ratio: 0.005, final_trial_duration: 0.5, width: 0.1 }
`);
    const r = await runCli(['run', 'nat.yaml', '--out', 'out'], dir);
    assert.equal(r.code, 0, r.stderr);
    const [cell] = readTrials(join(dir, 'out'));
    const at = `NDR ${cell!.ndr_pps} PDR ${cell!.pdr_pps} max-load ${cell!.tx_pps} (${cell!.search_trials} trials; ${cell!.flags.join('; ')})`;
    console.log(`# NAT: ${at}`);
    assert.equal(cell!.status, 'ok', cell!.reason ?? '');
    assert.ok(cell!.ndr_pps! > 0 && cell!.ndr_pps! <= cell!.pdr_pps! && cell!.pdr_pps! <= cell!.tx_pps!, at);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Ctrl-C in the middle of a search: the plan trial and its sub-records are dropped, --resume searches again and records each trial once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-measure-'));
  try {
    writeFileSync(join(dir, 'r.yaml'), `name: r
traffic: { flows: 200, files: 1, duration_s: 0.5, warmup_s: 0.2 }
matrix: { nfs: [ratelimit], cores: [1], repetitions: 2 }
nf_options: { limit_pps: 20000 }
measure:
  ndr_pdr: { goals: [{ name: ndr, loss_ratio: 0, final_trial_duration: 0.5, width: 0.1 }] }
`);
    let sent = false;
    const first = await runCli(['run', 'r.yaml', '--out', 'out', '--seed', '3', '--json'], dir, (all, kill) => {
      // the second plan trial's search has begun: its first trial is written, the plan trial is not
      if (!sent && (all.match(/ {4}#1 ndr/g) ?? []).length >= 2) {
        sent = true;
        kill('SIGINT');
      }
    });
    assert.ok(sent, first.stderr);
    assert.equal(first.code, 130, first.stderr);
    const out = join(dir, 'out');
    const kept = readTrials(out, { sub: true });
    assert.equal(kept.filter((t) => t.parent_trial_id === undefined).length, 1, 'one plan trial finished');
    assert.ok(kept.every((t) => t.parent_trial_id === undefined || t.parent_trial_id === kept[0]!.trial_id), 'no sub-record of the cut trial is kept');
    const again = await runCli(['run', '--resume', 'out'], dir);
    assert.equal(again.code, 0, again.stderr);
    const all = readTrials(out, { sub: true });
    assert.equal(new Set(all.map((t) => t.trial_id)).size, all.length, 'every record once');
    for (const c of all.filter((t) => t.parent_trial_id === undefined)) {
      const n = all.filter((t) => t.parent_trial_id === c.trial_id && t.measure === 'search').map((t) => t.search_n);
      assert.deepEqual(n, n.map((_, i) => i + 1), `${c.trial_id}: search trials 1..${n.length}`);
      assert.equal(c.search_trials, n.length);
    }
    assert.deepEqual(readRunJson(out).counts, { planned: 2, ok: 2, failed: 0, skipped: 0, missing: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unpaced generator (testpmd replaying its pcap) with ndr_pdr is refused before anything starts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-measure-'));
  try {
    writeFileSync(join(dir, 'u.yaml'), 'name: u\nmatrix: { nfs: [testpmd], cores: [1] }\nmeasure: { ndr_pdr: quick }\n');
    const r = await runCli(['run', 'u.yaml', '--out', 'out'], dir);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /u\.yaml:2:17: matrix\.nfs\[0\]: testpmd replays the pcap with net_pcap as fast as it can/);
    assert.ok(!existsSync(join(dir, 'out')) && !existsSync(join(dir, 'pcaps')), 'nothing was created');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
