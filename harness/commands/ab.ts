// `flexbench ab --base REV --head REV SPEC`: two builds measured in interleaved rounds; a paired verdict per cell,
// with the exit codes and report formats of `flexbench compare`.
import os from 'node:os';
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { EXIT, FlexbenchError } from '../exit-codes.js';
import { parseConfidence, parseTolerance } from '../compare/options.js';
import { REPORTERS, REPORT_FORMATS, type ReportFormat } from '../compare/reporters/index.js';
import { METRICS, type Metric } from '../compare/samples.js';
import { loadSpec } from '../spec/load.js';
import { writeAtomic } from '../results/files.js';
import { prepareBuild, repoOf, resolveRevision } from '../ab/revision.js';
import { newSeed } from '../ab/schedule.js';
import { DEFAULT_EPOCHS, DEFAULT_ROUNDS, runAb } from '../ab/run.js';

/** Rounds per epoch of windows: a new pair of resident processes every so many rounds (docs/regression-gate.md, "Epochs"). */
export const DEFAULT_EPOCH_ROUNDS = 6;

interface Args {
  spec: string;
  base: string;
  head: string;
  rounds?: number;
  until?: string;
  'min-rounds': number;
  'max-time'?: string;
  seed?: number;
  profile?: string;
  repo?: string;
  cache?: string;
  out?: string;
  report?: string;
  tolerance: string;
  confidence: string;
  format: ReportFormat;
  metric: Metric;
  strict: boolean;
  window?: number;
  settle: number;
  'per-trial': boolean;
  'epoch-rounds'?: number;
}

/** The reports ab writes into its results directory, one per format. */
const REPORT_FILES: Record<ReportFormat, string> = { text: 'report.txt', markdown: 'report.md', junit: 'junit.xml', json: 'report.json' };

/** `--max-time`: seconds, or a number with s, m or h. */
export function parseMaxTime(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(v.trim());
  const s = m ? Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1) : NaN;
  if (!(s > 0)) throw new FlexbenchError(`--max-time "${v}" is not a duration like 600, 90s or 10m`, EXIT.usage);
  return s;
}

function defaultCache(): string {
  return join(process.env.XDG_CACHE_HOME || join(os.homedir(), '.cache'), 'flexbench', 'builds');
}

