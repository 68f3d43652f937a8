// The elastic figure (issue 18): throughput over time in the front-end's 10 ms buckets around a trial's
// first event (kill, add, remove, a store node's kill), one line per trial coloured by series (the store,
// by default), the events as vertical rules and the offered rate as a dashed line.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { Figure } from '../spec/schema.js';
import type { TrialRecord } from '../results/format.js';
import { figureFrame, inFilter, seriesLabel } from './figures.js';

/** ms shown before the first event, and at least after the last one (more where a recovery took longer) */
export const BEFORE_MS = 300;
export const AFTER_MS = 1200;

/** A trial's events in time order, an instance's or a store node's kill: when, what, and its recovery (ms). */
export function trialEvents(t: TrialRecord): { at_ms: number; label: string; recovery_ms: number | null }[] {
  const el = t.elastic!;
  return [
    ...el.events.map((e) => ({ at_ms: e.at_ms, label: `${e.kind} ${e.instance}`, recovery_ms: e.recovery_ms })),
    ...(el.store_events ?? []).map((e) => ({ at_ms: e.at_ms, label: `kill store ${e.node}`, recovery_ms: e.driver_recovered_ms })),
  ].sort((a, b) => a.at_ms - b.at_ms);
}

/** The window after the first event: past every event by AFTER_MS, or by its recovery and a margin where that is longer. */
function afterMs(trials: readonly TrialRecord[]): number {
  let after = AFTER_MS;
  for (const t of trials) {
    const evs = trialEvents(t);
    const t0 = evs[0]!.at_ms;
    for (const e of evs) after = Math.max(after, e.at_ms - t0 + Math.max(AFTER_MS, (e.recovery_ms ?? 0) + 300));
  }
  return Math.ceil(after / 100) * 100;
}

interface Point { series: string; trial: string; t: number; kpps: number }

/** Rows of a series CSV (t_ms, sent, returned, …) as numbers by column. */
export function parseSeriesCsv(text: string): Record<string, number[]> {
  const [head, ...rows] = text.trim().split('\n');
  const cols = head!.split(',');
  const out: Record<string, number[]> = Object.fromEntries(cols.map((c) => [c, [] as number[]]));
  for (const r of rows) r.split(',').forEach((v, i) => out[cols[i]!]!.push(Number(v)));
  return out;
}

export function timeseriesSpec(fig: Figure, trials: readonly TrialRecord[], runDir: string, subtitle: string[]): TopLevelSpec | null {
  const mine = trials.filter((t) => t.status === 'ok' && t.elastic && trialEvents(t).length > 0 && inFilter(fig, t));
  const points: Point[] = [];
  const offered: { t: number; kpps: number }[] = [];
  const rules = new Map<number, string>();
  const notes: string[] = [];
  const after = afterMs(mine);
  for (const t of mine) {
    const el = t.elastic!;
    const file = join(runDir, el.series_file);
    if (!existsSync(file)) continue;
    const s = parseSeriesCsv(readFileSync(file, 'utf8'));
    const evs = trialEvents(t);
    const t0 = evs[0]!.at_ms;
    const perS = 1000 / el.bucket_ms / 1000; // packets per bucket -> kpps
    const label = seriesLabel(fig, t);
    const trial = `${label} #${t.index}`;
    // the buckets after the generator stopped would draw the end of the trial as an outage
    let end = s.t_ms!.length;
    while (end > 0 && s.sent![end - 1] === 0) end--;
    for (let i = 0; i < end; i++) {
      const x = s.t_ms![i]! - t0;
      if (x < -BEFORE_MS || x > after) continue;
      points.push({ series: label, trial, t: x, kpps: s.returned![i]! * perS });
      if (offered.length < s.t_ms!.length && t === mine[0]) offered.push({ t: x, kpps: s.sent![i]! * perS });
    }
    for (const e of evs) {
      const x = Math.round(e.at_ms - t0);
      if (x >= -BEFORE_MS && x <= after && !rules.has(x)) rules.set(x, e.label);
    }
  }
  if (points.length === 0) return null;
  if (mine.some((t) => trialEvents(t).length > 1)) notes.push('x: ms after each trial\'s first event; later events marked where they fall');
  const color = { field: 'series', type: 'nominal', title: fig.series.join(', ') } as const;
  const x = { field: 't', type: 'quantitative', title: `ms after the event (${mine[0]!.elastic!.bucket_ms} ms buckets)`, scale: { domain: [-BEFORE_MS, after], nice: false } } as const;
  const ruleValues = [...rules].map(([t, label]) => ({ t, label }));
  return {
    ...figureFrame(fig.title, [...subtitle, ...notes, 'lines: packets forwarded per 10 ms by all instances, one line per trial; dashed: offered']),
    width: 620,
    height: 300,
    layer: [
      { data: { values: offered }, mark: { type: 'line', strokeDash: [6, 4], color: '#777', strokeWidth: 1 }, encoding: { x, y: { field: 'kpps', type: 'quantitative' } } },
      { data: { values: points }, mark: { type: 'line', strokeWidth: 1.2, opacity: 0.85, interpolate: 'step-after' }, encoding: { x, y: { field: 'kpps', type: 'quantitative', title: 'Forwarded (kpps)' }, color, detail: { field: 'trial' } } },
      { data: { values: ruleValues }, mark: { type: 'rule', color: '#c00', strokeWidth: 1.5 }, encoding: { x: { field: 't', type: 'quantitative' } } },
      { data: { values: ruleValues }, mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, color: '#c00', fontSize: 11 }, encoding: { x: { field: 't', type: 'quantitative' }, y: { value: 4 }, text: { field: 'label' } } },
    ],
  } as unknown as TopLevelSpec;
}
