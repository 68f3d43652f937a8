// The human formats: every cell shows up, Markdown stays a valid table and folds unchanged cells, JSON has no NaN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareSampleSets } from '../../../harness/compare/compare.js';
import { REPORTERS } from '../../../harness/compare/reporters/index.js';
import type { SampleSet } from '../../../harness/compare/samples.js';
import { FINGERPRINT, WORKLOAD, SCENARIO, key, type CellSpec } from './fixtures.js';

function set(cells: CellSpec[], name: string): SampleSet {
  return {
    kind: 'run', path: `/runs/${name}`, name, spec: 'gate', commit: 'c0ffee', fingerprint: FINGERPRINT, workload: WORKLOAD, complete: true, metric: 'tx_mpps',
    cells: cells.map((c) => ({ key: c.key, values: c.values, failed: c.failed ?? 0 })),
  };
}
const opts = { tolerance: 0.05, confidence: 0.95, force: false, strict: false };
const cmp = compareSampleSets(set(SCENARIO.baseline, 'base'), set(SCENARIO.current, 'cur'), opts);

test('markdown: one row per cell with a constant column count; unchanged cells folded in <details>', () => {
  const md = REPORTERS.markdown.render(cmp);
  const rows = md.split('\n').filter((l) => l.startsWith('| '));
  const cols = rows.map((r) => r.replace(/\\\|/g, '').split('|').length);
  assert.equal(new Set(cols).size, 1, 'every row has the same number of columns');
  const dataRows = rows.filter((r) => !r.startsWith('| verdict'));
  assert.equal(dataRows.length, cmp.cells.length);
  const details = md.slice(md.indexOf('<details>'), md.indexOf('</details>'));
  assert.match(details, /1 unchanged cell</);
  assert.match(details, /⚪ unchanged \| lb\/hashmap\/local\/async cores=1/);
  assert.doesNotMatch(md.slice(0, md.indexOf('<details>')), /⚪ unchanged/);
  assert.match(md, /\*\*Missing cells\*\* \(in the baseline, not measured now\): 1\n- counter\/redis\/local\/sync cores=1/);
  assert.match(md, /\*\*New cells\*\* \(no baseline yet\): 1\n- counter\/redis\/local\/async cores=1/);
  assert.match(md, /noise unknown: need at least 2 successful repetitions per side/);
});

test('markdown: a | in a name cannot break the table', () => {
  const odd = { ...key('nat', 'redis', 1), nf: 'na|t' };
  const c = compareSampleSets(set([{ key: odd, values: [1, 2, 3] }], 'a'), set([{ key: odd, values: [1, 2, 3] }], 'b'), opts);
  const row = REPORTERS.markdown.render(c).split('\n').find((l) => l.includes('na\\|t'));
  assert.ok(row);
  assert.equal(row.replace(/\\\|/g, '').split('|').length, 12);
});

test('text: worst first, every cell, missing and new listed, headline last', () => {
  const lines = REPORTERS.text.render(cmp).trimEnd().split('\n');
  const verdicts = lines.filter((l) => /^[A-Z]{3,}\s/.test(l)).map((l) => l.split(/\s+/)[0]);
  assert.deepEqual(verdicts, ['REGRESSED', 'INCONCLUSIVE', 'IMPROVED', 'UNCHANGED', 'MISSING', 'NEW']);
  assert.equal(lines.at(-1), cmp.headline);
  assert.match(cmp.headline, /^REGRESSION: 4 cells compared — 1 regressed, 1 improved, 1 unchanged, 1 inconclusive, 1 missing, 1 new$/);
});

test('json: parses, has no NaN/Infinity, keeps the verdicts, counts and exit code', () => {
  const text = REPORTERS.json.render(cmp);
  assert.doesNotMatch(text, /NaN|Infinity/);
  const j = JSON.parse(text);
  assert.equal(j.flexbench_compare, 1);
  assert.equal(j.exitCode, 3);
  assert.deepEqual(j.counts, { regressed: 1, improved: 1, unchanged: 1, inconclusive: 1, missing: 1, added: 1 });
  const tooFew = j.cells.find((c: { label: string }) => c.label.startsWith('lb/hashmap/local/async cores=2'));
  assert.equal(tooFew.changeCi, null);
  assert.equal(tooFew.baseline.sd, null); // NaN for n=1, written as null
  assert.equal(tooFew.current.failed, 2);
});
