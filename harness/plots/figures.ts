// The paper's figures as vega-lite specs, built from summary rows: x cores, y Mpps (or kpps/pps for slow NFs,
// or a paired ratio), one line per series, CI error bars side by side, a log axis where series differ > 10x;
// and what every figure kind shares (measure-figures, timeseries, endpoint-figures): the frame (schema, title,
// font, labels never cut), subtitle wrapping, the spec filter, human names.
import type { TopLevelSpec } from 'vega-lite';
import { lineRateMpps, type Figure } from '../spec/schema.js';
import type { RatioRow, SummaryRow } from '../results/format.js';

export const FONT = 'DejaVu Sans';

/**
 * What every figure shares: the schema, its title with the subtitle wrapped, a white background, one font,
 * axis and legend labels never cut (labelLimit 0), facet headers in the same font.
 */
export function figureFrame(title: string, subtitle: readonly string[], o: { anchor?: 'start' } = {}) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: subtitleLines(subtitle), font: FONT, subtitleFont: FONT, ...(o.anchor ? { anchor: o.anchor } : {}) },
    background: 'white',
    config: {
      font: FONT,
      axis: { labelFont: FONT, titleFont: FONT, grid: true, labelLimit: 0, titleLimit: 0 },
      legend: { labelFont: FONT, titleFont: FONT, labelLimit: 0, titleLimit: 0 },
      header: { labelFont: FONT, titleFont: FONT, labelFontSize: 13 },
    },
  };
}

/**
 * Subtitle lines wrapped to `width` characters: one long note would widen the canvas, not the plot. A line of
 * facts joined by " · " (the run's identity line) breaks between its facts, so "seed 384943079" stays whole;
 * other lines break between words.
 */
export function subtitleLines(lines: readonly string[], width = 96): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const sep = line.includes(' · ') ? ' · ' : ' ';
    let cur = '';
    for (const w of line.split(sep)) {
      if (cur && cur.length + sep.length + w.length > width) {
        out.push(sep === ' ' ? cur : `${cur} ·`);
        cur = `  ${w}`;
      } else cur = cur ? `${cur}${sep}${w}` : w;
    }
    out.push(cur);
  }
  return out;
}

interface FigurePoint {
  series: string;
  nf: string;
  cores: number;
  mean: number;
  low: number | null;
  high: number | null;
  n: number;
  /** samples of the cell's tx_mpps row far off its others (kept in the mean; the figure rings the point) */
  outliers: number;
}

const matches = (want: string | readonly string[] | undefined, v: string) => want === undefined || (Array.isArray(want) ? want.includes(v) : want === v);

/** Whether a row or trial is one a figure's filter keeps (every figure kind and its notes read it so). */
export const inFilter = (fig: Pick<Figure, 'filter'>, r: { nf: string; store: string; location: string; mode: string }): boolean =>
  matches(fig.filter.nf, r.nf) && matches(fig.filter.store, r.store) && matches(fig.filter.location, r.location) && matches(fig.filter.mode, r.mode);

/** Stores, NFs and modes as a reader names them, in every figure. */
const HUMAN: Record<string, string> = {
  hashmap: 'hashmap', redis: 'Redis', 'redis-cluster': 'Redis Cluster', cassandra: 'Cassandra', 'cassandra-cluster': 'Cassandra ring', none: 'no store',
  nat: 'NAT', lb: 'LB', 'counter-sync': 'Sync Counter', 'counter-async': 'Async Counter', testpmd: 'testpmd', macswap: 'MAC swap', wire: 'wire', ratelimit: 'rate limiter',
  sync: 'sync', async: 'async', cache: 'Cache', 'stateless-async': 'Stateless Async',
};
export const human = (s: string): string => HUMAN[s] ?? s;

