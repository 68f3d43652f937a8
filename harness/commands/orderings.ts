// `flexbench orderings RUN [RUN…]`: each run's orderings of paired ratios, re-derived from its trials by today's rule,
// and with two runs or more whether they agree (exit 6 where a pair is ordered one way in one run and the other way,
// or shown within the margin, in another).
import type { CommandModule } from 'yargs';
import { basename, resolve } from 'node:path';
import { EXIT, FlexbenchError } from '../exit-codes.js';
import { agreementText, runOrderings } from '../compare/orderings.js';
import { compareOrderings } from '../results/ordering.js';

interface Args {
  runs: string[];
  json: boolean;
}

export const command: CommandModule<object, Args> = {
  command: 'orderings <runs..>',
  describe: 'the orderings of paired ratios of runs (>, ≈ within the margin, ~ unresolved), and whether two or more runs contradict each other',
  builder: (y) =>
    y
      .positional('runs', { type: 'string', array: true, demandOption: true, describe: 'run directories (of specs with a baseline)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the groups, their pairs and the agreement as JSON' })
      .example('$0 orderings results/A results/B', 'the same, consistent (a pair resolved in one run only) or contradicting, group by group')
      .epilogue('Exit codes: 0 no contradiction, 6 a pair ordered one way in one run and the other way (or within the margin) in another, 2 invalid input.') as never,
  handler: (a) => {
    const dirs = a.runs.map((r) => resolve(r));
    const names = dirs.map((d) => basename(d));
    const all = dirs.map(runOrderings);
    if (all.every((os) => os.length === 0)) throw new FlexbenchError(`no paired ratios in ${a.runs.join(', ')}: the spec names no baseline, or no cell has two rounds`, EXIT.usage);
    const groups = compareOrderings(all);
    process.stdout.write(a.json ? `${JSON.stringify({ runs: names, groups }, null, 2)}\n` : agreementText(names, groups));
    if (groups.some((g) => g.agreement === 'contradicts')) process.exitCode = EXIT.contradiction;
  },
};
