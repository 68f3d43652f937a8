// Baseline files: saved from a run, one line per cell, read back exactly, compared like a run, rejected when malformed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../../../harness/exit-codes.js';
import { parseBaseline, readBaseline, serializeBaseline } from '../../../harness/compare/baseline-file.js';
import { saveBaseline } from '../../../harness/baseline/save.js';
import { FINGERPRINT, WORKLOAD, SCENARIO, makeTmp, writeRun } from '../compare/fixtures.js';

const BIN = fileURLToPath(new URL('../../../../bin/flexbench.js', import.meta.url));
const tmp = makeTmp('baseline');
after(() => tmp.cleanup());

function flexbench(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: tmp.dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('save writes <dir>/<spec>.baseline.json with every cell, samples, fingerprint, spec and commit', () => {
  const run = writeRun(join(tmp.dir, 'run1'), SCENARIO.baseline, { spec: 'core-sweep', commit: 'feedface'.repeat(5) });
  const { path, baseline } = saveBaseline(run, { dir: join(tmp.dir, 'baselines'), now: new Date('2026-01-01T00:00:00Z') });
  assert.equal(path, join(tmp.dir, 'baselines', 'core-sweep.baseline.json'));
  const back = readBaseline(path);
  assert.deepEqual(back, baseline);
  assert.equal(back.spec, 'core-sweep');
  assert.equal(back.commit, 'feedface'.repeat(5));
  assert.deepEqual(back.fingerprint, FINGERPRINT);
  assert.deepEqual(back.workload, WORKLOAD, 'the traffic travels with the baseline');
  assert.equal(back.cells.length, SCENARIO.baseline.length);
  const nat = back.cells.find((c) => c.nf === 'nat' && c.cores === 1);
  assert.deepEqual(nat?.tx_pps, SCENARIO.baseline[0].values);
  assert.deepEqual(nat?.rx_pps, SCENARIO.baseline[0].values.map((v) => v * 1.01));
});

test('the file is diff-friendly: one line per cell, sorted, stable across saves', () => {
  const run = writeRun(join(tmp.dir, 'run2'), [...SCENARIO.baseline].reverse(), { spec: 'stable' });
  const dir = join(tmp.dir, 'b2');
  const now = new Date('2026-01-01T00:00:00Z');
  const a = readFileSync(saveBaseline(run, { dir, now }).path, 'utf8');
  const b = readFileSync(saveBaseline(run, { dir, now }).path, 'utf8');
  assert.equal(a, b);
  const cellLines = a.split('\n').filter((l) => l.trim().startsWith('{"nf"'));
  assert.equal(cellLines.length, SCENARIO.baseline.length);
  const nfs = cellLines.map((l) => JSON.parse(l.trim().replace(/,$/, '')).nf);
  assert.deepEqual(nfs, [...nfs].sort());
  assert.equal(serializeBaseline(parseBaseline(a, 'x')), a);
});

test('CLI: baseline save, then compare baseline file vs a regressed run exits 3; vs the same run exits 0', () => {
  const run = writeRun(join(tmp.dir, 'run3'), SCENARIO.baseline.slice(0, 3), { spec: 'gate' });
  const cur = writeRun(join(tmp.dir, 'cur3'), SCENARIO.current.slice(0, 3));
  const s = flexbench('baseline', 'save', run, '--name', 'lab-a', '--dir', 'bl', '--commit', 'abc123');
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /saved baseline lab-a: 3 cells, 15 samples/);
  const file = join(tmp.dir, 'bl', 'lab-a.baseline.json');
  assert.equal(readBaseline(file).commit, 'abc123');
  const r = flexbench('compare', file, cur, '--format', 'json');
  assert.equal(r.code, EXIT.regression, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.baseline.kind, 'baseline');
  assert.equal(j.baseline.name, 'lab-a');
  assert.equal(flexbench('compare', file, run).code, EXIT.ok);
  const show = flexbench('baseline', 'show', file);
  assert.equal(show.code, 0);
  assert.match(show.stdout, /nat\/redis\/local\/async cores=1 frame=64 testbed=lab: n=5/);
});

test('a baseline file from before workloads were recorded still compares, with a warning that traffic was not checked', () => {
  const run = writeRun(join(tmp.dir, 'run-old'), SCENARIO.baseline, { spec: 'old' });
  const { path } = saveBaseline(run, { dir: join(tmp.dir, 'baselines-old') });
  const b = JSON.parse(readFileSync(path, 'utf8'));
  delete b.workload;
  writeFileSync(path, JSON.stringify(b));
  const r = flexbench('compare', path, run);
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.match(r.stderr, /warning: the baseline does not record its traffic/);
});

test('bad names, runs without a fingerprint, and malformed files are refused with exit 2', () => {
  const run = writeRun(join(tmp.dir, 'run4'), SCENARIO.baseline);
  const bad = flexbench('baseline', 'save', run, '--name', '../escape');
  assert.equal(bad.code, EXIT.usage);
  assert.match(bad.stderr, /baseline name/);
  const partial = writeRun(join(tmp.dir, 'run5'), SCENARIO.baseline, { status: 'incomplete' });
  const r = flexbench('baseline', 'save', partial);
  assert.equal(r.code, EXIT.usage);
  assert.match(r.stderr, /not complete/);
  const broken = join(tmp.dir, 'broken.baseline.json');
  writeFileSync(broken, JSON.stringify({ flexbench_baseline: 1, name: 'x', spec: null, commit: null, run_id: null, created_at: 't', fingerprint: FINGERPRINT, cells: [{ nf: 'nat' }] }));
  const sh = flexbench('baseline', 'show', broken);
  assert.equal(sh.code, EXIT.usage);
  assert.match(sh.stderr, /cells\.0\.store/);
  const nofp = join(tmp.dir, 'nofp.baseline.json');
  writeFileSync(nofp, JSON.stringify({ flexbench_baseline: 1, name: 'x', spec: null, commit: null, run_id: null, created_at: 't', cells: [] }));
  const nf = flexbench('compare', nofp, run);
  assert.equal(nf.code, EXIT.usage);
  assert.match(nf.stderr, /fingerprint/);
});
