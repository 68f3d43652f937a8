import { test } from 'node:test';
import assert from 'node:assert/strict';
import { figurePoints, bestPoints, figureSpec, seriesLabel, subtitleLines } from '../../../harness/plots/figures.js';
import { toSvg, svgToPng } from '../../../harness/plots/render.js';
import { figureSchema } from '../../../harness/spec/schema.js';
import type { SummaryRow, TrialRecord } from '../../../harness/results/format.js';
import { trialRecord } from '../results/record.js';

function row(over: Partial<SummaryRow>): SummaryRow {
  return {
    nf: 'nat', store: 'redis', location: 'local', mode: 'async', cores: 1, frame_size: 64, testbed: 'local', metric: 'tx_mpps', unit: 'Mpps',
    n: 3, mean: 5, sd: 1, median: 5, ci95_low: 4, ci95_high: 6, min: 4, max: 6, n_failed: 0, n_skipped: 0, ...over,
  };
}

const rows: SummaryRow[] = [
  row({ cores: 1, mean: 3, ci95_low: -1, ci95_high: 7 }),
  row({ cores: 2, mean: 6 }),
  row({ cores: 4, mean: 5 }),
  row({ store: 'hashmap', cores: 1, mean: 4 }),
  row({ store: 'hashmap', cores: 2, mean: 8, ci95_low: null, ci95_high: null, n: 1 }),
  row({ nf: 'lb', cores: 2, mean: 9 }),
  row({ cores: 2, metric: 'rx_mpps', mean: 99 }),
  row({ store: 'cassandra', cores: 1, mean: null, n: 0, n_skipped: 2 }),
];

test('points: filter, metric, series label, CI lows clamped at zero, empty cells left out', () => {
  const fig = figureSchema.parse({ id: 'f', title: 'NAT', filter: { nf: 'nat' } });
  const pts = figurePoints(fig, rows);
  assert.deepEqual(pts.map((p) => `${p.series}@${p.cores}=${p.mean}`), ['hashmap (local)@1=4', 'hashmap (local)@2=8', 'Redis (local)@1=3', 'Redis (local)@2=6', 'Redis (local)@4=5']);
  assert.equal(pts.find((p) => p.series === 'Redis (local)' && p.cores === 1)!.low, 0);
  // human labels, as a reader writes them
  assert.equal(seriesLabel(figureSchema.parse({ id: 'g', title: 'g', series: ['nf', 'mode'] }), rows[0]), 'NAT, async');
  assert.equal(seriesLabel(figureSchema.parse({ id: 'g', title: 'g', series: ['nf', 'store'] }), { ...rows[0], nf: 'counter-sync', store: 'cassandra' }), 'Sync Counter, Cassandra');
});

test('best: the core count with the highest mean per NF and series', () => {
  const fig = figureSchema.parse({ id: 'f', title: 'best', kind: 'best' });
  const best = bestPoints(figurePoints(fig, rows));
  assert.deepEqual(best.map((p) => `${p.nf}/${p.series}@${p.cores}`), ['lb/Redis (local)@2', 'nat/hashmap (local)@2', 'nat/Redis (local)@2']);
});

test('a figure renders to SVG with the line-rate rule and to a PNG', async () => {
  const fig = figureSchema.parse({ id: 'f', title: 'Figure 5: NAT', filter: { nf: 'nat' } });
  const spec = figureSpec(fig, rows, 'sub');
  assert.ok(spec);
  const svg = await toSvg(spec);
  assert.match(svg, /^<svg/);
  assert.ok(svg.includes('line rate 14.88 Mpps'));
  assert.ok(svg.includes('Figure 5: NAT') && svg.includes('Redis (local)') && svg.includes('Cores'));
  const png = svgToPng(svg);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(png.length > 10_000, `a real image, not an empty canvas (${png.length} bytes)`);
  const best = figureSpec(figureSchema.parse({ id: 'b', title: 'best', kind: 'best', line_rate_mpps: null }), rows);
  const bsvg = await toSvg(best!);
  assert.ok(!bsvg.includes('line rate') && bsvg.includes('2 cores'));
  assert.equal(figureSpec(figureSchema.parse({ id: 'e', title: 'e', filter: { nf: 'counter-sync' } }), rows), null, 'nothing to draw');
});

test('an "auto" line rate not resolved by a spec follows the frame size of the rows drawn', async () => {
  const fig = figureSchema.parse({ id: 'f', title: 'NAT, 128 B', filter: { nf: 'nat' } });
  assert.equal(fig.line_rate_mpps, 'auto');
  const svg = await toSvg(figureSpec(fig, rows.map((r) => ({ ...r, frame_size: 128 })))!);
  assert.ok(svg.includes('line rate 8.45 Mpps'));
  const given = await toSvg(figureSpec(figureSchema.parse({ id: 'g', title: 'g', filter: { nf: 'nat' }, line_rate_mpps: 3 }), rows)!);
  assert.ok(given.includes('line rate 3 Mpps'));
});

