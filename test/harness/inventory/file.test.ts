// A lab inventory is validated like a spec (issue 21 point 6): problems in its own file at file:line:col,
// "did you mean" for a typo with the keys that are allowed, single values where a list is natural, and an
// optional key never called required.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSpec } from '../../../harness/spec/load.js';

const inventory = (node2Extra: string) => `# a lab inventory, written by hand
nodes:
  node1:
    ssh: { host: 192.0.2.11, key: ~/.ssh/id_ed25519, known_hosts: /etc/flexbench/known_hosts }
    data_ports: { iface: ens2f0 }
    store_port: { iface: ens2f1, address: 198.19.1.1 }
  node2:
    ssh: { host: 192.0.2.12 }
${node2Extra}
`;

function setup(inv: string): { dir: string; spec: string; invFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fb-inv-'));
  const invFile = join(dir, 'lab.yaml');
  writeFileSync(invFile, inv);
  const spec = join(dir, 'spec.yaml');
  writeFileSync(spec, `name: inv\ntestbed: lab\ninventory: { file: ${invFile} }\nmatrix: { nfs: [macswap], cores: [1] }\n`);
  return { dir, spec, invFile };
}

test('a typo in the inventory file: its own file:line:col, did you mean, the allowed keys listed', async () => {
  const { dir, spec, invFile } = setup(inventory('    data_port: [{ iface: ens2f0 }]'));
  try {
    await assert.rejects(loadSpec(spec), (e: Error) => {
      assert.ok(e.message.includes(`${invFile}:9:5: inventory.nodes.node2.data_port: unknown key "data_port"; did you mean "data_ports"? (allowed: ssh, data_ports, store_port`), e.message);
      // the required key that is really missing is named as such, in the inventory file
      assert.ok(e.message.includes(`${invFile}:8:5: inventory.nodes.node2.data_ports: required, expected`), e.message);
      assert.ok(!e.message.includes(`${spec}:`), 'no problem is placed in the spec file');
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one known_hosts file and one data port may be given as such; a wrong type is never called required', async () => {
  const ok = setup(inventory('    data_ports: { iface: ens2f0 }\n    dpdk: { hugepages: false, eal_args: --log-level=7 }'));
  try {
    const l = await loadSpec(ok.spec);
    const inv = (await import('../../../harness/inventory/schema.js')).inventorySchema.parse(l.spec.inventory);
    assert.deepEqual(inv.nodes.node1.ssh.known_hosts, ['/etc/flexbench/known_hosts']);
    assert.deepEqual(inv.nodes.node2.data_ports.map((p) => p.iface), ['ens2f0']);
    assert.deepEqual(inv.nodes.node2.dpdk.eal_args, ['--log-level=7']);
  } finally {
    rmSync(ok.dir, { recursive: true, force: true });
  }
  const bad = setup(inventory('    data_ports: { iface: ens2f0 }\n    ssh: { host: 192.0.2.12, known_hosts: 42 }').replace('    ssh: { host: 192.0.2.12 }\n', ''));
  try {
    await assert.rejects(loadSpec(bad.spec), (e: Error) => {
      assert.match(e.message, /lab\.yaml:9:\d+: inventory\.nodes\.node2\.ssh\.known_hosts: expected a list, found 42/);
      assert.doesNotMatch(e.message, /required/);
      return true;
    });
  } finally {
    rmSync(bad.dir, { recursive: true, force: true });
  }
});