export const command: CommandModule<object, Args> = {
  command: 'ab <spec>',
  describe: 'Measure two revisions of flexbench in interleaved rounds and decide, per cell, whether head regressed against base',
  builder: (y) =>
    y
      .positional('spec', { type: 'string', demandOption: true, describe: 'experiment spec (YAML) on the local testbed' })
      .option('base', { type: 'string', demandOption: true, describe: 'git revision (or a directory holding a built flexbench) to compare against' })
      .option('head', { type: 'string', demandOption: true, describe: 'git revision (or directory) under test; its work tree must be clean' })
      .option('rounds', { type: 'number', describe: `rounds (each: every cell and pcap with both builds, back to back); with --until decided the cap (default: ${DEFAULT_ROUNDS} with a process per trial, ${DEFAULT_EPOCHS} epochs in windows)` })
      .option('until', { type: 'string', choices: ['decided'], describe: 'stop once every cell is decided (looked at after each round from --min-rounds on; at most --rounds)' })
      .option('min-rounds', { type: 'number', default: 5, describe: 'with --until decided: the first round after which verdicts are looked at (then about every 1.25x as many rounds, and at the cap)' })
      .option('max-time', { type: 'string', describe: 'wall-clock budget of the whole run, builds included (e.g. 600, 90s, 10m): no round starts that would likely end past it; the verdicts use the rounds done' })
      .option('seed', { type: 'number', describe: 'seed of the run order (default: drawn, and recorded in the report and ab.json)' })
      .option('profile', { type: 'string', describe: 'apply a named profile of the spec' })
      .option('repo', { type: 'string', describe: 'git repository the revisions are taken from (default: the one holding the current directory)' })
      .option('cache', { type: 'string', describe: `builds are kept here, one worktree per commit (default ${defaultCache()})` })
      .option('out', { type: 'string', describe: 'results directory (default results/<time>-ab-<spec>): base/ and head/ run directories and ab.json' })
      .option('report', { type: 'string', describe: 'write the report to FILE instead of stdout (the headline then goes to stderr)' })
      .option('tolerance', { type: 'string', default: '5%', describe: 'relative change that matters, e.g. 5% or 0.05' })
      .option('confidence', { type: 'string', default: '0.95', describe: 'two-sided confidence of the change interval' })
      .option('format', { choices: REPORT_FORMATS, default: 'text' as ReportFormat, describe: 'report format' })
      .option('metric', { choices: METRICS, default: 'tx_mpps_own' as Metric, describe: 'metric to gate on: tx/rx at max load (tx_mpps_own, the default: forwarded over the time the NF\'s cores held a CPU, so other work on the machine divides out), or latency_* at the spec\'s traffic.rate (an increase is the regression)' })
      .option('strict', { type: 'boolean', default: false, describe: 'inconclusive cells fail the gate (exit 4)' })
      .option('window', { type: 'number', describe: 'max-load cells: seconds of each window of a resident nf run (default: the spec\'s traffic.duration_s); each build runs one process per cell and pcap for the whole A/B, paused between its windows' })
      .option('settle', { type: 'number', default: 0.1, describe: 'seconds a resident nf run runs after it is resumed before its window is measured' })
      .option('epoch-rounds', { type: 'number', describe: `windows: rounds per epoch (default ${DEFAULT_EPOCH_ROUNDS}); every epoch each build\'s resident processes are ended and new ones started, and the verdict\'s samples are the epochs (a pair of processes\' own offset is then in the interval)` })
      .option('per-trial', { type: 'boolean', default: false, describe: 'measure every trial with a fresh nf run (warm-up + duration, as flexbench run does) instead of windows of resident processes' })
      .example('$0 ab --base origin/main --head HEAD experiments/regression.yaml', 'a branch against main')
      .example('$0 ab --base v0.1.0 --head . experiments/regression.yaml --until decided --rounds 30', 'this built checkout against a tag, until every cell is decided')
      .epilogue('Exit codes: 0 no regression, 3 a cell regressed, 4 inconclusive with --strict, 2 invalid input (unknown revision, a revision that does not build, cells that differ, a dirty --head), 5 environment, 130 interrupted.') as never,
  handler: async (a) => {
    const tolerance = parseTolerance(a.tolerance);
    const confidence = parseConfidence(a.confidence);
    if (a.rounds !== undefined && (!Number.isInteger(a.rounds) || a.rounds < 2)) throw new FlexbenchError(`--rounds ${a.rounds}: at least 2 whole rounds are needed to estimate noise`, EXIT.usage);
    if (a.until && (!Number.isInteger(a['min-rounds']) || a['min-rounds'] < 2 || (a.rounds !== undefined && a['min-rounds'] > a.rounds))) throw new FlexbenchError(`--min-rounds ${a['min-rounds']} must be a whole number from 2 to --rounds (${a.rounds})`, EXIT.usage);
    const epochRounds = a['epoch-rounds'] ?? DEFAULT_EPOCH_ROUNDS;
    if (!(Number.isInteger(epochRounds) && epochRounds >= 1 && epochRounds <= 10_000)) throw new FlexbenchError(`--epoch-rounds ${epochRounds} must be a whole number of rounds from 1 to 10000`, EXIT.usage);
    if (a['per-trial'] && a['epoch-rounds'] !== undefined) throw new FlexbenchError('--epoch-rounds restarts resident processes, --per-trial starts a fresh process per trial: give one of them', EXIT.usage);
    if (a.seed !== undefined && !(Number.isInteger(a.seed) && a.seed >= 0 && a.seed < 2 ** 32)) throw new FlexbenchError(`--seed ${a.seed} must be a whole number from 0 to 2^32 − 1`, EXIT.usage);
    if (a.window !== undefined && !(a.window > 0 && a.window <= 3600)) throw new FlexbenchError(`--window ${a.window} must be seconds above 0 and at most 3600`, EXIT.usage);
    if (!(a.settle >= 0 && a.settle <= 3600)) throw new FlexbenchError(`--settle ${a.settle} must be seconds from 0 to 3600`, EXIT.usage);
    if (a['per-trial'] && a.window !== undefined) throw new FlexbenchError('--window measures resident processes, --per-trial a fresh process per trial: give one of them', EXIT.usage);
    const started = Date.now();
    const maxTimeS = a['max-time'] === undefined ? null : parseMaxTime(a['max-time']);
    const loaded = await loadSpec(resolve(a.spec), { profile: a.profile ?? null });
    const repo = a.repo ? resolve(a.repo) : await repoOf(process.cwd());
    const ac = new AbortController();
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        process.stderr.write(`\nflexbench: ${sig}: stopping the current trial, builds and stores (again to force)\n`);
        ac.abort();
      } else process.exit(EXIT.interrupted);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const log = (l: string) => process.stderr.write(`${l}\n`);
      const o = { repo: repo ?? '', cacheDir: resolve(a.cache ?? defaultCache()), signal: ac.signal, log };
      const needsRepo = async (rev: string) => {
        const { statSync } = await import('node:fs');
        try {
          return !statSync(rev).isDirectory();
        } catch {
          return true;
        }
      };
      if (repo === null && ((await needsRepo(a.base)) || (await needsRepo(a.head)))) {
        throw new FlexbenchError(`${process.cwd()} is not in a git repository: give --repo, or directories holding built flexbench for --base and --head`, EXIT.usage);
      }
      // both checked before either is built: a bad --head must not cost a build of --base
      const rb = await resolveRevision('base', a.base, o);
      const rh = await resolveRevision('head', a.head, o);
      const base = await prepareBuild(rb, o);
      const head = await prepareBuild(rh, o);
      const seed = a.seed ?? newSeed();
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
      const outDir = resolve(a.out ?? join('results', `${stamp}-ab-${loaded.spec.name}`));
      log(`ab: ${loaded.spec.name}, ${a.until ? `until decided (rounds ${a['min-rounds']}–${a.rounds ?? 'default'})` : `${a.rounds ?? 'default'} rounds`}, seed ${seed} -> ${outDir}`);
      const r = await runAb({
        loaded, base, head, rounds: a.rounds ?? null, epochRounds, until: a.until === 'decided' ? 'decided' : 'rounds', minRounds: a['min-rounds'], seed, outDir,
        deadline: maxTimeS === null ? null : { at: started + maxTimeS * 1000, label: a['max-time']! },
        pcapCache: resolve('pcaps'), tolerance, confidence, strict: a.strict, metric: a.metric, signal: ac.signal, log,
        windows: a['per-trial'] ? null : { window_s: a.window ?? null, settle_s: a.settle },
        command: `flexbench ${process.argv.slice(2).join(' ')}`,
      });
      // every format next to the results, so a CI job publishes all of them from one measurement
      for (const [fmt, file] of Object.entries(REPORT_FILES)) writeAtomic(join(r.outDir, file), REPORTERS[fmt as ReportFormat].render(r.comparison));
      const report = REPORTERS[a.format].render(r.comparison);
      if (a.report) {
        try {
          writeAtomic(a.report, report);
        } catch (e) {
          throw new FlexbenchError(`cannot write the report to ${a.report}: ${(e as Error).message}`, EXIT.usage);
        }
        process.stderr.write(`${r.comparison.headline}\n`);
      } else process.stdout.write(report);
      for (const w of r.comparison.warnings) process.stderr.write(`flexbench: warning: ${w}\n`);
      process.exitCode = r.comparison.exitCode;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
