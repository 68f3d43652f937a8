// vega-lite -> vega -> SVG -> PNG (resvg with DejaVu Sans), written to <run>/plots/ and copied to plots/.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View } from 'vega';
import { Resvg } from '@resvg/resvg-js';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { specOfRun } from '../spec/load.js';
import { readRunJson, readSummary, readTrials, writeAtomic } from '../results/files.js';
import { outlierTrials, ratioRows, type Baseline } from '../results/summary.js';
import { flagName, FLAG_HOST_BUSY, FLAG_LOW_COUNT } from '../results/judge.js';
import type { TrialRecord } from '../results/format.js';
import type { Figure } from '../spec/schema.js';
import { figureSpec, inFilter, FONT } from './figures.js';
import { measureFigures } from './measure-figures.js';
import { endpointFigures } from './endpoint-figures.js';
import { timeseriesSpec } from './timeseries.js';

/** A cell as the notes name it (the plan's trial ids start so): "nat/redis/local/async/c1". */
const cellName = (c: Pick<TrialRecord, 'nf' | 'store' | 'location' | 'mode' | 'cores'>) => `${c.nf}/${c.store}/${c.location}/${c.mode}/c${c.cores}`;

/** What a figure should say about the trials behind it: cells skipped and why, a busy host, coarse counts, one location. */
export function figureNotes(fig: Figure, trials: readonly TrialRecord[]): string[] {
  const mine = trials.filter((t) => inFilter(fig, t));
  const notes: string[] = [];
  const skipped = new Map<string, Set<string>>();
  for (const t of mine.filter((x) => x.status === 'skipped' && !/^not needed/.test(x.reason ?? ''))) {
    const why = (t.reason ?? 'no reason').replace(/needs \d+ cores; this host has (\d+).*/, 'more cores than this host has ($1)').split(' (use ')[0]!;
    skipped.set(why, (skipped.get(why) ?? new Set()).add(cellName(t)));
  }
  for (const [why, cells] of skipped) notes.push(`not drawn: ${cells.size} cell(s) skipped: ${why}`);
  const failed = new Set(mine.filter((t) => t.status === 'failed').map(cellName));
  if (failed.size) notes.push(`${failed.size} cell(s) with failed trials (see trials.jsonl reasons)`);
  const ok = mine.filter((t) => t.status === 'ok');
  const busy = ok.filter((t) => t.flags.some((f) => flagName(f) === FLAG_HOST_BUSY)).length;
  if (busy) notes.push(`host busy: other work took CPU during ${busy} of ${ok.length} trials: rates lower and noisier`);
  const low = ok.filter((t) => t.flags.some((f) => flagName(f) === FLAG_LOW_COUNT)).length;
  if (low) notes.push(`${low} trial(s) forwarded fewer than 1,000 packets in the window: their rates are coarse`);
  const outliers = outlierTrials(mine);
  if (outliers.length) {
    const cells = [...new Set(outliers.map((o) => cellName(o.cell)))];
    // figures.ts rings the points of tx_mpps line figures (the rate the outliers are judged on)
    const ringed = fig.kind === 'lines' && fig.metric === 'tx_mpps' ? ', ringed' : '';
    notes.push(`${outliers.length} outlier trial(s) in the cells behind this figure, kept in summary.csv (forwarded ≥ 10 % off their cell's median; the run's last lines name their logs)${ringed}: ${cells.join(', ')}`);
  }
  if (fig.series.includes('location') && ok.length && new Set(ok.map((t) => t.location)).size === 1) {
    notes.push(`only one store location (${ok[0]!.location}) was measured here: this figure cannot show location (remote needs testbed netns or lab)`);
  }
  return notes;
}

const FONT_DIRS = ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/dejavu', '/usr/local/share/fonts'];

function fontFiles(): string[] {
  for (const d of FONT_DIRS) {
    if (!existsSync(d)) continue;
    const files = readdirSync(d).filter((f) => /^DejaVuSans(-Bold)?\.ttf$/.test(f)).map((f) => join(d, f));
    if (files.length) return files;
  }
  throw new FlexbenchError('no DejaVu Sans font for the PNG figures: install the Debian package fonts-dejavu-core (scripts/setup.sh does)', EXIT.environment);
}

