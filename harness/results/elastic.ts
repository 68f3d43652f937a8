// The table of an elastic run (issue 18): per NF, store, mode and event kind, over its ok trials —
// recovery time (the event to the first packet of a moved flow forwarded by its new instance), packets
// lost, and state continuity (moved flows whose every later packet kept the translation they had).
// A store node kill (store redis-cluster) is a row of its own, event `kill-store-node`: its recovery is
// the kill to the last failing partition's first flush acknowledged again (the promotion as the NF's
// driver saw it), beside the cluster's own promotion time, the flush attempts that failed and the
// acknowledged state the promoted replica lacked.
// Written as elastic.csv beside summary.csv, and printed at the end of the run.
import { median } from './stats.js';
import type { TrialRecord } from './format.js';

export interface ElasticRow {
  nf: string;
  store: string;
  mode: string;
  cores: number;
  event: string;
  /** trials with this event that recovered */
  n: number;
  recovery_ms_median: number | null;
  recovery_ms_min: number | null;
  recovery_ms_max: number | null;
  /** the new owner's state loaded (ready), median */
  ready_ms_median: number | null;
  lost_packets_median: number | null;
  moved_flows_median: number | null;
  checked_flows: number;
  kept_flows: number;
  /** kept / checked, percent; null when nothing could be checked */
  kept_pct: number | null;
  changed_packets: number;
  /** trials in which the moved flows never came back */
  not_recovered: number;
  /** REINFORCE's failover time, to read recovery_ms against */
  reference_ms: number | null;
  /** counter NFs: the merged total minus the packets forwarded, least and most over the trials (null: not a counter) */
  counter_diff_min: number | null;
  counter_diff_max: number | null;
  /** counter NFs: packets in flight to a dying instance (counted or not), most over the trials */
  in_flight_lost_max: number | null;
  /** store node kills: the kill -> another node serves the dead master's slots, as the cluster says (median) */
  promoted_ms_median: number | null;
  /** store node kills: flush attempts that failed (median over the trials) */
  flushes_failed_median: number | null;
  /** store node kills: acknowledged flushes the promoted replica lacked, and their counted increments (sums over the trials) */
  state_losses: number | null;
  counts_lost: number | null;
  /** store node kills: flows whose translation changed during the trial, any cause (sum; null: not a NAT) */
  changed_flows: number | null;
}

export const ELASTIC_COLUMNS: readonly (keyof ElasticRow)[] = [
  'nf', 'store', 'mode', 'cores', 'event', 'n', 'recovery_ms_median', 'recovery_ms_min', 'recovery_ms_max', 'ready_ms_median', 'lost_packets_median',
  'moved_flows_median', 'checked_flows', 'kept_flows', 'kept_pct', 'changed_packets', 'not_recovered', 'reference_ms',
  'counter_diff_min', 'counter_diff_max', 'in_flight_lost_max', 'promoted_ms_median', 'flushes_failed_median', 'state_losses', 'counts_lost', 'changed_flows',
];

const NO_STORE_NODE = { promoted_ms_median: null, flushes_failed_median: null, state_losses: null, counts_lost: null, changed_flows: null } as const;

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function elasticRows(trials: readonly TrialRecord[]): ElasticRow[] {
  const groups = new Map<string, { t: TrialRecord; e: NonNullable<TrialRecord['elastic']>['events'][number] }[]>();
  for (const t of trials) {
    if (t.status !== 'ok' || !t.elastic) continue;
    for (const e of t.elastic.events) {
      const k = [t.nf, t.store, t.mode, t.cores, e.kind].join('|');
      groups.set(k, [...(groups.get(k) ?? []), { t, e }]);
    }
  }
  const rows: ElasticRow[] = [];
  for (const items of groups.values()) {
    const { t, e } = items[0]!;
    const rec = items.map((x) => x.e.recovery_ms).filter((x): x is number => x !== null);
    const ready = items.map((x) => x.e.ready_ms).filter((x): x is number => x !== null);
    const checked = items.reduce((s, x) => s + x.e.checked_flows, 0);
    const kept = items.reduce((s, x) => s + x.e.kept_flows, 0);
    rows.push({
      nf: t.nf, store: t.store, mode: t.mode, cores: t.cores, event: e.kind, n: rec.length,
      recovery_ms_median: rec.length ? r3(median(rec)) : null,
      recovery_ms_min: rec.length ? Math.min(...rec) : null,
      recovery_ms_max: rec.length ? Math.max(...rec) : null,
      ready_ms_median: ready.length ? r3(median(ready)) : null,
      lost_packets_median: r3(median(items.map((x) => x.e.lost_packets))),
      moved_flows_median: r3(median(items.map((x) => x.e.moved_flows))),
      checked_flows: checked,
      kept_flows: kept,
      kept_pct: checked > 0 ? r3((100 * kept) / checked) : null,
      changed_packets: items.reduce((s, x) => s + x.e.changed_packets, 0),
      not_recovered: items.length - rec.length,
      reference_ms: e.kind === 'kill' ? t.elastic!.reference_failover_ms : null,
      ...counterSpread(items.map((x) => x.t.elastic!.counter ?? null)),
      ...NO_STORE_NODE,
    });
  }
  rows.push(...storeNodeRows(trials));
  return rows.sort((a, b) => a.nf.localeCompare(b.nf) || a.event.localeCompare(b.event) || a.store.localeCompare(b.store) || a.mode.localeCompare(b.mode) || a.cores - b.cores);
}

