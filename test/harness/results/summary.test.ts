// measure: ndr_pdr and latency in the results: sub-records stay out of the rates, NDR/PDR and latency rows by exact value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTrials, readTrials, writeSummary, readSummary } from '../../../harness/results/files.js';
import { summarizeTrials, ratioRows, pairedCellInterval, outlierTrials } from '../../../harness/results/summary.js';
import type { TrialRecord, LatencyRecord, SearchRecord } from '../../../harness/results/format.js';
import { trialRecord as rec } from './record.js';

const lat = (p50: number, p99: number): LatencyRecord => ({
  samples: 100, min_us: 1, mean_us: p50, p50_us: p50, p90_us: p50 * 2, p99_us: p99, p999_us: p99, max_us: p99 * 2, jitter_us: 1, bad_stamps: 0, hdr: 'HISTFAA',
});

const search = (ndr: [number | null, number | null], pdr: [number | null, number | null], trials: number, regular = true): SearchRecord => ({
  goals: [
    { goal: 'ndr', loss_ratio: 0, exceed_ratio: 0, width: 0.02, regular, irregular_reason: regular ? null : 'loss above the goal even at the minimum load', lower_bound_pps: ndr[0], upper_bound_pps: ndr[1], conditional_throughput_pps: ndr[0], relative_width: null },
    { goal: 'pdr', loss_ratio: 0.005, exceed_ratio: 0, width: 0.02, regular: true, irregular_reason: null, lower_bound_pps: pdr[0], upper_bound_pps: pdr[1], conditional_throughput_pps: pdr[0] === null ? null : pdr[0] * 0.999, relative_width: null },
  ],
  trials, seconds: trials * 2, min_load_pps: 1e4, max_load_pps: 2e6, start_load_pps: 1e6, stopped: null,
});

const records: TrialRecord[] = [
  rec({ trial_id: 'c/r0', tx_pps: 2e6, rx_pps: 2e6, search: search([1e6, 1.02e6], [1.1e6, 1.12e6], 10) }),
  rec({ trial_id: 'c/r0/search/1', parent_trial_id: 'c/r0', measure: 'search', tx_pps: 5e5, load_pps: 5e5, loss_ratio: 0, search_n: 1, search_goal: 'ndr', search_phase: 'coarse' }),
  rec({ trial_id: 'c/r0/latency/50%', parent_trial_id: 'c/r0', measure: 'latency', tx_pps: 5e5, load_pps: 5.5e5, latency_load: '50%', latency_reference: 'pdr', latency: lat(10, 100) }),
  rec({ trial_id: 'c/r0/calibration/50%', parent_trial_id: 'c/r0', measure: 'calibration', nf: 'nat', tx_pps: 5e5, load_pps: 5.5e5, latency_load: '50%', latency: lat(4, 40) }),
  rec({ trial_id: 'c/r1', repetition: 1, tx_pps: 4e6, rx_pps: 4e6, search: search([null, 1e4], [1.3e6, 1.32e6], 14, false) }),
  rec({ trial_id: 'c/r1/latency/50%', parent_trial_id: 'c/r1', repetition: 1, measure: 'latency', tx_pps: 6e5, load_pps: 6.5e5, latency_load: '50%', latency: lat(20, 300) }),
];

test('summary: search and latency sub-records never count as rate samples; NDR/PDR rows carry bounds, conditional throughput, irregular searches and trials', () => {
  const rows = summarizeTrials(records);
  const tx = rows.find((r) => r.metric === 'tx_mpps')!;
  assert.deepEqual([tx.n, tx.mean], [2, 3]);
  const ndr = rows.find((r) => r.metric === 'ndr_mpps')!;
  // the irregular search found no lower bound: one sample, counted irregular
  assert.deepEqual([ndr.n, ndr.mean, ndr.bound_low, ndr.bound_high, ndr.conditional, ndr.n_irregular, ndr.search_trials, ndr.unit], [1, 1, 1, 1.02, 1, 1, 12, 'Mpps']);
  const pdr = rows.find((r) => r.metric === 'pdr_mpps')!;
  assert.deepEqual([pdr.n, pdr.bound_low, pdr.bound_high, pdr.n_irregular], [2, 1.1, 1.32, 0]);
  assert.ok(Math.abs(pdr.mean! - 1.2) < 1e-12);
  assert.ok(Math.abs(pdr.conditional! - 1.2 * 0.999) < 1e-12);
  const p99 = rows.find((r) => r.metric === 'latency_p99_us' && r.load === '50%')!;
  assert.deepEqual([p99.n, p99.mean, p99.min, p99.max, p99.unit, p99.load_pps, p99.bias, p99.bias_n], [2, 200, 100, 300, 'us', 6e5, 40, 1]);
  assert.equal(rows.filter((r) => r.metric.startsWith('latency_')).length, 8);
});

