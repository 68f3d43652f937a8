// Where device interrupts land: /proc/interrupts parsed from this host's own text, exact values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceInterrupts, parseInterrupts, quieterCpu, interruptHotspot, hotspotWarning, ownLines } from '../../../harness/inventory/interrupts.js';

const before = `           CPU0       CPU1       
 26:          0          1  IO-APIC   4-edge      ttyS0
 36:          0   13308957 PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0
 39:      27110          0 PCI-MSIX-0000:00:03.0   2-edge      virtio2-output.0
NMI:          0          0   Non-maskable interrupts
LOC:   28659737   18311750   Local timer interrupts
ERR:          0
`;
const after = before
  .replace('0   13308957', '0   13318957')
  .replace('27110          0', '27150          0')
  .replace('28659737   18311750', '29659737   19311750');

test('only numbered (device) lines are read, with their names', () => {
  const p = parseInterrupts(before);
  assert.deepEqual(p.cpus, [0, 1]);
  assert.deepEqual([...p.lines.keys()], ['26', '36', '39']);
  assert.deepEqual(p.lines.get('36'), { counts: [0, 13308957], name: 'virtio1-req.0', desc: 'PCI-MSIX-0000:00:02.0 1-edge virtio1-req.0' });
});

test('the deltas per CPU leave out the timer rows; the busiest line is named', () => {
  const d = deviceInterrupts(parseInterrupts(before), parseInterrupts(after));
  assert.deepEqual([...d.perCpu], [[0, 40], [1, 10000]]);
  assert.deepEqual(d.top, { name: 'virtio1-req.0', count: 10000 });
});

test('CPUs are named by the header, not by column: an offline CPU has none', () => {
  const t0 = '           CPU0       CPU2\n 36:          5         7   PCI-MSIX   1-edge      virtio1-req.0\n 40:          1      2   PCI-MSIX   1-edge\n';
  const t1 = '           CPU0       CPU2\n 36:          5       107   PCI-MSIX   1-edge      virtio1-req.0\n 40:          1\n';
  const p = parseInterrupts(t1);
  assert.deepEqual(p.cpus, [0, 2]);
  assert.deepEqual([...p.lines.keys()], ['36']); // 40 is short of a column: left out, not misread
  assert.deepEqual([...deviceInterrupts(parseInterrupts(t0), p).perCpu], [[0, 0], [2, 100]]);
});

test('the DUT moves only off a CPU with at least 100/s and more than twice the other', () => {
  const at = (c0: number, c1: number) => new Map([[0, c0], [1, c1]]);
  assert.equal(quieterCpu(at(0, 1650), 1, 0), 0);
  assert.equal(quieterCpu(at(0, 100), 1, 0), 0); // exactly the floor
  assert.equal(quieterCpu(at(10, 99), 1, 0), 1);
  assert.equal(quieterCpu(at(600, 1200), 1, 0), 1);
  assert.equal(quieterCpu(at(599, 1200), 1, 0), 0);
  assert.equal(quieterCpu(at(1650, 0), 0, 1), 1);
});