test('series 10x apart get a log axis; slow NFs read in kpps/pps; long legend labels are not cut', async () => {
  const { rateUnit } = await import('../../../harness/plots/figures.js');
  assert.deepEqual(rateUnit(12), { unit: 'Mpps', scale: 1 });
  assert.deepEqual(rateUnit(0.0456), { unit: 'kpps', scale: 1e3 });
  assert.deepEqual(rateUnit(0.0002), { unit: 'pps', scale: 1e6 });
  const fig7 = figureSchema.parse({ id: 'f7', title: 'Figure 7', series: ['nf', 'store'] });
  const r7 = [
    row({ nf: 'counter-sync', store: 'cassandra', cores: 1, mean: 0.0002, ci95_low: 0.00015, ci95_high: 0.00025 }),
    row({ nf: 'counter-async', store: 'cassandra', cores: 1, mean: 8, ci95_low: 7, ci95_high: 9 }),
  ];
  const vl = figureSpec(fig7, r7) as any;
  const y = vl.layer[0].encoding.y;
  assert.equal(y.scale.type, 'log');
  assert.ok(y.scale.domain[0] > 0 && y.scale.domain[0] < 0.0002);
  const svg = await toSvg(vl);
  assert.ok(svg.includes('Sync Counter, Cassandra') && svg.includes('Async Counter, Cassandra'), 'labels whole');
  assert.ok(svg.includes('log y-axis'));
  // a slow-only figure: pps, not a row of zeros
  const slow = figureSpec(figureSchema.parse({ id: 's', title: 's', filter: { nf: 'counter-sync' }, series: ['nf', 'store'] }), r7) as any;
  assert.match(slow.layer[0].encoding.y.title, /\(pps\)$/);
  assert.equal(slow.layer[0].data.values[0].mean, 200);
  // interval bars of series at one core count sit side by side
  const two = figureSpec(figureSchema.parse({ id: 't', title: 't', filter: { nf: 'nat' } }), rows) as any;
  const xs = two.layer[0].data.values.filter((p: any) => p.cores === 1).map((p: any) => p.x);
  assert.equal(new Set(xs).size, xs.length);
});

test('metric ratio: per-round ratios to the baseline with the 1.0 line; notes say what is not shown', async () => {
  const { figureNotes } = await import('../../../harness/plots/render.js');
  const fig = figureSchema.parse({ id: 'r', title: 'ratio', metric: 'ratio', baseline: { store: 'hashmap' } });
  const ratios = [{ nf: 'nat', store: 'redis', location: 'local', mode: 'async', cores: 1, frame_size: 64, testbed: 'local', figure: 'r', baseline: 'store=hashmap', metric: 'tx_mpps' as const, n_pairs: 3, ratio: 0.6, ratio_low: 0.55, ratio_high: 0.66, method: 'm' }];
  const svg = await toSvg(figureSpec(fig, rows, 'sub', { ratios, notes: ['a note'] })!);
  assert.ok(svg.includes('baseline = 1.0') && svg.includes('Ratio to store hashmap') && svg.includes('a note'));
  const t = (over: Partial<TrialRecord>) => trialRecord({ store: 'redis', pcap: 'p', rx_pps: 1, tx_pps: 1, warmup_s: 1, ...over });
  const notes = figureNotes(figureSchema.parse({ id: 'b', title: 'b', kind: 'best', series: ['store', 'location'] }), [
    t({}), t({ flags: ['host_busy: other work kept 0.9 cores busy'] }),
    t({ location: 'remote', status: 'skipped', reason: 'the local testbed has one node: a remote store needs a second node (use testbed: netns or lab)' }),
  ]);
  assert.ok(notes.some((n) => /1 cell\(s\) skipped: the local testbed has one node/.test(n)), notes.join('\n'));
  assert.ok(notes.some((n) => /host busy: other work took CPU during 1 of 2 trials/.test(n)));
  assert.ok(notes.some((n) => /only one store location \(local\) was measured here: this figure cannot show location/.test(n)));
});

