// The figures of measure: ndr_pdr and latency: NDR/PDR by frame size with the searches' bounds, latency
// percentiles by load beside the back-to-back bias; human labels never cut; SVG and PNG really render.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latencyPoints, latencySpec, loadLabel, measureFigures, measureSeries, ratePoints, rateByFrameSizeSpec } from '../../../harness/plots/measure-figures.js';
import { toSvg, svgToPng } from '../../../harness/plots/render.js';
import type { SummaryRow } from '../../../harness/results/format.js';

function row(over: Partial<SummaryRow>): SummaryRow {
  return {
    nf: 'nat', store: 'redis', location: 'local', mode: 'async', cores: 1, frame_size: 64, testbed: 'netns', metric: 'ndr_mpps', unit: 'Mpps',
    n: 3, mean: 1, sd: 0.01, median: 1, ci95_low: 0.98, ci95_high: 1.02, min: 0.98, max: 1.02, n_failed: 0, n_skipped: 0, ...over,
  };
}

const rates: SummaryRow[] = [];
for (const [store, mode, k] of [['redis', 'async', 1], ['hashmap', 'async', 3], ['redis', 'sync', 0.1]] as const) {
  for (const [frame, f] of [[64, 1], [512, 0.8], [1500, 0.4]] as const) {
    const ndr = k * f;
    rates.push(row({ store, mode, frame_size: frame, metric: 'ndr_mpps', mean: ndr, bound_low: ndr * 0.99, bound_high: ndr * 1.01, n_irregular: 0 }));
    rates.push(row({ store, mode, frame_size: frame, metric: 'pdr_mpps', mean: ndr * 1.1, bound_low: ndr * 1.09, bound_high: ndr * 1.12, n_irregular: store === 'redis' && mode === 'sync' && frame === 1500 ? 1 : 0 }));
  }
}
const lat: SummaryRow[] = [];
for (const [store, mode, k] of [['redis', 'async', 1], ['redis', 'sync', 4]] as const) {
  for (const [load, pps, f] of [['0', 10_000, 1], ['10%', 20_000, 1.1], ['50%', 100_000, 1.5], ['90%', 180_000, 3]] as const) {
    for (const [metric, m, bias] of [['latency_p50_us', 20, 6], ['latency_p99_us', 120, 50], ['latency_p999_us', 900, 400]] as const) {
      const v = m * k * f;
      lat.push(row({ store, mode, metric, unit: 'us', load, load_pps: pps, mean: v, ci95_low: v * 0.9, ci95_high: v * 1.1, bias: bias * f, bias_n: 3 }));
    }
  }
}
// rows a latency figure must not draw: max-load rates, other percentiles
lat.push(row({ metric: 'tx_mpps', mean: 5 }), row({ metric: 'latency_max_us', unit: 'us', load: '50%', mean: 9999 }));

