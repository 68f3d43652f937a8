// The gate as CI uses it: the real CLI as a process, its exit codes and its reports, on synthetic runs with known answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../../../harness/exit-codes.js';
import { FINGERPRINT, SCENARIO, key, makeTmp, writeRun } from './fixtures.js';
import { samplesWith } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../../bin/flexbench.js', import.meta.url));
const tmp = makeTmp('cli');
const base = join(tmp.dir, 'base');
const cur = join(tmp.dir, 'cur');
const otherHw = join(tmp.dir, 'other-hw');
const clean = join(tmp.dir, 'clean');
const otherTraffic = join(tmp.dir, 'other-traffic');
const noisy = join(tmp.dir, 'noisy');

function flexbench(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: tmp.dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  writeRun(base, SCENARIO.baseline, { id: 'base' });
  writeRun(cur, SCENARIO.current, { id: 'cur' });
  writeRun(otherHw, SCENARIO.current, { id: 'other', fingerprint: { ...FINGERPRINT, kernel: '6.8.0-40-generic', nic: 'Intel X710 (i40e)', store_versions: { redis: '7.2.4', cassandra: '4.1.3' } } });
  writeRun(otherTraffic, SCENARIO.current, { id: 'other-traffic', traffic: { flows: 50000, proto: 'udp', duration_s: 15, warmup_s: 0.5, rate: 'max' } });
  // the baseline's first three cells re-measured with no real change
  writeRun(clean, SCENARIO.baseline.slice(0, 3).map((c) => ({ key: c.key, values: samplesWith(c.values.reduce((a, b) => a + b) / c.values.length, 0.05e6, 5) })), { id: 'clean' });
  writeRun(noisy, [{ key: key('nat', 'redis', 1), values: samplesWith(9.2e6, 1.2e6, 3) }, ...SCENARIO.baseline.slice(1, 3)], { id: 'noisy' });
});
after(() => tmp.cleanup());

test('a clear regression exits 3 and names the regressed cell, the missing and the new one', () => {
  const r = flexbench('compare', base, cur);
  assert.equal(r.code, EXIT.regression, r.stderr);
  assert.match(r.stdout, /REGRESSED\s+nat\/redis\/local\/async cores=1/);
  assert.match(r.stdout, /IMPROVED\s+nat\/redis\/local\/async cores=2/);
  assert.match(r.stdout, /UNCHANGED\s+lb\/hashmap\/local\/async cores=1/);
  assert.match(r.stdout, /INCONCLUSIVE\s+lb\/hashmap\/local\/async cores=2/);
  assert.match(r.stdout, /MISSING\s+counter\/redis\/local\/sync cores=1/);
  assert.match(r.stdout, /NEW\s+counter\/redis\/local\/async cores=1/);
});

test('no real change exits 0; --strict stays 0 when every cell is decided', () => {
  assert.equal(flexbench('compare', join(clean), join(clean)).code, EXIT.ok);
  const r = flexbench('compare', clean, clean, '--strict');
  assert.equal(r.code, EXIT.ok, r.stdout + r.stderr);
});

test('a noisy drop is inconclusive: exit 0, but 4 with --strict; missing cells also fail --strict', () => {
  const r = flexbench('compare', clean, noisy, '--format', 'json');
  assert.equal(r.code, EXIT.ok, r.stderr);
  const j = JSON.parse(r.stdout);
  const nat = j.cells.find((c: { label: string }) => c.label.startsWith('nat/redis/local/async cores=1'));
  assert.equal(nat.verdict, 'inconclusive');
  assert.ok(nat.more.perSide > 3);
  assert.equal(flexbench('compare', clean, noisy, '--strict').code, EXIT.inconclusive);
  // base has a cell clean lacks: missing, undecided under --strict
  const m = flexbench('compare', base, clean, '--strict', '--format', 'json');
  assert.equal(m.code, EXIT.inconclusive);
  assert.equal(JSON.parse(m.stdout).missing.length, 2);
});

test('a regression wins over --strict: exit 3, not 4', () => {
  assert.equal(flexbench('compare', base, cur, '--strict').code, EXIT.regression);
});

test('different traffic (flows, window, rate, flush period, pcaps) is refused with the fields listed; --force compares and warns', () => {
  const r = flexbench('compare', base, otherTraffic);
  assert.equal(r.code, EXIT.usage);
  assert.match(r.stderr, /refusing to compare runs measured under different traffic: 2 field\(s\) differ/);
  assert.match(r.stderr, /flows: baseline 2000 vs current 50000/);
  assert.match(r.stderr, /duration_s: baseline 2 vs current 15/);
  const f = flexbench('compare', base, otherTraffic, '--force');
  assert.equal(f.code, EXIT.regression);
  assert.match(f.stderr, /warning: compared under different traffic \(--force\): duration_s, flows differ/);
});

