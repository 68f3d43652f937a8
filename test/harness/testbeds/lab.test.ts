// The lab testbed: plan-time decisions and command lines for real hardware (PCI ports, Pktgen), and an
// end-to-end run over SSH with the inventory read from a file, the nodes being the emulated ones, the NF
// a `command` target (any NF a lab brings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { specSchema } from '../../../harness/spec/schema.js';
import { inventorySchema } from '../../../harness/inventory/schema.js';
import { TwoNodeTestbed, askedPps, generatorFlags, windowOf, alignedWindow, clockOffset, counterAt, nicDescription } from '../../../harness/testbeds/lab.js';
import { createEmulation, leftovers } from '../../../harness/netns/emulation.js';
import type { PlanTrial } from '../../../harness/results/format.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

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

/** the command names of every process in a namespace (sshd alone once a trial is over; zombies excluded) */
function nsCommands(ns: string): string[] {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
  return pids.map((p) => readFileSync(`/proc/${p}/stat`, 'utf8')).filter((st) => !/^\d+ \(.*\) Z/.test(st)).map((st) => st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'))).sort();
}

test('plan-time skip reasons name what is missing', () => {
  const tb = new TwoNodeTestbed({ spec: spec(), inventory: null, root }, labInventory(), 'lab');
  assert.equal(tb.skipReason(trial({})), null);
  const noCli = labInventory();
  delete noCli.nodes.node2.tools.flexbench;
  assert.match(new TwoNodeTestbed({ spec: spec(), inventory: null, root }, noCli, 'lab').skipReason(trial({}))!, /node2\.tools\.flexbench .* is not set/);
  assert.match(tb.skipReason(trial({ nf: 'testpmd', store: 'none', cores: 5 }))!, /needs 6 CPUs on node2 \(1 main \+ 5 forwarding\); node2 has 5/);
  assert.match(tb.skipReason(trial({ store: 'cassandra' }))!, /stores\.cassandra\.remote\.url/);
  const pciOnly = labInventory();
  pciOnly.nodes.node2.data_ports = [{ pci: '0000:81:00.0', speed_gbps: 10 }];
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

test('NIC model for the fingerprint: lspci -mm names, else sysfs ids, with the driver', () => {
  const lspci = '81:00.0 "Ethernet controller" "Intel Corporation" "82599ES 10-Gigabit SFI/SFP+ Network Connection" -r01 "Intel Corporation" "Ethernet Server Adapter X520-2"\n';
  assert.equal(nicDescription('ixgbe', lspci, '0x8086\n0x10fb\n'), 'Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection (ixgbe)');
  assert.equal(nicDescription('vfio-pci', null, '0x8086\n0x10fb\n'), '8086:10fb (vfio-pci)');
  assert.equal(nicDescription('mlx5_core', '', null), 'unknown device (mlx5_core)');
});

test('windows on the tools own clocks; generator flags', () => {
  const s = [0, 1, 2, 3, 4].map((k) => ({ at: k, arr: 100 + k * 1.3, rx: k * 10, tx: k * 20 }));
  assert.deepEqual(windowOf(s, 1, 3), { a: s[1], b: s[3], seconds: 2, rx: 20, tx: 40 });
  assert.equal(windowOf(s.slice(0, 1), 0, 1), null);
  // an NF whose lines arrive late and bunched: only the least delayed one (k=1, 0.2 s late) tells the clock
  const nf = [0, 1, 2, 3, 4, 5].map((k) => ({ at: k, arr: 50 + k + (k === 1 ? 0.2 : 0.9 + (k % 2) * 0.5), rx: k * 100, tx: k * 90 }));
  assert.equal(clockOffset(nf), 50.2);
  // harness window [51.7, 53.7] = NF clock [1.5, 3.5]: 200 packets in 2 s, whatever the bunching
  assert.deepEqual(alignedWindow(nf, 51.7, 53.7), { seconds: 2, rx: 200, tx: 180 });
  assert.deepEqual(counterAt(nf, 2.25), { rx: 225, tx: 202.5 });
  assert.equal(counterAt(nf, 9), null);
  assert.equal(alignedWindow(nf, 40, 41), null);
  assert.deepEqual(generatorFlags(9e6, 10e6, 0.05), ['generator_shortfall: sent 9000000 pps of 10000000 asked (90.0%)']);
  // what is asked: a paced rate as given; "max" of Pktgen is its percent of line rate; testpmd asks nothing
  assert.equal(askedPps(1e6, 'testpmd', 64, 10, 100), 1e6);
  assert.equal(askedPps('max', 'pktgen', 64, 10, 100), 14_880_952);
  assert.equal(askedPps('max', 'pktgen', 64, 40, 50), 29_761_905);
  assert.equal(askedPps('max', 'testpmd', 64, 10, 100), null);
  assert.deepEqual(generatorFlags(9.4e6, askedPps('max', 'pktgen', 64, 10, 100), 0.05), ['generator_shortfall: sent 9400000 pps of 14880952 asked (63.2%)']);
  assert.deepEqual(generatorFlags(9.6e6, 10e6, 0.05), []);
  assert.deepEqual(generatorFlags(0, null, 0.05), ['generator_sent_nothing']);
  assert.deepEqual(generatorFlags(5e6, null, 0.05), []);
});

test('lab run over SSH from an inventory file, NF as a command target, nothing left behind', { skip: process.getuid?.() === 0 ? false : 'needs root (the emulated nodes stand in for lab machines)', timeout: 300_000 }, async () => {
  const em = await createEmulation({ suffix: 'lab', slot: 19 });
  const dir = mkdtempSync(join(tmpdir(), 'fbn-lab-'));
  try {
    const node = (n: typeof em.node1) => ({
      ssh: { host: n.sshAddress, user: 'root', key: em.keyPath, known_hosts: [em.knownHostsPath] },
      data_ports: [{ iface: n.dataIface }],
      store_port: { iface: n.storeIface, address: n.storeAddress },
      tools: { node: process.execPath, flexbench: join(root, 'bin/flexbench.js') },
      dpdk: { hugepages: false, memory_mb: 512, total_num_mbufs: 16384 },
    });
    const inv = {
      nodes: { node1: node(em.node1), node2: node(em.node2) },
      commands: {
        // "a lab's own NF": here flexbench's macswap started from a template, its rate read by JSON path
        macswap: { argv: [process.execPath, join(root, 'bin/flexbench.js'), 'nf', 'run', '--nf', 'macswap', '--port', '{iface}', '--cores', '{cores}', '--duration', '{duration}', '--json'], rate: { json_path: 'rx_mpps', unit: 'mpps' },
          // ready at its first rate line; Ctrl-C makes it print its totals (its JSON line) and exit
          ready: { regex: 't=[\\d.]+s rx', stream: 'stderr' }, stop_signal: 'INT' },
      },
    };
    writeFileSync(join(dir, 'lab.yaml'), JSON.stringify({ inventory: inv }));
    writeFileSync(join(dir, 'spec.yaml'), `name: lab-e2e\ntestbed: lab\ninventory: { file: ${join(dir, 'lab.yaml')} }\ntraffic: { flows: 100, files: 1, duration_s: 2, warmup_s: 1 }\nmatrix: { nfs: [macswap], cores: [1] }\n`);
    const r = spawnSync(process.execPath, [join(root, 'bin/flexbench.js'), 'run', join(dir, 'spec.yaml'), '--out', join(dir, 'res'), '--no-plots'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [t] = readFileSync(join(dir, 'res', 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(t.status, 'ok');
    assert.equal(t.testbed, 'lab');
    assert.ok(t.tx_pps > 0);
    assert.match(t.commands[0], /^node2\$ .*nf run --nf macswap --port port1 --cores 1 --duration \d+ --json$/);
    const side = JSON.parse(readFileSync(join(dir, 'res', 'two-nodes', '0000.json'), 'utf8'));
    assert.equal(side.nf.tool, 'command');
    assert.ok(side.nf.final.rate_pps > 0, 'the rate came from the command output');
    const logs = readdirSync(join(dir, 'res', 'logs'));
    const trialLog = readFileSync(join(dir, 'res', 'logs', logs.find((f) => f.startsWith('0000'))!), 'utf8');
    const at = (re: RegExp) => trialLog.search(re);
    assert.ok(at(/\[node2\] .*t=[\d.]+s rx/) >= 0 && at(/\[node2\] .*t=[\d.]+s rx/) < at(/# .* NF ready/), 'ready came after its ready line');
    assert.ok(at(/# .* NF ready/) < at(/node1\$ /), 'the generator started once the NF was ready');
    assert.match(trialLog, /# .* stopping the NF with SIGINT\n/);
    assert.match(trialLog, /# .* NF stopped \(code 0\)/);
    assert.deepEqual(nsCommands(em.node2.ns), ['sshd'], 'only sshd is left in node2');

    // the same run with node2's host key unknown: refused before anything starts, exit 5, what to do named
    writeFileSync(join(dir, 'kh'), readFileSync(em.knownHostsPath, 'utf8').split('\n').filter((l) => !l.startsWith(em.node2.sshAddress + ' ')).join('\n'));
    inv.nodes.node2.ssh.known_hosts = [join(dir, 'kh')];
    writeFileSync(join(dir, 'lab.yaml'), JSON.stringify({ inventory: inv }));
    const bad = spawnSync(process.execPath, [join(root, 'bin/flexbench.js'), 'run', join(dir, 'spec.yaml'), '--out', join(dir, 'res2'), '--no-plots'], { cwd: root, encoding: 'utf8' });
    assert.equal(bad.status, 5, bad.stderr);
    assert.match(bad.stderr, /SSH host key check failed for node2 \(root@198\.18\.\d+\.6:22\): .* is not in .*kh.*ssh-keyscan/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await em.destroy();
  }
  assert.deepEqual(await leftovers(em.id), []);
});

test('lab run with Pktgen on node1 (a DOUBLE: Pktgen cannot run here) through its Lua socket over SSH; shortfall flagged', { skip: process.getuid?.() === 0 ? false : 'needs root (the emulated nodes stand in for lab machines)', timeout: 300_000 }, async () => {
  const em = await createEmulation({ suffix: 'pg', slot: 22 });
  const dir = mkdtempSync(join(tmpdir(), 'fbn-pg-'));
  try {
    const node = (n: typeof em.node1, extra: Record<string, unknown>) => ({
      ssh: { host: n.sshAddress, user: 'root', key: em.keyPath, known_hosts: [em.knownHostsPath] },
      data_ports: [{ iface: n.dataIface }],
      store_port: { iface: n.storeIface, address: n.storeAddress },
      dpdk: { hugepages: false, memory_mb: 512, total_num_mbufs: 16384 },
      ...extra,
    });
    const double = join(root, 'test/fixtures/pktgen/pktgen-double.mjs');
    const log = join(dir, 'chunks.lua');
    const inv = {
      generator: 'pktgen',
      nodes: {
        // Pktgen wants a main lcore and one each for rx and tx: three entries, whatever this machine has
        node1: node(em.node1, { tools: { pktgen: double }, cores: [0, 1, 1], dpdk: { hugepages: false, memory_mb: 512, eal_args: ['--double-log', log] } }),
        node2: node(em.node2, {}),
      },
    };
    writeFileSync(join(dir, 'lab.yaml'), JSON.stringify({ inventory: inv }));
    // 12 Mpps asked; the recorded counters advance 9.5 Mpps: the generator fell short
    writeFileSync(join(dir, 'spec.yaml'), `name: lab-pg\ntestbed: lab\ninventory: { file: ${join(dir, 'lab.yaml')} }\ntraffic: { flows: 100, files: 1, duration_s: 2, warmup_s: 1, rate: 12000000 }\nmatrix: { nfs: [testpmd], cores: [1] }\n`);
    const r = spawnSync(process.execPath, [join(root, 'bin/flexbench.js'), 'run', join(dir, 'spec.yaml'), '--out', join(dir, 'res'), '--no-plots'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [t] = readFileSync(join(dir, 'res', 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(t.status, 'ok', t.reason);
    assert.match(t.commands[1], /^node1\$ .*pktgen-double\.mjs .* -- -T -P -G -m .* -s 0:\/tmp\/flexbench-lab-/);
    // returned-to-node1 rate from counter deltas over the window: the recorded 9.4 Mpps
    assert.ok(Math.abs(t.tx_pps - 9.4e6) / 9.4e6 < 0.15, `returned ${t.tx_pps}`);
    const side = JSON.parse(readFileSync(join(dir, 'res', 'two-nodes', '0000.json'), 'utf8'));
    assert.equal(side.generator.tool, 'pktgen');
    assert.equal(side.generator.asked_pps, 12e6);
    assert.equal(side.flags.length, 1);
    assert.match(side.flags[0], /^generator_shortfall: sent \d+ pps of 12000000 asked/);
    assert.deepEqual(t.flags, side.flags, 'the flag travels with the trial in trials.jsonl');
    assert.match(r.stderr, /FLAG .*generator_shortfall/);
    // the socket conversation: pcap on and rate before start, statistics polled, stop at the end
    const chunks = readFileSync(log, 'utf8');
    const at = (re: RegExp) => chunks.search(re);
    assert.ok(at(/pktgen\.pcap\("0", "on"\)/) >= 0 && at(/pktgen\.pcap/) < at(/pktgen\.start/));
    assert.match(chunks, /pktgen\.set\("0", "rate", 80\.64/);
    assert.ok((chunks.match(/pktgen\.portStats/g) ?? []).length >= 3);
    assert.ok(at(/pktgen\.stop/) > at(/pktgen\.start/));
    assert.deepEqual(nsCommands(em.node1.ns), ['sshd'], 'only sshd is left in node1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await em.destroy();
  }
  assert.deepEqual(await leftovers(em.id), []);
});
