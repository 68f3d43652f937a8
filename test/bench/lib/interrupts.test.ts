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
  assert.equal(p.cpus, 2);
  assert.deepEqual([...p.lines.keys()], ['26', '36', '39']);
  assert.deepEqual(p.lines.get('36'), { counts: [0, 13308957], name: 'virtio1-req.0' });
});

test('the deltas per CPU leave out the timer rows; the busiest line is named', () => {
  const d = deviceInterrupts(parseInterrupts(before), parseInterrupts(after));
  assert.deepEqual(d.perCpu, [40, 10000]);
  assert.deepEqual(d.top, { name: 'virtio1-req.0', count: 10000 });
});

test('the DUT moves only off a CPU with at least 100/s and more than twice the other', () => {
  assert.equal(quieterCpu([0, 1650], 1, 0), 0);
  assert.equal(quieterCpu([10, 99], 1, 0), 1);
  assert.equal(quieterCpu([600, 1200], 1, 0), 1);
  assert.equal(quieterCpu([599, 1200], 1, 0), 0);
  assert.equal(quieterCpu([1650, 0], 0, 1), 1);
});