export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string): Buffer {
  const r = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: 2 },
    font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: FONT, sansSerifFamily: FONT },
  });
  return r.render().asPng();
}

/** Writes one figure as <id>.vl.json, .svg and .png (and copies them where asked); returns the PNG's path. */
async function writeFigure(outDir: string, id: string, vl: TopLevelSpec, copyTo?: string | null): Promise<string> {
  const svg = await toSvg(vl);
  writeAtomic(join(outDir, `${id}.vl.json`), `${JSON.stringify(vl, null, 2)}\n`);
  writeAtomic(join(outDir, `${id}.svg`), svg);
  const png = join(outDir, `${id}.png`);
  writeAtomic(png, svgToPng(svg));
  if (copyTo) {
    mkdirSync(copyTo, { recursive: true });
    for (const ext of ['png', 'svg', 'vl.json']) copyFileSync(join(outDir, `${id}.${ext}`), join(copyTo, `${id}.${ext}`));
  }
  return png;
}

/** Draw every figure of a run's spec from its summary.csv, and those its measure: asks for; returns the PNG paths written in the run. */
export async function renderRunPlots(runDir: string, opts: { copyTo?: string | null; log?: (s: string) => void } = {}): Promise<string[]> {
  const run = readRunJson(runDir);
  const spec = specOfRun(run.spec_resolved, runDir);
  const rows = readSummary(runDir);
  const trials = readTrials(runDir);
  const outDir = join(runDir, 'plots');
  mkdirSync(outDir, { recursive: true });
  const fp = run.provenance.fingerprint;
  const order = run.order ? ` · ${run.order.kind}${run.order.kind === 'interleaved' ? ` rounds, seed ${run.order.seed}` : ''}` : '';
  const subtitle = [`${run.run_id} · testbed ${spec.testbed} · ${fp.cpu_model}, ${fp.cores} cores${order}`, `points: mean over pcaps x repetitions; bars: 95% CI (Student t on the log scale)`];
  const written: string[] = [];
  for (const fig of spec.figures) {
    const baseline = (fig.baseline ?? spec.baseline) as Baseline | undefined;
    const ratios = fig.metric === 'ratio' && baseline ? ratioRows(trials, baseline, fig.id, ['tx_mpps'], spec.matrix.ratio_interval) : [];
    const vl = fig.kind === 'timeseries' ? timeseriesSpec(fig, trials, runDir, [subtitle[0]!, ...figureNotes(fig, trials)]) : figureSpec(fig, rows, fig.metric === 'ratio' ? [subtitle[0]!, spec.matrix.ratio_interval === 'median' ? 'points: median of per-round ratios; bars: 95% order-statistic interval' : 'points: geometric mean of per-round ratios; bars: 95% CI (log scale)'] : subtitle, { ratios, notes: figureNotes(fig, trials) });
    if (!vl) {
      opts.log?.(`figure ${fig.id}: no successful trials to draw`);
      continue;
    }
    written.push(await writeFigure(outDir, fig.id, vl, opts.copyTo));
  }
  // measure: ndr_pdr and latency draw their own figures, one per NF (docs/ndr-latency.md)
  for (const f of measureFigures(rows, [subtitle[0]!])) written.push(await writeFigure(outDir, f.id, f.spec, opts.copyTo));
  // endpoints: (StatelessNF's Tables 2 and 3) as bars beside the paper's values (docs/statelessnf.md)
  if (spec.endpoints) {
    const ports = [...new Set(trials.map((t) => t.port_mode).filter((m): m is string => typeof m === 'string'))];
    const reps = run.plan.length ? Math.max(...run.plan.map((t) => t.repetition)) + 1 : 0;
    const ours = `${run.run_id}, testbed ${spec.testbed} (end hosts in namespaces, veths, NF port ${ports.join('/') || '?'}), ${fp.cpu_model}, ${fp.cores} cores`;
    for (const f of endpointFigures(trials, spec.endpoints, { ours, repetitions: `${reps} repetition${reps === 1 ? '' : 's'} per cell, interleaved` })) written.push(await writeFigure(outDir, f.id, f.spec, opts.copyTo));
  }
  return written;
}