test('subtitleLines: a long note wraps at word boundaries, continuation indented; short lines stay whole', () => {
  assert.deepEqual(subtitleLines(['run x · testbed local', 'host busy during 4 of 18 rows: other work took CPU'], 24), [
    'run x · testbed local', 'host busy during 4 of 18', '  rows: other work took', '  CPU',
  ]);
  assert.deepEqual(subtitleLines(['a-word-longer-than-the-width stays whole'], 10), ['a-word-longer-than-the-width', '  stays', '  whole']);
  // the run's identity line breaks between its facts, never inside one ("seed N" stays whole)
  assert.deepEqual(subtitleLines(['20261206T004437Z-core-sweep · testbed local · AMD EPYC, 2 cores · interleaved rounds, seed 384943079'], 96), [
    '20261206T004437Z-core-sweep · testbed local · AMD EPYC, 2 cores ·', '  interleaved rounds, seed 384943079',
  ]);
});

test('subtitleLines: a testbed\'s long description breaks after its "; " and ", " within the width (the endpoint figures\' subtitles)', () => {
  assert.deepEqual(subtitleLines(['aaaa, bbbb; cccc dddd, eeee'], 12), ['aaaa, bbbb;', '  cccc dddd,', '  eeee']);
  assert.deepEqual(subtitleLines(['short']), ['short']);
});

test('outliers: a point whose cell holds one is ringed (line figures), and the notes name the cell', async () => {
  const { figureNotes } = await import('../../../harness/plots/render.js');
  const fig = figureSchema.parse({ id: 'o', title: 'o', filter: { nf: 'nat' } });
  const spec = figureSpec(fig, [row({ cores: 1, mean: 5, n_outliers: 1 }), row({ cores: 2, mean: 6, n_outliers: 0 }), row({ cores: 4, mean: 7 })]) as any;
  const ring = spec.layer.find((l: any) => l.mark?.type === 'point' && l.mark.filled === false);
  assert.deepEqual(ring.data.values.map((p: any) => p.cores), [1]);
  assert.equal(figurePoints(figureSchema.parse({ id: 'r', title: 'r', metric: 'rx_mpps' }), [row({ metric: 'rx_mpps', n_outliers: 2 })])[0]!.outliers, 0); // counted on tx_mpps only
  assert.equal((figureSpec(fig, [row({ cores: 1 })]) as any).layer.some((l: any) => l.mark?.type === 'point'), false);
  // five trials of one cell, four near 10 Mpps and one at 6: that one is named by its cell
  const trials = [10, 10.1, 9.9, 10, 6].map((m, i) => trialRecord({ trial_id: `t${i}`, repetition: i, store: 'redis', tx_pps: m * 1e6, rx_pps: m * 1e6 }));
  trials.push(trialRecord({ trial_id: 'u', nf: 'lb', tx_pps: 1e6 }));
  const notes = figureNotes(fig, trials);
  assert.ok(notes.includes("1 outlier trial(s) in the cells behind this figure, kept in summary.csv (forwarded ≥ 10 % off their cell's median; the run's last lines name their logs), ringed: nat/redis/local/async/c1"), notes.join('\n'));
  // no ring where none is drawn: bars, and line figures of another rate
  for (const other of [{ kind: 'best' }, { metric: 'rx_mpps' }]) {
    assert.ok(figureNotes(figureSchema.parse({ id: 'b', title: 'b', ...other }), trials).some((n) => /^1 outlier trial\(s\) .*logs\): nat\/redis\/local\/async\/c1$/.test(n)), JSON.stringify(other));
  }
  assert.equal(figureNotes(fig, trials.slice(0, 4)).filter((n) => /outlier/.test(n)).length, 0);
});

test('a linear axis ends on a round value it chose, and a bar cut there reaches that edge', async () => {
  const { niceCeil } = await import('../../../harness/plots/figures.js');
  assert.equal(niceCeil(41.03828176570035), 45);
  assert.equal(niceCeil(54.2), 55);
  assert.equal(niceCeil(45), 45);
  assert.equal(niceCeil(0.83), 0.85);
  assert.equal(niceCeil(7.1), 7.5);
  // this run's Fig. 5: means near 27, one cell's interval up to ~60 (n = 3 on a busy host)
  const fig = figureSchema.parse({ id: 'c', title: 'cut', filter: { nf: 'nat' }, line_rate_mpps: 14.88 });
  const vl = figureSpec(fig, [row({ cores: 1, mean: 16, ci95_low: 13, ci95_high: 18 }), row({ cores: 2, mean: 27.36, ci95_low: 8.4, ci95_high: 60 })], 'sub') as any;
  const y = vl.layer[0].encoding.y.scale;
  assert.deepEqual(y, { domain: [0, 45], nice: false });
  const highs = vl.layer.flatMap((l: any) => (l.data?.values ?? []).map((p: any) => p.barHigh)).filter((v: unknown) => typeof v === 'number');
  assert.equal(Math.max(...highs), 45);
  assert.ok(JSON.stringify(vl.title).includes('CI bars cut at the edge of the axis'));
});