/** One row per NF, store, mode and cores for the trials' store node kills. */
function storeNodeRows(trials: readonly TrialRecord[]): ElasticRow[] {
  const groups = new Map<string, { t: TrialRecord; e: NonNullable<NonNullable<TrialRecord['elastic']>['store_events']>[number] }[]>();
  for (const t of trials) {
    if (t.status !== 'ok' || !t.elastic?.store_events) continue;
    for (const e of t.elastic.store_events) {
      const k = [t.nf, t.store, t.mode, t.cores].join('|');
      groups.set(k, [...(groups.get(k) ?? []), { t, e }]);
    }
  }
  const rows: ElasticRow[] = [];
  for (const items of groups.values()) {
    const { t } = items[0]!;
    const rec = items.map((x) => x.e.driver_recovered_ms).filter((x): x is number => x !== null);
    const prom = items.map((x) => x.e.promoted_ms).filter((x): x is number => x !== null);
    rows.push({
      nf: t.nf, store: t.store, mode: t.mode, cores: t.cores, event: 'kill-store-node', n: rec.length,
      recovery_ms_median: rec.length ? r3(median(rec)) : null,
      recovery_ms_min: rec.length ? Math.min(...rec) : null,
      recovery_ms_max: rec.length ? Math.max(...rec) : null,
      ready_ms_median: null,
      lost_packets_median: r3(median(items.map((x) => x.e.lost_packets))),
      moved_flows_median: null, checked_flows: 0, kept_flows: 0, kept_pct: null, changed_packets: 0,
      // a partition with nothing to write while the node was down had no flush to fail: not "never recovered"
      not_recovered: items.filter((x) => x.e.outages.some((g) => g.to_ms === null)).length,
      reference_ms: t.elastic!.reference_failover_ms,
      counter_diff_min: null, counter_diff_max: null, in_flight_lost_max: null,
      promoted_ms_median: prom.length ? r3(median(prom)) : null,
      flushes_failed_median: r3(median(items.map((x) => x.e.flushes_failed))),
      state_losses: items.reduce((s, x) => s + x.e.state_losses, 0),
      counts_lost: items.reduce((s, x) => s + x.e.counts_lost, 0),
      changed_flows: t.nf === 'nat' ? items.reduce((s, x) => s + x.t.elastic!.changed_flows, 0) : null,
    });
  }
  return rows;
}

function counterSpread(cs: (NonNullable<TrialRecord['elastic']>['counter'] | null)[]): Pick<ElasticRow, 'counter_diff_min' | 'counter_diff_max' | 'in_flight_lost_max'> {
  const have = cs.filter((c): c is NonNullable<typeof c> => c != null);
  if (have.length === 0) return { counter_diff_min: null, counter_diff_max: null, in_flight_lost_max: null };
  return {
    counter_diff_min: Math.min(...have.map((c) => c.difference)),
    counter_diff_max: Math.max(...have.map((c) => c.difference)),
    in_flight_lost_max: Math.max(...have.map((c) => c.in_flight_lost)),
  };
}

export function elasticCsv(rows: readonly ElasticRow[]): string {
  const lines = [ELASTIC_COLUMNS.join(',')];
  for (const r of rows) lines.push(ELASTIC_COLUMNS.map((c) => (r[c] === null ? '' : String(r[c]))).join(','));
  return `${lines.join('\n')}\n`;
}

/** The table as a person reads it at the end of a run. */
export function elasticTable(rows: readonly ElasticRow[]): string[] {
  const counters = rows.some((r) => r.counter_diff_min !== null);
  const head = ['event', 'nf', 'store', 'mode', 'n', 'recovery ms (median, min-max)', 'state loaded ms', 'lost pkts', 'moved flows', 'translations kept', ...(counters ? ['count - forwarded (in flight)'] : [])];
  const body = rows.map((r) => [
    r.event, r.nf, r.store, r.mode, String(r.n),
    r.recovery_ms_median === null ? (r.not_recovered === 0 && r.event === 'kill-store-node' ? 'no flush failed' : `never (${r.not_recovered})`) : `${r.recovery_ms_median.toFixed(1)} (${r.recovery_ms_min!.toFixed(1)}-${r.recovery_ms_max!.toFixed(1)})${r.reference_ms !== null ? ` vs ${r.reference_ms}` : ''}`,
    r.ready_ms_median === null ? '-' : r.ready_ms_median.toFixed(1),
    r.lost_packets_median === null ? '-' : String(r.lost_packets_median),
    r.moved_flows_median === null ? '-' : String(r.moved_flows_median),
    r.kept_pct === null ? 'not checked' : `${r.kept_pct.toFixed(1)} % (${r.kept_flows}/${r.checked_flows})`,
    ...(counters ? [r.counter_diff_min === null ? '-' : `${r.counter_diff_min}..${r.counter_diff_max} (${r.in_flight_lost_max})`] : []),
  ]);
  // a store node kill: the cluster's promotion, failed flush attempts, what the promoted replica lacked
  const nodes = rows.filter((r) => r.promoted_ms_median !== null || r.flushes_failed_median !== null);
  if (nodes.length) {
    head.push('promoted ms (cluster)', 'flushes failed', 'acked flushes lost (counts)');
    for (const b of body) b.push('', '', '');
    nodes.forEach((r) => {
      const b = body[rows.indexOf(r)]!;
      b[b.length - 3] = r.promoted_ms_median === null ? 'never' : r.promoted_ms_median.toFixed(0);
      b[b.length - 2] = String(r.flushes_failed_median);
      b[b.length - 1] = `${r.state_losses} (${r.counts_lost})`;
      if (r.changed_flows !== null) b[9] = r.changed_flows === 0 ? 'all kept (0 changed)' : `${r.changed_flows} flows changed`;
    });
  }
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd();
  return [fmt(head), ...body.map(fmt)];
}
