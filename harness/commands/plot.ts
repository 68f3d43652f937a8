// `flexbench plot RUN_DIR`: (re)draw a run's figures from its summary.csv.
import type { CommandModule } from 'yargs';
import { resolve } from 'node:path';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { renderRunPlots } from '../plots/render.js';

interface Args {
  run: string;
  copy?: boolean;
}

export const command: CommandModule<object, Args> = {
  command: 'plot <run>',
  describe: "draw a run's figures (SVG + PNG + vega-lite JSON) into RUN/plots and plots/",
  builder: (y) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'a results directory (results/<run-id>)' })
      .option('copy', { type: 'boolean', default: true, describe: 'also copy the figures to ./plots (--no-copy to skip)' })
      .example('$0 plot results/20261122T030000Z-core-sweep', 'redraw Figures 5 and 6 of that run'),
  handler: async (a) => {
    const files = await renderRunPlots(a.run, { copyTo: a.copy ? resolve('plots') : null, log: (s) => process.stderr.write(`${s}\n`) });
    if (files.length === 0) throw new FlexbenchError(`${a.run}: no figure could be drawn (no successful trials for any figure of the spec)`, EXIT.trialsFailed);
    for (const f of files) process.stdout.write(`${f}\n`);
  },
};
