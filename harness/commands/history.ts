// `flexbench history DIR…`: per cell the series of means over runs (oldest first), its change points, and a figure.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { EXIT, FlexbenchError } from '../exit-codes.js';
import { parseTolerance } from '../compare/options.js';
import { THROUGHPUT_METRICS, type Metric } from '../compare/samples.js';
import { loadSide } from '../compare/side.js';
import { writeAtomic } from '../results/files.js';
import { buildHistory } from '../history/series.js';
import { HISTORY_FORMATS, HISTORY_REPORTERS, type HistoryFormat } from '../history/reporters/index.js';

interface Args {
  runs: string[];
  metric: Metric;
  tolerance: string;
  format: HistoryFormat;
  out?: string;
  plots?: string;
  figure: boolean;
}

export const command: CommandModule<object, Args> = {
  command: 'history <runs..>',
  describe: 'Find change points in the series of runs (run directories or baselines, oldest first), cell by cell',
  builder: (y) =>
    y
      .positional('runs', { type: 'string', array: true, demandOption: true, describe: 'run directories or baseline files, oldest first' })
      .option('metric', { choices: THROUGHPUT_METRICS, default: 'tx_mpps' as Metric, describe: 'throughput metric' })
      .option('tolerance', { type: 'string', default: '0%', describe: 'a newest group lower by no more than this is not a regression, e.g. 2%' })
      .option('format', { choices: HISTORY_FORMATS, default: 'text' as HistoryFormat, describe: 'report format' })
      .option('out', { type: 'string', describe: 'write the report to FILE (the headline then goes to stderr)' })
      .option('plots', { type: 'string', default: 'plots', describe: 'directory for the figure history-<metric>.{png,svg,vl.json}' })
      .option('figure', { type: 'boolean', default: true, describe: 'draw the figure (--no-figure to skip)' })
      .example('$0 history $(ls -d history/*/ | sort)', 'the nightly runs, oldest first')
      .epilogue('Exit codes: 0 no regression in any newest group, 3 a cell\'s newest group is a regression, 2 invalid input.') as never,
  handler: async (a) => {
    const tolerance = parseTolerance(a.tolerance);
    if (a.runs.length === 0) throw new FlexbenchError('name at least one run directory or baseline file', EXIT.usage);
    const sides = a.runs.map((r) => loadSide(r, a.metric));
    const h = buildHistory(sides, { tolerance });
    const report = HISTORY_REPORTERS[a.format].render(h);
    if (a.figure) {
      const { historyFigureSpec } = await import('../history/figure.js');
      const { toSvg, svgToPng } = await import('../plots/render.js');
      const spec = historyFigureSpec(h);
      if (spec) {
        mkdirSync(a.plots!, { recursive: true });
        const base = join(a.plots!, `history-${a.metric}`);
        const svg = await toSvg(spec);
        writeAtomic(`${base}.vl.json`, `${JSON.stringify(spec, null, 2)}\n`);
        writeAtomic(`${base}.svg`, svg);
        writeAtomic(`${base}.png`, svgToPng(svg));
        process.stderr.write(`flexbench: figure ${base}.png\n`);
      }
    }
    if (a.out) {
      try {
        writeAtomic(a.out, report);
      } catch (e) {
        throw new FlexbenchError(`cannot write the report to ${a.out}: ${(e as Error).message}`, EXIT.usage);
      }
      process.stderr.write(`${h.headline}\n`);
    } else process.stdout.write(report);
    for (const w of h.warnings) process.stderr.write(`flexbench: warning: ${w}\n`);
    process.exitCode = h.exitCode;
  },
};
