// node2's data port: real queue counts from `ethtool -l` (not the kernel's allocation), attached XDP
// programs from `ip -j link`, and the rule that picks AF_XDP or AF_PACKET per core count (issue 21 point 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEthtoolChannels, parseXdpIds, choosePortMode } from '../../../../harness/testbeds/two-nodes/port.js';

// `ethtool -l` of a veth made with numrxqueues 4, then `ethtool -L rx 1 tx 1` (captured here, ethtool 6.1)
const VETH = `Channel parameters for port1:
Pre-set maximums:
RX:		4
TX:		4
Other:		n/a
Combined:	n/a
Current hardware settings:
RX:		1
TX:		1
Other:		n/a
Combined:	n/a
`;
// a NIC with combined channels (ixgbe)
const NIC = `Channel parameters for ens2f0:
Pre-set maximums:
RX:		n/a
TX:		n/a
Other:		1
Combined:	63
Current hardware settings:
RX:		n/a
TX:		n/a
Other:		1
Combined:	8
`;

test('ethtool -l: the current count is the real one, the maximum says what -L may set', () => {
  assert.deepEqual(parseEthtoolChannels(VETH), { current: 1, max: 4, set: 'rxtx', source: 'ethtool' });
  assert.deepEqual(parseEthtoolChannels(NIC), { current: 8, max: 63, set: 'combined', source: 'ethtool' });
  assert.equal(parseEthtoolChannels('netlink error: Operation not supported'), null);
});

test('XDP programs attached, single and multi-program form', () => {
  assert.deepEqual(parseXdpIds('[{"ifname":"port1","xdp":{"mode":2,"prog":{"id":254,"name":"xsk_def_prog"},"attached":[{"mode":2,"prog":{"id":254}}]}}]'), [254]);
  assert.deepEqual(parseXdpIds('[{"ifname":"port1","xdp":{"mode":4,"attached":[{"mode":1,"prog":{"id":7}},{"mode":2,"prog":{"id":9}}]}}]'), [7, 9]);
  assert.deepEqual(parseXdpIds('[{"ifname":"port1","mtu":1500}]'), []);
  assert.deepEqual(parseXdpIds('not json'), []);
});

test('the rule: AF_XDP with n real queues (set per trial where allowed), else AF_PACKET by rule, or a skip for xdp only', () => {
  const veth = parseEthtoolChannels(VETH)!;
  // 1 real queue: a 1-core trial is AF_XDP as it is, a 2-core one after ethtool -L
  assert.deepEqual(choosePortMode(1, 'port1', veth, null, 'auto'), { mode: 'af_xdp', reason: '1 queue(s) on port1' });
  assert.deepEqual(choosePortMode(2, 'port1', veth, null, 'auto'), { mode: 'af_xdp', reason: 'port1 set to 2 queue(s) for the trial (ethtool -L)' });
  // more cores than the NIC allows queues: AF_PACKET, with the reason; or skipped when only xdp is wanted
  assert.deepEqual(choosePortMode(8, 'port1', veth, null, 'auto'), { mode: 'af_packet', reason: 'AF_XDP not possible on 8 core(s): port1 has 1 queue(s) (at most 4), an 8-core AF_XDP trial needs 8' });
  assert.deepEqual(choosePortMode(8, 'port1', veth, null, 'xdp'), { skip: 'AF_XDP (inventory port_mode: xdp) on 8 core(s) is not possible: port1 has 1 queue(s) (at most 4), an 8-core AF_XDP trial needs 8' });
  // the kernel's queue directories only (no ethtool): nothing can be set, so only the count there fits
  const sysfs = { current: 2, max: null, set: null, source: 'sysfs' as const };
  assert.equal((choosePortMode(2, 'p', sysfs, null, 'auto') as { mode: string }).mode, 'af_xdp');
  assert.match((choosePortMode(1, 'p', sysfs, null, 'auto') as { reason: string }).reason, /p has 2 queues and they cannot be set to 1 .*1 queue\(s\) unread/);
  // AF_XDP's environment missing (bpffs, memlock): AF_PACKET for every count; packet asked: always
  assert.deepEqual(choosePortMode(1, 'p', veth, 'libxdp needs a BPF filesystem', 'auto'), { mode: 'af_packet', reason: 'AF_XDP not possible on 1 core(s): libxdp needs a BPF filesystem' });
  assert.deepEqual(choosePortMode(1, 'p', veth, null, 'packet'), { mode: 'af_packet', reason: 'inventory port_mode: packet' });
});
