// endpoints.md: the run's Tables 2 and 3 (StatelessNF, Section 5) beside the paper's numbers, each with
// the testbed it was measured on, and the order of the modes as measured. Pure: summary rows in, text out.
import type { SummaryRow, Fingerprint } from './format.js';
import type { EndpointsSpec } from '../spec/schema.js';

/** A mode as StatelessNF's tables name it; FlexState's flushed async is not StatelessNF's per-packet Async. */
export function modeLabel(store: string, mode: string, flushMs: number | null): string {
  if (store === 'none') return 'Native (no store)';
  if (mode === 'sync') return 'Sync';
  if (mode === 'cache') return 'Cache';
  if (mode === 'stateless-async') return 'Async (StatelessNF: a store request per packet)';
  if (mode === 'async') return `Async (FlexState: local, flushed every ${flushMs ?? '?'} ms)`;
  return mode;
}

/** The paper's key of a cell: native for no store, else its mode. */
export const referenceKey = (store: string, mode: string): string => (store === 'none' ? 'native' : mode);

/** Where a cell's store ran: "redis (local)"; a dash for Native. */
const where = (c: { store: string; location: string }) => (c.store === 'none' ? '—' : `${c.store} (${c.location})`);

interface Cell {
  nf: string;
  store: string;
  location: string;
  mode: string;
  rows: Map<string, SummaryRow>;
}

const fmt = (x: number | null | undefined, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));
const ci = (r: SummaryRow | undefined, d = 1) => (!r || r.mean === null ? '—' : `${fmt(r.mean, d)}${r.ci95_low !== null && r.ci95_high !== null && r.n > 1 ? ` [${fmt(r.ci95_low, d)}, ${fmt(r.ci95_high, d)}]` : ''} (n=${r.n}${r.n_failed ? `, ${r.n_failed} failed` : ''})`);

function cellsOf(rows: readonly SummaryRow[]): Cell[] {
  const cells = new Map<string, Cell>();
  for (const r of rows) {
    const k = `${r.nf}|${r.store}|${r.location}|${r.mode}`;
    const c = cells.get(k) ?? { nf: r.nf, store: r.store, location: r.location, mode: r.mode, rows: new Map() };
    c.rows.set(r.metric, r);
    cells.set(k, c);
  }
  // a cell whose trials were all skipped (hashmap has no remote location) is not a row
  return [...cells.values()].filter((c) => ['tcp_mbps', 'udp_mbps', 'rtt_avg_us'].some((m) => c.rows.has(m) && (c.rows.get(m)!.n > 0 || c.rows.get(m)!.n_failed > 0)));
}

/** "a 1700 > b 93" for one metric over cells of one store and location, best first (lower first for RTT). */
function ordering(cells: Cell[], metric: string, lowerIsBetter: boolean, label: (c: Cell) => string, d: number): string | null {
  const withMean = cells.map((c) => ({ c, m: c.rows.get(metric)?.mean ?? null })).filter((x): x is { c: Cell; m: number } => x.m !== null);
  if (withMean.length < 2) return null;
  withMean.sort((a, b) => (lowerIsBetter ? a.m - b.m : b.m - a.m));
  return withMean.map((x) => `${label(x.c)} ${fmt(x.m, d)}`).join(lowerIsBetter ? ' < ' : ' > ');
}