test('different hardware is refused with the differing fields listed (exit 2); --force compares and warns', () => {
  const r = flexbench('compare', base, otherHw);
  assert.equal(r.code, EXIT.usage);
  assert.match(r.stderr, /refusing to compare across hardware/);
  assert.match(r.stderr, /kernel: baseline "6\.1\.0-18-amd64" vs current "6\.8\.0-40-generic"/);
  assert.match(r.stderr, /nic: baseline "Intel 82599ES \(ixgbe\)" vs current "Intel X710 \(i40e\)"/);
  assert.match(r.stderr, /store_versions\.redis: baseline "7\.0\.15" vs current "7\.2\.4"/);
  assert.match(r.stderr, /differ in 3 field/);
  assert.doesNotMatch(r.stderr, /cpu_model/);
  const f = flexbench('compare', base, otherHw, '--force', '--format', 'markdown');
  assert.equal(f.code, EXIT.regression);
  assert.match(f.stdout, /> ⚠️ \*\*compared across different hardware \(--force\): kernel, nic, store_versions\.redis differ\*\*/);
  assert.match(f.stderr, /warning: compared across different hardware/);
});

test('invalid inputs exit 2 with a message naming the problem', () => {
  const cases: Array<[string[], RegExp]> = [
    [['compare', base, join(tmp.dir, 'nope')], /no such run directory or baseline file/],
    [['compare', base, cur, '--tolerance', '5'], /would be 500%/],
    [['compare', base, cur, '--tolerance', 'abc'], /not a number or percentage/],
    [['compare', base, cur, '--confidence', '1.5'], /strictly between 0 and 1/],
    [['compare', base, cur, '--format', 'html'], /Invalid values|choices/i],
    [['compare', base], /Not enough non-option arguments|current/i],
    [['compare', tmp.dir, cur], /is not a run directory: run\.json is missing/],
  ];
  for (const [args, msg] of cases) {
    const r = flexbench(...args);
    assert.equal(r.code, EXIT.usage, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg, args.join(' '));
  }
  const bad = join(tmp.dir, 'bad.baseline.json');
  writeFileSync(bad, '{"flexbench_baseline": 1, "name": "x"}');
  const r = flexbench('compare', bad, cur);
  assert.equal(r.code, EXIT.usage);
  assert.match(r.stderr, /not a valid flexbench baseline/);
});

test('a corrupt trials.jsonl is refused (exit 2) with file and line', () => {
  const broken = writeRun(join(tmp.dir, 'broken'), SCENARIO.current);
  writeFileSync(join(broken, 'trials.jsonl'), readFileSync(join(broken, 'trials.jsonl'), 'utf8') + '{"nf": "nat"\n');
  const r = flexbench('compare', base, broken);
  assert.equal(r.code, EXIT.usage);
  assert.match(r.stderr, /trials\.jsonl:\d+: not valid JSON/);
});

test('an interrupted current run is compared, with a warning in the report and on stderr', () => {
  const part = writeRun(join(tmp.dir, 'partial'), SCENARIO.baseline.slice(0, 2), { id: 'partial', status: 'incomplete' });
  const r = flexbench('compare', base, part, '--format', 'markdown');
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.match(r.stdout, /> ⚠️ \*\*the current run partial is not complete/);
  assert.match(r.stderr, /warning: the current run partial is not complete/);
});

test('two runs with no cell in common are an error, not a pass', () => {
  const lone = writeRun(join(tmp.dir, 'lone'), [{ key: key('firewall', 'cassandra', 8), values: [1, 2, 3] }]);
  const r = flexbench('compare', base, lone);
  assert.equal(r.code, EXIT.usage);
  assert.match(r.stderr, /no cell in common/);
});

test('--out writes the report to a file and the headline to stderr; --tolerance 25% turns the regression into inconclusive-free pass', () => {
  const out = join(tmp.dir, 'report.md');
  const r = flexbench('compare', base, cur, '--format', 'markdown', '--out', out);
  assert.equal(r.code, EXIT.regression);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^REGRESSION: 4 cells compared/m);
  assert.match(readFileSync(out, 'utf8'), /\| 🔴 regressed \| nat\/redis\/local\/async cores=1/);
  // -20% is within a 25% tolerance: the same data passes a looser gate
  const loose = flexbench('compare', base, cur, '--tolerance', '25%', '--format', 'json');
  assert.equal(loose.code, EXIT.ok);
  assert.equal(JSON.parse(loose.stdout).counts.regressed, 0);
});

test('--metric rx_mpps gates on the other metric (tx_mpps by default)', () => {
  assert.equal(JSON.parse(flexbench('compare', base, cur, '--format', 'json').stdout).metric, 'tx_mpps');
  const r = flexbench('compare', base, cur, '--metric', 'rx_mpps', '--format', 'json');
  const j = JSON.parse(r.stdout);
  assert.equal(j.metric, 'rx_mpps');
  const nat = j.cells.find((c: { label: string }) => c.label.startsWith('nat/redis/local/async cores=1'));
  assert.ok(Math.abs(nat.baseline.mean - 1.01 * 10e6) < 1e-3);
  assert.equal(nat.verdict, 'regressed');
});
