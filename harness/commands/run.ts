// `flexbench run SPEC`: validate, expand the trial plan, run it on the spec's testbed, write results and figures.
import type { CommandModule } from 'yargs';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { loadSpec } from '../spec/load.js';
import { runExperiment } from '../orchestrate/run.js';
import { TESTBEDS } from '../spec/schema.js';
import { checkOutputDir } from '../../common/output-dir.js';

interface Args {
  spec?: string;
  out?: string;
  'dry-run'?: boolean;
  resume?: string;
  json?: boolean;
  profile?: string;
  plots?: boolean;
  testbed?: string;
  inventory?: string;
  seed?: number;
}

export const command: CommandModule<object, Args> = {
  command: 'run [spec]',
  describe: 'run an experiment spec (or --resume an interrupted run) and draw its figures',
  builder: (y) =>
    y
      .positional('spec', { type: 'string', describe: 'experiment spec (YAML), e.g. experiments/core-sweep.yaml' })
      .option('out', { type: 'string', describe: 'results directory (default results/<run-id>)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print every trial, its commands and an ETA; run nothing' })
      .option('resume', { type: 'string', describe: 'continue the run in DIR: only trials without a result run' })
      .option('profile', { type: 'string', describe: 'apply a named profile of the spec (e.g. paper: the paper\'s full parameters)' })
      .option('testbed', { type: 'string', choices: [...TESTBEDS], describe: "run on this testbed instead of the spec's (netns: two emulated nodes, needs root)" })
      .option('inventory', { type: 'string', describe: 'inventory file (YAML) for a netns or lab testbed, instead of the spec\'s inventory:' })
      .option('seed', { type: 'number', describe: 'seed of the interleaved trial order (default: drawn and recorded in run.json; give it to replay an order)' })
      .option('plots', { type: 'boolean', default: true, describe: 'draw the figures at the end (--no-plots to skip)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the outcome as one JSON line on stdout' })
      .example('$0 run experiments/core-sweep.yaml', 'Figures 5 and 6 with the short default settings')
      .example('$0 run experiments/core-sweep.yaml --profile paper', "the paper's full parameters (10 pcaps x 50,000 flows, 15 s trials)")
      .example('$0 run experiments/testbed.yaml --dry-run', 'show the plan and ETA without running')
      .example('sudo $0 run experiments/store-location.yaml --testbed netns', 'the same spec on two emulated nodes over SSH')
      .example('$0 run experiments/testbed.yaml --testbed lab --inventory lab.yaml', 'on real lab nodes')
      .example('$0 run --resume results/20261122T030000Z-core-sweep', 'finish an interrupted run')
      .epilogue('Exit codes: 0 all trials ok (skips are fine), 1 some trials failed, 2 invalid spec or usage, 5 environment (tool or store missing), 130 interrupted (resume with --resume).'),
  handler: async (a) => {
    if (!a.spec && !a.resume) throw new FlexbenchError('name a spec to run, or --resume DIR', EXIT.usage);
    if (a.spec && a.resume) throw new FlexbenchError('give either a spec or --resume DIR, not both (a resumed run keeps its own spec)', EXIT.usage);
    if (a.resume && (a.profile || a.testbed || a.inventory || a.seed !== undefined)) throw new FlexbenchError('--profile, --testbed, --inventory and --seed cannot change a resumed run (it keeps its recorded order)', EXIT.usage);
    if (a.seed !== undefined && !(Number.isInteger(a.seed) && a.seed >= 0 && a.seed < 2 ** 31)) throw new FlexbenchError(`--seed: expected an integer from 0 to ${2 ** 31 - 1}, found ${a.seed}`, EXIT.usage);
    if (a.resume && a.out) throw new FlexbenchError('--out cannot move a resumed run: it continues in its own directory', EXIT.usage);
    // a results directory that cannot be is refused before the spec is even read
    if (a.out !== undefined) checkOutputDir(a.out, '--out');
    const loaded = a.spec ? await loadSpec(a.spec, { profile: a.profile ?? null, testbed: a.testbed, inventory: a.inventory }) : undefined;
    // `flexbench run … --dry-run | head` closes stdout early: that is not an error
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(EXIT.ok);
      throw e;
    });
    const ac = new AbortController();
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        process.stderr.write(`\nflexbench: ${sig}: stopping the current trial and the stores; results so far are kept (again to force)\n`);
        ac.abort();
      } else process.exit(EXIT.interrupted);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const r = await runExperiment({
        loaded,
        outDir: a.out,
        resumeDir: a.resume,
        dryRun: a['dry-run'],
        seed: a.seed,
        json: a.json,
        plots: a.plots,
        signal: ac.signal,
        command: `flexbench ${process.argv.slice(2).join(' ')}`,
      });
      process.exitCode = r.exitCode;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // the run is over and the process is on its way out: a signal now (the second of a Ctrl-C pair
      // whose first already finished the shutdown) exits as interrupted, never by the default action
      const late = () => process.exit(EXIT.interrupted);
      process.once('SIGINT', late);
      process.once('SIGTERM', late);
    }
  },
};
