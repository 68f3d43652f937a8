import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffFingerprints, formatDifferences } from '../../../harness/compare/fingerprint.js';
import { FINGERPRINT } from './fixtures.js';

test('identical fingerprints have no difference', () => {
  assert.deepEqual(diffFingerprints(FINGERPRINT, structuredClone(FINGERPRINT)), []);
});

test('every differing field is listed with both values, nested ones by dotted path', () => {
  const d = diffFingerprints(FINGERPRINT, { ...FINGERPRINT, cpu_model: 'AMD EPYC 7302', cores: 32, store_versions: { redis: '7.2.4', cassandra: '4.1.3' } });
  assert.deepEqual(d, [
    { field: 'cores', baseline: 48, current: 32 },
    { field: 'cpu_model', baseline: FINGERPRINT.cpu_model, current: 'AMD EPYC 7302' },
    { field: 'store_versions.redis', baseline: '7.0.15', current: '7.2.4' },
  ]);
  assert.match(formatDifferences(d), /^ {2}cores: baseline 48 vs current 32$/m);
});

test('a field absent on one side differs; a store used by only one run does not', () => {
  const { dpdk_version: _, ...noDpdk } = FINGERPRINT;
  assert.deepEqual(diffFingerprints(FINGERPRINT, noDpdk).map((x) => x.field), ['dpdk_version']);
  assert.match(formatDifferences(diffFingerprints(FINGERPRINT, noDpdk)), /dpdk_version: baseline "22\.11\.4" vs current \(absent\)/);
  assert.deepEqual(diffFingerprints(FINGERPRINT, { ...FINGERPRINT, store_versions: { redis: '7.0.15' } }), []);
  // null (store installed but version unknown) vs a version is a difference
  assert.equal(diffFingerprints(FINGERPRINT, { ...FINGERPRINT, store_versions: { redis: null, cassandra: '4.1.3' } }).length, 1);
});
