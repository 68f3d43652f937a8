// `flexbench baseline save RUN_DIR`: store a run as the committed reference for `flexbench compare`.
import type { CommandModule } from 'yargs';
import { readBaseline } from '../compare/baseline-file.js';
import { saveBaseline } from '../baseline/save.js';
import { cellLabel } from '../compare/cell.js';

interface SaveArgs {
  run_dir: string;
  name?: string;
  dir: string;
  commit?: string;
}

export const save: CommandModule<object, SaveArgs> = {
  command: 'save <run_dir>',
  describe: 'Store a run directory as a baseline file (small, text, one cell per line) in --dir, to be committed',
  builder: (y) =>
    y
      .positional('run_dir', { type: 'string', demandOption: true, describe: 'results/<run-id> directory of a finished run' })
      .option('name', { type: 'string', describe: 'baseline name (file <dir>/<name>.baseline.json); default: the spec name' })
      .option('dir', { type: 'string', default: 'baselines', describe: 'directory of baselines' })
      .option('commit', { type: 'string', describe: 'commit to record (default: the one in the run provenance)' })
      .example('$0 baseline save results/20261205T100000Z-regression', 'write baselines/regression.baseline.json, to commit')
      .example('$0 baseline save results/X --name lab-a-nat --dir ci/baselines', 'a name and a folder of your own') as never,
  handler: (args) => {
    const { path, baseline } = saveBaseline(args.run_dir, { name: args.name, dir: args.dir, commit: args.commit });
    const samples = baseline.cells.reduce((s, c) => s + c.rx_pps.length, 0);
    process.stdout.write(`saved baseline ${baseline.name}: ${baseline.cells.length} cells, ${samples} samples -> ${path}\n`);
  },
};

export const show: CommandModule<object, { file: string }> = {
  command: 'show <file>',
  describe: 'Print what a baseline file holds (and validate it)',
  builder: (y) => y.positional('file', { type: 'string', demandOption: true }).example('$0 baseline show baselines/regression.baseline.json', 'its cells, samples and fingerprint') as never,
  handler: (args) => {
    const b = readBaseline(args.file);
    const out = [
      `baseline ${b.name} (spec ${b.spec ?? '-'}, commit ${b.commit ?? '-'}, run ${b.run_id ?? '-'}, saved ${b.created_at})`,
      `fingerprint: ${JSON.stringify(b.fingerprint)}`,
      ...b.cells.map((c) => `  ${cellLabel(c)}: n=${c.rx_pps.length}${c.failed ? ` (+${c.failed} failed)` : ''}`),
    ];
    process.stdout.write(out.join('\n') + '\n');
  },
};

export const command: CommandModule = {
  command: 'baseline <action>',
  describe: 'Store and inspect baselines for `flexbench compare`',
  builder: (y) => y.command(save).command(show).demandCommand(1, 'name an action: save or show'),
  handler: () => {},
};
