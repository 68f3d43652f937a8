// Where device interrupts land: /proc/interrupts parsed from this host's own text, exact values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceInterrupts, parseInterrupts, quieterCpu } from '../../../bench/lib/interrupts.js';

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
  assert.deepEqual(p.lines.get('36'), { counts: [0, 13308957], name: 'virtio1-req.0' });
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
