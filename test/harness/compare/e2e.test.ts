// End to end on this machine: two small real runs (nat on the embedded hashmap store, 3 repetitions, 1 s trials)
// compared by the real CLI, directly and through a saved baseline, and through the lab workflow's own step scripts.
// Real measurements on a shared machine: assert structure and that verdicts are in the allowed set, never a speed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { parseDocument } from 'yaml';
import { EXIT } from '../../../harness/exit-codes.js';
import { VERDICTS } from '../../../harness/compare/verdict.js';
import { makeTmp } from './fixtures.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'flexbench.js');
const SPEC = join(ROOT, 'test', 'fixtures', 'compare', 'e2e.yaml');
const CELL = 'nat/hashmap/local/async cores=1 frame=64 testbed=local';
const tmp = makeTmp('e2e');
const runA = join(tmp.dir, 'a');
const runB = join(tmp.dir, 'b');

function flexbench(args: string[], cwd = tmp.dir) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function realRun(out: string) {
  const r = flexbench(['run', SPEC, '--out', out, '--no-plots']);
  // 1 = some trials failed (possible on a loaded machine): still a run to compare
  assert.ok(r.code === EXIT.ok || r.code === EXIT.trialsFailed, `flexbench run exited ${r.code}: ${r.stderr}`);
  assert.ok(existsSync(join(out, 'run.json')));
}

interface CellJson { label: string; verdict: string; change: number | null; changeCi: { low: number; high: number } | null; baseline: { n: number; failed: number }; current: { n: number; failed: number } }

