import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, readdirSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTrials, readTrials, writeSummary, readSummary, formatSummaryCsv, parseSummaryCsv } from '../../../harness/results/files.js';
import { summarizeTrials } from '../../../harness/results/summary.js';
import type { TrialRecord } from '../../../harness/results/format.js';
import { trialRecord } from './record.js';

/** a redis cell's record, 2 s measured after 1 s of warm-up on one core */
const rec = (over: Partial<TrialRecord>): TrialRecord =>
  trialRecord({ store: 'redis', duration_s: 2, warmup_s: 1, per_core: [{ core: 0, rx_packets: 1, tx_packets: 1 }], ...over });

test('summary: per cell and metric, Mpps, t-based CI over the successful trials only', () => {
  const records = [
    rec({ trial_id: 'a', tx_pps: 10e6, rx_pps: 11e6 }),
    rec({ trial_id: 'b', tx_pps: 12e6, rx_pps: 11e6 }),
    rec({ trial_id: 'c', tx_pps: 14e6, rx_pps: 11e6 }),
    rec({ trial_id: 'd', status: 'failed', reason: 'boom', tx_pps: null, rx_pps: null }),
    rec({ trial_id: 'e', cores: 2, status: 'skipped', reason: 'needs 2 cores', tx_pps: null, rx_pps: null }),
  ];
  const rows = summarizeTrials(records);
  const tx = rows.find((r) => r.cores === 1 && r.metric === 'tx_mpps')!;
  assert.equal(tx.n, 3);
  assert.equal(tx.mean, 12);
  assert.equal(tx.sd, 2);
  assert.equal(tx.median, 12);
  // the interval is taken on the log scale (a rate never gets a negative bound): exp(mean ln x ± t·sd(ln x)/√n)
  const ln = [10, 12, 14].map(Math.log);
  const m = (ln[0]! + ln[1]! + ln[2]!) / 3;
  const sdLn = Math.sqrt(ln.reduce((a, x) => a + (x - m) ** 2, 0) / 2);
  const h = (4.302652729749464 * sdLn) / Math.sqrt(3);
  assert.ok(Math.abs(tx.ci95_low! - Math.exp(m - h)) < 1e-9 && Math.abs(tx.ci95_high! - Math.exp(m + h)) < 1e-9);
  assert.ok(tx.ci95_low! > 0);
  assert.match(tx.ci_method!, /ln\(x\)/);
  assert.equal(tx.cv, 2 / 12);
  // (t(0.975, 4) + t(0.8, 4)) · cv · √(2/3), in %
  assert.ok(Math.abs(tx.mde_pct! - (2.776445105197795 + 0.9409645772351785) * (2 / 12) * Math.sqrt(2 / 3) * 100) < 1e-6, String(tx.mde_pct));
  assert.equal(tx.n_failed, 1);
  const rx = rows.find((r) => r.cores === 1 && r.metric === 'rx_mpps')!;
  assert.equal(rx.sd, 0);
  const skipped = rows.find((r) => r.cores === 2 && r.metric === 'tx_mpps')!;
  assert.deepEqual([skipped.n, skipped.mean, skipped.ci95_low, skipped.n_skipped], [0, null, null, 1]);
});

test('summary.csv and trials.jsonl round-trip, written atomically (no temp files left)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'h3-results-'));
  try {
    const records = [rec({ trial_id: 'a', tx_pps: 1.5e6 }), rec({ trial_id: 'b', index: 1, tx_pps: 2.5e6, repetition: 1 })];
    writeTrials(dir, records);
    assert.deepEqual(readTrials(dir), records);
    const rows = summarizeTrials(records);
    writeSummary(dir, rows);
    assert.deepEqual(readSummary(dir), rows);
    const text = readFileSync(join(dir, 'summary.csv'), 'utf8');
    assert.match(text.split('\n')[0], /^nf,store,location,mode,cores,frame_size,testbed,metric,unit,n,mean,sd,median,ci95_low,ci95_high,min,max,n_failed,n_skipped,cv,mde_pct,n_flagged,flags,ci_method,baseline,ratio,ratio_low,ratio_high,load,load_pps,bound_low,bound_high,conditional,n_irregular,search_trials,bias,bias_n,n_outliers$/);
    assert.deepEqual(readdirSync(dir).sort(), ['summary.csv', 'trials.jsonl']);
    assert.deepEqual(parseSummaryCsv(formatSummaryCsv(rows)), rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a broken trials.jsonl line is named by file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'h3-results-'));
  try {
    writeTrials(dir, [rec({})]);
    const p = join(dir, 'trials.jsonl');
    appendFileSync(p, '{"nf": 3}\n');
    assert.throws(() => readTrials(dir), /trials\.jsonl:2: not a trial record/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});


test('paired ratios: each rate over the reference rate of the same round; log-scale interval; flags counted', async () => {
  const { ratioRows } = await import('../../../harness/results/summary.js');
  const records = [
    rec({ trial_id: 'h0', store: 'hashmap', pcap: 'p0', tx_pps: 10e6 }),
    rec({ trial_id: 'h1', store: 'hashmap', pcap: 'p1', tx_pps: 20e6 }),
    rec({ trial_id: 'r0', store: 'redis', pcap: 'p0', tx_pps: 5e6, flags: ['host_busy: other work kept 0.9 cores busy'] }),
    rec({ trial_id: 'r1', store: 'redis', pcap: 'p1', tx_pps: 12e6 }),
    rec({ trial_id: 'r2', store: 'redis', pcap: 'p2', tx_pps: 12e6 }), // no reference in its round: unpaired
  ];
  const rows = ratioRows(records, { store: 'hashmap' });
  const redis = rows.find((r) => r.store === 'redis')!;
  assert.equal(redis.n_pairs, 2);
  assert.ok(Math.abs(redis.ratio! - Math.sqrt(0.5 * 0.6)) < 1e-12, 'geometric mean of 0.5 and 0.6');
  assert.ok(redis.ratio_low! > 0 && redis.ratio_low! < redis.ratio! && redis.ratio! < redis.ratio_high!);
  assert.equal(redis.baseline, 'store=hashmap');
  assert.match(redis.method, /per-round ratio; student-t on ln/);
  assert.equal(rows.find((r) => r.store === 'hashmap')!.ratio, 1);
  const s = summarizeTrials(records, { baseline: { store: 'hashmap' } }).find((r) => r.store === 'redis' && r.metric === 'tx_mpps')!;
  assert.equal(s.ratio, redis.ratio);
  assert.equal(s.n_flagged, 1);
  assert.equal(s.flags, 'host_busy');
});

test('a trial file stem: its 0-padded index, its id with slashes as underscores', async () => {
  const { trialStem } = await import('../../../harness/results/format.js');
  assert.equal(trialStem({ index: 12, trial_id: 'nat/redis/local/async/c1/p0/r1' }), '0012-nat_redis_local_async_c1_p0_r1');
  assert.equal(trialStem({ index: 1234, trial_id: 'x' }), '1234-x');
});
