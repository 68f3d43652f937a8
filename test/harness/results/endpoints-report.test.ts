// endpoints.md's check of the paper's order (Native ≥ Cache ≥ Async ≥ Sync in throughput, the reverse in
// RTT) against the spread each value was measured with, and its note of the store locations a profile
// runs that the run did not: exact text, pure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orderVerdict, paperOrderSection, unmeasuredSection } from '../../../harness/results/endpoints-report.js';
import type { SummaryRow } from '../../../harness/results/format.js';

test('orderVerdict: holds; a neighbour inverted within the spread of both; one inverted beyond it; the points in any order', () => {
  assert.equal(orderVerdict([{ key: 'sync', mean: 80, low: 70, high: 90 }, { key: 'native', mean: 1600, low: 1500, high: 1700 }, { key: 'cache', mean: 1500, low: 1400, high: 1600 }], false), 'Native ≥ Cache ≥ Sync: holds');
  assert.equal(
    orderVerdict([{ key: 'native', mean: 1685, low: 1162, high: 2208 }, { key: 'cache', mean: 1703, low: 1451, high: 1954 }, { key: 'stateless-async', mean: 480, low: 460, high: 500 }], false),
    'Native ≥ Cache ≥ Async: holds except Cache above Native (1703 vs 1685, +1.1 %), within the spread (1451-1954 and 1162-2208 overlap): these trials do not tell them apart',
  );
  assert.equal(
    orderVerdict([{ key: 'native', mean: 680, low: 600, high: 760 }, { key: 'cache', mean: 580, low: 560, high: 600 }, { key: 'sync', mean: 1870, low: 1800, high: 1940 }], true),
    'Native ≤ Cache ≤ Sync: holds except Cache below Native (580 vs 680, -14.7 %), within the spread (560-600 and 600-760 overlap): these trials do not tell them apart',
  );
  assert.equal(
    orderVerdict([{ key: 'native', mean: 193.7, low: 193.7, high: 237.8 }, { key: 'cache', mean: 250.3, low: 250.3, high: 307.4 }], false, 1),
    'Native ≥ Cache: holds except Cache above Native (250.3 vs 193.7, +29.2 %), beyond the spread (250.3-307.4 and 193.7-237.8 apart): ours differs',
  );
  // one sample: its range is its value
  assert.equal(orderVerdict([{ key: 'stateless-async', mean: 10, low: null, high: null }, { key: 'sync', mean: 10, low: null, high: null }], false), 'Async ≥ Sync: holds');
  assert.equal(orderVerdict([{ key: 'sync', mean: 11, low: null, high: null }, { key: 'stateless-async', mean: 10, low: null, high: null }], false), 'Async ≥ Sync: holds except Sync above Async (11 vs 10, +10.0 %), beyond the spread (11-11 and 10-10 apart): ours differs');
  assert.equal(orderVerdict([{ key: 'sync', mean: 11, low: null, high: null }], false), 'Sync: one mode measured, no order to check');
});

const row = (store: string, location: string, mode: string, metric: string, mean: number, min: number, max: number, o: Partial<SummaryRow> = {}): SummaryRow => ({
  nf: 'nat', store, location, mode, cores: 1, frame_size: 64, testbed: 'netns', metric, unit: 'Mbit/s', n: 2, mean, sd: null, median: mean,
  ci95_low: null, ci95_high: null, min, max, n_failed: 0, n_skipped: 0, ...o,
}) as SummaryRow;

test('paperOrderSection: per store location with Native beside each, Tables 2 and 3 by min-max, Figure 3 by the searches\' bounds; FlexState\'s async is no StatelessNF mode', () => {
  const rows = [
    row('none', 'local', 'none', 'tcp_mbps', 1600, 1500, 1700), row('redis', 'local', 'cache', 'tcp_mbps', 1650, 1550, 1750),
    row('redis', 'local', 'sync', 'tcp_mbps', 80, 70, 90), row('redis', 'local', 'async', 'tcp_mbps', 5000, 5000, 5000),
    row('redis', 'remote', 'sync', 'tcp_mbps', 2000, 1900, 2100),
    row('none', 'local', 'none', 'rtt_avg_us', 400, 300, 500), row('redis', 'local', 'sync', 'rtt_avg_us', 900, 800, 1000),
    row('none', 'local', 'none', 'ping_avg_us', 100, 90, 110), row('redis', 'local', 'sync', 'ping_avg_us', 95, 94, 96),
    row('none', 'local', 'none', 'ndr_mpps', 0.3, 0, 0, { frame_size: 1500, bound_low: 0.3, bound_high: 0.33 }),
    row('redis', 'local', 'sync', 'ndr_mpps', 0.03, 0, 0, { frame_size: 1500, bound_low: 0.03, bound_high: 0.034 }),
    row('redis', 'local', 'cache', 'udp_mbps', 900, 900, 900, { n: 0, mean: null }),
  ];
  assert.deepEqual(paperOrderSection(rows), [
    '', '## The paper\'s order, checked', '',
    'Throughput Native ≥ Cache ≥ Async ≥ Sync, RTT the reverse (the issue\'s reading of the paper\'s claims). Spread: min-max of the repetitions (Tables 2 and 3), the searches\' bounds (Figure 3). Where ours differs beyond the spread, docs/statelessnf.md says why from measurement.', '',
    '- redis (local), TCP Mbit/s: Native ≥ Cache ≥ Sync: holds except Cache above Native (1650 vs 1600, +3.1 %), within the spread (1550-1750 and 1500-1700 overlap): these trials do not tell them apart',
    '- redis (local), RTT avg µs: Native ≤ Sync: holds',
    '- redis (local), ping avg µs: Native ≤ Sync: holds except Sync below Native (95 vs 100, -5.0 %), within the spread (94-96 and 90-110 overlap): these trials do not tell them apart',
    '- redis (local), Figure 3 NDR kpps at 1500 B: Native ≥ Sync: holds',
    '- redis (remote), TCP Mbit/s: Native ≥ Sync: holds except Sync above Native (2000 vs 1600, +25.0 %), beyond the spread (1900-2100 and 1500-1700 apart): ours differs',
  ]);
  assert.deepEqual(paperOrderSection([row('none', 'local', 'none', 'tcp_mbps', 1600, 1500, 1700)]), [], 'one mode: nothing to check');
});

test('unmeasuredSection: a profile\'s store locations the run did not measure, with its words; nothing when the run had them or measured no store', () => {
  const profiles = {
    remote: { description: 'the store also on node1, about 8 minutes', matrix: { locations: ['local', 'remote'] } },
    paper: { matrix: { locations: ['local', 'remote'], repetitions: 5 } },
    quick: { matrix: { repetitions: 1 } },
  };
  const local = [row('none', 'local', 'none', 'tcp_mbps', 1, 1, 1), row('redis', 'local', 'sync', 'tcp_mbps', 1, 1, 1)];
  assert.deepEqual(unmeasuredSection(local, profiles), [
    '', '## Not measured in this run', '',
    '- store location remote: `--profile remote`: the store also on node1, about 8 minutes',
    '- store location remote: `--profile paper`',
  ]);
  assert.deepEqual(unmeasuredSection([...local, row('redis', 'remote', 'sync', 'tcp_mbps', 1, 1, 1, { n: 0, n_failed: 2 })], profiles), []);
  assert.deepEqual(unmeasuredSection([row('none', 'local', 'none', 'tcp_mbps', 1, 1, 1)], profiles), []);
});
