// The search's loads from the spec and the max-load forwarding rate (RFC 9971: start there), exact values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { searchLoads } from '../../../harness/orchestrate/measure.js';

test('search loads: auto max = 1.25 x the max-load rate, auto min = max / 1000 (at least 1,000 pps, at most max / 10), start clamped', () => {
  assert.deepEqual(searchLoads({ min_load_pps: 'auto', max_load_pps: 'auto' }, 8_000_000), { min: 10_000, max: 10_000_000, start: 8_000_000 });
  assert.deepEqual(searchLoads({ min_load_pps: 'auto', max_load_pps: 'auto' }, 20_000), { min: 1000, max: 25_000, start: 20_000 });
  // a dead-slow NF: max stays at least 10,000 pps, min at most a tenth of it
  assert.deepEqual(searchLoads({ min_load_pps: 'auto', max_load_pps: 'auto' }, 10), { min: 1000, max: 10_000, start: 1000 });
  assert.deepEqual(searchLoads({ min_load_pps: 5000, max_load_pps: 1_000_000 }, 2_000_000), { min: 5000, max: 1_000_000, start: 1_000_000 });
});
