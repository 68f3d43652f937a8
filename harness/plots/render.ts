// vega-lite -> vega -> SVG -> PNG (resvg with DejaVu Sans), written to <run>/plots/ and copied to plots/.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View } from 'vega';
import { Resvg } from '@resvg/resvg-js';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { specSchema } from '../spec/schema.js';
import { readRunJson, readSummary, writeAtomic } from '../results/files.js';
import { figureSpec, FONT } from './figures.js';

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

/** Draw every figure of a run's spec from its summary.csv; returns the PNG paths written in the run. */
export async function renderRunPlots(runDir: string, opts: { copyTo?: string | null; log?: (s: string) => void } = {}): Promise<string[]> {
  const run = readRunJson(runDir);
  const spec = specSchema.parse(run.spec_resolved);
  const rows = readSummary(runDir);
  const outDir = join(runDir, 'plots');
  mkdirSync(outDir, { recursive: true });
  const fp = run.provenance.fingerprint;
  const subtitle = [`${run.run_id} · testbed ${spec.testbed} · ${fp.cpu_model}, ${fp.cores} cores`, `points: mean over pcaps x repetitions; bars: 95% CI (Student t)`];
  const written: string[] = [];
  for (const fig of spec.figures) {
    const vl = figureSpec(fig, rows, subtitle);
    if (!vl) {
      opts.log?.(`figure ${fig.id}: no successful trials to draw`);
      continue;
    }
    const svg = await toSvg(vl);
    writeAtomic(join(outDir, `${fig.id}.vl.json`), `${JSON.stringify(vl, null, 2)}\n`);
    writeAtomic(join(outDir, `${fig.id}.svg`), svg);
    const png = join(outDir, `${fig.id}.png`);
    writeAtomic(png, svgToPng(svg));
    written.push(png);
    if (opts.copyTo) {
      mkdirSync(opts.copyTo, { recursive: true });
      for (const ext of ['png', 'svg', 'vl.json']) copyFileSync(join(outDir, `${fig.id}.${ext}`), join(opts.copyTo, `${fig.id}.${ext}`));
    }
  }
  return written;
}
