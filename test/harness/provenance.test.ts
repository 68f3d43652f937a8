// Provenance helpers: the CPU list of the fingerprint, as Linux writes Cpus_allowed_list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { parseCpuList, localFingerprint, cpuTimes, hostBusyCores } from '../../harness/provenance.js';

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

test('/proc/stat: busy = all but idle and iowait, over user..steal, of the CPUs asked for only', () => {
  const stat = 'cpu  101 7 53 804 25 9 9 18 0 0\ncpu0 100 5 50 800 20 3 2 10 0 0\ncpu1 1 2 3 4 5 6 7 8 0 0\n';
  assert.deepEqual(cpuTimes(stat, [0]), { busy: 170, total: 990 });
  assert.deepEqual(cpuTimes(stat, [0, 1]), { busy: 197, total: 1026 });
  assert.equal(cpuTimes(stat, [5]), null);
  assert.equal(cpuTimes('nothing here', [0]), null);
});

test('a process spinning on one core shows up as (about) one busy core', async () => {
  const spinner = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 200));
    const busy = await hostBusyCores(600);
    assert.ok(busy !== null && busy >= 0.7 && busy <= os.availableParallelism(), `busy cores ${busy}`);
  } finally {
    spinner.kill('SIGKILL');
  }
});

test('the fingerprint names the Cassandra version the store module starts (it was always null)', async () => {
  const fp = await localFingerprint('local', ['cassandra']);
  assert.match(fp.store_versions.cassandra ?? '', /^\d+\.\d+\.\d+$/);
});
