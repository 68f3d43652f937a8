// `flexbench compare BASELINE CURRENT`: the regression gate (exit 3 on regression, 4 undecided with --strict, 2 bad input).
import { writeAtomic } from '../results/files.js';
import type { CommandModule } from 'yargs';
import { EXIT, FlexbenchError } from '../exit-codes.js';
import { compareSampleSets } from '../compare/compare.js';
import { parseConfidence, parseTolerance } from '../compare/options.js';
import { REPORTERS, REPORT_FORMATS, type ReportFormat } from '../compare/reporters/index.js';
import { METRICS, type Metric } from '../compare/samples.js';
import { loadSide } from '../compare/side.js';

interface Args {
  baseline: string;
  current: string;
  tolerance: string;
  confidence: string;
  format: ReportFormat;
  metric: Metric;
  strict: boolean;
  force: boolean;
  out?: string;
}

export const command: CommandModule<object, Args> = {
  command: 'compare <baseline> <current>',
  describe: 'Compare a run with a baseline, cell by cell, and fail on a statistically sure regression',
  builder: (y) =>
    y
      .positional('baseline', { type: 'string', demandOption: true, describe: 'baseline: a run directory or a baseline file (flexbench baseline save)' })
      .positional('current', { type: 'string', demandOption: true, describe: 'current: a run directory or a baseline file' })
      .option('tolerance', { type: 'string', default: '5%', describe: 'relative change that matters, e.g. 5% or 0.05' })
      .option('confidence', { type: 'string', default: '0.95', describe: 'two-sided confidence of the change interval, e.g. 0.95 or 95%' })
      .option('format', { choices: REPORT_FORMATS, default: 'text' as ReportFormat, describe: 'report format' })
      .option('metric', { choices: METRICS, default: 'tx_mpps' as Metric, describe: 'metric to gate on: tx/rx at max load (tx: the paper\'s rate), ndr/pdr (measure: ndr_pdr), latency_* per load (measure: latency; an increase is the regression)' })
      .option('strict', { type: 'boolean', default: false, describe: 'inconclusive or missing cells fail the gate (exit 4)' })
      .option('force', { type: 'boolean', default: false, describe: 'compare even across different hardware fingerprints or traffic (flows, window, rate, pcaps)' })
      .option('out', { type: 'string', describe: 'write the report to FILE instead of stdout (the one-line headline then goes to stderr)' })
      .example('$0 compare baselines/regression.baseline.json results/20261205T100000Z-regression', 'a lab run against its committed baseline')
      .example('$0 compare results/A results/B --tolerance 3% --confidence 0.99', 'two runs; a drop counts past 3 %, at 99 % confidence')
      .example('$0 compare base.json results/B --format junit --out gate.xml', 'a JUnit file for the CI, the headline on stderr')
      .epilogue('Exit codes: 0 no regression, 3 a cell regressed, 4 inconclusive or missing cells with --strict, 2 invalid input or fingerprints that differ (without --force).') as never,
  handler: (args) => {
    const tolerance = parseTolerance(args.tolerance);
    const confidence = parseConfidence(args.confidence);
    const baseline = loadSide(args.baseline, args.metric);
    const current = loadSide(args.current, args.metric);
    const result = compareSampleSets(baseline, current, { tolerance, confidence, strict: args.strict, force: args.force });
    const report = REPORTERS[args.format].render(result);
    if (args.out) {
      try {
        writeAtomic(args.out, report); // a CI step reading it never sees half a report
      } catch (e) {
        throw new FlexbenchError(`cannot write the report to ${args.out}: ${(e as Error).message}`, EXIT.usage);
      }
      process.stderr.write(`${result.headline}\n`);
    } else {
      process.stdout.write(report);
    }
    for (const w of result.warnings) process.stderr.write(`flexbench: warning: ${w}\n`);
    process.exitCode = result.exitCode;
  },
};
