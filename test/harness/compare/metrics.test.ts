// compare and ab on the metrics of measure: ndr_pdr and latency (issue 16): NDR/PDR from the plan trials'
// records, latency statistics per cell and load from the latency sub-records; which way is better is said
// once (compare/samples.ts): a latency increase is the regression. Exact values throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeRunJson, writeTrials, readRunJson } from '../../../harness/results/files.js';
import type { TrialRecord } from '../../../harness/results/format.js';
import { compareSampleSets } from '../../../harness/compare/compare.js';
import { loadSide } from '../../../harness/compare/side.js';
import { classify, decide, sideStats } from '../../../harness/compare/verdict.js';
import { decidePaired } from '../../../harness/compare/paired.js';
import { REPORTERS } from '../../../harness/compare/reporters/index.js';
import { METRICS, METRIC_INFO, betterOf } from '../../../harness/compare/samples.js';
import { saveBaseline } from '../../../harness/baseline/save.js';
import { abMetric } from '../../../harness/ab/run.js';
import { writeRun, key, makeTmp } from './fixtures.js';

const opts = { tolerance: 0.05, confidence: 0.95, force: false, strict: false };

test('direction, in one place: rates higher-is-better, every latency metric lower-is-better; classify swaps the sides for lower', () => {
  assert.deepEqual(METRICS.filter((m) => betterOf(m) === 'higher'), ['tx_mpps', 'rx_mpps', 'tx_mpps_own', 'ndr_mpps', 'pdr_mpps']);
  assert.ok(METRICS.filter((m) => m.startsWith('latency_')).every((m) => METRIC_INFO[m].better === 'lower' && METRIC_INFO[m].unit === 'us'));
  assert.equal(classify(0.1, 0.2, 0.05), 'improved');
  assert.equal(classify(0.1, 0.2, 0.05, 'lower'), 'regressed');
  assert.equal(classify(-0.2, -0.1, 0.05, 'lower'), 'improved');
  assert.equal(classify(-0.01, 0.01, 0.05, 'lower'), 'unchanged');
  assert.equal(classify(0.01, 0.1, 0.05, 'lower'), 'inconclusive');
  // +20 % latency: regressed, and the reason says which way is worse
  const d = decide(sideStats([100, 102, 98], 0, 0.95), sideStats([120, 122, 118], 0, 0.95), { tolerance: 0.05, confidence: 0.95, better: 'lower' });
  assert.equal(d.verdict, 'regressed');
  assert.equal(d.change, 0.2);
  assert.match(d.reason, /^95% CI of the change \[\+15\.47%, \+24\.53%\] lies entirely above \+5\.00% \(higher is worse for this metric\)$/);
  // paired (ab): head/base ratios of a latency around 0.8: improved
  const p = decidePaired([0.8, 0.81, 0.79], { tolerance: 0.05, confidence: 0.95, better: 'lower' });
  assert.equal(p.verdict, 'improved');
  assert.match(p.reason, /lies entirely below -5\.00%$/);
});

/** A run whose cells were searched (ndr/pdr on the plan trial) and had latency trials at loads "0" and "50%". */
function runWith(dir: string, o: { ndr: (number | null)[]; pdr: number[]; p99: Record<string, number[]>; failedLatency?: number }): string {
  mkdirSync(dir, { recursive: true });
  writeRun(dir, [{ key: key('nat', 'redis', 1), values: o.pdr.map((v) => v * 2) }]);
  const trials: TrialRecord[] = JSON.parse(`[${readFileSync(join(dir, 'trials.jsonl'), 'utf8').trim().split('\n').join(',')}]`);
  const search = { goals: [], trials: 9, seconds: 12, min_load_pps: 1e4, max_load_pps: 1e7, start_load_pps: 5e6, stopped: null };
  trials.forEach((t, i) => Object.assign(t, { measure: 'throughput', ndr_pps: o.ndr[i], pdr_pps: o.pdr[i], search }));
  const subs: TrialRecord[] = [];
  for (const [load, xs] of Object.entries(o.p99)) {
    xs.forEach((v, i) => {
      const parent = trials[i]!;
      subs.push({ ...parent, trial_id: `${parent.trial_id}/latency/${load}`, index: 100 + subs.length, measure: 'latency', parent_trial_id: parent.trial_id, latency_load: load, load_pps: 1000, search: undefined, ndr_pps: undefined, pdr_pps: undefined,
        latency: { samples: 1000, min_us: v / 4, mean_us: v / 2, p50_us: v / 3, p90_us: v / 1.5, p99_us: v, p999_us: v * 2, max_us: v * 3, jitter_us: 1, bad_stamps: 0, hdr: 'x' } });
    });
  }
  for (let i = 0; i < (o.failedLatency ?? 0); i++) subs.push({ ...subs[0]!, trial_id: `f${i}`, status: 'failed', reason: 'no stamps', latency: null });
  // a calibration through the wire is the method's bias, never a sample of the cell
  subs.push({ ...subs[0]!, trial_id: 'cal', measure: 'calibration', latency_load: '0' });
  writeTrials(dir, [...trials, ...subs]);
  writeRunJson(dir, readRunJson(dir));
  return dir;
}

