// Inventory validation (inline and from a file) and preflight reports against real emulated nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inventorySchema } from '../../../harness/inventory/schema.js';
import { preflightNode, assertPreflight, formatPreflight } from '../../../harness/inventory/preflight.js';
import { interruptHotspot, readInterrupts, HOTSPOT_SINCE_BOOT } from '../../../harness/inventory/interrupts.js';
import { createEmulation } from '../../../harness/netns/emulation.js';
import { SshHost } from '../../../harness/hosts/ssh.js';

const node = (host: string, extra: Record<string, unknown> = {}) => ({ ssh: { host, key: '/k' }, data_ports: [{ iface: 'port1' }], ...extra });

test('defaults fill in; bad fields are named by path', () => {
  const inv = inventorySchema.parse({ nodes: { node1: node('10.0.0.1'), node2: node('10.0.0.2') } });
  assert.equal(inv.generator, 'testpmd');
  assert.equal(inv.nodes.node1.ssh.port, 22);
  assert.equal(inv.nodes.node1.ssh.strict_host_key_checking, true);
  assert.equal(inv.nodes.node2.tools.testpmd, 'dpdk-testpmd');
  assert.equal(inv.nodes.node1.data_ports[0]!.speed_gbps, 10, 'Pktgen paces in percent of a 10 GbE link unless told');
  const fast = inventorySchema.parse({ nodes: { node1: node('10.0.0.1', { data_ports: [{ pci: '0000:81:00.0', speed_gbps: 100 }] }), node2: node('10.0.0.2') } });
  assert.equal(fast.nodes.node1.data_ports[0]!.speed_gbps, 100);
  const bad = inventorySchema.safeParse({ nodes: { node1: node('a', { data_ports: [{ pci: '81:00.0' }] }), node2: { ssh: {} } }, generator: 'moongen' });
  assert.equal(bad.success, false);
  const paths = bad.error!.issues.map((i) => i.path.join('.'));
  assert.ok(paths.includes('nodes.node1.data_ports.0.pci'), paths.join(' '));
  assert.ok(paths.includes('nodes.node2.ssh.host'));
  assert.ok(paths.includes('nodes.node2.data_ports'));
  assert.ok(paths.includes('generator'));
});

