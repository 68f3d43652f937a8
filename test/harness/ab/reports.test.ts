// An ab comparison through compare's reporters: the paired rounds, the smallest detectable drop, the seed and the
// paired verdict rule show up in every format; the same tally rule (exit codes) as compare.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tallyCells, type CellComparison, type Comparison } from '../../../harness/compare/compare.js';
import { decidePaired } from '../../../harness/compare/paired.js';
import { REPORTERS } from '../../../harness/compare/reporters/index.js';
import { sideStats } from '../../../harness/compare/verdict.js';
import { cellLabel } from '../../../harness/compare/cell.js';
import { EXIT } from '../../../harness/exit-codes.js';
import { key } from '../compare/fixtures.js';

const opts = { tolerance: 0.05, confidence: 0.95 };

function cell(nf: string, ratios: number[]): CellComparison {
  const k = key(nf, 'hashmap', 1);
  const { rounds, ratios: rs, detectable, ...d } = decidePaired(ratios, opts);
  const base = ratios.map(() => 10e6);
  return { key: k, label: cellLabel(k), baseline: sideStats(base, 0, 0.95), current: sideStats(ratios.map((r) => r * 10e6), 0, 0.95), ...d, paired: { rounds, ratios: rs, detectable } };
}

function comparison(cells: CellComparison[], strict = false): Comparison {
  const t = tallyCells(cells, [], [], strict);
  const side = (n: string) => ({ kind: 'run' as const, path: `/r/${n}`, name: `${n} main (0123456789ab)`, spec: 'ab', commit: '0123456789abcdef' });
  return {
    metric: 'tx_mpps', tolerance: 0.05, confidence: 0.95, strict, baseline: side('base'), current: side('head'),
    fingerprint: { differences: [], forced: false }, workload: { differences: [], forced: false }, warnings: [], cells, missing: [], added: [],
    ...t, ab: { seed: 42, rounds: 4, until: 'rounds', results: '/r' },
  };
}

test('ab reports: rounds, detectable drop and seed in text, markdown, junit and json; the paired rule in markdown', () => {
  const c = comparison([cell('nat', [0.7, 0.72, 0.69, 0.71]), cell('lb', [1.0, 1.01, 0.99, 1.0])]);
  assert.equal(c.exitCode, EXIT.regression);
  const text = REPORTERS.text.render(c);
  assert.match(text, /^flexbench ab: tx_mpps/);
  assert.match(text, /interleaved A\/B: 4 rounds \(fixed\), seed 42/);
  assert.match(text, /paired over 4 rounds; smallest drop it would call regressed 4 times in 5: \d+\.\d\d%/);
  const md = REPORTERS.markdown.render(c);
  assert.match(md, /🔴 regressed \| nat\/hashmap/);
  assert.match(md, /per-round log ratio head\/base/);
  assert.doesNotMatch(md, /Welch/);
  const junit = REPORTERS.junit.render(c);
  assert.match(junit, /<property name="seed" value="42"\/>/);
  assert.match(junit, /<failure type="regression"/);
  assert.match(junit, /paired over 4 rounds/);
  const j = JSON.parse(REPORTERS.json.render(c)) as { ab: { seed: number }; cells: { paired: { ratios: number[] } }[] };
  assert.equal(j.ab.seed, 42);
  assert.deepEqual(j.cells[0].paired.ratios, [0.7, 0.72, 0.69, 0.71]);
  // a run its --max-time budget ended says so where it says how many rounds ran
  const timed = { ...c, ab: { ...c.ab!, until: 'decided' as const, stopped_by: 'time' as const } };
  for (const fmt of ['text', 'markdown'] as const) assert.match(REPORTERS[fmt].render(timed), /interleaved A\/B: 4 rounds \(until decided, stopped by --max-time\), seed 42/);
});

test('ab reports: an undecided cell says how many rounds would decide it; --strict turns it into exit 4', () => {
  const c = comparison([cell('nat', [0.9, 1.05, 0.97])], true);
  assert.equal(c.cells[0].verdict, 'inconclusive');
  assert.equal(c.exitCode, EXIT.inconclusive);
  assert.match(REPORTERS.text.render(c), /\+\d+ rounds \(\d+ in all\) would likely decide it/);
});

test('ab reports: with epochs the samples are said to be epochs, their size, the short ones and the two spreads', () => {
  const c = comparison([cell('nat', [0.9, 0.91, 0.89])]);
  c.cells[0].paired = { ...c.cells[0].paired!, rounds: 26, epochs: { n: 3, size: 8, short: 1, within: 0.1234, between: 0.0211 } };
  c.ab = { ...c.ab!, rounds: 26, epochs: 4 };
  const text = REPORTERS.text.render(c);
  assert.match(text, /interleaved A\/B: 26 rounds in 4 epochs \(fixed\), seed 42/);
  assert.match(text, /paired over 3 epochs of 8 rounds \(26 rounds, 1 short epoch left out; a new pair of processes each epoch; sd of a round's ln ratio within an epoch 0\.123, of an epoch's own offset 0\.021\); smallest drop/);
  assert.match(REPORTERS.markdown.render(c), /per-round log ratio head\/base over epochs/);
});