test('rate by frame size: NDR and PDR per store/mode with the bounds as bars, in Mpps; irregular searches said', async () => {
  const pts = ratePoints(rates, 'nat');
  assert.equal(pts.length, 18);
  assert.deepEqual(pts.filter((p) => p.series === 'Redis, async').map((p) => `${p.rate}@${p.frame}=${+p.mean.toFixed(4)} [${+p.low!.toFixed(4)}, ${+p.high!.toFixed(4)}]`), [
    'NDR@64=1 [0.99, 1.01]', 'NDR@512=0.8 [0.792, 0.808]', 'NDR@1500=0.4 [0.396, 0.404]',
    'PDR@64=1.1 [1.09, 1.12]', 'PDR@512=0.88 [0.872, 0.896]', 'PDR@1500=0.44 [0.436, 0.448]',
  ]);
  assert.equal(measureSeries({ store: 'hashmap', mode: 'sync', location: 'remote', cores: 2 }, { locations: 2, cores: 2 }), 'hashmap, sync, 2 cores (remote)');
  const vl = rateByFrameSizeSpec(rates, 'nat', ['run x · testbed netns']) as any;
  assert.equal(vl.title.text, 'NAT: NDR and PDR by frame size');
  assert.match(vl.title.subtitle.join('\n'), /1 point\(s\) from an irregular search: a bound only/);
  // Redis sync is 30x below hashmap: a log axis, said in the title and a note
  assert.equal(vl.layer[0].encoding.y.title, 'Loss-bounded rate (Mpps, log scale)');
  assert.equal(vl.layer[0].encoding.y.scale.type, 'log');
  assert.equal(vl.layer[0].encoding.y.scale.nice, false, 'the log axis spans the data, not whole decades');
  assert.match(vl.title.subtitle.join('\n'), /log y-axis: series differ by more than 10x/);
  const lin = rateByFrameSizeSpec(rates.filter((r) => r.mode === 'async'), 'nat') as any;
  assert.equal(lin.layer[0].encoding.y.title, 'Loss-bounded rate (Mpps)');
  // the NDR alone (StatelessNF's Figure 3): said in the title and the note, no dash legend for a rate not drawn;
  // an NF that runs Native names its store-less cell so
  const ndrOnly = rateByFrameSizeSpec([...rates, row({ store: 'none', mode: 'none', metric: 'ndr_mpps', mean: 2, bound_low: 2, bound_high: 2.1 })].filter((r) => r.metric === 'ndr_mpps'), 'nat') as any;
  assert.equal(ndrOnly.title.text, 'NAT: NDR by frame size');
  assert.match(ndrOnly.title.subtitle.join('\n'), /line: mean NDR \(RFC 9971/);
  assert.equal(ndrOnly.layer[0].encoding.strokeDash.legend, null);
  assert.ok(ndrOnly.layer[0].data.values.some((p: any) => p.series === 'Native (no store)'));
  assert.notEqual(vl.layer[0].encoding.strokeDash.legend, null);
  assert.deepEqual(vl.layer[0].encoding.x.axis.values, [64, 512, 1500]);
  assert.equal(vl.config.legend.labelLimit, 0);
  assert.equal(vl.config.axis.labelLimit, 0);
  // a series and its two rates sit side by side at one frame size
  const at64 = vl.layer[0].data.values.filter((p: any) => p.frame === 64).map((p: any) => p.x);
  assert.equal(new Set(at64).size, at64.length);
  const svg = await toSvg(vl);
  for (const s of ['NAT: NDR and PDR by frame size', 'Redis, async', 'Redis, sync', 'hashmap, async', 'NDR', 'PDR', 'Frame size (bytes, log scale)', '1500']) assert.ok(svg.includes(s), `SVG lacks "${s}"`);
  const png = svgToPng(svg);
  assert.ok(png.length > 5000);
  assert.equal(rateByFrameSizeSpec(rates, 'lb'), null);
  assert.doesNotMatch(vl.title.subtitle.join('\n'), /host busy/);
});

test('a busy host is said on the rate and latency figures of the NF whose rows were flagged, with how many', () => {
  const flagged = rates.map((r, i) => (i < 4 ? { ...r, flags: 'host_busy;low_count', n_flagged: 1 } : r));
  const rate = rateByFrameSizeSpec(flagged, 'nat') as any;
  const said = (vl: any) => vl.title.subtitle.join(' ').replace(/\s+/g, ' ');
  assert.match(said(rate), /host busy during 4 of 18 NDR\/PDR rows: other work took CPU, and a descheduled NF loses and delays packets/);
  const l = latencySpec(lat.map((r) => (r.metric === 'latency_p50_us' && r.load === '90%' ? { ...r, flags: 'host_busy' } : r)), 'nat') as any;
  assert.match(said(l), /host busy during 2 of 25 latency rows/);
  assert.doesNotMatch(said(l), /found no PDR/);
  const noPdr = latencySpec([...lat, row({ store: 'redis', mode: 'async', metric: 'pdr_mpps', n: 0, mean: null })], 'nat') as any;
  assert.match(said(noPdr), /Redis, async: the search found no PDR \(loss above the goal at its lowest load\), so no load relative to it was measured/);
});

test('latency: p50/p99/p99.9 by load per store/mode on a log axis, beside the back-to-back bias; loads in reading order with their pps', async () => {
  assert.equal(loadLabel('0', 10_000), 'fixed low rate (10.0 kpps)');
  assert.equal(loadLabel('90%', 1_234_567), '90 % (1.23 Mpps)');
  assert.equal(loadLabel('50%', null), '50 %');
  const pts = latencyPoints(lat, 'nat');
  assert.equal(pts.length, 24);
  assert.deepEqual(pts.filter((p) => p.series === 'Redis, sync' && p.percentile === 'p99').map((p) => `${p.load}=${+p.mean.toFixed(3)}`), ['0=480', '10%=528', '50%=720', '90%=1440']);
  const vl = latencySpec(lat, 'nat', ['run x']) as any;
  assert.equal(vl.title.text, 'NAT: latency by offered load');
  assert.match(vl.title.subtitle.join('\n'), /gray: the same percentile through the wire NF \(back-to-back bias\)/);
  const bias = vl.layer[0].data.values;
  assert.deepEqual(bias.filter((b: any) => b.percentile === 'p50').map((b: any) => `${b.loadLabel}=${+b.bias.toFixed(3)}`), ['fixed low rate (10.0 kpps)=6', '10 % (20.0 kpps)=6.6', '50 % (100.0 kpps)=9', '90 % (180.0 kpps)=18']);
  assert.equal(vl.layer[1].encoding.y.scale.type, 'log');
  assert.deepEqual(vl.layer[1].encoding.x.sort, ['fixed low rate (10.0 kpps)', '10 % (20.0 kpps)', '50 % (100.0 kpps)', '90 % (180.0 kpps)']);
  const svg = await toSvg(vl);
  for (const s of ['NAT: latency by offered load', 'Redis, async', 'Redis, sync', 'p99.9', 'fixed low rate (10.0 kpps)', 'Latency (µs, log scale)', 'percentile']) assert.ok(svg.includes(s), `SVG lacks "${s}"`);
  assert.ok(svgToPng(svg).length > 5000);
  // without a calibration the figure says the bias is not shown
  const noBias = latencySpec(lat.map((r) => ({ ...r, bias: null })), 'nat') as any;
  assert.match(noBias.title.subtitle.join('\n'), /no back-to-back calibration in this run: the method's own bias is not shown/);
  assert.equal(noBias.layer.length, 2);
});

test('a run draws one rate and one latency figure per NF it measured that way, never one of the wire', () => {
  const wire = lat.filter((r) => r.metric.startsWith('latency_')).map((r) => ({ ...r, nf: 'wire' }));
  const figs = measureFigures([...rates, ...lat, ...wire, row({ nf: 'lb', metric: 'tx_mpps', mean: 3 })]);
  assert.deepEqual(figs.map((f) => f.id), ['rate-by-frame-size-nat', 'latency-nat']);
  assert.deepEqual(measureFigures([row({ metric: 'tx_mpps', mean: 3 })]), []);
});