test('inventory from a file, with inline keys overriding it; a missing file is named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbinv-'));
  try {
    const f = join(dir, 'lab.yaml');
    writeFileSync(f, `inventory:\n  generator: pktgen\n  nodes:\n    node1: { ssh: { host: 10.0.0.1 }, data_ports: [{ pci: "0000:81:00.0" }], tools: { pktgen: /opt/pktgen } }\n    node2: { ssh: { host: 10.0.0.2 }, data_ports: [{ iface: ens1f0 }] }\n`);
    const inv = inventorySchema.parse({ file: f, generator: 'testpmd' });
    assert.equal(inv.generator, 'testpmd');
    assert.equal(inv.nodes.node1.data_ports[0].pci, '0000:81:00.0');
    const miss = inventorySchema.safeParse({ file: join(dir, 'nope.yaml') });
    assert.equal(miss.success, false);
    assert.match(miss.error!.issues.map((i) => i.message).join(), /inventory file not found: .*nope\.yaml/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('preflight on a real node: what is there is listed, every missing piece is reported at once', { skip: process.getuid?.() === 0 ? false : 'needs root (emulated node)' }, async () => {
  const em = await createEmulation({ suffix: 'pf', slot: 16 });
  const h = await SshHost.connect({ host: em.node1.sshAddress, key: em.keyPath, knownHosts: [em.knownHostsPath] }, 'node1');
  try {
    const good = inventorySchema.parse({ nodes: { node1: node(em.node1.sshAddress, { dpdk: { hugepages: false } }), node2: node('x') } }).nodes.node1;
    // the node is this machine: where its devices have interrupted since boot is read here too (before and after
    // preflight: a count may cross the floor meanwhile), and a CPU that takes far the most of them is named (a
    // warning: the run goes on), unless preflight's one-second sample named one first
    const bootHot = () => { const i = readInterrupts(); return i && interruptHotspot(null, i, i.cpus, HOTSPOT_SINCE_BOOT)?.cpu; };
    const hot0 = bootHot();
    const ok = await preflightNode('node1', h, good, { testpmd: true, pktgen: false, flexbench: false, redis: true, hugepages: true, cores: 2 });
    const hot1 = bootHot();
    assert.deepEqual(ok.missing, []);
    assert.match(ok.versions.dpdk, /^DPDK \d+\.\d+/);
    assert.match(ok.versions.redis, /^\d+\.\d+/);
    for (const w of ok.warnings) assert.match(w, /^CPU \d+, where trials may run, takes more than twice the device interrupts of any other CPU \(\d+ % of them, [\d,]+ (since boot|a second); most: IRQ \d+[^)]*\): .* Leave it out of this node's trials \(inventory nodes\.node1\.exclude_cores\), or move them /);
    if (hot0 != null && hot0 === hot1 && ok.cores.includes(hot0) && !ok.warnings.some((w) => / a second; /.test(w))) assert.ok(ok.warnings.some((w) => w.startsWith(`CPU ${hot0}, `)), ok.warnings.join('\n'));
    if (ok.warnings.length) assert.match(formatPreflight([ok]), /\n  ~~  CPU \d+, where trials may run/);
    assertPreflight([ok]);
    // flexbench NFs: the node opens the data port itself (nf check-port), as the largest trial would
    const cli = { node: process.execPath, flexbench: fileURLToPath(new URL('../../../../bin/flexbench.js', import.meta.url)) };
    const fb = inventorySchema.parse({ nodes: { node1: node(em.node1.sshAddress, { tools: cli }), node2: node('x') } }).nodes.node1;
    const fbOk = await preflightNode('node1', h, fb, { testpmd: false, pktgen: false, flexbench: true, redis: false, hugepages: false, cores: 1, flexbenchCores: 1 });
    assert.deepEqual(fbOk.missing, []);
    assert.ok(fbOk.ok.some((l) => /^port port1 for flexbench NFs on 1 core\(s\): .*AF_(XDP|PACKET)/.test(l)), fbOk.ok.join('\n'));
    const fbBad = inventorySchema.parse({ nodes: { node1: node(em.node1.sshAddress, { tools: cli, data_ports: [{ iface: 'nosuch0' }] }), node2: node('x') } }).nodes.node1;
    const noPort = await preflightNode('node1', h, fbBad, { testpmd: false, pktgen: false, flexbench: true, redis: false, hugepages: false, cores: 1, flexbenchCores: 2 });
    assert.match(noPort.missing.join('\n'), /flexbench NFs cannot open port nosuch0 on 2 core\(s\): .*nosuch0 does not exist/);
    const bad = inventorySchema.parse({
      nodes: { node1: node(em.node1.sshAddress, { data_ports: [{ iface: 'nosuch0' }], tools: { testpmd: '/opt/none/dpdk-testpmd' } }), node2: node('x') },
      generator: 'pktgen',
    }).nodes.node1;
    const rep = await preflightNode('node1', h, bad, { testpmd: true, pktgen: true, flexbench: true, redis: false, hugepages: true, cores: 64 });
    const text = rep.missing.join('\n');
    assert.match(text, /testpmd \(\/opt\/none\/dpdk-testpmd\) does not run/);
    assert.match(text, /tools\.pktgen/);
    assert.match(text, /tools\.flexbench/);
    assert.match(text, /hugepages: \d+ MB free, DPDK needs 1024 MB/);
    assert.match(text, /port nosuch0: no such interface/);
    assert.match(text, /needs 64 CPUs/);
    assert.throws(() => assertPreflight([ok, rep]), (e: Error) => /preflight failed:\nnode1:\n  - /.test(e.message) && (e as { exitCode?: number }).exitCode === 5);
    assert.match(formatPreflight([rep]), /node1: MISSING/);
  } finally {
    await h.close();
    await em.destroy();
  }
});