test('readTrials: the plan trials by default, every sub-record with { sub: true }; the summary round-trips', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-summary-'));
  try {
    writeTrials(dir, records);
    assert.deepEqual(readTrials(dir).map((r) => r.trial_id), ['c/r0', 'c/r1']);
    assert.equal(readTrials(dir, { sub: true }).length, records.length);
    const rows = summarizeTrials(readTrials(dir, { sub: true }));
    writeSummary(dir, rows);
    assert.deepEqual(readSummary(dir), rows);
    // paired ratios stay between plan trials
    assert.ok(ratioRows(records, { nf: 'nat' }).every((r) => r.n_pairs === 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('end-host trials: throughput in Mbit/s and round trips in µs per cell, never samples of the packet rate', () => {
  const rtt = (avg: number) => ({ tool: 'udp_echo', sent: 100, received: 100, lost: 0, min_us: avg / 2, avg_us: avg, p50_us: avg, p99_us: avg * 3, max_us: avg * 4 });
  const rows = summarizeTrials([
    rec({ trial_id: 't0', measure: 'iperf_tcp', throughput_mbps: 900, tx_pps: 9e4 }),
    rec({ trial_id: 't1', measure: 'iperf_tcp', throughput_mbps: 1100, tx_pps: 1e5, repetition: 1 }),
    rec({ trial_id: 'u0', measure: 'iperf_udp', throughput_mbps: 950, iperf: { proto: 'udp', streams: 10, seconds: 2, received_mbps: 950, sent_mbps: 1000, retransmits: null, lost_packets: 0, packets: 100, lost_percent: 0, jitter_ms: 0.1, cpu_local_pct: null, cpu_remote_pct: null } }),
    rec({ trial_id: 'u1', measure: 'iperf_udp', status: 'failed', reason: 'iperf3 udp: nothing arrived at the server', throughput_mbps: null }),
    rec({ trial_id: 'r0', measure: 'rtt', rtt: rtt(100), ping: rtt(80) }),
    rec({ trial_id: 'r1', measure: 'rtt', rtt: rtt(300), ping: null, repetition: 1 }),
  ]);
  const by = (m: string) => rows.find((r) => r.metric === m)!;
  assert.equal(rows.filter((r) => r.metric === 'tx_mpps').length, 0, 'no packet-rate row from end-host trials');
  assert.deepEqual([by('tcp_mbps').unit, by('tcp_mbps').n, by('tcp_mbps').mean, by('tcp_mbps').min, by('tcp_mbps').max], ['Mbit/s', 2, 1000, 900, 1100]);
  assert.deepEqual([by('udp_mbps').n, by('udp_mbps').mean, by('udp_mbps').n_failed], [1, 950, 1]);
  assert.deepEqual([by('udp_loss_pct').unit, by('udp_loss_pct').mean, by('udp_loss_pct').ci95_low], ['%', 0, null]);
  assert.deepEqual([by('rtt_avg_us').unit, by('rtt_avg_us').mean, by('rtt_p99_us').mean, by('rtt_min_us').mean], ['us', 200, 600, 100]);
  assert.deepEqual([by('ping_avg_us').n, by('ping_avg_us').mean], [1, 80]);
});

test('ratios, interval median: the median of the per-round ratios and its order-statistic interval, one slow trial moving neither bound', () => {
  // nine rounds; in round 4 the redis trial ran at half speed (a slow spell of the host)
  const redis = [0.99, 1.0, 1.01, 0.98, 0.5, 1.02, 1.0, 0.99, 1.01];
  const records = redis.flatMap((x, k) => [
    rec({ trial_id: `h/${k}`, repetition: k, store: 'hashmap', tx_pps: 10e6, tx_pps_own: 10e6 }),
    rec({ trial_id: `r/${k}`, repetition: k, store: 'redis', tx_pps: 10e6 * x, tx_pps_own: 10e6 * x }),
  ]);
  const rows = ratioRows(records, { store: 'hashmap' }, '', ['tx_mpps_own'], 'median');
  const r = rows.find((x) => x.store === 'redis')!;
  assert.equal(r.n_pairs, 9);
  assert.deepEqual([r.ratio, r.ratio_low, r.ratio_high], [1.0, 0.98, 1.01].map((x) => (10e6 * x) / 10e6));
  assert.equal(r.method, 'per-round ratio; median, order-statistic (sign-test) interval; 96.1 %');
  assert.deepEqual([rows.find((x) => x.store === 'hashmap')!.ratio, rows.find((x) => x.store === 'hashmap')!.ratio_low], [1, 1]);
  // the default (mean) keeps the slow round in the geometric mean and its t interval
  const mean = ratioRows(records, { store: 'hashmap' }, '', ['tx_mpps_own']).find((x) => x.store === 'redis')!;
  assert.ok(mean.ratio! < 0.93 && mean.ratio_low! < 0.8, `${mean.ratio} [${mean.ratio_low}]`);
  // five pairs: the median, no interval (five values cover at most 93.75 %), said in the method
  const five = ratioRows(records.filter((t) => t.repetition < 5), { store: 'hashmap' }, '', ['tx_mpps'], 'median').find((x) => x.store === 'redis')!;
  assert.deepEqual([five.ratio, five.ratio_low, five.ratio_high], [0.99, null, null]);
  assert.equal(five.method, 'per-round ratio; median, order-statistic (sign-test) interval; 95 % needs 6 pairs');
  // summary.csv's ratio columns read the same
  const s = summarizeTrials(records, { baseline: { store: 'hashmap' }, interval: 'median' }).find((x) => x.store === 'redis' && x.metric === 'tx_mpps_own')!;
  assert.deepEqual([s.ratio, s.ratio_low, s.ratio_high], [r.ratio, r.ratio_low, r.ratio_high]);
});

test('pairedCellInterval: one cell over another from the rounds both were ok in, by exact value; null below two rounds', () => {
  const records = [0, 1, 2].flatMap((k) => [
    rec({ trial_id: `h/${k}`, repetition: k, store: 'hashmap', tx_pps: 10e6, tx_pps_own: 10e6 }),
    rec({ trial_id: `r/${k}`, repetition: k, store: 'redis', tx_pps: 9e6, tx_pps_own: 9e6 }),
    rec({ trial_id: `c/${k}`, repetition: k, store: 'cassandra', tx_pps: 8e6, tx_pps_own: k === 2 ? 4e6 : 8e6, status: k === 1 ? 'failed' : 'ok' }),
  ]);
  // a cell's key: any of its records
  const key = (store: string) => records.find((x) => x.store === store)!;
  // three rounds of 9/10 each: the interval is that ratio exactly
  assert.deepEqual(pairedCellInterval(records, key('redis'), key('hashmap'), 'tx_mpps'), { low: 0.9, high: 0.9 });
  // cassandra failed in round 1: rounds 0 and 2 pair it, 9/8 both on the forwarded rate
  assert.deepEqual(pairedCellInterval(records, key('redis'), key('cassandra'), 'tx_mpps'), { low: 9 / 8, high: 9 / 8 });
  const own = pairedCellInterval(records, key('redis'), key('cassandra'), 'tx_mpps_own')!;
  assert.ok(own.low < 9 / 8 && own.high > 9 / 4, `${own.low} … ${own.high}: rounds 9/8 and 9/4`);
  assert.equal(pairedCellInterval(records.filter((x) => x.repetition !== 2), key('redis'), key('cassandra'), 'tx_mpps'), null);
});

test('a trial far from its cell\'s others is counted (n_outliers) and named, and kept among the samples', () => {
  const cell = [10.2, 9.9, 10.4, 10, 5].map((m, i) => rec({ trial_id: `o/r${i}`, repetition: i, tx_pps: m * 1e6, rx_pps: m * 1e6 }));
  // another cell, steady, and a failed trial (no rate) in the first: neither is an outlier
  const other = [4, 4.1, 3.9, 4.05].map((m, i) => rec({ trial_id: `p/r${i}`, store: 'redis', repetition: i, tx_pps: m * 1e6, rx_pps: m * 1e6 }));
  const failed = rec({ trial_id: 'o/r5', repetition: 5, status: 'failed', tx_pps: null, rx_pps: null });
  const rows = summarizeTrials([...cell, ...other, failed]);
  const tx = rows.find((r) => r.metric === 'tx_mpps' && r.store === 'hashmap')!;
  assert.deepEqual([tx.n, tx.n_outliers, tx.min], [5, 1, 5], 'counted, and still a sample');
  assert.equal(rows.find((r) => r.metric === 'tx_mpps' && r.store === 'redis')!.n_outliers, 0);
  assert.deepEqual(outlierTrials([...cell, ...other, failed]).map((o) => [o.trial_id, o.tx_mpps, o.median_mpps]), [['o/r4', 5, 10]]);
  // below 4 samples nothing is judged: the column is empty; so it is with a rate of 0 among them (not on the log
  // scale), and no trial is named then either
  assert.equal(summarizeTrials(cell.slice(0, 3)).find((r) => r.metric === 'tx_mpps')!.n_outliers, null);
  const zero = [...cell, rec({ trial_id: 'o/r6', repetition: 6, tx_pps: 0, rx_pps: 0 })];
  assert.equal(summarizeTrials(zero).find((r) => r.metric === 'tx_mpps')!.n_outliers, null);
  assert.deepEqual(outlierTrials(zero), []);
  const dir = mkdtempSync(join(tmpdir(), 'fb-outl-'));
  try {
    writeSummary(dir, rows);
    assert.deepEqual(readSummary(dir).map((r) => r.n_outliers), rows.map((r) => r.n_outliers), 'the column reads back as written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
