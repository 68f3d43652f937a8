// The CI workflows cannot run here (they need the lab), so check what can be checked without GitHub: YAML syntax,
// required keys, references between steps/jobs/inputs, the reusable-workflow contract, shell and JS syntax of every
// script, no ${{ }} injected into scripts, and that every flexbench flag they pass exists on the command.
import { plannedRepetitions } from '../../../harness/spec/schema.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs, { type CommandModule } from 'yargs';
import { parseDocument } from 'yaml';
import { command as compareCommand } from '../../../harness/commands/compare.js';
import { save as baselineSave } from '../../../harness/commands/baseline.js';
import { command as runCommand } from '../../../harness/commands/run.js';
import { command as abCommand } from '../../../harness/commands/ab.js';
import { command as historyCommand } from '../../../harness/commands/history.js';
import { SCENARIO, makeTmp, writeRun } from './fixtures.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DIR = join(ROOT, '.github', 'workflows');

type Obj = Record<string, unknown>;
interface Step { id?: string; name?: string; uses?: string; run?: string; with?: Obj; env?: Obj; if?: string }
interface Job { 'runs-on'?: unknown; uses?: string; with?: Obj; steps?: Step[]; outputs?: Obj; env?: Obj; if?: string; 'timeout-minutes'?: unknown }
interface Workflow { name: string; on: Obj; jobs: Record<string, Job>; permissions?: Obj; concurrency?: Obj }

function load(file: string): Workflow {
  const text = readFileSync(join(DIR, file), 'utf8');
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  assert.deepEqual(doc.errors.map((e) => e.message), [], `${file}: YAML errors`);
  assert.deepEqual(doc.warnings.map((e) => e.message), [], `${file}: YAML warnings`);
  return doc.toJS() as Workflow;
}

const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const workflows = new Map(files.map((f) => [f, load(f)]));

function optionsOf(cmd: CommandModule<object, never>): Set<string> {
  const y = yargs([]);
  (cmd.builder as (y: unknown) => unknown)(y);
  const opts = (y as unknown as { getOptions(): { key: Obj } }).getOptions();
  return new Set(Object.keys(opts.key));
}
const FLAGS: Record<string, Set<string>> = {
  compare: optionsOf(compareCommand as CommandModule<object, never>),
  'baseline save': optionsOf(baselineSave as CommandModule<object, never>),
  run: optionsOf(runCommand as CommandModule<object, never>),
  ab: optionsOf(abCommand as CommandModule<object, never>),
  history: optionsOf(historyCommand as CommandModule<object, never>),
};
/** Bash arrays the scripts build flexbench arguments in, and the command each feeds, per workflow. */
const ARRAYS: Record<string, Record<string, string>> = { 'lab-gate.yml': { opts: 'compare', args: 'run' }, 'lab-ab.yml': { opts: 'ab' } };

/** Declared inputs of a workflow, by trigger. */
function inputsOf(w: Workflow, trigger: 'workflow_call' | 'workflow_dispatch'): Record<string, Obj> {
  const t = w.on[trigger] as Obj | null | undefined;
  return ((t && (t.inputs as Record<string, Obj>)) ?? {}) as Record<string, Obj>;
}

