// The elastic table: recovery time, loss and state continuity per NF, store, mode and event, pinned by exact values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { elasticRows, elasticCsv, elasticTable } from '../../../harness/results/elastic.js';
import type { TrialRecord } from '../../../harness/results/format.js';
import { trialRecord } from './record.js';

const ev = (recovery: number | null, o: Partial<NonNullable<TrialRecord['elastic']>['events'][number]> = {}) => ({
  kind: 'kill' as const, instance: 'ins1', at_s: 2, at_ms: 2000, detected_ms: 1, ready_ms: recovery === null ? null : recovery - 2, recovery_ms: recovery,
  moved_flows: 1000, checked_flows: 1000, kept_flows: 1000, changed_packets: 0, lost_packets: 100, loaded: [], ...o,
});

const trial = (store: string, events: ReturnType<typeof ev>[], status: TrialRecord['status'] = 'ok'): TrialRecord => trialRecord({
  store, status,
  elastic: { instances: ['ins1', 'ins2'], series_file: 's.csv', bucket_ms: 10, sent: 1, returned: 1, lost: 0, missed: 0, nf_dropped: 0, unanswered: 0, changed_flows: 0, reference_failover_ms: 10, events, per_instance: {} },
});

test('per store: medians, extremes, kept share over every checked flow, trials that never recovered', () => {
  const rows = elasticRows([
    trial('redis', [ev(300)]),
    trial('redis', [ev(500, { lost_packets: 300, checked_flows: 990, kept_flows: 980, changed_packets: 12 })]),
    trial('redis', [ev(400, { lost_packets: 200 })]),
    trial('cassandra', [ev(null, { checked_flows: 0, kept_flows: 0 })]),
    trial('cassandra', [ev(100)], 'failed'),
  ]);
  assert.equal(rows.length, 2);
  const [c, r] = rows;
  assert.deepEqual(r, {
    nf: 'nat', store: 'redis', mode: 'async', cores: 1, event: 'kill', n: 3, recovery_ms_median: 400, recovery_ms_min: 300, recovery_ms_max: 500, ready_ms_median: 398,
    lost_packets_median: 200, moved_flows_median: 1000, checked_flows: 2990, kept_flows: 2980, kept_pct: 99.666, changed_packets: 12, not_recovered: 0, reference_ms: 10,
    counter_diff_min: null, counter_diff_max: null, in_flight_lost_max: null,
    promoted_ms_median: null, flushes_failed_median: null, state_losses: null, counts_lost: null, changed_flows: null,
  });
  assert.equal(c!.n, 0);
  assert.equal(c!.recovery_ms_median, null);
  assert.equal(c!.not_recovered, 1);
  assert.equal(c!.kept_pct, null);
  assert.equal(elasticCsv(rows).split('\n')[2], 'nat,redis,async,1,kill,3,400,300,500,398,200,1000,2990,2980,99.666,12,0,10,,,,,,,,');
  const table = elasticTable(rows);
  assert.match(table[1]!, /^kill\s+nat\s+cassandra\s+async\s+0\s+never \(1\)/);
  assert.match(table[2]!, /400\.0 \(300\.0-500\.0\) vs 10\s+398\.0\s+200\s+1000\s+99\.7 % \(2980\/2990\)$/);
});

test('counter NFs: the merged total minus the packets forwarded, least and most, and the packets in flight at a death', () => {
  const withCounter = (d: number, inflight: number) => {
    const t = trial('redis', [ev(300)]);
    t.elastic!.counter = { store_total: 1000 + d, forwarded: 1000, difference: d, in_flight_lost: inflight, mode: 'async', flush_ms: 1 };
    return { ...t, nf: 'counter-async' } as TrialRecord;
  };
  const [r] = elasticRows([withCounter(-40, 32), withCounter(3, 64)]);
  assert.deepEqual([r!.counter_diff_min, r!.counter_diff_max, r!.in_flight_lost_max], [-40, 3, 64]);
  assert.match(elasticTable([r!])[1]!, /-40\.\.3 \(64\)$/);
});