/** Legend label of a row, as a reader writes it: "Redis (local)", "Sync Counter, Cassandra". */
export function seriesLabel(fig: Figure, r: Pick<SummaryRow, 'nf' | 'store' | 'location' | 'mode'>): string {
  const parts = fig.series.filter((f) => f !== 'location' && !(f === 'mode' && r.mode === 'none')).map((f) => human(r[f]));
  const label = parts.join(', ');
  return fig.series.includes('location') ? (label ? `${label} (${r.location})` : r.location) : label;
}

const legendTitle = (fig: Figure) => {
  const parts = fig.series.filter((f) => f !== 'location').join(', ');
  return fig.series.includes('location') ? (parts ? `${parts} (location)` : 'location') : parts;
};

/** The unit that shows a figure's digits: Mpps, or kpps/pps where Mpps would read 0 (sync over Cassandra). */
export function rateUnit(maxMpps: number): { unit: 'Mpps' | 'kpps' | 'pps'; scale: number } {
  if (maxMpps >= 1) return { unit: 'Mpps', scale: 1 };
  if (maxMpps >= 1e-3) return { unit: 'kpps', scale: 1e3 };
  return { unit: 'pps', scale: 1e6 };
}

/** The rows a figure shows, as points (cells without a successful trial are left out). */
export function figurePoints(fig: Figure, rows: readonly SummaryRow[]): FigurePoint[] {
  return rows
    .filter((r) => r.metric === (fig.metric === 'ratio' ? 'tx_mpps' : fig.metric) && r.mean !== null && r.n > 0)
    .filter((r) => inFilter(fig, r))
    .map((r) => ({ series: seriesLabel(fig, r), nf: r.nf, cores: r.cores, mean: r.mean!, low: r.ci95_low === null ? null : Math.max(0, r.ci95_low), high: r.ci95_high, n: r.n, outliers: r.metric === 'tx_mpps' ? (r.n_outliers ?? 0) : 0 }))
    .sort((a, b) => a.series.localeCompare(b.series) || a.cores - b.cores);
}

/** For "best" figures: per series and NF, the core count with the highest mean (the paper's Figure 8). */
export function bestPoints(points: readonly FigurePoint[]): FigurePoint[] {
  const best = new Map<string, FigurePoint>();
  for (const p of points) {
    const k = `${p.nf}|${p.series}`;
    const b = best.get(k);
    if (!b || p.mean > b.mean) best.set(k, p);
  }
  return [...best.values()].sort((a, b) => a.nf.localeCompare(b.nf) || a.series.localeCompare(b.series));
}

/** A ratio figure's points: the paired ratios of the cells its filter keeps. */
function ratioPoints(fig: Figure, ratios: readonly RatioRow[]): FigurePoint[] {
  return ratios
    .filter((r) => r.ratio !== null && inFilter(fig, r))
    .map((r) => ({ series: seriesLabel(fig, r), nf: r.nf, cores: r.cores, mean: r.ratio!, low: r.ratio_low, high: r.ratio_high, n: r.n_pairs, outliers: 0 }))
    .sort((a, b) => a.series.localeCompare(b.series) || a.cores - b.cores);
}

const metricTitle = (fig: Figure, unit: string, baseline?: string) =>
  fig.metric === 'ratio' ? `Ratio to ${baseline ?? 'the baseline'} (paired by round)` : `${fig.metric === 'tx_mpps' ? 'Throughput, transmitted' : 'Throughput, received'} (${unit})`;

/**
 * The reference line in Mpps. Loading a spec resolves 'auto' from its frame size; a figure that still
 * says 'auto' takes it from the rows it draws (their smallest frame: the highest packet rate).
 */
function lineRate(fig: Figure, rows: readonly SummaryRow[]): number | null {
  if (fig.line_rate_mpps !== 'auto') return fig.line_rate_mpps;
  return rows.length ? lineRateMpps(Math.min(...rows.map((r) => r.frame_size))) : null;
}

