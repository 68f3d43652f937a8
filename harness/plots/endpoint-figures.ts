// The figures of a run with endpoints: (StatelessNF's Tables 2 and 3 as bars): throughput through the NF
// with parallel connections (TCP, UDP) and the round trip, one bar group per mode. Each bar is our mean
// over the repetitions with every repetition as a dot and its min-max range, beside the paper's value
// (spec endpoints.reference), each labelled with the testbed it was measured on. Pure: records in, vega-lite out.
import type { TopLevelSpec } from 'vega-lite';
import type { TrialRecord } from '../results/format.js';
import type { EndpointsSpec } from '../spec/schema.js';
import { figureFrame } from './figures.js';
import { referenceKey } from '../results/endpoints-report.js';

/** StatelessNF's names for the modes (short: an axis's labels), in its tables' order, by the key of the paper's values (referenceKey). */
const MODES = [
  { key: 'native', label: 'Native' },
  { key: 'cache', label: 'Cache' },
  { key: 'stateless-async', label: 'Async' },
  { key: 'async', label: 'Async (FlexState, flushed)' },
  { key: 'sync', label: 'Sync' },
] as const;

export const PAPER_SERIES = 'the paper (StatelessNF\'s testbed, subtitle)';

/**
 * The bar a record belongs to: ours by store location. Native has no store: its bar takes the local
 * slot (a slot of its own would leave a gap beside every other mode).
 */
export function ourSeries(r: Pick<TrialRecord, 'store' | 'location'>): string {
  return r.location === 'remote' && r.store !== 'none' ? 'ours: store on node1 (remote)' : 'ours: store on the NF\'s node (local); Native: none';
}

/** Bars left to right: ours local, ours remote, the paper. */
const seriesOrder = (s: string) => (s === PAPER_SERIES ? 2 : s.includes('(remote)') ? 1 : 0);

export interface EndpointBar {
  panel: string;
  mode: string;
  series: string;
  mean: number;
  min: number;
  max: number;
  n: number;
}

export interface EndpointDot {
  panel: string;
  mode: string;
  series: string;
  value: number;
}

/** Bars and dots of one figure: `panels` maps a panel's title to the measure it draws, what it reads from a record and the paper's key. */
export function endpointBars(
  trials: readonly TrialRecord[],
  panels: readonly { panel: string; measure: string; value: (r: TrialRecord) => number | null | undefined; paper: 'tcp_mbps' | 'udp_mbps' | 'rtt_us' }[],
  reference: EndpointsSpec['reference'],
): { bars: EndpointBar[]; dots: EndpointDot[] } {
  const bars: EndpointBar[] = [];
  const dots: EndpointDot[] = [];
  for (const p of panels) {
    const mine = trials.filter((t) => t.measure === p.measure && t.status === 'ok' && t.parent_trial_id === undefined);
    for (const m of MODES) {
      const groups = new Map<string, number[]>();
      for (const t of mine.filter((x) => referenceKey(x.store, x.mode) === m.key)) {
        const v = p.value(t);
        if (v === null || v === undefined || !Number.isFinite(v)) continue;
        const s = ourSeries(t);
        groups.set(s, [...(groups.get(s) ?? []), v]);
      }
      for (const [series, vs] of [...groups].sort((a, b) => seriesOrder(a[0]) - seriesOrder(b[0]))) {
        bars.push({ panel: p.panel, mode: m.label, series, mean: vs.reduce((a, b) => a + b, 0) / vs.length, min: Math.min(...vs), max: Math.max(...vs), n: vs.length });
        for (const value of vs) dots.push({ panel: p.panel, mode: m.label, series, value });
      }
      const ref = reference?.values[m.key]?.[p.paper];
      // the paper's value only beside a mode we measured
      if (ref !== undefined && groups.size > 0) bars.push({ panel: p.panel, mode: m.label, series: PAPER_SERIES, mean: ref, min: ref, max: ref, n: 1 });
    }
  }
  return { bars, dots };
}

