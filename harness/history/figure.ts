// The history as a figure: per cell the series of run means, each group's mean as a segment, change points as red rules.
import type { TopLevelSpec } from 'vega-lite';
import { FONT } from '../plots/figures.js';
import type { History } from './series.js';

export function historyFigureSpec(h: History): TopLevelSpec | null {
  const cells = h.cells.filter((c) => c.points.length > 0);
  if (cells.length === 0) return null;
  const yTitle = h.metric === 'tx_mpps' ? 'transmitted (Mpps)' : 'received (Mpps)';
  const x = { field: 'run', type: 'quantitative', title: 'run (oldest first)', axis: { tickMinStep: 1, format: 'd' }, scale: { domain: [0.5, h.runs.length + 0.5], nice: false } } as const;
  const charts = cells.map((c) => {
    const points = c.points.map((p) => ({ run: p.run + 1, mean: p.mean, name: h.runs[p.run].name, n: p.n }));
    const groups = c.groups.map((g) => ({ run: g.firstRun + 1 - 0.3, run2: g.lastRun + 1 + 0.3, mean: g.mean }));
    const changes = c.changes.map((x) => ({ run: x.run + 0.5, label: `${x.change >= 0 ? '+' : ''}${(x.change * 100).toFixed(1)}%`, kind: x.kind }));
    const lo = Math.min(...c.points.map((p) => p.mean));
    const hi = Math.max(...c.points.map((p) => p.mean));
    const pad = Math.max((hi - lo) * 0.15, hi * 0.01);
    const y = { field: 'mean', type: 'quantitative', title: yTitle, scale: { domain: [Math.max(0, lo - pad), hi + pad], nice: false } } as const;
    return {
      title: { text: c.label, subtitle: c.regressed ? 'newest group: REGRESSION' : c.changes.length ? `${c.changes.length} change point(s)` : 'no change point', font: FONT, subtitleFont: FONT },
      width: 560,
      height: 200,
      layer: [
        { data: { values: points }, mark: { type: 'line', point: { filled: true, size: 40 }, color: '#4c78a8' }, encoding: { x, y, tooltip: [{ field: 'name' }, { field: 'mean', format: '.4f' }, { field: 'n' }] } },
        { data: { values: groups }, mark: { type: 'rule', strokeWidth: 3, color: '#222' }, encoding: { x, x2: { field: 'run2' }, y: { field: 'mean', type: 'quantitative' } } },
        ...(changes.length
          ? [
              { data: { values: changes }, mark: { type: 'rule', strokeDash: [4, 3], color: '#d62728' }, encoding: { x } },
              { data: { values: changes }, mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 3, y: 0, color: '#d62728', fontSize: 11 }, encoding: { x, text: { field: 'label' } } },
            ]
          : []),
      ],
    };
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `flexbench history: ${h.metric}`, subtitle: [`${h.runs.length} runs, ${h.runs[0].name} … ${h.runs[h.runs.length - 1].name}`, 'points: run means; black: group means; red: change points (MDL grouping)'], font: FONT, subtitleFont: FONT },
    background: 'white',
    config: { font: FONT, axis: { labelFont: FONT, titleFont: FONT, grid: true } },
    vconcat: charts,
  } as unknown as TopLevelSpec;
}