export function endpointsReport(o: { runId: string; rows: readonly SummaryRow[]; endpoints: EndpointsSpec; flushMs: number; fingerprint: Fingerprint; portModes: string[]; seconds: number; warmup: number }): string {
  const e = o.endpoints;
  const cells = cellsOf(o.rows);
  const ref = e.reference;
  const label = (c: Cell) => modeLabel(c.store, c.mode, o.flushMs);
  const refOf = (c: Cell) => ref?.values[referenceKey(c.store, c.mode)];
  const fp = o.fingerprint;
  const out: string[] = [];
  out.push(`# ${o.runId}: real traffic through the NF (StatelessNF, Section 5)`, '');
  out.push(`**Ours**: testbed ${fp.testbed} on ${fp.cpu_model}, ${fp.cores} cores, kernel ${fp.kernel}; end hosts are network namespaces joined to the NF's one port by veths (no NIC, no wire speed limit); the NF's port: ${o.portModes.join(', ') || 'unknown'}; stores: ${Object.entries(fp.store_versions).map(([k, v]) => `${k} ${v ?? 'not installed'}`).join(', ') || 'none'}. iperf3 ${e.streams} parallel streams, ${o.seconds} s${o.warmup ? ` (first ${o.warmup} s omitted)` : ''}; UDP offered ${fmt(e.udp_bitrate / 1e6, 0)} Mbit/s in ${e.udp_length}-byte datagrams; RTT: ${e.rtt_packets} minimum-size UDP datagrams at ${e.rtt_rate}/s through a UDP echo, ping beside it.`);
  out.push('');
  out.push(`**Paper**: ${ref?.source ?? '(no reference given in the spec: endpoints.reference)'}`);
  out.push('');
  out.push('Values: mean [95 % interval] (n = trials). The paper gives one mean per cell (5 iterations for throughput).', '');
  out.push('## Table 2: throughput with parallel connections (Mbit/s)', '');
  out.push('| NF | mode | store | TCP (ours) | UDP (ours) | UDP loss % (ours) | TCP (paper) | UDP (paper) |');
  out.push('|---|---|---|---|---|---|---|---|');
  for (const c of cells) {
    const r = refOf(c);
    out.push(`| ${c.nf} | ${label(c)} | ${where(c)} | ${ci(c.rows.get('tcp_mbps'))} | ${ci(c.rows.get('udp_mbps'))} | ${fmt(c.rows.get('udp_loss_pct')?.mean, 2)} | ${fmt(r?.tcp_mbps)} | ${fmt(r?.udp_mbps)} |`);
  }
  out.push('', '## Table 3: round-trip time through the NF (µs)', '');
  out.push('| NF | mode | store | avg (ours) | min | p99 | max | ping avg | avg (paper) |');
  out.push('|---|---|---|---|---|---|---|---|---|');
  for (const c of cells) {
    const r = refOf(c);
    const g = (m: string) => fmt(c.rows.get(m)?.mean);
    out.push(`| ${c.nf} | ${label(c)} | ${where(c)} | ${ci(c.rows.get('rtt_avg_us'))} | ${g('rtt_min_us')} | ${g('rtt_p99_us')} | ${g('rtt_max_us')} | ${g('ping_avg_us')} | ${fmt(r?.rtt_us)} |`);
  }
  out.push('', '## Order of the modes (what carries over)', '');
  out.push('The paper claims Native ≈ Cache ≥ Async ≫ Sync in throughput. Measured here, per store and location (mean):', '');
  const groups = new Map<string, Cell[]>();
  for (const c of cells) {
    const k = c.store === 'none' ? 'all' : `${c.store} (${c.location})`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  // Native has no store: it stands beside every store group
  const native = groups.get('all') ?? [];
  groups.delete('all');
  const lines: string[] = [];
  for (const [k, cs] of groups.size ? groups : new Map([['all', [] as Cell[]]])) {
    const all = [...native, ...cs];
    for (const [metric, name, lower, d] of [['tcp_mbps', 'TCP Mbit/s', false, 0], ['udp_mbps', 'UDP Mbit/s', false, 0], ['rtt_avg_us', 'RTT avg µs', true, 0]] as const) {
      const s = ordering(all, metric, lower, label, d);
      if (s) lines.push(`- ${k}, ${name}: ${s}`);
    }
  }
  out.push(...(lines.length ? lines : ['- fewer than two modes measured: no order to show']));
  out.push(...figure3Section(o.rows, (c) => modeLabel(c.store, c.mode, o.flushMs), ref?.figure_3));
  out.push('', 'Absolute numbers do not carry over: the paper\'s are Click on 1 Gbit/s NICs with RAMCloud over SDR InfiniBand (reads ~30 µs); ours are veths on one host with Redis over a veth. docs/statelessnf.md says what does.', '');
  return out.join('\n');
}

const kpps = (mpps: number | null | undefined) => (mpps === null || mpps === undefined || !Number.isFinite(mpps) ? '—' : (mpps * 1e3).toFixed(1));

/**
 * Figure 3 (the highest UDP rate before loss by packet size) as a table: the NDR the searches found per
 * mode and frame size, kpps, with the lowest lower and highest upper bound; the order of the modes at each
 * size; the paper's figure in words (it prints no numbers). Nothing when the run searched no NDR.
 */
export function figure3Section(rows: readonly SummaryRow[], label: (c: Pick<Cell, 'store' | 'mode'>) => string, paper: string | undefined): string[] {
  const ndr = rows.filter((r) => r.metric === 'ndr_mpps' && (r.n > 0 || r.n_failed > 0));
  if (ndr.length === 0) return [];
  const frames = [...new Set(ndr.map((r) => r.frame_size))].sort((a, b) => a - b);
  const cells = new Map<string, { store: string; location: string; mode: string; at: Map<number, SummaryRow> }>();
  for (const r of ndr) {
    const k = `${r.nf}|${r.store}|${r.location}|${r.mode}|${r.cores}`;
    const c = cells.get(k) ?? { store: r.store, location: r.location, mode: r.mode, at: new Map() };
    c.at.set(r.frame_size, r);
    cells.set(k, c);
  }
  const out = ['', '## Figure 3: highest UDP rate before loss by frame size (NDR, kpps)', ''];
  out.push('NDR: the RFC 9971 search\'s relevant lower bound at 0 % loss, mean over the searches of a cell; [lowest lower bound, highest upper bound] over them.', '');
  out.push(`| mode | store | ${frames.map((f) => `${f} B`).join(' | ')} |`);
  out.push(`|---|---|${frames.map(() => '---').join('|')}|`);
  for (const c of cells.values()) {
    out.push(`| ${label(c)} | ${where(c)} | ${frames.map((f) => {
      const r = c.at.get(f);
      if (!r || r.mean === null) return r?.n_failed ? 'failed' : '—';
      return `${kpps(r.mean)} [${kpps(r.bound_low)}, ${kpps(r.bound_high)}]${r.n_irregular ? ' irregular' : ''}`;
    }).join(' | ')} |`);
  }
  out.push('', 'Order of the modes by NDR at each frame size (per store location; Native beside each):', '');
  const locations = [...new Set([...cells.values()].filter((c) => c.store !== 'none').map((c) => where(c)))];
  for (const loc of locations.length ? locations : ['—']) {
    const mine = [...cells.values()].filter((c) => c.store === 'none' || where(c) === loc);
    for (const f of frames) {
      const xs = mine.map((c) => ({ c, m: c.at.get(f)?.mean ?? null })).filter((x): x is { c: typeof x.c; m: number } => x.m !== null).sort((a, b) => b.m - a.m);
      if (xs.length > 1) out.push(`- ${loc}, ${f} B: ${xs.map((x) => `${label(x.c)} ${kpps(x.m)}`).join(' > ')}`);
    }
  }
  out.push('', `**Paper's Figure 3**: ${paper ?? '(not given in the spec: endpoints.reference.figure_3)'}`, '');
  return out;
}
