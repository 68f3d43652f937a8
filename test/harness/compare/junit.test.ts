// The JUnit report read back by a real XML parser: suite counts must agree with the testcases and the verdicts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { compareSampleSets } from '../../../harness/compare/compare.js';
import { junitReporter } from '../../../harness/compare/reporters/junit.js';
import type { SampleSet } from '../../../harness/compare/samples.js';
import { FINGERPRINT, WORKLOAD, SCENARIO, type CellSpec } from './fixtures.js';

function set(cells: CellSpec[], name: string): SampleSet {
  return {
    kind: 'run', path: `/runs/${name} <&"'>`, name, spec: 'gate', commit: null, fingerprint: FINGERPRINT, workload: WORKLOAD, complete: true, metric: 'tx_mpps',
    cells: cells.map((c) => ({ key: c.key, values: c.values, failed: c.failed ?? 0 })),
  };
}

function parse(xml: string) {
  assert.equal(XMLValidator.validate(xml), true);
  const p = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testcase' || name === 'testsuite' });
  return p.parse(xml) as { testsuites: { tests: string; failures: string; skipped: string; testsuite: Array<Record<string, unknown> & { testcase: Array<Record<string, unknown>> }> } };
}

const opts = { tolerance: 0.05, confidence: 0.95, force: false };

test('junit: one testcase per compared, missing and new cell; the regression is the one failure', () => {
  const c = compareSampleSets(set(SCENARIO.baseline, 'base'), set(SCENARIO.current, 'cur'), { ...opts, strict: false });
  const doc = parse(junitReporter.render(c));
  const suite = doc.testsuites.testsuite[0];
  assert.equal(suite.testcase.length, 6); // 4 compared + 1 missing + 1 new
  assert.equal(Number(suite.tests), 6);
  assert.equal(Number(doc.testsuites.tests), 6);
  const failed = suite.testcase.filter((t) => 'failure' in t);
  const skipped = suite.testcase.filter((t) => 'skipped' in t);
  assert.equal(failed.length, 1);
  assert.equal(Number(suite.failures), 1);
  assert.equal((failed[0].failure as Record<string, string>).type, 'regression');
  assert.equal(failed[0].classname, 'flexbench.nat.redis.local.async');
  assert.equal(skipped.length, 3); // inconclusive, missing, new
  assert.equal(Number(suite.skipped), 3);
  assert.equal(Number(suite.errors), 0);
});

test('junit --strict: inconclusive and missing cells become failures', () => {
  const c = compareSampleSets(set(SCENARIO.baseline, 'base'), set(SCENARIO.current, 'cur'), { ...opts, strict: true });
  const suite = parse(junitReporter.render(c)).testsuites.testsuite[0];
  const types = suite.testcase.filter((t) => 'failure' in t).map((t) => (t.failure as Record<string, string>).type).sort();
  assert.deepEqual(types, ['inconclusive', 'missing', 'regression']);
  assert.equal(Number(suite.failures), 3);
  assert.equal(Number(suite.skipped), 1);
});

test('junit: no regression means no failure element at all', () => {
  const c = compareSampleSets(set(SCENARIO.baseline.slice(0, 3), 'a'), set(SCENARIO.baseline.slice(0, 3), 'b'), { ...opts, strict: true });
  const xml = junitReporter.render(c);
  const suite = parse(xml).testsuites.testsuite[0];
  assert.equal(Number(suite.failures), 0);
  assert.equal(suite.testcase.length, 3);
  assert.doesNotMatch(xml, /<failure/);
});
