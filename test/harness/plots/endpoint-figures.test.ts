// StatelessNF's Tables 2 and 3 as bars (ours per store location with every repetition, the paper's value
// beside, gray) and Figure 3 as a table in endpoints.md (NDR per mode and frame size with its bounds, the
// order of the modes, the paper's figure in words); the figures really render.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointBars, endpointFigures, ourSeries, PAPER_SERIES } from '../../../harness/plots/endpoint-figures.js';
import { figure3Section, modeLabel } from '../../../harness/results/endpoints-report.js';
import { toSvg, svgToPng } from '../../../harness/plots/render.js';
import type { SummaryRow, TrialRecord } from '../../../harness/results/format.js';
import type { EndpointsSpec } from '../../../harness/spec/schema.js';
import { trialRecord } from '../results/record.js';

const rec = (o: Partial<TrialRecord>): TrialRecord => trialRecord({ store: 'redis', mode: 'cache', testbed: 'netns', ...o });

const E = {
  tests: ['tcp', 'udp', 'rtt'], streams: 10, udp_bitrate: 1e9, udp_length: 1472, rtt_packets: 1000, rtt_rate: 1000, ping_packets: 50, nat_timeout_s: 30,
  reference: { source: 'Click + RAMCloud, 1 GbE', values: { native: { tcp_mbps: 924.8, rtt_us: 371 }, cache: { tcp_mbps: 925, rtt_us: 317.2 }, sync: { tcp_mbps: 335.2 } } },
} as EndpointsSpec;

const trials = [
  rec({ store: 'none', mode: 'none', measure: 'iperf_tcp', throughput_mbps: 1600 }),
  rec({ store: 'none', mode: 'none', measure: 'iperf_tcp', throughput_mbps: 1700, repetition: 1 }),
  rec({ mode: 'cache', measure: 'iperf_tcp', throughput_mbps: 1400 }),
  rec({ mode: 'cache', measure: 'iperf_tcp', throughput_mbps: 1500, repetition: 1 }),
  rec({ mode: 'cache', location: 'remote', measure: 'iperf_tcp', throughput_mbps: 1450 }),
  rec({ mode: 'cache', measure: 'iperf_tcp', throughput_mbps: 9, status: 'failed' }),
  rec({ mode: 'cache', measure: 'rtt', rtt: { avg_us: 460 } as TrialRecord['rtt'] }),
  // a search's sub-record and the generator's trial are no bars
  rec({ mode: 'cache', measure: 'throughput' }),
];

test('Table 2 bars: ours per mode and store location (mean, min-max, every repetition), the paper\'s value beside only where we measured the mode', () => {
  const { bars, dots } = endpointBars(trials, [{ panel: 'TCP', measure: 'iperf_tcp', value: (r) => r.throughput_mbps, paper: 'tcp_mbps' }], E.reference);
  const local = ourSeries({ store: 'redis', location: 'local' });
  // Native (no store) takes the local slot: no gap beside the other modes
  assert.equal(ourSeries({ store: 'none', location: 'local' }), local);
  assert.deepEqual(bars.map((b) => `${b.mode}|${b.series}|${b.mean}|${b.min}-${b.max}|${b.n}`), [
    `Native|${local}|1650|1600-1700|2`,
    `Native|${PAPER_SERIES}|924.8|924.8-924.8|1`,
    `Cache|${local}|1450|1400-1500|2`,
    'Cache|ours: store on node1 (remote)|1450|1450-1450|1',
    `Cache|${PAPER_SERIES}|925|925-925|1`,
  ]);
  assert.equal(dots.length, 5, 'the failed trial is no dot');
});

test('the endpoint figures: Table 2 and Table 3, each naming both testbeds; none for tests not run; they render', async () => {
  const figs = endpointFigures(trials, E, { ours: 'run r, testbed netns', repetitions: '2 repetitions per cell' });
  assert.deepEqual(figs.map((f) => f.id), ['table2-throughput', 'table3-rtt']);
  const sub = (figs[0]!.spec as unknown as { title: { subtitle: string[] } }).title.subtitle;
  assert.ok(sub.includes('ours: run r, testbed netns') && sub.includes('the paper: Click + RAMCloud, 1 GbE'), sub.join('\n'));
  for (const f of figs) {
    const svg = await toSvg(f.spec);
    assert.match(svg, /the paper \(StatelessNF's testbed, subtitle\)/);
    assert.ok(svgToPng(svg).length > 1000);
  }
  assert.deepEqual(endpointFigures(trials.filter((t) => t.measure === 'rtt'), E, { ours: 'o', repetitions: 'r' }).map((f) => f.id), ['table3-rtt']);
});

const ndr = (store: string, location: string, mode: string, frame_size: number, mean: number, low: number, high: number, n_irregular = 0): SummaryRow => ({
  nf: 'nat', store, location, mode, cores: 1, frame_size, testbed: 'netns', metric: 'ndr_mpps', unit: 'Mpps', n: 1, mean, sd: null, median: mean,
  ci95_low: null, ci95_high: null, min: mean, max: mean, n_failed: 0, n_skipped: 0, bound_low: low, bound_high: high, n_irregular,
}) as SummaryRow;

test('Figure 3 in endpoints.md: NDR kpps with bounds per mode and size, the order at each size per location, the paper in words', () => {
  const rows = [
    ndr('none', 'local', 'none', 64, 0.25, 0.25, 0.28), ndr('none', 'local', 'none', 1500, 0.15, 0.15, 0.17),
    ndr('redis', 'local', 'cache', 64, 0.2, 0.2, 0.22), ndr('redis', 'local', 'cache', 1500, 0.16, 0.16, 0.18),
    ndr('redis', 'local', 'sync', 64, 0.031, 0.031, 0.036, 1),
  ];
  const label = (c: { store: string; mode: string }) => modeLabel(c.store, c.mode, 1);
  assert.deepEqual(figure3Section(rows, label, 'Cache meets Native from 500 B'), [
    '', '## Figure 3: highest UDP rate before loss by frame size (NDR, kpps)', '',
    'NDR: the RFC 9971 search\'s relevant lower bound at 0 % loss, mean over the searches of a cell; [lowest lower bound, highest upper bound] over them.', '',
    '| mode | store | 64 B | 1500 B |',
    '|---|---|---|---|',
    '| Native (no store) | — | 250.0 [250.0, 280.0] | 150.0 [150.0, 170.0] |',
    '| Cache | redis (local) | 200.0 [200.0, 220.0] | 160.0 [160.0, 180.0] |',
    '| Sync | redis (local) | 31.0 [31.0, 36.0] irregular | — |',
    '', 'Order of the modes by NDR at each frame size (per store location; Native beside each):', '',
    '- redis (local), 64 B: Native (no store) 250.0 > Cache 200.0 > Sync 31.0',
    '- redis (local), 1500 B: Cache 160.0 > Native (no store) 150.0',
    '', '**Paper\'s Figure 3**: Cache meets Native from 500 B', '',
  ]);
  assert.deepEqual(figure3Section(rows.map((r) => ({ ...r, metric: 'tx_mpps' })), label, undefined), [], 'no search, no section');
});
