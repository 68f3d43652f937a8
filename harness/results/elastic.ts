// The table of an elastic run (issue 18): per NF, store, mode and event kind, over its ok trials —
// recovery time (the event to the first packet of a moved flow forwarded by its new instance), packets
// lost, and state continuity (moved flows whose every later packet kept the translation they had).
// A store node kill (store redis-cluster or cassandra-cluster) is a row of its own, event
// `kill-store-node`: its recovery is the kill to the last failing partition's first flush acknowledged
// again (the promotion, or a Cassandra ring's conviction of the dead node, as the NF's driver saw it),
// beside the cluster's own promotion time (a ring promotes nothing), the flush attempts that failed, the
// acknowledged state the store was found to lack and a counter's difference from the exact count.
// Written as elastic.csv beside summary.csv, and printed at the end of the run.
import { median } from './stats.js';
import type { ElasticRecord, TrialRecord } from './format.js';

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
/** The median of the values that are there (null: none is), to three decimals. */
const medianOf = (xs: readonly (number | null)[]): number | null => {
  const have = xs.filter((x): x is number => x !== null);
  return have.length ? r3(median(have)) : null;
};
const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);

/** The ok trials' events of one kind (an instance's or a store node's), grouped by key in first-seen order. */
function groupEvents<E>(trials: readonly TrialRecord[], eventsOf: (el: ElasticRecord) => readonly E[] | undefined, key: (t: TrialRecord, e: E) => string): { t: TrialRecord; e: E }[][] {
  const groups = new Map<string, { t: TrialRecord; e: E }[]>();
  for (const t of trials) {
    if (t.status !== 'ok' || !t.elastic) continue;
    for (const e of eventsOf(t.elastic) ?? []) {
      const k = key(t, e);
      const g = groups.get(k);
      if (g) g.push({ t, e });
      else groups.set(k, [{ t, e }]);
    }
  }
  return [...groups.values()];
}

/** The recovery columns over the trials that recovered (n of them; null: none did). */
function recoverySpread(ms: readonly (number | null)[]): Pick<ElasticRow, 'n' | 'recovery_ms_median' | 'recovery_ms_min' | 'recovery_ms_max'> {
  const rec = ms.filter((x): x is number => x !== null);
  return { n: rec.length, recovery_ms_median: medianOf(rec), recovery_ms_min: rec.length ? Math.min(...rec) : null, recovery_ms_max: rec.length ? Math.max(...rec) : null };
}

export function elasticRows(trials: readonly TrialRecord[]): ElasticRow[] {
  const rows: ElasticRow[] = [];
  for (const items of groupEvents(trials, (el) => el.events, (t, e) => [t.nf, t.store, t.mode, t.cores, e.kind].join('|'))) {
    const { t, e } = items[0]!;
    const checked = sum(items.map((x) => x.e.checked_flows));
    const kept = sum(items.map((x) => x.e.kept_flows));
    const recovery = recoverySpread(items.map((x) => x.e.recovery_ms));
    rows.push({
      nf: t.nf, store: t.store, mode: t.mode, cores: t.cores, event: e.kind, ...recovery,
      ready_ms_median: medianOf(items.map((x) => x.e.ready_ms)),
      lost_packets_median: r3(median(items.map((x) => x.e.lost_packets))),
      moved_flows_median: r3(median(items.map((x) => x.e.moved_flows))),
      checked_flows: checked,
      kept_flows: kept,
      kept_pct: checked > 0 ? r3((100 * kept) / checked) : null,
      changed_packets: sum(items.map((x) => x.e.changed_packets)),
      not_recovered: items.length - recovery.n,
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
  return groupEvents(trials, (el) => el.store_events, (t) => [t.nf, t.store, t.mode, t.cores].join('|')).map((items) => {
    const { t } = items[0]!;
    return {
      nf: t.nf, store: t.store, mode: t.mode, cores: t.cores, event: 'kill-store-node', ...recoverySpread(items.map((x) => x.e.driver_recovered_ms)),
      ready_ms_median: null,
      lost_packets_median: r3(median(items.map((x) => x.e.lost_packets))),
      moved_flows_median: null, checked_flows: 0, kept_flows: 0, kept_pct: null, changed_packets: 0,
      // a partition with nothing to write while the node was down had no flush to fail: not "never recovered"
      not_recovered: items.filter((x) => x.e.outages.some((g) => g.to_ms === null)).length,
      reference_ms: t.elastic!.reference_failover_ms,
      // a counter's merged total against the packets forwarded: what the node's death cost the count
      ...counterSpread(items.map((x) => x.t.elastic!.counter ?? null)),
      promoted_ms_median: medianOf(items.map((x) => x.e.promoted_ms)),
      flushes_failed_median: r3(median(items.map((x) => x.e.flushes_failed))),
      state_losses: sum(items.map((x) => x.e.state_losses)),
      counts_lost: sum(items.map((x) => x.e.counts_lost)),
      changed_flows: t.nf === 'nat' ? sum(items.map((x) => x.t.elastic!.changed_flows)) : null,
    };
  });
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
  // a store node kill: the cluster's promotion, failed flush attempts, what the promoted replica lacked
  const isNode = (r: ElasticRow) => r.promoted_ms_median !== null || r.flushes_failed_median !== null;
  const nodes = rows.some(isNode);
  const head = [
    'event', 'nf', 'store', 'mode', 'n', 'recovery ms (median, min-max)', 'state loaded ms', 'lost pkts', 'moved flows', 'translations kept',
    ...(counters ? ['count - forwarded (in flight)'] : []), ...(nodes ? ['promoted ms (cluster)', 'flushes failed', 'acked flushes lost (counts)'] : []),
  ];
  const body = rows.map((r) => [
    r.event, r.nf, r.store, r.mode, String(r.n),
    r.recovery_ms_median === null ? (r.not_recovered === 0 && r.event === 'kill-store-node' ? 'no flush failed' : `never (${r.not_recovered})`) : `${r.recovery_ms_median.toFixed(1)} (${r.recovery_ms_min!.toFixed(1)}-${r.recovery_ms_max!.toFixed(1)})${r.reference_ms !== null ? ` vs ${r.reference_ms}` : ''}`,
    r.ready_ms_median === null ? '-' : r.ready_ms_median.toFixed(1),
    r.lost_packets_median === null ? '-' : String(r.lost_packets_median),
    r.moved_flows_median === null ? '-' : String(r.moved_flows_median),
    // a store node kill moves no flow: a NAT's translations are kept unless a flow's changed, any cause
    isNode(r) && r.changed_flows !== null ? (r.changed_flows === 0 ? 'all kept (0 changed)' : `${r.changed_flows} flows changed`)
      : r.kept_pct === null ? 'not checked' : `${r.kept_pct.toFixed(1)} % (${r.kept_flows}/${r.checked_flows})`,
    ...(counters ? [r.counter_diff_min === null ? '-' : `${r.counter_diff_min}..${r.counter_diff_max} (${r.in_flight_lost_max})`] : []),
    ...(!nodes ? [] : !isNode(r) ? ['', '', ''] : [r.promoted_ms_median !== null ? r.promoted_ms_median.toFixed(0) : r.store === 'redis-cluster' ? 'never' : '- (no promotion)', String(r.flushes_failed_median), `${r.state_losses} (${r.counts_lost})`]),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd();
  return [fmt(head), ...body.map(fmt)];
}
