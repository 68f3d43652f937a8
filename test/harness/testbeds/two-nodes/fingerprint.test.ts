// The NIC line of a two-node run's fingerprint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nicDescription } from '../../../../harness/testbeds/two-nodes/fingerprint.js';

test('NIC model for the fingerprint: lspci -mm names, else sysfs ids, with the driver', () => {
  const lspci = '81:00.0 "Ethernet controller" "Intel Corporation" "82599ES 10-Gigabit SFI/SFP+ Network Connection" -r01 "Intel Corporation" "Ethernet Server Adapter X520-2"\n';
  assert.equal(nicDescription('ixgbe', lspci, '0x8086\n0x10fb\n'), 'Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection (ixgbe)');
  assert.equal(nicDescription('vfio-pci', null, '0x8086\n0x10fb\n'), '8086:10fb (vfio-pci)');
  assert.equal(nicDescription('mlx5_core', '', null), 'unknown device (mlx5_core)');
});