function barsSpec(o: { title: string; yTitle: string; subtitle: readonly string[]; bars: EndpointBar[]; dots: EndpointDot[]; notes: readonly string[] }): TopLevelSpec {
  const modes = MODES.map((m) => m.label as string).filter((l) => o.bars.some((b) => b.mode === l));
  const series = [...new Set(o.bars.map((b) => b.series))].sort((a, b) => seriesOrder(a) - seriesOrder(b));
  const x = { field: 'mode', type: 'nominal', title: 'mode (StatelessNF\'s names)', sort: modes, axis: { labelAngle: 0 } } as const;
  const xOffset = { field: 'series', type: 'nominal', sort: series } as const;
  // ours in blues, the paper in gray: never confused
  const blues = ['#1f77b4', '#6baed6', '#08519c', '#9ecae1'];
  const ours = series.filter((s) => s !== PAPER_SERIES);
  const color = { field: 'series', type: 'nominal', title: 'measured by', sort: series, scale: { domain: series, range: series.map((s) => (s === PAPER_SERIES ? '#bbbbbb' : blues[ours.indexOf(s) % blues.length]!)) }, legend: { orient: 'bottom', direction: 'vertical' } } as const;
  const y = { type: 'quantitative', title: o.yTitle } as const;
  const values = [...o.bars.map((b) => ({ ...b, kind: 'bar' })), ...o.dots.map((d) => ({ ...d, kind: 'dot' }))];
  return {
    ...figureFrame(o.title, [...o.subtitle, ...o.notes], { anchor: 'start' }),
    data: { values },
    facet: { column: { field: 'panel', type: 'nominal', title: null, sort: [...new Set(o.bars.map((b) => b.panel))] } },
    spec: {
      width: 300,
      height: 280,
      layer: [
        { transform: [{ filter: "datum.kind === 'bar'" }], mark: { type: 'bar' }, encoding: { x, xOffset, y: { ...y, field: 'mean' }, color, tooltip: [{ field: 'series' }, { field: 'mode' }, { field: 'mean', format: '.4~g' }, { field: 'min', format: '.4~g' }, { field: 'max', format: '.4~g' }, { field: 'n' }] } },
        { transform: [{ filter: "datum.kind === 'bar' && datum.n > 1" }], mark: { type: 'rule', color: 'black', strokeWidth: 1.5 }, encoding: { x, xOffset, y: { ...y, field: 'min' }, y2: { field: 'max' } } },
        { transform: [{ filter: "datum.kind === 'dot'" }], mark: { type: 'point', filled: true, color: 'black', size: 22, opacity: 0.8 }, encoding: { x, xOffset, y: { ...y, field: 'value' } } },
      ],
    },
    resolve: { scale: { y: 'shared' } },
  } as unknown as TopLevelSpec;
}

/**
 * Table 2 (TCP and UDP throughput, Mbit/s) and Table 3 (round trip, µs) as bar figures; none for a
 * figure whose tests the run did not run. `testbeds`: a line on ours and a line on the paper's.
 */
export function endpointFigures(trials: readonly TrialRecord[], e: EndpointsSpec, testbeds: { ours: string; repetitions: string }): { id: string; spec: TopLevelSpec }[] {
  const out: { id: string; spec: TopLevelSpec }[] = [];
  const subtitle = [`ours: ${testbeds.ours}`, e.reference ? `the paper: ${e.reference.source}` : '(no paper values in the spec: endpoints.reference)'];
  const spread = `bar: mean; dots: each repetition; black line: their min-max (${testbeds.repetitions}); gray: the paper's mean (it gives no spread)`;
  const t2 = endpointBars(trials, [
    { panel: 'TCP (iperf3)', measure: 'iperf_tcp', value: (r) => r.throughput_mbps, paper: 'tcp_mbps' },
    { panel: `UDP (iperf3, ${Math.round(e.udp_bitrate / 1e6)} Mbit/s offered)`, measure: 'iperf_udp', value: (r) => r.throughput_mbps, paper: 'udp_mbps' },
  ], e.reference);
  if (t2.bars.some((b) => b.series !== PAPER_SERIES)) {
    out.push({ id: 'table2-throughput', spec: barsSpec({ title: `Table 2: throughput through the NAT, ${e.streams} parallel connections`, yTitle: 'Throughput (Mbit/s, received)', subtitle, bars: t2.bars, dots: t2.dots, notes: [spread] }) });
  }
  const t3 = endpointBars(trials, [{ panel: `UDP echo, ${e.rtt_packets} datagrams at ${e.rtt_rate}/s`, measure: 'rtt', value: (r) => r.rtt?.avg_us, paper: 'rtt_us' }], e.reference);
  if (t3.bars.some((b) => b.series !== PAPER_SERIES)) {
    out.push({ id: 'table3-rtt', spec: barsSpec({ title: 'Table 3: round-trip time through the NAT (mean per trial)', yTitle: 'RTT, average (µs)', subtitle, bars: t3.bars, dots: t3.dots, notes: [spread, 'lower is better'] }) });
  }
  return out;
}
