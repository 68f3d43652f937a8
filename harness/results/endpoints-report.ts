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

export function endpointsReport(o: { runId: string; rows: readonly SummaryRow[]; endpoints: EndpointsSpec; flushMs: number; fingerprint: Fingerprint; portModes: string[]; seconds: number; warmup: number; profiles?: Readonly<Record<string, ProfileNote>> }): string {
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
  out.push(...paperOrderSection(o.rows));
  out.push(...unmeasuredSection(o.rows, o.profiles ?? {}));
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

/** StatelessNF's modes in the paper's order, best first (throughput; RTT the reverse), by referenceKey. */
export const PAPER_ORDER = ['native', 'cache', 'stateless-async', 'sync'] as const;
const SHORT: Record<(typeof PAPER_ORDER)[number], string> = { native: 'Native', cache: 'Cache', 'stateless-async': 'Async', sync: 'Sync' };

/** One mode's value of a metric: its mean and the spread it was measured with (min-max of the repetitions, or a search's bounds). */
export interface OrderPoint {
  key: (typeof PAPER_ORDER)[number];
  mean: number;
  low: number | null;
  high: number | null;
}

/**
 * Whether the paper's order holds in ours: each pair of neighbours in the paper's order (the modes
 * measured, Native first) the same way round (>= in throughput, <= in RTT), or else inverted within the
 * spread (their ranges overlap: these trials do not tell the two apart) or beyond it (ours differs).
 */
export function orderVerdict(points: readonly OrderPoint[], lowerIsBetter: boolean, d = 0): string {
  const ps = [...points].sort((a, b) => PAPER_ORDER.indexOf(a.key) - PAPER_ORDER.indexOf(b.key));
  const claim = ps.map((p) => SHORT[p.key]).join(lowerIsBetter ? ' ≤ ' : ' ≥ ');
  if (ps.length < 2) return `${claim}: one mode measured, no order to check`;
  const out: string[] = [];
  for (let i = 1; i < ps.length; i++) {
    const a = ps[i - 1]!;
    const b = ps[i]!;
    if (lowerIsBetter ? b.mean >= a.mean : b.mean <= a.mean) continue;
    const pct = ((b.mean - a.mean) / a.mean) * 100;
    const range = (p: OrderPoint) => `${fmt(p.low ?? p.mean, d)}-${fmt(p.high ?? p.mean, d)}`;
    const overlap = (b.low ?? b.mean) <= (a.high ?? a.mean) && (a.low ?? a.mean) <= (b.high ?? b.mean);
    out.push(`${SHORT[b.key]} ${lowerIsBetter ? 'below' : 'above'} ${SHORT[a.key]} (${fmt(b.mean, d)} vs ${fmt(a.mean, d)}, ${pct > 0 ? '+' : ''}${pct.toFixed(1)} %), ${overlap ? `within the spread (${range(b)} and ${range(a)} overlap): these trials do not tell them apart` : `beyond the spread (${range(b)} and ${range(a)} apart): ours differs`}`);
  }
  return out.length ? `${claim}: holds except ${out.join('; ')}` : `${claim}: holds`;
}

const paperKey = (r: Pick<SummaryRow, 'store' | 'mode'>) => referenceKey(r.store, r.mode) as (typeof PAPER_ORDER)[number];
const inPaper = (r: Pick<SummaryRow, 'store' | 'mode'>) => (PAPER_ORDER as readonly string[]).includes(referenceKey(r.store, r.mode));

/**
 * The paper's order checked in every result of the run, per store location (Native beside each): Table 2's
 * TCP and UDP, Table 3's RTT (spread: min-max of the repetitions), Figure 3 at each frame size (spread: the
 * searches' lowest lower to highest upper bound).
 */
export function paperOrderSection(rows: readonly SummaryRow[]): string[] {
  const measured = rows.filter((r) => inPaper(r) && r.mean !== null && r.n > 0);
  const locations = [...new Set(measured.filter((r) => r.store !== 'none').map((r) => `${r.store} (${r.location})`))];
  const lines: string[] = [];
  for (const loc of locations.length ? locations : ['—']) {
    const mine = measured.filter((r) => r.store === 'none' || `${r.store} (${r.location})` === loc);
    const check = (metric: string, name: string, lower: boolean, spread: (r: SummaryRow) => [number | null, number | null], d: number, f = (x: number) => x) => {
      const pts = mine.filter((r) => r.metric === metric).map((r) => ({ key: paperKey(r), mean: f(r.mean!), low: spread(r)[0] === null ? null : f(spread(r)[0]!), high: spread(r)[1] === null ? null : f(spread(r)[1]!) }));
      if (pts.length > 1) lines.push(`- ${loc}, ${name}: ${orderVerdict(pts, lower, d)}`);
    };
    const minMax = (r: SummaryRow): [number | null, number | null] => [r.min, r.max];
    check('tcp_mbps', 'TCP Mbit/s', false, minMax, 0);
    check('udp_mbps', 'UDP Mbit/s', false, minMax, 0);
    check('rtt_avg_us', 'RTT avg µs', true, minMax, 0);
    // the least a round trip took, and ping's: a stall of the shared host moves the average, hardly these
    check('rtt_min_us', 'RTT min µs', true, minMax, 0);
    check('ping_avg_us', 'ping avg µs', true, minMax, 0);
    for (const f of [...new Set(mine.filter((r) => r.metric === 'ndr_mpps').map((r) => r.frame_size))].sort((a, b) => a - b)) {
      const pts = mine.filter((r) => r.metric === 'ndr_mpps' && r.frame_size === f).map((r) => ({ key: paperKey(r), mean: r.mean! * 1e3, low: r.bound_low == null ? null : r.bound_low * 1e3, high: r.bound_high == null ? null : r.bound_high * 1e3 }));
      if (pts.length > 1) lines.push(`- ${loc}, Figure 3 NDR kpps at ${f} B: ${orderVerdict(pts, false, 1)}`);
    }
  }
  if (lines.length === 0) return [];
  return ['', '## The paper\'s order, checked', '', 'Throughput Native ≥ Cache ≥ Async ≥ Sync, RTT the reverse (the issue\'s reading of the paper\'s claims). Spread: min-max of the repetitions (Tables 2 and 3), the searches\' bounds (Figure 3). Where ours differs beyond the spread, docs/statelessnf.md says why from measurement.', '', ...lines];
}

/** What endpoints.md needs of a spec's profile: its words and the store locations it runs. */
export interface ProfileNote {
  description?: string | undefined;
  matrix?: Record<string, unknown> | undefined;
}

/**
 * Store locations a profile of the spec runs that this run did not (the default's 5 minutes keep the
 * store local): one line each, naming the profile and its own description, so a reader of the run sees
 * what it left out and how to get it.
 */
export function unmeasuredSection(rows: readonly SummaryRow[], profiles: Readonly<Record<string, ProfileNote>>): string[] {
  const items = unmeasuredLocations(rows, profiles);
  return items.length ? ['', '## Not measured in this run', '', ...items.map((i) => `- ${i}`)] : [];
}

/** What unmeasuredSection lists, one item per profile (the run's console says them too) */
export function unmeasuredLocations(rows: readonly SummaryRow[], profiles: Readonly<Record<string, ProfileNote>>): string[] {
  const measured = new Set(rows.filter((r) => r.store !== 'none' && (r.n > 0 || r.n_failed > 0)).map((r) => r.location));
  if (measured.size === 0) return [];
  const items: string[] = [];
  for (const [name, p] of Object.entries(profiles)) {
    const locs = Array.isArray(p.matrix?.locations) ? (p.matrix!.locations as unknown[]).filter((l): l is string => typeof l === 'string' && !measured.has(l)) : [];
    if (locs.length) items.push(`store location ${locs.join(', ')}: \`--profile ${name}\`${p.description ? `: ${p.description}` : ''}`);
  }
  return items;
}
