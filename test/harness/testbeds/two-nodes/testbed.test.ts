// The two-node testbed's plan-time decisions and command lines for real hardware (PCI ports, Pktgen),
// without any node: pure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { specSchema } from '../../../../harness/spec/schema.js';
import { inventorySchema } from '../../../../harness/inventory/schema.js';
import { TwoNodeTestbed } from '../../../../harness/testbeds/two-nodes/testbed.js';
import type { PlanTrial } from '../../../../harness/results/format.js';

const root = fileURLToPath(new URL('../../../../../', import.meta.url));

const labInventory = (extra: Record<string, unknown> = {}) =>
  inventorySchema.parse({
    nodes: {
      node1: { ssh: { host: '192.0.2.11' }, data_ports: [{ pci: '0000:81:00.0' }], store_port: { iface: 'ens2f1', address: '198.19.1.1' }, tools: { pktgen: '/usr/local/bin/pktgen' }, cores: [2, 3, 4, 5] },
      node2: { ssh: { host: '192.0.2.12' }, data_ports: [{ iface: 'ens2f0', pci: '0000:81:00.0' }], cores: [2, 3, 4, 5, 6], tools: { flexbench: '/opt/flexbench/bin/flexbench.js' } },
    },
    ...extra,
  });
const spec = (over: Record<string, unknown> = {}) => specSchema.parse({ name: 't', testbed: 'lab', matrix: { nfs: ['testpmd', 'nat'], cores: [1] }, ...over });
const trial = (over: Partial<PlanTrial>): PlanTrial => ({ trial_id: 'x', index: 3, nf: 'nat', store: 'redis', location: 'remote', mode: 'async', cores: 1, frame_size: 64, testbed: 'lab', pcap_index: 0, repetition: 0, skip: null, ...over });
const pcap = { name: 'p.pcap', path: '/data/p.pcap', sha256: 'x', seed: 1, flows: 10, frame_size: 64 };

test('plan-time skip reasons name what is missing', () => {
  const tb = new TwoNodeTestbed({ spec: spec(), inventory: null, root }, labInventory(), 'lab');
  assert.equal(tb.skipReason(trial({})), null);
  const noCli = labInventory();
  delete noCli.nodes.node2.tools.flexbench;
  assert.match(new TwoNodeTestbed({ spec: spec(), inventory: null, root }, noCli, 'lab').skipReason(trial({}))!, /node2\.tools\.flexbench .* is not set/);
  assert.match(tb.skipReason(trial({ nf: 'testpmd', store: 'none', cores: 5 }))!, /needs 6 CPUs on node2 \(1 main \+ 5 forwarding\); node2 has 5/);
  assert.match(tb.skipReason(trial({ store: 'cassandra' }))!, /stores\.cassandra\.remote\.url/);
  const pciOnly = labInventory();
  pciOnly.nodes.node2.data_ports = [{ pci: '0000:81:00.0', speed_gbps: 10, port_mode: 'auto' }];
  assert.match(new TwoNodeTestbed({ spec: spec(), inventory: null, root }, pciOnly, 'lab').skipReason(trial({}))!, /need a kernel interface on node2/);
  const paced = new TwoNodeTestbed({ spec: spec({ traffic: { rate: 1e6 } }), inventory: null, root }, labInventory(), 'lab');
  assert.match(paced.skipReason(trial({}))!, /testpmd as generator cannot pace/);
  const pg = new TwoNodeTestbed({ spec: spec({ traffic: { rate: 1e6 } }), inventory: null, root }, labInventory({ generator: 'pktgen', stores: { cassandra: { remote: { url: 'cassandra://198.19.1.1:9042' } } } }), 'lab');
  assert.equal(pg.skipReason(trial({})), null);
  assert.equal(pg.skipReason(trial({ store: 'cassandra' })), null);
});

test('command lines on hardware: PCI ports, hugepages, core order, Pktgen with its Lua socket', () => {
  const tb = new TwoNodeTestbed({ spec: spec(), inventory: null, root }, labInventory(), 'lab');
  const [nf, gen] = tb.describeTrial(trial({ nf: 'testpmd', store: 'none', cores: 2 }), pcap, spec());
  // node2: workers are the first 2 CPUs of its order, the main lcore the next; PCI port, hugepages
  assert.match(nf, /^node2\$ dpdk-testpmd -l 4,2,3 /);
  assert.match(nf, /-a 0000:81:00\.0/);
  assert.doesNotMatch(nf, /--no-huge/);
  assert.match(nf, /--rxq=2 --txq=2 --rss-udp/);
  // node1: PCI data port is port 0, the pcap replay a vdev
  assert.match(gen, /^node1\$ dpdk-testpmd -l 3,2 .*--vdev net_pcap0,rx_pcap=\/tmp\/flexbench-lab-.*\/pcaps\/p\.pcap,infinite_rx=1 -a 0000:81:00\.0/);
  const pg = new TwoNodeTestbed({ spec: spec(), inventory: null, root }, labInventory({ generator: 'pktgen' }), 'lab');
  const [, pgen] = pg.describeTrial(trial({}), pcap, spec());
  assert.match(pgen, /^node1\$ \/usr\/local\/bin\/pktgen -l 4,2,3 .*-a 0000:81:00\.0 -- -T -P -G -m '\[2:3\]\.0' -s 0:\/tmp\/flexbench-lab-.*p\.pcap$/);
  const [fnf] = pg.describeTrial(trial({}), pcap, spec());
  assert.match(fnf, /nf run --nf nat --cores 1 --port ens2f0 --store/);
});

