// `flexbench history` over run directories: synthetic runs with known answers (one cell steps down 8 %, one stays),
// the exit code, every report format, the figure; and two real runs written by `flexbench run`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../../../harness/exit-codes.js';
import { loadSide } from '../../../harness/compare/side.js';
import { buildHistory } from '../../../harness/history/series.js';
import { normal, seededRandom } from '../../../harness/results/random.js';
import { key, makeTmp, writeRun } from '../compare/fixtures.js';
import { samplesWith } from '../compare/helpers.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'flexbench.js');
const tmp = makeTmp('history');
after(() => tmp.cleanup());

function flexbench(args: string[], timeout = 120_000) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: tmp.dir, timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** 16 nightly runs: nat steps down 8 % from run 9 on (2 % noise between runs), lb stays flat. */
function nightlies(dir: string): string[] {
  const r = seededRandom(3);
  const runs: string[] = [];
  for (let i = 0; i < 16; i++) {
    const nat = 10e6 * (i >= 8 ? 0.92 : 1) * (1 + 0.02 * normal(r));
    const lb = 8e6 * (1 + 0.02 * normal(r));
    runs.push(
      writeRun(join(dir, `night-${String(i).padStart(2, '0')}`), [
        { key: key('nat', 'hashmap', 1), values: samplesWith(nat, nat * 0.01, 3) },
        { key: key('lb', 'hashmap', 1), values: samplesWith(lb, lb * 0.01, 3) },
      ], { id: `night-${i}`, commit: `${String(i).padStart(2, '0')}${'a'.repeat(38)}` }),
    );
  }
  return runs;
}

test('buildHistory: the stepping cell has one change point at run 9 of about −8 % and is regressed; the flat one has none', () => {
  const runs = nightlies(join(tmp.dir, 'lib'));
  const h = buildHistory(runs.map((r) => loadSide(r, 'tx_mpps')), { tolerance: 0 });
  assert.equal(h.runs.length, 16);
  const nat = h.cells.find((c) => c.key.nf === 'nat')!;
  const lb = h.cells.find((c) => c.key.nf === 'lb')!;
  assert.equal(nat.changes.length, 1, JSON.stringify(nat.changes));
  assert.equal(nat.changes[0].run, 8);
  assert.equal(nat.changes[0].name, 'night-8');
  assert.equal(nat.changes[0].kind, 'regression');
  assert.ok(nat.changes[0].change < -0.05 && nat.changes[0].change > -0.11, String(nat.changes[0].change));
  assert.ok(nat.regressed);
  assert.equal(lb.changes.length, 0);
  assert.equal(lb.regressed, false);
  assert.equal(h.exitCode, EXIT.regression);
  // a tolerance larger than the step: still reported, no longer a regression of the newest group
  const lenient = buildHistory(runs.map((r) => loadSide(r, 'tx_mpps')), { tolerance: 0.15 });
  assert.equal(lenient.cells.find((c) => c.key.nf === 'nat')!.changes.length, 1);
  assert.equal(lenient.exitCode, EXIT.ok);
});

test('flexbench history: exit 3, text/markdown/json reports, the figure; only the older flat runs: exit 0', () => {
  const runs = nightlies(join(tmp.dir, 'cli'));
  const plots = join(tmp.dir, 'plots');
  const t = flexbench(['history', ...runs, '--plots', plots]);
  assert.equal(t.code, EXIT.regression, t.stderr);
  assert.match(t.stdout, /REGRESSED\s+nat\/hashmap/);
  assert.match(t.stdout, /change at run 9 night-8 \(08aaaaaaaaaa\): -\d+\.\d+% regression/);
  assert.match(t.stdout, /STEADY\s+lb\/hashmap/);
  for (const ext of ['png', 'svg', 'vl.json']) assert.ok(existsSync(join(plots, `history-tx_mpps.${ext}`)), ext);
  assert.ok(readFileSync(join(plots, 'history-tx_mpps.png')).subarray(1, 4).toString() === 'PNG');
  const md = flexbench(['history', ...runs, '--format', 'markdown', '--no-figure']);
  assert.equal(md.code, EXIT.regression);
  assert.match(md.stdout, /^### flexbench history: REGRESSION/);
  assert.match(md.stdout, /\| 🔴 \| nat\/hashmap\/local\/async cores=1 frame=64 testbed=lab \| 9 `night-8` \|/);
  const j = flexbench(['history', ...runs, '--format', 'json', '--no-figure']);
  const doc = JSON.parse(j.stdout) as { flexbench_history: number; exitCode: number; cells: { label: string; changes: { run: number }[]; points: unknown[] }[] };
  assert.equal(doc.flexbench_history, 1);
  assert.equal(doc.exitCode, EXIT.regression);
  assert.equal(doc.cells.length, 2);
  assert.ok(doc.cells.every((c) => c.points.length === 16));
  const before = flexbench(['history', ...runs.slice(0, 8), '--no-figure']);
  assert.equal(before.code, EXIT.ok, before.stdout);
});

test('flexbench history: bad input is exit 2 with a sentence', () => {
  const r = flexbench(['history', join(tmp.dir, 'nope'), '--no-figure']);
  assert.equal(r.code, EXIT.usage);
  assert.match(r.stderr, /no such run directory or baseline file/);
  const tol = flexbench(['history', join(tmp.dir, 'nope'), '--tolerance', '5']);
  assert.equal(tol.code, EXIT.usage);
  assert.doesNotMatch(r.stderr + tol.stderr, /at .*\.js:\d+/);
});

test('flexbench history reads what flexbench run wrote (two real runs: one cell, two points, too short for change points)', () => {
  const spec = join(ROOT, 'test', 'fixtures', 'compare', 'e2e.yaml');
  const dirs = [join(tmp.dir, 'real-1'), join(tmp.dir, 'real-2')];
  for (const d of dirs) {
    const r = flexbench(['run', spec, '--out', d, '--no-plots']);
    assert.ok(r.code === EXIT.ok || r.code === EXIT.trialsFailed, `flexbench run exited ${r.code}: ${r.stderr}`);
  }
  const j = flexbench(['history', ...dirs, '--format', 'json', '--no-figure']);
  assert.equal(j.code, EXIT.ok, j.stderr);
  const doc = JSON.parse(j.stdout) as { runs: { name: string }[]; cells: { label: string; points: { mean: number }[]; changes: unknown[] }[]; warnings: string[] };
  assert.deepEqual(doc.runs.map((r) => r.name), ['real-1', 'real-2']);
  assert.equal(doc.cells.length, 1);
  assert.equal(doc.cells[0].label, 'nat/hashmap/local/async cores=1 frame=64 testbed=local');
  assert.ok(doc.cells[0].points.length >= 1 && doc.cells[0].points.every((p) => p.mean > 0));
  assert.deepEqual(doc.cells[0].changes, []);
  assert.ok(doc.warnings.some((w) => /at least 3/.test(w)));
});