function compareJson(a: string, b: string, extra: string[] = [], allowed: number[] = [EXIT.ok, EXIT.regression]) {
  const r = flexbench(['compare', a, b, '--format', 'json', ...extra]);
  assert.ok(r.code !== null && allowed.includes(r.code), `compare exited ${r.code}: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as { exitCode: number; cells: CellJson[]; missing: unknown[]; added: unknown[]; fingerprint: { differences: unknown[] }; counts: Record<string, number> };
  assert.equal(j.exitCode, r.code);
  return j;
}

before(() => {
  realRun(runA);
  realRun(runB);
});
after(() => tmp.cleanup());

test('two real runs: one cell, 3 trials a side, same fingerprint, a verdict from the allowed set and a matching exit code', () => {
  const j = compareJson(runA, runB);
  assert.equal(j.cells.length, 1);
  assert.deepEqual(j.missing, []);
  assert.deepEqual(j.added, []);
  assert.deepEqual(j.fingerprint.differences, []);
  const c = j.cells[0];
  assert.equal(c.label, CELL);
  assert.ok((VERDICTS as readonly string[]).includes(c.verdict), c.verdict);
  assert.equal(c.baseline.n + c.baseline.failed, 3);
  assert.equal(c.current.n + c.current.failed, 3);
  assert.equal(j.exitCode, c.verdict === 'regressed' ? EXIT.regression : EXIT.ok);
  if (c.changeCi) assert.ok(c.changeCi.low <= (c.change as number) && (c.change as number) <= c.changeCi.high);
});

test('a real run against itself: change exactly 0, never regressed or improved; --strict exits 4 only if undecided', () => {
  const j = compareJson(runA, runA, [], [EXIT.ok]);
  const c = j.cells[0];
  assert.equal(c.change, 0);
  assert.ok(c.verdict === 'unchanged' || c.verdict === 'inconclusive', c.verdict);
  const strict = compareJson(runA, runA, ['--strict'], [EXIT.ok, EXIT.inconclusive]);
  assert.equal(strict.exitCode, c.verdict === 'inconclusive' ? EXIT.inconclusive : EXIT.ok);
});

test('a saved baseline gives exactly the comparison of the run it was saved from; the JUnit report parses', () => {
  const s = flexbench(['baseline', 'save', runA, '--dir', join(tmp.dir, 'baselines')]);
  assert.equal(s.code, 0, s.stderr);
  const file = join(tmp.dir, 'baselines', 'gate-e2e.baseline.json');
  assert.ok(existsSync(file));
  const viaRun = compareJson(runA, runB);
  const viaFile = compareJson(file, runB);
  assert.deepEqual(viaFile.cells, viaRun.cells);
  const x = flexbench(['compare', file, runB, '--format', 'junit']);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(x.stdout);
  const suite = doc.testsuites.testsuite;
  assert.equal(Number(suite.tests), 1);
  assert.equal(Number(suite.failures), viaRun.cells[0].verdict === 'regressed' ? 1 : 0);
  assert.equal(suite.testcase.classname, 'flexbench.nat.hashmap.local.async');
});

test('the lab workflow steps, run here: measure a third real run, compare it with the saved baseline, publish the reports', () => {
  const wf = parseDocument(readFileSync(join(ROOT, '.github', 'workflows', 'lab-gate.yml'), 'utf8')).toJS() as {
    jobs: { measure: { steps: Array<{ name: string; run?: string }> } };
  };
  const step = (name: string) => wf.jobs.measure.steps.find((s) => s.name === name)?.run ?? assert.fail(`no step ${name}`);
  const gate = join(tmp.dir, 'gate');
  mkdirSync(gate, { recursive: true });
  const output = join(tmp.dir, 'github_output');
  writeFileSync(output, '');
  const baseline = join(tmp.dir, 'baselines', 'gate-e2e.baseline.json');
  if (!existsSync(baseline)) assert.equal(flexbench(['baseline', 'save', runA, '--dir', join(tmp.dir, 'baselines')]).code, 0);
  const env = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', SPEC, PROFILE: '', TESTBED: 'local', INVENTORY: '', BASELINE: baseline, REQUIRE_BASELINE: 'true',
    TOLERANCE: '5%', CONFIDENCE: '0.95', METRIC: 'tx_mpps', STRICT: 'false', GATE_DIR: gate, RESULTS_DIR: join(tmp.dir, 'results'),
    GITHUB_OUTPUT: output, GITHUB_RUN_ID: 'e2e', GITHUB_RUN_ATTEMPT: '1', COMMIT: 'e2e',
  };
  const bash = (script: string, extra: Record<string, string> = {}) =>
    spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd: ROOT, encoding: 'utf8', env: { ...env, ...extra }, timeout: 120_000 });
  // a lab gate without an inventory stops before measuring, saying what to set
  const noInv = bash(step('Measure on the testbed'), { TESTBED: 'lab' });
  assert.equal(noInv.status, 2);
  assert.match(noInv.stdout + noInv.stderr, /::error::testbed lab needs an inventory: set the FLEXBENCH_INVENTORY variable/);
  const m = bash(step('Measure on the testbed'));
  assert.equal(m.status, 0, m.stderr);
  const outputs = Object.fromEntries(readFileSync(output, 'utf8').trim().split('\n').map((l) => l.split('=') as [string, string]));
  assert.equal(outputs.dir, join(tmp.dir, 'results', 'ci-e2e-1'));
  assert.ok(['0', '1'].includes(outputs.code));
  const c = bash(step('Compare with the committed baseline'), { RUN_DIR: outputs.dir });
  assert.equal(c.status, 0, c.stderr);
  const code = readFileSync(output, 'utf8').match(/^code=(\d+)$/gm)!.at(-1)!.slice(5);
  assert.ok(code === '0' || code === '3', `compare code ${code}`);
  assert.match(readFileSync(join(gate, 'summary.md'), 'utf8'), /^### flexbench regression gate: (PASS|REGRESSION): 1 cell compared/);
  assert.equal(JSON.parse(readFileSync(join(gate, 'compare.json'), 'utf8')).cells[0].label, CELL);
  assert.ok(existsSync(join(gate, 'junit.xml')));
});