function lineRateLayer(rate: number | null, label = (r: number) => `line rate ${r} Mpps`) {
  if (rate === null) return [];
  return [
    { data: { values: [{ y: rate }] }, mark: { type: 'rule', strokeDash: [6, 4], color: '#555' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
    {
      data: { values: [{ y: rate, label: label(rate) }] },
      mark: { type: 'text', align: 'left', dy: -7, x: 4, color: '#555', fontSize: 11 },
      encoding: { y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
    },
  ];
}

interface FigureExtras {
  /** paired ratios (for metric: ratio) */
  ratios?: readonly RatioRow[];
  /** notes under the title: skipped cells, a busy host, what the figure cannot show */
  notes?: readonly string[];
}

/** x rounded up to a multiple of half its decade (41.04 -> 45, 54.2 -> 55, 0.83 -> 0.85): an axis end with round ticks */
export function niceCeil(x: number): number {
  if (!(x > 0)) return x;
  const step = 10 ** Math.floor(Math.log10(x)) / 2;
  return Number((Math.ceil(x / step - 1e-9) * step).toPrecision(12));
}

export function figureSpec(fig: Figure, rows: readonly SummaryRow[], subtitle?: string | string[], extras: FigureExtras = {}): TopLevelSpec | null {
  const ratio = fig.metric === 'ratio';
  const raw = ratio ? ratioPoints(fig, extras.ratios ?? []) : figurePoints(fig, rows);
  if (raw.length === 0) return null;
  // slow NFs in kpps/pps: their Mpps would read 0
  const { unit, scale } = ratio ? { unit: 'ratio', scale: 1 } : rateUnit(Math.max(...raw.map((p) => p.mean)));
  const points = raw.map((p) => ({ ...p, mean: p.mean * scale, low: p.low === null ? null : p.low * scale, high: p.high === null ? null : p.high * scale }));
  const meanTop = Math.max(...points.map((p) => p.mean));
  const meanLow = Math.min(...points.map((p) => p.mean));
  // series more than 10x apart (Fig. 7: sync vs async) would flatten the slow ones on a linear axis
  const log = meanLow > 0 && meanTop / meanLow > 10;
  const rate = ratio ? 1 : unit === 'Mpps' ? lineRate(fig, rows) : null;
  // n = 2 on a busy machine gives CIs wider than the data (t = 12.7): the axis follows the means and
  // the bars are cut at the top (and said so) rather than squashing every line to the floor
  // linear: rounded up here, not by the renderer's `nice` (that axis ran past the top the bars were cut at:
  // a cut bar ended short of the edge the note named)
  const top = log ? Math.max(meanTop * 3, (rate ?? 0) * 1.5) : niceCeil(Math.max(meanTop * 1.5, (rate ?? 0) * 1.15, Math.min(Math.max(...points.map((p) => p.high ?? p.mean)), meanTop * 1.5)));
  const bottom = log ? Math.min(meanLow / 3, rate !== null ? rate / 1.5 : Infinity) : 0;
  const clipped = points.some((p) => (p.high ?? 0) > top || (log && (p.low ?? Infinity) < bottom));
  // error bars: a rule from low to high (cut at the axis) with ticks at the ends it shows
  const bars = (ps: readonly (FigurePoint & Record<string, unknown>)[]) =>
    ps.filter((p) => p.low !== null && p.high !== null).map((p) => ({ ...p, barLow: Math.max(p.low!, bottom), barHigh: Math.min(p.high!, top), capped: p.high! > top }));
  const yTitle = metricTitle(fig, unit, fig.baseline ? Object.entries(fig.baseline).map(([k, v]) => `${k} ${human(v as string)}`).join(', ') : undefined);
  const barLayers = (xEnc: Record<string, unknown>, extra: Record<string, unknown>, ps: readonly (FigurePoint & Record<string, unknown>)[]) => {
    const b = bars(ps);
    return [
      { data: { values: b }, mark: { type: 'rule', ...extra }, encoding: { ...xEnc, y: { field: 'barLow', type: 'quantitative', title: yTitle }, y2: { field: 'barHigh' } } },
      { data: { values: b }, mark: { type: 'tick', orient: 'horizontal', size: 8, ...extra }, encoding: { ...xEnc, y: { field: 'barLow', type: 'quantitative' } } },
      { data: { values: b.filter((p) => !p.capped) }, mark: { type: 'tick', orient: 'horizontal', size: 8, ...extra }, encoding: { ...xEnc, y: { field: 'barHigh', type: 'quantitative' } } },
    ];
  };
  // one subtitle line per item keeps the canvas as wide as the plot
  const sub = [
    ...(subtitle === undefined ? [] : Array.isArray(subtitle) ? subtitle : [subtitle]),
    ...(extras.notes ?? []),
    ...(log ? ['log y-axis: series differ by more than 10x'] : []),
    ...(clipped ? ['CI bars cut at the edge of the axis'] : []),
  ];
  const y = { field: 'mean', type: 'quantitative', title: yTitle, scale: log ? { type: 'log', domain: [bottom, top] } : { domain: [0, top], nice: false }, axis: log ? { format: '~g' } : {} } as const;
  const common = { ...figureFrame(fig.title, sub), width: 520, height: 320 };
  const tooltip = [{ field: 'series' }, { field: 'cores' }, { field: 'mean', format: '.4~g' }, { field: 'n' }];
  const refLayer = ratio ? lineRateLayer(1, () => 'baseline = 1.0') : lineRateLayer(rate);
  if (fig.kind === 'best') {
    const best = bestPoints(points).map((p) => ({ ...p, coresLabel: `${p.cores} core${p.cores === 1 ? '' : 's'}` }));
    return {
      ...common,
      layer: [
        { data: { values: best }, mark: 'bar', encoding: { x: { field: 'nf', type: 'nominal', title: 'NF', axis: { labelAngle: 0 } }, xOffset: { field: 'series' }, y, color: { field: 'series', type: 'nominal', title: legendTitle(fig) }, tooltip: [...tooltip] } },
        // which core count was best, written at the foot of each bar
        { data: { values: best }, mark: { type: 'text', baseline: 'bottom', dy: -4, color: 'white', fontSize: 10 }, encoding: { x: { field: 'nf', type: 'nominal' }, xOffset: { field: 'series' }, y: { datum: log ? bottom : 0, type: 'quantitative' }, text: { field: 'coresLabel' } } },
        // rule + ticks rather than errorbar: the composite errorbar mark ignores xOffset
        ...barLayers({ x: { field: 'nf', type: 'nominal' }, xOffset: { field: 'series' } }, { color: '#222' }, best),
        ...refLayer,
      ],
    } as unknown as TopLevelSpec;
  }
  const cores = [...new Set(points.map((p) => p.cores))].sort((a, b) => a - b);
  const maxX = Math.max(...cores) * 1.08 + (cores.length > 1 ? 0 : 1);
  // series side by side at each core count, so their interval bars do not hide each other
  const series = [...new Set(points.map((p) => p.series))].sort();
  const step = (maxX / 100) * 1.2;
  const shifted = points.map((p) => ({ ...p, x: p.cores + (series.indexOf(p.series) - (series.length - 1) / 2) * step }));
  const x = { field: 'x', type: 'quantitative', title: 'Cores', scale: { domain: [0, maxX], nice: false }, axis: { values: cores, format: 'd' } } as const;
  const color = { field: 'series', type: 'nominal', title: legendTitle(fig) } as const;
  return {
    ...common,
    layer: [
      { data: { values: shifted }, mark: { type: 'line', point: { filled: true, size: 50 } }, encoding: { x, y, color, tooltip: [...tooltip, { field: 'outliers' }] } },
      ...barLayers({ x, color }, {}, shifted),
      // a ring round a point whose cell holds an outlier trial (the notes name the cells)
      ...(shifted.some((p) => p.outliers > 0) ? [{ data: { values: shifted.filter((p) => p.outliers > 0) }, mark: { type: 'point', shape: 'circle', filled: false, size: 260, strokeWidth: 1.5, color: '#222' }, encoding: { x, y } }] : []),
      ...refLayer,
    ],
  } as unknown as TopLevelSpec;
}
