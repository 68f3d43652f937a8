import { test } from 'node:test';
import assert from 'node:assert/strict';
import { figurePoints, bestPoints, figureSpec, seriesLabel } from '../../../harness/plots/figures.js';
import { toSvg, svgToPng } from '../../../harness/plots/render.js';
import { figureSchema } from '../../../harness/spec/schema.js';
import type { SummaryRow } from '../../../harness/results/format.js';

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
  assert.deepEqual(pts.map((p) => `${p.series}@${p.cores}=${p.mean}`), ['hashmap_local@1=4', 'hashmap_local@2=8', 'redis_local@1=3', 'redis_local@2=6', 'redis_local@4=5']);
  assert.equal(pts.find((p) => p.series === 'redis_local' && p.cores === 1)!.low, 0);
  assert.equal(seriesLabel(figureSchema.parse({ id: 'g', title: 'g', series: ['nf', 'mode'] }), rows[0]), 'nat_async');
});

test('best: the core count with the highest mean per NF and series', () => {
  const fig = figureSchema.parse({ id: 'f', title: 'best', kind: 'best' });
  const best = bestPoints(figurePoints(fig, rows));
  assert.deepEqual(best.map((p) => `${p.nf}/${p.series}@${p.cores}`), ['lb/redis_local@2', 'nat/hashmap_local@2', 'nat/redis_local@2']);
});

test('a figure renders to SVG with the line-rate rule and to a PNG', async () => {
  const fig = figureSchema.parse({ id: 'f', title: 'Figure 5: NAT', filter: { nf: 'nat' } });
  const spec = figureSpec(fig, rows, 'sub');
  assert.ok(spec);
  const svg = await toSvg(spec);
  assert.match(svg, /^<svg/);
  assert.ok(svg.includes('line rate 14.88 Mpps'));
  assert.ok(svg.includes('Figure 5: NAT') && svg.includes('redis_local') && svg.includes('Cores'));
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