test('paced trials (issue 16): an unpaced generator is refused with a sentence before anything starts; flexbench gen on node1 paces, stamps and receives', async () => {
  const { unpacedReason, runTwoNodeTrial } = await import('../../../../harness/testbeds/two-nodes/trial.js');
  const tb = new TwoNodeTestbed({ spec: spec(), inventory: null, root }, labInventory(), 'lab');
  assert.match(tb.unpaced(false)!, /^the generator testpmd replays the pcap as fast as it can and cannot pace a load: NDR\/PDR and latency need a paced generator \(inventory generator: flexbench/);
  const pg = new TwoNodeTestbed({ spec: spec(), inventory: null, root }, labInventory({ generator: 'pktgen' }), 'lab');
  assert.equal(pg.unpaced(false), null, 'Pktgen paces (NDR/PDR)');
  assert.match(pg.unpaced(true)!, /flexbench does not read its latency: latency needs inventory generator: flexbench/);
  assert.equal(unpacedReason('flexbench', true), null);
  // a paced trial handed to a testpmd generator fails as usage (exit 2) before any node is touched
  const env = { inv: labInventory(), commands: {}, argv: null, node1: null, node2: null } as never;
  const req = { trial: trial({}), pcap, traffic: spec().traffic, flush_ms: 1, store: null, signal: new AbortController().signal, runDir: '/nonexistent', load: { rate_pps: 1e5 } };
  await assert.rejects(runTwoNodeTrial(env, req, req.signal, null as never, []), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /cannot pace a load/.test(e.message));

  const inv = labInventory({ generator: 'flexbench' });
  inv.nodes.node1.data_ports = [{ iface: 'ens1f0', speed_gbps: 10, port_mode: 'auto' }];
  inv.nodes.node1.tools.flexbench = '/opt/flexbench/bin/flexbench.js';
  const fb = new TwoNodeTestbed({ spec: spec({ traffic: { rate: 2e5 } }), inventory: null, root }, inv, 'lab');
  assert.equal(fb.skipReason(trial({})), null);
  const [, gen] = fb.describeTrial(trial({}), pcap, spec());
  // pinned to node1's last CPU (the NF takes node2's first)
  assert.match(gen, /^node1\$ taskset -c 5 node \/opt\/flexbench\/bin\/flexbench\.js gen --port ens1f0 --input \/tmp\/flexbench-lab-\S+\/pcaps\/p\.pcap --rate 200000 --warmup 0\.5 --duration 2 --latency-every 0 --json$/);
  const noCli = labInventory({ generator: 'flexbench' });
  noCli.nodes.node1.data_ports = [{ iface: 'ens1f0', speed_gbps: 10, port_mode: 'auto' }];
  assert.match(new TwoNodeTestbed({ spec: spec(), inventory: null, root }, noCli, 'lab').skipReason(trial({}))!, /generator flexbench: inventory node1\.tools\.flexbench .* is not set/);
  const pci = labInventory({ generator: 'flexbench' });
  pci.nodes.node1.tools.flexbench = '/x/flexbench.js';
  assert.match(new TwoNodeTestbed({ spec: spec(), inventory: null, root }, pci, 'lab').skipReason(trial({}))!, /generator flexbench needs a kernel interface on node1's data port .* PCI 0000:81:00\.0/);
  assert.deepEqual(fb.describeTrial(trial({}), pcap, spec()).length, 2);
});

test('two nodes run the test NFs with the spec\'s nf_options, and a calibration (load.nf) only with a flexbench NF', async () => {
  const inv = labInventory({ generator: 'flexbench' });
  inv.nodes.node1.data_ports = [{ iface: 'ens1f0', speed_gbps: 10, port_mode: 'auto' }];
  inv.nodes.node1.tools.flexbench = '/opt/flexbench/bin/flexbench.js';
  const s = spec({ matrix: { nfs: ['ratelimit'], cores: [1] }, nf_options: { limit_pps: 50_000, limit_noise: 0.002, seed: 3 } });
  const tb = new TwoNodeTestbed({ spec: s, inventory: null, root }, inv, 'lab', { mynf: { argv: ['/opt/mynf', '{iface}'] } } as never);
  const [nf] = tb.describeTrial(trial({ nf: 'ratelimit', store: 'none' }), pcap, s);
  assert.match(nf, /nf run --nf ratelimit --cores 1 --port ens2f0 --limit-pps 50000 --limit-noise 0\.002 --seed 3 --progress 0\.2 --duration \d+ --json$/);
  const req = { trial: trial({}), pcap, traffic: s.traffic, flush_ms: 1, store: null, signal: new AbortController().signal, runDir: '/nonexistent', load: { rate_pps: 1e4, nf: 'mynf' } };
  await assert.rejects(tb.runTrial(req), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /a two-node calibration runs a flexbench NF \(wire\)/.test(e.message));
});
