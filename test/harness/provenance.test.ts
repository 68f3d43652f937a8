// Provenance helpers: the CPU list of the fingerprint, as Linux writes Cpus_allowed_list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseCpuList, localFingerprint } from '../../harness/provenance.js';

test('CPU lists: ranges and singles, in order', () => {
  assert.deepEqual(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11]);
  assert.deepEqual(parseCpuList('5'), [5]);
});

test('the local fingerprint lists the CPUs this process may use, as /proc/self/status says', async () => {
  const fp = await localFingerprint('local', []);
  const line = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
  assert.deepEqual(fp.core_list, parseCpuList(line));
  assert.equal(fp.core_list!.length, os.availableParallelism());
});
