// Host load during a trial: /proc/stat minus the trial's own processes. Needs an idle core to see a spinner
// as other work: it says so and checks for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { parseCpuSample, processTicks, HostLoadSampler, namespaceTicks, irqRates } from '../../../harness/orchestrate/host-load.js';
import { parseInterrupts, readInterrupts } from '../../../harness/inventory/interrupts.js';
import { allowedCpus } from '../../../harness/provenance.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostBusyCores } from '../../../harness/provenance.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('/proc/stat sample: busy excludes idle, iowait and steal; steal counted apart', () => {
  const stat = 'cpu  101 7 53 804 25 9 9 18 0 0\ncpu0 100 5 50 800 20 3 2 10 0 0\ncpu1 1 2 3 4 5 6 7 8 0 0\n';
  assert.deepEqual(parseCpuSample(stat, [0]), { busy: 160, total: 990, steal: 10 });
  assert.deepEqual(parseCpuSample(stat, [0, 1]), { busy: 179, total: 1026, steal: 18 });
  assert.equal(parseCpuSample(stat, [7]), null);
  assert.equal(processTicks(2 ** 30), null, 'a pid that does not exist');
  assert.ok((processTicks(process.pid) ?? -1) >= 0);
});

test('a spinner outside the trial counts as other work; the same spinner as the trial\'s own process does not', async (t) => {
  const idle = await hostBusyCores(300);
  if (idle === null || idle > 0.5) return t.skip(`needs an idle core to tell the spinner apart (host busy ${idle})`);
  const spinner = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  try {
    await sleep(300);
    const other = new HostLoadSampler(() => []);
    const own = new HostLoadSampler(() => [spinner.pid!]);
    await sleep(1500);
    const a = other.stop()!;
    const b = own.stop()!;
    // bounds from what was measured before the spinner: it adds about one core on top of that
    assert.ok(a.busy_cores > idle + 0.6, `spinner as other work: ${a.busy_cores} (idle ${idle})`);
    assert.ok(b.busy_cores < a.busy_cores - 0.6, `spinner as the trial's own: ${b.busy_cores} vs ${a.busy_cores}`);
    assert.ok(a.steal >= 0 && a.steal <= 1);
  } finally {
    spinner.kill('SIGKILL');
  }
});

test('device interrupts a second per CPU: the deltas of the device lines over the span, for the CPUs given', () => {
  const a = parseInterrupts('           CPU0       CPU1       CPU2\n 36:   0   1000   0   PCI-MSIX   1-edge   virtio1-req.0\n 39:  50   0   7   PCI-MSIX   2-edge   virtio2-output.0\nLOC:  9  9  9  Local timer interrupts\n');
  const b = parseInterrupts('           CPU0       CPU1       CPU2\n 36:   0   4301   0   PCI-MSIX   1-edge   virtio1-req.0\n 39:  53   0   7   PCI-MSIX   2-edge   virtio2-output.0\nLOC: 99 99 99  Local timer interrupts\n');
  assert.deepEqual(irqRates(a, b, 2, [0, 1]), { 0: 2, 1: 1651 }); // 1.5 rounds to 2; CPU 2 not asked for; the timer row not a device
  assert.deepEqual(irqRates(a, b, 1, [5]), {}); // a CPU /proc/interrupts has no column for
});

test('the sampler gives each CPU this process may use its device interrupts a second', async (t) => {
  const irq = readInterrupts();
  if (irq === null) return t.skip('no /proc/interrupts here');
  const s = new HostLoadSampler(() => []);
  await sleep(700);
  const h = s.stop()!;
  // an allowed CPU that is offline has no column
  assert.deepEqual(Object.keys(h.device_irq_per_s!).map(Number), allowedCpus().filter((c) => irq.cpus.includes(c)));
  for (const v of Object.values(h.device_irq_per_s!)) assert.ok(Number.isInteger(v) && v >= 0, String(v));
});

// a spinner that stops once it has used 300 ms of CPU, however busy the host is
const SPIN_300MS_CPU = 'const t = process.cpuUsage(); while (process.cpuUsage(t).user < 300000) {}';

test('namespaceTicks: a process inside the namespaces counts as the trial\'s (also once it ended), one outside does not', { skip: process.getuid?.() !== 0 ? 'needs root (ip netns)' : false }, async () => {
  const ns = `fbht-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'fb-ht-'));
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const ticks = namespaceTicks([ns, 'fb-no-such-namespace']);
    // outside, not this process's child: setsid -f detaches it
    const before = ticks();
    execFileSync('setsid', ['-f', 'sh', '-c', `${process.execPath} -e '${SPIN_300MS_CPU}'; touch ${dir}/done`]);
    while (!existsSync(join(dir, 'done'))) await sleep(20);
    const outside = ticks() - before;
    // inside the namespace, started through ip netns exec and ended before the second reading
    const before2 = ticks();
    execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', `${process.execPath} -e '${SPIN_300MS_CPU}'`]);
    const inside = ticks() - before2;
    assert.ok(inside >= 25, `inside: ${inside} ticks for 300 ms of CPU`);
    assert.ok(outside < 10, `outside: ${outside} ticks counted as the trial's`);
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
});
