// `flexbench validate SPEC`: every problem of a spec at once, with file:line:column; nothing is started.
import type { CommandModule } from 'yargs';
import { resolve } from 'node:path';
import { loadSpec } from '../spec/load.js';
import { expandPlan, estimateSeconds, formatDuration } from '../plan/plan.js';
import { createTestbed } from '../testbeds/index.js';
import { REPO_ROOT } from '../provenance.js';
import { cellIdOf } from '../results/format.js';
import { checkReplayable, plannedPcaps } from '../orchestrate/pcaps.js';

interface Args {
  spec: string;
  profile?: string;
  json?: boolean;
}

export const command: CommandModule<object, Args> = {
  command: 'validate <spec>',
  describe: 'check an experiment spec (all its profiles too) and report every problem with its position',
  builder: (y) =>
    y
      .positional('spec', { type: 'string', demandOption: true, describe: 'experiment spec (YAML)' })
      .option('profile', { type: 'string', describe: 'also show the plan size of this profile' })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' })
      .example('$0 validate experiments/core-sweep.yaml', 'exit 0 if valid, 2 with every problem listed if not')
      .epilogue('Exit codes: 0 valid, 2 invalid (each problem as file:line:column: field: expected …, found …).'),
  handler: async (a) => {
    const loaded = await loadSpec(a.spec, { profile: a.profile ?? null });
    const spec = loaded.spec;
    const tb = await createTestbed(spec.testbed, { spec, inventory: spec.inventory, root: REPO_ROOT });
    const plan = expandPlan(spec, { skipReason: (t) => tb.skipReason(t) });
    await tb.teardown();
    // generated pcaps land in ./pcaps/ of the directory `run` starts in: judged as `run` would
    if (!spec.traffic.pcaps) checkReplayable(spec, plannedPcaps(spec, resolve('pcaps')));
    const runnable = plan.filter((t) => !t.skip).length;
    if (a.json) {
      // cells: what `flexbench ab` checks two builds agree on
      const cells = [...new Set(plan.filter((t) => !t.skip).map((t) => cellIdOf(t)))].sort();
      process.stdout.write(`${JSON.stringify({ valid: true, spec: spec.name, profile: loaded.profile, trials: plan.length, runnable, cells, eta_s: estimateSeconds(spec, plan) })}\n`);
    } else {
      process.stdout.write(`${a.spec}: valid (${spec.name}${loaded.profile ? `, profile ${loaded.profile}` : ''}): ${plan.length} trials, ${runnable} runnable here, ETA ${formatDuration(estimateSeconds(spec, plan))}\n`);
    }
  },
};