test('compare --metric ndr_mpps / pdr_mpps / latency_p99_us on two runs: exact changes; latency per load, its increase regressed; a search without NDR counts as failed', () => {
  const { dir, cleanup } = makeTmp('metrics');
  try {
    const base = runWith(join(dir, 'base'), { ndr: [1e6, 1.02e6, 0.98e6], pdr: [2e6, 2.02e6, 1.98e6], p99: { '0': [10, 10.2, 9.8], '50%': [40, 40.4, 39.6] } });
    const cur = runWith(join(dir, 'cur'), { ndr: [1.5e6, 1.53e6, null], pdr: [2e6, 2.02e6, 1.98e6], p99: { '0': [10, 10.2, 9.8], '50%': [60, 60.6, 59.4] }, failedLatency: 1 });
    const ndr = compareSampleSets(loadSide(base, 'ndr_mpps'), loadSide(cur, 'ndr_mpps'), opts);
    assert.equal(ndr.cells.length, 1);
    assert.deepEqual([ndr.cells[0]!.baseline.n, ndr.cells[0]!.current.n, ndr.cells[0]!.current.failed], [3, 2, 1]);
    assert.equal(ndr.cells[0]!.verdict, 'improved');
    assert.equal(Math.round(ndr.cells[0]!.change * 1e6) / 1e6, 0.515);
    const pdr = compareSampleSets(loadSide(base, 'pdr_mpps'), loadSide(cur, 'pdr_mpps'), opts);
    assert.equal(pdr.cells[0]!.verdict, 'unchanged');
    assert.equal(pdr.cells[0]!.change, 0);

    const lat = compareSampleSets(loadSide(base, 'latency_p99_us'), loadSide(cur, 'latency_p99_us'), opts);
    assert.deepEqual(lat.cells.map((c) => [c.label, c.verdict, Math.round(c.change * 1e9) / 1e9, c.current.failed]), [
      ['nat/redis/local/async cores=1 frame=64 testbed=lab load=0', 'unchanged', 0, 1],
      ['nat/redis/local/async cores=1 frame=64 testbed=lab load=50%', 'regressed', 0.5, 0],
    ]);
    assert.equal(lat.exitCode, 3);
    // the same four reporters, in µs and saying which way is worse
    const text = REPORTERS.text.render(lat);
    assert.match(text, /^flexbench compare: latency_p99_us \(lower is better: an increase is the regression\), tolerance ±5\.00%/);
    assert.match(text, /REGRESSED +nat\/redis\/local\/async cores=1 frame=64 testbed=lab load=50%\n  change \+50\.00% \(median \+50\.00%\)/);
    assert.match(text, /  change \+50\.00% \(median \+50\.00%\), CI \[\+46\.93%, \+53\.07%\]\n  baseline: median 40\.0 µs, CI 39\.0 µs … 41\.0 µs, n=3\n  current:  median 60\.0 µs, CI 58\.5 µs … 61\.5 µs, n=3\n/);
    const md = REPORTERS.markdown.render(lat);
    assert.match(md, /\| 🔴 regressed \| nat\/redis\/local\/async cores=1 frame=64 testbed=lab load=50% \| 40\.0 µs \|/);
    const junit = REPORTERS.junit.render(lat);
    assert.match(junit, /<testcase [^>]*name="cores=1 frame=64 testbed=lab load=50%"[^>]*>\s*<failure/);
    const json = JSON.parse(REPORTERS.json.render(lat));
    assert.equal(json.metric, 'latency_p99_us');
    assert.deepEqual(json.cells.map((c: { key: { load: string }; verdict: string }) => [c.key.load, c.verdict]), [['0', 'unchanged'], ['50%', 'regressed']]);
    // latency_max_us is the p99 x 3 here: the same verdicts
    assert.deepEqual(compareSampleSets(loadSide(base, 'latency_max_us'), loadSide(cur, 'latency_max_us'), opts).cells.map((c) => c.verdict), ['unchanged', 'regressed']);

    // a run without searches or latency trials: a sentence, not an empty comparison
    const plain = writeRun(join(dir, 'plain'), [{ key: key('nat', 'redis', 1), values: [1e6, 1e6] }]);
    assert.throws(() => loadSide(plain, 'ndr_mpps'), /the run .*plain has no ndr_mpps: none of its cells was searched \(spec measure: \[ndr_pdr\]\)/);
    assert.throws(() => loadSide(plain, 'latency_p50_us'), /has no latency_p50_us: none of its cells had latency trials \(spec measure: \[latency\]\)/);

    // a baseline file keeps them: the same verdicts against it
    const { path } = saveBaseline(base, { dir: join(dir, 'baselines'), name: 'b', now: new Date(0) });
    const line = readFileSync(path, 'utf8').split('\n').find((l) => l.includes('"nf":"nat"'))!;
    assert.match(line, /"ndr_pps":\[1000000,1020000,980000\],"pdr_pps":\[2000000,2020000,1980000\],"no_rate":\{"ndr_pps":0,"pdr_pps":0\},"latency":\{"0":\{"failed":0,"mean_us":\[5,5\.1,4\.9\],/);
    assert.deepEqual(compareSampleSets(loadSide(path, 'latency_p99_us'), loadSide(cur, 'latency_p99_us'), opts).cells.map((c) => c.verdict), ['unchanged', 'regressed']);
    assert.equal(compareSampleSets(loadSide(path, 'ndr_mpps'), loadSide(cur, 'ndr_mpps'), opts).cells[0]!.verdict, 'improved');
    // an older baseline (rates only) still reads; asking it for latency says what is missing
    const old = saveBaseline(plain, { dir: join(dir, 'baselines'), name: 'old', now: new Date(0) }).path;
    assert.doesNotMatch(readFileSync(old, 'utf8'), /ndr_pps|latency/);
    assert.throws(() => loadSide(old, 'latency_p99_us'), /the baseline .*old\.baseline\.json has no latency_p99_us/);
  } finally {
    cleanup();
  }
});

test('ab: latency is measured at the spec\'s rate with ~10,000 stamps a second; NDR/PDR and a latency at "max" are refused with the way to get them', () => {
  const a = abMetric('latency_p99_us', { traffic: { rate: 250_000 } } as never);
  assert.deepEqual(a.load, { rate_pps: 250_000, latency_every: 25 });
  assert.equal(a.valueOf({ tx_pps: 1, rx_pps: 1, latency: { p99_us: 42 } }), 42);
  assert.equal(abMetric('latency_p50_us', { traffic: { rate: 5000 } } as never).load!.latency_every, 1);
  const tx = abMetric('tx_mpps', { traffic: { rate: 'max' } } as never);
  assert.equal(tx.load, null);
  assert.equal(tx.valueOf({ tx_pps: 7, rx_pps: 8 }), 7);
  assert.throws(() => abMetric('ndr_mpps', { traffic: { rate: 'max' } } as never), /run each build with measure: \[ndr_pdr\] and gate with flexbench compare BASE_RUN HEAD_RUN --metric ndr_mpps/);
  assert.throws(() => abMetric('latency_p99_us', { traffic: { rate: 'max' } } as never), /latency is measured at a load; set traffic\.rate/);
});
