// The paper's figures as vega-lite specs, built from summary rows: x cores, y Mpps, one line per series, CI error bars.
import type { TopLevelSpec } from 'vega-lite';
import { lineRateMpps, type Figure } from '../spec/schema.js';
import type { SummaryRow } from '../results/format.js';

export const FONT = 'DejaVu Sans';

export interface FigurePoint {
  series: string;
  nf: string;
  cores: number;
  mean: number;
  low: number | null;
  high: number | null;
  n: number;
}

const matches = (want: string | readonly string[] | undefined, v: string) => want === undefined || (Array.isArray(want) ? want.includes(v) : want === v);

/** Legend label of a row: the series fields joined the way the paper writes them (redis_local). */
export function seriesLabel(fig: Figure, r: Pick<SummaryRow, 'nf' | 'store' | 'location' | 'mode'>): string {
  return fig.series.map((f) => (f === 'mode' && r.mode !== 'none' ? `${r.mode}` : r[f])).join('_');
}

/** The rows a figure shows, as points (cells without a successful trial are left out). */
export function figurePoints(fig: Figure, rows: readonly SummaryRow[]): FigurePoint[] {
  return rows
    .filter((r) => r.metric === fig.metric && r.mean !== null && r.n > 0)
    .filter((r) => matches(fig.filter.nf, r.nf) && matches(fig.filter.store, r.store) && matches(fig.filter.location, r.location) && matches(fig.filter.mode, r.mode))
    .map((r) => ({ series: seriesLabel(fig, r), nf: r.nf, cores: r.cores, mean: r.mean!, low: r.ci95_low === null ? null : Math.max(0, r.ci95_low), high: r.ci95_high, n: r.n }))
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

const metricTitle = (fig: Figure) => (fig.metric === 'tx_mpps' ? 'Throughput, transmitted (Mpps)' : 'Throughput, received (Mpps)');

/**
 * The reference line in Mpps. Loading a spec resolves 'auto' from its frame size; a figure that still
 * says 'auto' takes it from the rows it draws (their smallest frame: the highest packet rate).
 */
function lineRate(fig: Figure, rows: readonly SummaryRow[]): number | null {
  if (fig.line_rate_mpps !== 'auto') return fig.line_rate_mpps;
  return rows.length ? lineRateMpps(Math.min(...rows.map((r) => r.frame_size))) : null;
}

function lineRateLayer(rate: number | null) {
  if (rate === null) return [];
  return [
    { data: { values: [{ y: rate }] }, mark: { type: 'rule', strokeDash: [6, 4], color: '#555' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
    {
      data: { values: [{ y: rate, label: `line rate ${rate} Mpps` }] },
      mark: { type: 'text', align: 'left', dy: -7, x: 4, color: '#555', fontSize: 11 },
      encoding: { y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
    },
  ];
}

export function figureSpec(fig: Figure, rows: readonly SummaryRow[], subtitle?: string | string[]): TopLevelSpec | null {
  const points = figurePoints(fig, rows);
  if (points.length === 0) return null;
  // n = 2 on a busy machine gives CIs wider than the data (t = 12.7): the axis follows the means and
  // the bars are cut at the top (and said so) rather than squashing every line to the floor
  const meanTop = Math.max(...points.map((p) => p.mean));
  const rate = lineRate(fig, rows);
  const top = Math.max(meanTop * 1.5, (rate ?? 0) * 1.15, Math.min(Math.max(...points.map((p) => p.high ?? p.mean)), meanTop * 1.5));
  const clipped = points.some((p) => (p.high ?? 0) > top);
  // error bars: a rule from low to high (cut at the top of the axis) with ticks at the ends it shows
  const bars = (ps: readonly FigurePoint[]) =>
    ps.filter((p) => p.low !== null && p.high !== null).map((p) => ({ ...p, barHigh: Math.min(p.high!, top), capped: p.high! > top }));
  const barLayers = (xEnc: Record<string, unknown>, extra: Record<string, unknown>, ps: readonly FigurePoint[]) => {
    const b = bars(ps);
    return [
      { data: { values: b }, mark: { type: 'rule', ...extra }, encoding: { ...xEnc, y: { field: 'low', type: 'quantitative', title: metricTitle(fig) }, y2: { field: 'barHigh' } } },
      { data: { values: b }, mark: { type: 'tick', orient: 'horizontal', size: 10, ...extra }, encoding: { ...xEnc, y: { field: 'low', type: 'quantitative' } } },
      { data: { values: b.filter((p) => !p.capped) }, mark: { type: 'tick', orient: 'horizontal', size: 10, ...extra }, encoding: { ...xEnc, y: { field: 'barHigh', type: 'quantitative' } } },
    ];
  };
  // one subtitle line per item keeps the canvas as wide as the plot
  const sub = [...(subtitle === undefined ? [] : Array.isArray(subtitle) ? subtitle : [subtitle]), ...(clipped ? ['CI bars cut at the top of the axis'] : [])];
  const y = { field: 'mean', type: 'quantitative', title: metricTitle(fig), scale: { domain: [0, top], nice: true } } as const;
  const common = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: fig.title, subtitle: sub, font: FONT, subtitleFont: FONT },
    width: 520,
    height: 320,
    background: 'white',
    config: { font: FONT, axis: { labelFont: FONT, titleFont: FONT, grid: true }, legend: { labelFont: FONT, titleFont: FONT } },
  };
  const tooltip = [{ field: 'series' }, { field: 'cores' }, { field: 'mean', format: '.3f' }, { field: 'n' }];
  if (fig.kind === 'best') {
    const best = bestPoints(points).map((p) => ({ ...p, coresLabel: `${p.cores} core${p.cores === 1 ? '' : 's'}` }));
    return {
      ...common,
      layer: [
        { data: { values: best }, mark: 'bar', encoding: { x: { field: 'nf', type: 'nominal', title: 'NF', axis: { labelAngle: 0 } }, xOffset: { field: 'series' }, y, color: { field: 'series', type: 'nominal', title: fig.series.join('_') }, tooltip: [...tooltip] } },
        // which core count was best, written at the foot of each bar
        { data: { values: best }, mark: { type: 'text', baseline: 'bottom', dy: -4, color: 'white', fontSize: 10 }, encoding: { x: { field: 'nf', type: 'nominal' }, xOffset: { field: 'series' }, y: { datum: 0, type: 'quantitative' }, text: { field: 'coresLabel' } } },
        // rule + ticks rather than errorbar: the composite errorbar mark ignores xOffset
        ...barLayers({ x: { field: 'nf', type: 'nominal' }, xOffset: { field: 'series' } }, { color: '#222' }, best),
        ...lineRateLayer(rate),
      ],
    } as unknown as TopLevelSpec;
  }
  const cores = [...new Set(points.map((p) => p.cores))].sort((a, b) => a - b);
  const x = { field: 'cores', type: 'quantitative', title: 'Cores', scale: { domain: [0, Math.max(...cores) * 1.08 + (cores.length > 1 ? 0 : 1)], nice: false }, axis: { values: cores, format: 'd' } } as const;
  const color = { field: 'series', type: 'nominal', title: fig.series.join('_') } as const;
  return {
    ...common,
    layer: [
      { data: { values: points }, mark: { type: 'line', point: { filled: true, size: 50 } }, encoding: { x, y, color, tooltip } },
      ...barLayers({ x, color }, {}, points),
      ...lineRateLayer(rate),
    ],
  } as unknown as TopLevelSpec;
}