/** Every ${{ … }} expression in a value, with where it is. */
function expressions(v: unknown, where: string, out: Array<{ expr: string; where: string }> = []) {
  if (typeof v === 'string') for (const m of v.matchAll(/\$\{\{(.*?)\}\}/gs)) out.push({ expr: m[1].trim(), where });
  else if (Array.isArray(v)) v.forEach((x, i) => expressions(x, `${where}[${i}]`, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) expressions(x, `${where}.${k}`, out);
  // bare `if:` conditions are expressions without ${{ }}
  return out;
}

test('there are the four workflows: the reusable lab gate and A/B gate, the PR/push gate and the nightly sweep', () => {
  assert.deepEqual(files, ['lab-ab.yml', 'lab-gate.yml', 'nightly-sweep.yml', 'regression-gate.yml']);
});

test('every workflow has a name, triggers and jobs; every job runs on the self-hosted lab runner or calls one that does', () => {
  for (const [f, w] of workflows) {
    assert.equal(typeof w.name, 'string', f);
    assert.ok(w.on && typeof w.on === 'object', `${f}: on`);
    assert.ok(Object.keys(w.jobs ?? {}).length > 0, `${f}: jobs`);
    for (const [id, job] of Object.entries(w.jobs)) {
      if (job.uses) {
        assert.equal(job.steps, undefined, `${f}:${id}: a reusable call has no steps`);
        continue;
      }
      const runsOn = [job['runs-on']].flat();
      assert.ok(runsOn.includes('self-hosted') && runsOn.includes('flexbench-lab'), `${f}:${id}: runs-on ${JSON.stringify(runsOn)}`);
      assert.ok(job['timeout-minutes'] !== undefined, `${f}:${id}: a lab job needs a timeout`);
      assert.ok(Array.isArray(job.steps) && job.steps.length > 0, `${f}:${id}: steps`);
      const ids = new Set<string>();
      for (const s of job.steps) {
        assert.ok(!!s.uses !== !!s.run, `${f}:${id}: step ${s.name} needs exactly one of uses/run`);
        if (s.uses) assert.match(s.uses, /^[\w.-]+\/[\w.-]+@v\d+$/, `${f}:${id}: pin actions to a major version`);
        if (s.id) {
          assert.ok(!ids.has(s.id), `${f}:${id}: duplicate step id ${s.id}`);
          ids.add(s.id);
        }
      }
    }
  }
});

test('the gate and the nightly call the reusable workflows with inputs they declare, of the right types, and every required one', () => {
  const calls: Array<[string, string, Job]> = [];
  for (const f of ['regression-gate.yml', 'nightly-sweep.yml']) for (const [id, job] of Object.entries(workflows.get(f)!.jobs)) calls.push([f, id, job]);
  // pull requests: ab against the merge base; pushes to main and the nightly: the committed baseline
  assert.deepEqual(calls.map(([f, id, j]) => `${f}:${id}:${j.uses}`), [
    'regression-gate.yml:ab:./.github/workflows/lab-ab.yml',
    'regression-gate.yml:gate:./.github/workflows/lab-gate.yml',
    'nightly-sweep.yml:sweep:./.github/workflows/lab-gate.yml',
  ]);
  for (const [f, id, job] of calls) {
    const callee = workflows.get(job.uses!.split('/').pop()!)!;
    const inputs = inputsOf(callee, 'workflow_call');
    assert.ok(Object.keys(inputs).length > 0);
    const given = job.with ?? {};
    for (const [k, v] of Object.entries(given)) {
      assert.ok(k in inputs, `${f}:${id}: input ${k} is not declared by ${job.uses}`);
      const type = inputs[k].type;
      const isExpr = typeof v === 'string' && v.startsWith('${{');
      if (!isExpr) assert.equal(typeof v, type, `${f}:${id}: input ${k} should be a ${type}`);
    }
    for (const [k, spec] of Object.entries(inputs)) {
      if (spec.required === true) assert.ok(k in given, `${f}:${id}: required input ${k} missing`);
      assert.ok(['string', 'boolean', 'number'].includes(String(spec.type)), `${job.uses}: input ${k} type`);
    }
  }
  // the nightly runs on a schedule with a five-field cron, and keeps a history; the gate on PRs, pushes to main and by hand
  const nightly = workflows.get('nightly-sweep.yml')!;
  const cron = (nightly.on.schedule as Array<{ cron: string }>)[0].cron;
  assert.equal(cron.trim().split(/\s+/).length, 5);
  assert.equal(typeof nightly.jobs.sweep.with?.history, 'string');
  const gate = workflows.get('regression-gate.yml')!;
  assert.ok('pull_request' in gate.on && 'push' in gate.on && 'workflow_dispatch' in gate.on);
  // a self-hosted runner never runs a fork's code; the baseline gate does not run for pull requests (ab does)
  assert.match(String(gate.jobs.ab.if), /head\.repo\.full_name == github\.repository/);
  assert.match(String(gate.jobs.ab.if), /github\.event_name == 'pull_request'/);
  assert.match(String(gate.jobs.gate.if), /github\.event_name != 'pull_request'/);
});

test('every expression refers to something that exists: steps.X, inputs.X, jobs.X', () => {
  for (const [f, w] of workflows) {
    const declared = { ...inputsOf(w, 'workflow_call'), ...inputsOf(w, 'workflow_dispatch') };
    const all = expressions(w, f);
    for (const [jid, job] of Object.entries(w.jobs)) {
      for (const s of job.steps ?? []) if (s.if) all.push({ expr: s.if, where: `${f}:${jid}:${s.name}.if` });
      if (job.if) all.push({ expr: job.if, where: `${f}:${jid}.if` });
      const stepIds = new Set((job.steps ?? []).map((s) => s.id).filter(Boolean));
      for (const { expr, where } of expressions(job, `${f}:${jid}`).concat(
        (job.steps ?? []).filter((s) => s.if).map((s) => ({ expr: s.if!, where: `${f}:${jid}:${s.name}.if` })),
      )) {
        for (const m of expr.matchAll(/\bsteps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
          assert.ok(stepIds.has(m[1]), `${where}: no step with id ${m[1]}`);
        }
      }
    }
    for (const { expr, where } of all) {
      for (const m of expr.matchAll(/\binputs\.([\w-]+)/g)) assert.ok(m[1] in declared, `${where}: input ${m[1]} is not declared`);
      for (const m of expr.matchAll(/\bjobs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        const job = w.jobs[m[1]];
        assert.ok(job, `${where}: no job ${m[1]}`);
        assert.ok(job.outputs && m[2] in job.outputs, `${where}: job ${m[1]} has no output ${m[2]}`);
      }
    }
  }
});

test('scripts: valid bash (bash -n), no ${{ }} inside them, valid github-script JavaScript', () => {
  let scripts = 0;
  for (const [f, w] of workflows) {
    for (const [jid, job] of Object.entries(w.jobs)) {
      for (const s of job.steps ?? []) {
        if (s.run) {
          scripts++;
          assert.doesNotMatch(s.run, /\$\{\{/, `${f}:${jid}:${s.name}: pass values through env, not \${{ }} in the script`);
          const r = spawnSync('bash', ['-n', '-c', s.run], { encoding: 'utf8' });
          assert.equal(r.status, 0, `${f}:${jid}:${s.name}: ${r.stderr}`);
        }
        if (s.uses?.startsWith('actions/github-script@')) {
          const src = String(s.with?.script ?? '');
          assert.doesNotMatch(src, /\$\{\{/);
          // Constructing the function parses it without running it.
          const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...a: string[]) => unknown;
          assert.doesNotThrow(() => new AsyncFunction('require', 'github', 'context', 'process', src), `${f}:${jid}:${s.name}`);
        }
      }
    }
  }
  assert.ok(scripts >= 5);
});

test('every flexbench run / compare / baseline save / ab / history flag in the scripts exists on the command', () => {
  let seen = 0;
  for (const f of ['lab-gate.yml', 'lab-ab.yml']) {
    const w = workflows.get(f)!;
    const text = Object.values(w.jobs).flatMap((j) => (j.steps ?? []).map((s) => s.run ?? '')).join('\n');
    for (const line of text.split('\n')) {
      const m = line.match(/node bin\/flexbench\.js (run|compare|baseline save|ab|history)\b(.*)$/);
      const arr = line.match(/\b(opts|args)\+?=\(([^)]*)\)/);
      const cmd = m ? m[1] : arr ? ARRAYS[f][arr[1]] : null;
      if (!cmd) continue;
      const rest = m ? m[2] : arr![2];
      for (const flag of rest.matchAll(/(?:^|\s)--([a-z][\w-]*)/g)) {
        seen++;
        assert.ok(FLAGS[cmd].has(flag[1]), `${f}: --${flag[1]} is not an option of flexbench ${cmd}`);
      }
    }
    // and the formats asked for are ones the reporters offer
    for (const fmt of text.matchAll(/--format (\w+)/g)) assert.ok(['text', 'markdown', 'junit', 'json'].includes(fmt[1]));
  }
  assert.ok(seen >= 20, `only ${seen} flags found`);
});

test('the workflows only reference files of this repository that exist (or the lab commits: baselines/, experiments/)', () => {
  for (const [f, w] of workflows) {
    for (const job of Object.values(w.jobs)) {
      if (job.uses?.startsWith('./')) assert.ok(existsSync(join(ROOT, job.uses)), `${f}: ${job.uses}`);
      for (const [k, v] of Object.entries(job.with ?? {})) {
        if (k === 'baseline') assert.match(String(v), /^baselines\/[\w.-]+\.baseline\.json$/, `${f}: baseline path`);
        if (k === 'spec') assert.match(String(v), /^experiments\/[\w.-]+\.ya?ml$/, `${f}: spec path`);
      }
    }
  }
});

/** Run one step's script of lab-gate.yml the way the runner would: bash -e, its env, a GITHUB_OUTPUT file. */
function runStep(name: string, env: Record<string, string>) {
  const job = workflows.get('lab-gate.yml')!.jobs.measure;
  const step = job.steps!.find((s) => s.name === name);
  assert.ok(step?.run, `no step "${name}"`);
  const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
  });
  return r;
}

test('the compare, candidate and fail steps, run locally on synthetic runs, publish reports and fail with 3 on a regression', () => {
  const read = readFileSync;
  const write = writeFileSync;
  const exists = existsSync;
  const tmp = makeTmp('workflow');
  try {
    const base = writeRun(join(tmp.dir, 'base'), SCENARIO.baseline, { spec: 'regression' });
    const cur = writeRun(join(tmp.dir, 'cur'), SCENARIO.current);
    const gate = join(tmp.dir, 'gate');
    const out = join(tmp.dir, 'github_output');
    const summary = join(tmp.dir, 'step_summary');
    const baselineFile = join(tmp.dir, 'baselines', 'regression.baseline.json');
    const env = {
      BASELINE: baselineFile, REQUIRE_BASELINE: 'true', TOLERANCE: '5%', CONFIDENCE: '0.95', METRIC: 'tx_mpps',
      STRICT: 'false', GATE_DIR: gate, COMMIT: 'abcdef1', RUN_DIR: cur, GITHUB_OUTPUT: out, GITHUB_STEP_SUMMARY: summary,
    };
    mkdirSync(gate, { recursive: true });
    // the lab's committed baseline, made by the real command
    const saved = spawnSync(process.execPath, ['bin/flexbench.js', 'baseline', 'save', base, '--dir', join(tmp.dir, 'baselines')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(saved.status, 0, saved.stderr);
    assert.ok(exists(baselineFile));

    write(out, '');
    const cmp = runStep('Compare with the committed baseline', env);
    assert.equal(cmp.status, 0, cmp.stderr);
    assert.match(read(out, 'utf8'), /^code=3$/m);
    assert.match(read(join(gate, 'summary.md'), 'utf8'), /🔴 regressed/);
    assert.match(read(join(gate, 'junit.xml'), 'utf8'), /<failure type="regression"/);
    assert.equal(JSON.parse(read(join(gate, 'compare.json'), 'utf8')).exitCode, 3);

    const cand = runStep('Offer this run as the next baseline', env);
    assert.equal(cand.status, 0, cand.stderr);
    assert.ok(exists(join(gate, 'candidate', 'regression.baseline.json')));

    const sum = runStep('Job summary', env);
    assert.equal(sum.status, 0, sum.stderr);
    assert.match(read(summary, 'utf8'), /flexbench regression gate: REGRESSION/);

    const fail = runStep('Fail on regression', { ...env, CODE: '3', RUN_CODE: '1' });
    assert.equal(fail.status, 3);
    assert.match(fail.stdout, /::error::flexbench compare: regression/);
    // no regression, but failed trials: still a failed job
    const trials = runStep('Fail on regression', { ...env, CODE: '0', RUN_CODE: '1' });
    assert.equal(trials.status, 1);
    assert.match(trials.stdout, /some trials failed/);
    assert.equal(runStep('Fail on regression', { ...env, CODE: '4', RUN_CODE: '0' }).status, 4);

    // first night: no baseline yet, not required -> a "no baseline yet" summary and code 0
    write(out, '');
    const first = runStep('Compare with the committed baseline', { ...env, BASELINE: join(tmp.dir, 'baselines', 'none.baseline.json'), REQUIRE_BASELINE: 'false' });
    assert.equal(first.status, 0, first.stderr);
    assert.match(read(out, 'utf8'), /^code=0$/m);
    assert.match(read(join(gate, 'summary.md'), 'utf8'), /no baseline yet/);

    // required but absent -> compare's own exit 2 is the job's verdict
    write(out, '');
    const missing = runStep('Compare with the committed baseline', { ...env, BASELINE: join(tmp.dir, 'baselines', 'none.baseline.json') });
    assert.equal(missing.status, 0, missing.stderr);
    assert.match(read(out, 'utf8'), /^code=2$/m);
    assert.match(read(join(gate, 'summary.md'), 'utf8'), /could not run \(exit 2\)/);
  } finally {
    tmp.cleanup();
  }
});

test('the gate spec proposed in docs/regression-gate.md is a valid spec with several samples per cell', async () => {
  const { loadSpec } = await import('../../../harness/spec/load.js');
  const doc = readFileSync(join(ROOT, 'docs', 'regression-gate.md'), 'utf8');
  const yamlText = doc.match(/```yaml\n([\s\S]*?)```/)?.[1];
  assert.ok(yamlText, 'no yaml block in docs/regression-gate.md');
  const tmp = makeTmp('docspec');
  try {
    const file = join(tmp.dir, 'regression.yaml');
    writeFileSync(file, yamlText);
    const loaded = await loadSpec(file, { profile: null });
    assert.equal(loaded.spec.name, 'regression');
    assert.ok(loaded.spec.traffic.files * plannedRepetitions(loaded.spec.matrix) >= 3);
  } finally {
    tmp.cleanup();
  }
});

test('the lab job runs the exact Node.js of .nvmrc (part of the fingerprint) and the spec on the testbed given, with the inventory', () => {
  const steps = workflows.get('lab-gate.yml')!.jobs.measure.steps as { uses?: string; with?: Record<string, unknown>; run?: string; name: string }[];
  const node = steps.find((s) => s.uses?.startsWith('actions/setup-node@'))!;
  assert.deepEqual(node.with?.['node-version-file'], '.nvmrc');
  assert.equal(node.with?.['node-version'], undefined, 'no floating version');
  assert.match(readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim(), /^20\.\d+\.\d+$/);
  const measure = steps.find((s) => s.name === 'Measure on the testbed')!.run!;
  assert.match(measure, /--testbed "\$TESTBED"/);
  assert.match(measure, /--inventory "\$INVENTORY"/);
});
