// A resident `nf run --samples-on-stdin` (harness/testbeds/resident.ts): a window is the exact difference of two
// samples; a real process is paused and resumed, answers samples only while it runs, is ended from paused, and one
// that dies says so to whoever waits on it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePcaps } from '../../../runtime/packet/generate.js';
import { ResidentNf, windowBetween } from '../../../harness/testbeds/resident.js';
import { pidRunning, sleep } from '../../../common/processes.js';
import { makeTmp } from '../compare/fixtures.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const tmp = makeTmp('resident');
let pcap = '';
before(() => {
  [pcap] = generatePcaps({ out: tmp.dir, flows: 500, files: 1, seed: 19 });
});
after(() => tmp.cleanup());

test('windowBetween: packets, rates and own-time rates over exactly the time between two samples', () => {
  const a = { nf_sample: 's1', t_s: 10, cores: [{ core: 0, rx_packets: 1000, tx_packets: 900, cpu_s: 1, wait_s: 0.5 }, { core: 1, rx_packets: 0, tx_packets: 0, cpu_s: 1, wait_s: 0 }] };
  const b = { nf_sample: 's2', t_s: 10.5, cores: [{ core: 0, rx_packets: 6000, tx_packets: 5900, cpu_s: 1.4, wait_s: 0.6 }, { core: 1, rx_packets: 4000, tx_packets: 4000, cpu_s: 1.5, wait_s: 0 }] };
  const m = windowBetween(a, b);
  assert.equal(m.duration_s, 0.5);
  assert.equal(m.rx_packets, 9000);
  assert.equal(m.tx_packets, 9000);
  assert.equal(m.dropped, 0);
  assert.equal(m.tx_pps, 18000);
  assert.deepEqual(m.per_core, [{ core: 0, rx_packets: 5000, tx_packets: 5000 }, { core: 1, rx_packets: 4000, tx_packets: 4000 }]);
  // core 0 waited 0.1 s of its 0.5: 5000 / 0.4 + 4000 / 0.5
  assert.ok(Math.abs(m.own!.tx_pps - 20500) < 1e-6, String(m.own!.tx_pps));
  // a core whose wait is not known: no own-time rate
  assert.equal(windowBetween({ ...a, cores: [{ ...a.cores[0], wait_s: null }] }, { ...b, cores: [b.cores[0]] }).own, null);
});

const stateOf = (pid: number) => /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
const start = () =>
  ResidentNf.start({
    argv: [process.execPath, join(ROOT, 'bin', 'flexbench.js'), 'nf', 'run', '--nf', 'nat', '--cores', '1', '--input', pcap, '--duration', '1000', '--progress', '0', '--samples-on-stdin', '--json'],
    cwd: ROOT, name: 'test', warmupS: 0.2, log: () => undefined, signal: new AbortController().signal,
  });

test('a resident nf run: left paused after its warm-up, measured between two samples while resumed, ended from paused', async () => {
  const p = await start();
  try {
    // SIGSTOP reaches every thread of the process a moment after kill() returns
    for (let i = 0; i < 200 && stateOf(p.pid) !== 'T'; i++) await sleep(5);
    assert.equal(stateOf(p.pid), 'T', 'paused (stopped) after the warm-up');
    p.resume();
    const a = await p.sample();
    await sleep(200);
    const b = await p.sample();
    p.pause();
    const m = windowBetween(a, b);
    assert.ok(m.duration_s >= 0.2, `window ${m.duration_s} s`);
    assert.ok(m.tx_packets > 0 && m.rx_packets >= m.tx_packets, JSON.stringify(m));
    assert.equal(a.cores[0].wait_s !== null, true, 'thread times are read from outside the thread');
    assert.ok(b.cores[0].cpu_s! > a.cores[0].cpu_s!);
  } finally {
    await p.stop();
  }
  assert.equal(pidRunning(p.pid), false, 'stop() ends a paused process');
  assert.match(p.exited ?? '', /exited with 0/);
});

test('a resident nf run that dies: the sample waiting on it fails with why, and so does every later one', async () => {
  const p = await start();
  try {
    p.resume();
    process.kill(p.pid, 'SIGKILL');
    await assert.rejects(p.sample(), /the resident nf run \(test, pid \d+\) was killed by SIGKILL/);
    await assert.rejects(p.sample(), /was killed by SIGKILL/);
  } finally {
    await p.stop();
  }
  assert.equal(pidRunning(p.pid), false);
});

test('a sample asked with `ID nf` carries the NF\'s own statistics, read from the running process, and its pid', async () => {
  const p = await start();
  try {
    p.resume();
    const a = await p.sample(undefined, undefined, true);
    assert.equal(a.pid, p.pid);
    // the NAT of a 500-flow pcap, looped: every flow mapped once by now, none a reply without a mapping
    assert.equal(a.nf?.mappings_created, 500, JSON.stringify(a.nf));
    assert.equal(a.nf?.in_no_mapping, 0);
    const b = await p.sample();
    assert.equal(b.nf, undefined, 'a plain sample stays as it was');
  } finally {
    await p.stop();
  }
  assert.match(p.exited ?? '', /exited with 0/);
});