test('a store node kill: its own row, recovery as the driver saw it, the cluster\'s promotion, failed flushes, what the replica lacked', () => {
  const withNode = (recovered: number | null, promoted: number | null, failed: number, losses: number, counts: number, changed: number) => {
    const t = trial('redis-cluster', []);
    t.elastic!.changed_flows = changed;
    t.elastic!.store_events = [{
      node: 'master-of-ins1', port: 7001, pid: 1, role: 'master', slot: 42, at_s: 1.5, at_ms: 1500.2, killed_epoch_ms: 1e12, promoted_ms: promoted, promoted_port: promoted === null ? null : 7004,
      outages: recovered === null ? [{ instance: 'ins1', core: 0, from_ms: 1100, to_ms: null, failed: 9, error: 'x' }] : [], driver_recovered_ms: recovered, flushes_failed: failed, lost_packets: 3, state_losses: losses, counts_lost: counts,
    }];
    return t;
  };
  const rows = elasticRows([withNode(2400, 2300, 2, 0, 0, 0), withNode(2600, 2500, 4, 1, 25, 0), withNode(null, 2400, 1, 0, 0, 1)]);
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0], {
    nf: 'nat', store: 'redis-cluster', mode: 'async', cores: 1, event: 'kill-store-node', n: 2, recovery_ms_median: 2500, recovery_ms_min: 2400, recovery_ms_max: 2600,
    ready_ms_median: null, lost_packets_median: 3, moved_flows_median: null, checked_flows: 0, kept_flows: 0, kept_pct: null, changed_packets: 0, not_recovered: 1, reference_ms: 10,
    counter_diff_min: null, counter_diff_max: null, in_flight_lost_max: null, promoted_ms_median: 2400, flushes_failed_median: 2, state_losses: 1, counts_lost: 25, changed_flows: 1,
  });
  const table = elasticTable(rows);
  assert.match(table[0]!, /promoted ms \(cluster\)\s+flushes failed\s+acked flushes lost \(counts\)$/);
  assert.match(table[1]!, /^kill-store-node\s+nat\s+redis-cluster\s+async\s+2\s+2500\.0 \(2400\.0-2600\.0\) vs 10\s+-\s+3\s+-\s+1 flows changed\s+2400\s+2\s+1 \(25\)$/);
});

test('a store node kill nobody had to write through: no flush failed, not "never recovered"', () => {
  const t = trial('redis-cluster', []);
  t.elastic!.store_events = [{
    node: 'master1', port: 7001, pid: 1, role: 'master', slot: 0, at_s: 1.5, at_ms: 1500, killed_epoch_ms: 1e12, promoted_ms: 2300, promoted_port: 7004,
    outages: [], driver_recovered_ms: null, flushes_failed: 0, lost_packets: 0, state_losses: 0, counts_lost: 0,
  }];
  const [r] = elasticRows([t]);
  assert.equal(r!.not_recovered, 0);
  assert.match(elasticTable([r!])[1]!, /^kill-store-node\s+nat\s+redis-cluster\s+async\s+0\s+no flush failed\s/);
});

test('a Cassandra ring node kill: its row carries the counter\'s difference from the exact count, and no promotion', () => {
  const t = trial('cassandra-cluster', []);
  t.nf = 'counter-async';
  t.elastic!.counter = { store_total: 1000, forwarded: 1000, difference: 0, in_flight_lost: 0, mode: 'async', flush_ms: 5 };
  t.elastic!.store_events = [{
    node: 'node1', port: 9042, pid: 1, role: 'node', slot: 0, at_s: 1.5, at_ms: 1500, killed_epoch_ms: 1e12, promoted_ms: null, promoted_port: null,
    outages: [{ instance: 'ins1', core: 0, from_ms: 200, to_ms: 5300, failed: 1, error: 'Server timeout during write query at consistency ONE' }],
    driver_recovered_ms: 5300, flushes_failed: 1, lost_packets: 0, state_losses: 0, counts_lost: 0,
  }];
  const [r] = elasticRows([t]);
  assert.deepEqual([r!.event, r!.store, r!.counter_diff_min, r!.counter_diff_max, r!.promoted_ms_median, r!.recovery_ms_median, r!.flushes_failed_median, r!.state_losses], ['kill-store-node', 'cassandra-cluster', 0, 0, null, 5300, 1, 0]);
  assert.match(elasticTable([r!])[1]!, /^kill-store-node\s+counter-async\s+cassandra-cluster\s+async\s+1\s+5300\.0 \(5300\.0-5300\.0\) vs 10\s+-\s+0\s+-\s+not checked\s+0\.\.0 \(0\)\s+- \(no promotion\)\s+1\s+0 \(0\)$/);
});
