// flexbench's command line: one module per command under harness/commands/, errors mapped to exit codes here.
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { FlexbenchError } from './exit-codes.js';
import { debugRequested, reportError } from './error-report.js';

const commandModules = [
  'run', 'validate', 'plot', 'pcap', 'nf', 'gen', 'store', 'compare', 'baseline', 'history', 'ab', 'echo', 'orderings',
] as const;

// Only the command being run is loaded: startup stays fast, and a broken module elsewhere cannot
// take down `flexbench nf run` on a node. Help and unknown commands load them all.
async function loadCommands(argv: string[]): Promise<CommandModule[]> {
  const first = argv[0];
  const names = (commandModules as readonly string[]).includes(first ?? '') ? [first as string] : commandModules;
  const mods: CommandModule[] = [];
  for (const name of names) {
    const mod = (await import(`./commands/${name}.js`)) as { command: CommandModule };
    mods.push(mod.command);
  }
  return mods;
}

export async function main(argv: string[]): Promise<number> {
  try {
    return await parse(argv);
  } catch (err) {
    const r = reportError(err, debugRequested(argv));
    process.stderr.write(`${r.text}\n`);
    return r.exitCode;
  }
}

async function parse(argv: string[]): Promise<number> {
  const commands = await loadCommands(argv);
  let y = yargs(argv)
    .scriptName('flexbench')
    .usage('$0 <command> [options]\n\nReproduce and regression-test the FlexState evaluation.')
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .option('debug', { type: 'boolean', global: true, hidden: true, describe: 'print the stack trace of an error (or FLEXBENCH_DEBUG=1)' })
    .epilogue('Exit codes: 0 ok, 1 failed trials, 2 invalid spec or usage, 3 regression, 4 inconclusive (--strict), 5 environment, 70 internal error (a bug; --debug shows its stack), 130 interrupted.')
    .fail((msg, err) => {
      throw err ?? new FlexbenchError(msg);
    });
  for (const c of commands) y = y.command(c);
  await y.parseAsync();
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

// An error thrown outside the command's promise (an event handler, a stream) is reported the same way.
const fatal = (err: unknown) => {
  const r = reportError(err, debugRequested(hideBin(process.argv)));
  process.stderr.write(`${r.text}\n`);
  process.exit(r.exitCode);
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

const code = await main(hideBin(process.argv));
process.exitCode = code;
