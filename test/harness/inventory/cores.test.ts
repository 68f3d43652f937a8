// The paper's core order from `lscpu -p` output: NIC's NUMA node physical cores, other node's, then hyperthreads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parseLscpu, orderCores, dpdkLcores } from '../../../harness/inventory/cores.js';

// a 2-socket, 2 cores/socket, 2 threads/core machine as `lscpu -p=CPU,CORE,SOCKET,NODE` prints it
// (Linux numbers the second thread of each core after all first threads)
const twoSocketHt = `# The following is the parsable format, which can be fed to other
# programs. Each different item in every column has an unique ID
# starting from zero.
# CPU,Core,Socket,Node
0,0,0,0
1,1,0,0
2,2,1,1
3,3,1,1
4,0,0,0
5,1,0,0
6,2,1,1
7,3,1,1
`;

test('NIC on node 0: physical cores of node 0, then node 1, then hyperthreads (node 0 first)', () => {
  assert.deepEqual(orderCores(parseLscpu(twoSocketHt), 0), [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('NIC on node 1: node 1 first at each level', () => {
  assert.deepEqual(orderCores(parseLscpu(twoSocketHt), 1), [2, 3, 0, 1, 6, 7, 4, 5]);
});

test('excluded CPUs (housekeeping) are dropped; the sibling of an excluded CPU is still a hyperthread', () => {
  const o = orderCores(parseLscpu(twoSocketHt), 0, [0]);
  assert.equal(o.includes(0), false);
  // with CPU 0 gone, CPU 4 is the first (only) thread left of core 0: it counts as a physical core of node 0
  assert.deepEqual(o, [1, 4, 2, 3, 5, 6, 7]);
});

test('an n-core DPDK app takes the first n as workers and the next as main lcore', () => {
  const o = orderCores(parseLscpu(twoSocketHt), 1);
  assert.deepEqual(dpdkLcores(o, 2), { main: 0, workers: [2, 3] });
  assert.equal(dpdkLcores(o, 8), null);
});

test('real lscpu output of this machine parses, and every CPU appears once', () => {
  const text = execFileSync('lscpu', ['-p=CPU,CORE,SOCKET,NODE'], { encoding: 'utf8' });
  const rows = parseLscpu(text);
  const o = orderCores(rows);
  assert.equal(o.length, rows.length);
  assert.equal(new Set(o).size, rows.length);
});

test('garbage is named', () => {
  assert.throws(() => parseLscpu('# only comments\n'), /lists no CPU/);
  assert.throws(() => parseLscpu('x,y\n'), /cannot read line "x,y"/);
});