test('a trial CPU that takes most device interrupts is named with its busiest line; timer rows and the own port are not counted', () => {
  const boot = parseInterrupts(before);
  // since boot (this host's text): CPU 1 took 13,308,958 (the disk's and one of ttyS0) of 13,336,068
  const h = interruptHotspot(null, boot, [0, 1], 100_000);
  assert.deepEqual(h, { cpu: 1, count: 13308958, share: 13308958 / 13336068, top: { irq: '36', name: 'virtio1-req.0', count: 13308957 } });
  assert.equal(hotspotWarning(h!, null, 'Leave it out'), 'CPU 1, where trials may run, takes more than twice the device interrupts of any other CPU (100 % of them, 13,308,958 since boot; most: IRQ 36 virtio1-req.0): ' +
    'a process measured there pays for each (a Cassandra-backed NF ~20 % on this project\'s test host, for the disk\'s: docs/performance.md). ' +
    'Leave it out, or move them where the kernel lets you (/proc/irq/36/smp_affinity_list; not a managed queue\'s, as virtio-blk\'s or NVMe\'s)');
  // not a trial CPU, below the floor, the node's own data port, or one CPU only: nothing said
  assert.equal(interruptHotspot(null, boot, [0], 100_000), null);
  assert.equal(interruptHotspot(null, boot, [0, 1], 13308959), null);
  assert.equal(interruptHotspot(null, boot, [0, 1], 100_000, /virtio1-req/), null);
  assert.equal(interruptHotspot(null, parseInterrupts('           CPU0\n 36:   9999999   PCI-MSIX   1-edge   virtio1-req.0\n'), [0], 1), null);
  // between two snapshots: 10,000 on CPU 1 against 40 on CPU 0, over 2 s = 5000 a second
  const d = interruptHotspot(boot, parseInterrupts(after), [1], 200);
  assert.deepEqual(d, { cpu: 1, count: 10000, share: 10000 / 10040, top: { irq: '36', name: 'virtio1-req.0', count: 10000 } });
  assert.match(hotspotWarning(d!, 2, 'x'), /^CPU 1, where trials may run, takes more than twice the device interrupts of any other CPU \(100 % of them, 5000 a second; most: IRQ 36 virtio1-req\.0\)/);
});

test('a CPU is named only with more than twice the next one\'s', () => {
  const t = (c0: number, c1: number, c2: number) => parseInterrupts(`  CPU0 CPU1 CPU2\n 30: ${c0} ${c1} ${c2} PCI-MSIX 0-edge nic-0\n 31: 0 5 0 PCI-MSIX 1-edge disk\n`);
  assert.equal(interruptHotspot(null, t(100, 195, 0), [1], 1), null); // 200 against 100: not more than twice
  assert.deepEqual(interruptHotspot(null, t(100, 196, 0), [1], 1)?.top, { irq: '30', name: 'nic-0', count: 196 });
  assert.equal(interruptHotspot(null, t(0, 500, 300), [1], 1), null); // CPU 2 takes 300
});

test('a CPU online only in the second snapshot is not counted from boot; per-CPU timers are not devices; a line without a name is its number', () => {
  const t0 = '           CPU0       CPU1\n 36:   0   100   PCI-MSIX   1-edge   virtio1-req.0\n';
  const t1 = '           CPU0       CPU1       CPU2\n 36:   0   400   5000000   PCI-MSIX   1-edge   virtio1-req.0\n';
  assert.deepEqual(interruptHotspot(parseInterrupts(t0), parseInterrupts(t1), [1, 2], 100)?.cpu, 1);
  assert.deepEqual([...deviceInterrupts(parseInterrupts(t0), parseInterrupts(t1)).perCpu], [[0, 0], [1, 300], [2, 0]]);
  const timers = '  CPU0 CPU1\n 11: 9000000 10 GICv3 27 Level arch_timer\n 70: 0 3000 xen-percpu-virq timer1\n 80: 5 0\n';
  assert.equal(interruptHotspot(null, parseInterrupts(timers), [0, 1], 1)?.cpu, 0);
  assert.equal(interruptHotspot(null, parseInterrupts(timers), [0, 1], 1)?.count, 5);
  assert.match(hotspotWarning(interruptHotspot(null, parseInterrupts(timers), [0], 1)!, null, 'x'), /; most: IRQ 80\): /);
});

test('a data port\'s own lines are found by its interface name or PCI address as a whole word, anywhere in the line', () => {
  const re = ownLines(['eth1', '', '0000:81:00.0'])!;
  assert.ok(re.test('PCI-MSIX-0000:81:00.0 0-edge igb_uio'));
  assert.ok(re.test('PCI-MSIX 3-edge i40e-eth1-TxRx-0'));
  assert.ok(re.test('eth1'));
  assert.ok(!re.test('PCI-MSIX 3-edge eth10-TxRx-0'));
  assert.ok(!re.test('PCI-MSIX-0000:81:00.01 0-edge x'));
  assert.equal(ownLines(['', '']), null);
});
