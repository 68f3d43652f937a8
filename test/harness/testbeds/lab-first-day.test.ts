// Issue 21, "a lab user's first day", reproduced: two namespace nodes with their own sshd, written by hand
// as a LAB inventory (not the netns testbed), node2's data port a veth with 2 queues of which 1 is in use
// (a NIC whose queues must be set per trial), bpffs mounted in each node, a stale XDP program left on the
// port, and an AF_XDP NF at 1 and 2 cores. Each of the eight points is checked here. Needs root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmulation, leftovers, type Emulation } from '../../../harness/netns/emulation.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const cli = join(root, 'bin', 'flexbench.js');
const skip = process.getuid?.() === 0 ? false : 'needs root (namespaces stand in for the lab nodes)';
const XDP_OBJ = '/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_all.o';

const run = (argv: string[]) => spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
const must = (argv: string[]) => {
  const r = run(argv);
  assert.equal(r.status, 0, `${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const flexbench = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 280_000 });
const xdpIds = (ns: string) => JSON.parse(must(['ip', '-n', ns, '-j', 'link', 'show', 'dev', 'port1']))[0].xdp;

/** What a lab user writes from docs/two-nodes.md for nodes whose ports are veths and that have no hugepages. */
function inventoryYaml(em: Emulation, o: { knownHosts?: string; storeAddress?: string; commands?: string } = {}): string {
  const node = (n: Emulation['node1'], store: string) => `
  ${n.name}:
    ssh: { host: ${n.sshAddress}, key: ${em.keyPath}, known_hosts: ${o.knownHosts ?? em.knownHostsPath} }
    data_ports: { iface: port1 }
    store_port: { iface: port2, address: ${store} }
    tools: { node: ${process.execPath}, flexbench: ${cli} }
    dpdk: { hugepages: false, memory_mb: 512, total_num_mbufs: 16384 }`;
  return `# lab inventory (veths, no hugepages)\nnodes:${node(em.node1, o.storeAddress ?? em.node1.storeAddress)}${node(em.node2, em.node2.storeAddress)}\n${o.commands ?? ''}`;
}

test('a lab user\'s first day: preflight then plan, AF_XDP queues by rule, stale programs removed, lcores stated, only --out written, inventory and preflight messages exact', { skip, timeout: 600_000 }, async () => {
  const em = await createEmulation({ suffix: 'day', slot: 31 });
  const dir = mkdtempSync(join(tmpdir(), 'fb-day-'));
  const cwd = join(dir, 'cwd');
  must(['mkdir', '-p', cwd]);
  try {
    const [ns1, ns2] = [em.node1.ns, em.node2.ns];
    // node2's data port: 2 queues allocated, 1 in use (the veth: preflight used to read 2). node1's
    // end sends on one queue (a veth's "RSS" is its sender's tx queue; a NIC's is its own, set per trial)
    must(['ip', '-n', ns1, 'link', 'del', 'port1']);
    must(['ip', 'link', 'add', 'port1', 'netns', ns1, 'numrxqueues', '1', 'numtxqueues', '1', 'type', 'veth', 'peer', 'name', 'port1', 'netns', ns2, 'numrxqueues', '2', 'numtxqueues', '2']);
    for (const [ns, a] of [[ns1, em.node1.dataAddress], [ns2, em.node2.dataAddress]] as const) {
      must(['ip', '-n', ns, 'addr', 'add', `${a}/24`, 'dev', 'port1']);
      must(['ip', '-n', ns, 'link', 'set', 'port1', 'up']);
    }
    must(['ip', 'netns', 'exec', ns2, 'ethtool', '-L', 'port1', 'rx', '1', 'tx', '1']);
    // bpffs where the nodes' commands run (sshd got its own /sys from ip netns exec)
    for (const n of ['node1', 'node2']) must(['nsenter', '-t', readFileSync(join(em.runDir, `${n}-sshd.pid`), 'utf8').trim(), '-m', 'mount', '-t', 'bpf', 'bpf', '/sys/fs/bpf']);
    // point 3: a program someone left on node2's port (not libxdp's dispatcher: AF_XDP would fall back)
    must(['ip', '-n', ns2, 'link', 'set', 'dev', 'port1', 'xdpgeneric', 'obj', XDP_OBJ, 'sec', 'xdp']);
    assert.ok(xdpIds(ns2), 'the stale program is attached');

    const inv = join(dir, 'lab.yaml');
    writeFileSync(inv, inventoryYaml(em));
    const spec = join(dir, 'spec.yaml');
    writeFileSync(spec, `name: first-day\ntestbed: lab\ninventory: { file: ${inv} }\ntraffic: { flows: 100, files: 1, duration_s: 2, warmup_s: 1 }
matrix: { nfs: [macswap, testpmd], cores: [1, 2, 4], repetitions: 2 }
figures: [{ id: day, title: first day, kind: lines, series: [nf], metric: tx_mpps }]\n`);
    const out = join(dir, 'res');
    const r = flexbench(['run', spec, '--out', out], cwd);
    assert.equal(r.status, 0, r.stderr);
    const trials = readFileSync(join(out, 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    const ok = trials.filter((t) => t.status === 'ok');

    // point 2: preflight first, plan second — cores omitted in the inventory, derived from the nodes:
    // nothing runs on more CPUs than node2 has (this machine: 2), each such trial skipped with the reason
    const cpus = Number(must(['nproc']).trim());
    for (const t of trials) {
      const need = t.nf === 'testpmd' ? t.cores + 1 : t.cores;
      if (need > cpus) assert.equal(t.status, 'skipped', `${t.trial_id} needs ${need} CPUs`);
      if (need > cpus) assert.match(t.reason, new RegExp(`needs ${need} CPUs on node2 .*node2 has ${cpus}`));
    }
    assert.match(r.stderr, /node2: ok[\s\S]*port port1: 1 queue\(s\) of at most 2 \(ethtool\)/);

    // point 1: AF_XDP by rule — 1 core as the port is, 2 cores after ethtool -L; the mode named per trial,
    // forced on the NF's command line; one mode per cell; nothing ok that did not come back
    const macswap = ok.filter((t) => t.nf === 'macswap');
    assert.equal(macswap.length, 4, JSON.stringify(trials.map((t) => [t.trial_id, t.status, t.reason])));
    for (const t of macswap) {
      assert.equal(t.port_mode, 'af_xdp', `${t.trial_id}: ${t.port_mode}`);
      assert.match(t.commands[0], /--port xdp:port1/);
      assert.ok(t.tx_packets > 0 && t.tx_pps > 0, `${t.trial_id} returned ${t.tx_packets}`);
    }
    const cells = new Map<string, Set<string>>();
    for (const t of ok) cells.set(`${t.nf}/${t.cores}`, (cells.get(`${t.nf}/${t.cores}`) ?? new Set()).add(t.port_mode));
    for (const [c, modes] of cells) assert.equal(modes.size, 1, `cell ${c} mixes ${[...modes]}`);
    const logs = readdirSync(join(out, 'logs')).map((f) => readFileSync(join(out, 'logs', f), 'utf8'));
    assert.ok(logs.some((l) => /node2: port1 set to 2 queue\(s\)/.test(l)), 'the 2-core trial set the queues');

    // point 3: the stale program was removed at start and reported; none is left after the run
    assert.match(r.stderr, /at start: XDP program\(s\) \d+ removed from node2's port1/);
    assert.equal(xdpIds(ns2), undefined, 'no XDP program left on node2\'s port1');

    // point 4: lcores stated — --main-lcore on testpmd's command line, and each process's CPUs in the trial
    for (const t of ok.filter((x) => x.nf === 'testpmd')) {
      assert.match(t.commands[0], /dpdk-testpmd -l 1,0 --main-lcore 1 /);
      assert.match(t.commands[1], /dpdk-testpmd -l 1,0 --main-lcore 1 /);
      assert.deepEqual(t.lcores, { nf: { main: 1, workers: [0] }, generator: { main: 1, workers: [0] } });
      assert.equal(t.port_mode, 'af_packet');
    }
    for (const t of macswap) assert.deepEqual(t.lcores.nf, { main: null, workers: t.cores === 1 ? [0] : [0, 1] });
    for (const t of macswap) assert.match(t.commands[0], new RegExp(`^node2\\$ taskset -c ${t.cores === 1 ? '0' : '0,1'} `));

    // point 5: a run writes only under --out (figures in its plots/), nothing in the working directory but the pcap cache
    assert.ok(readdirSync(join(out, 'plots')).some((f) => f.startsWith('day.')), 'figure in the run');
    assert.deepEqual(readdirSync(cwd).filter((f) => f !== 'pcaps'), []);
    // per-trial files are named by four-digit index, as the docs say (point 7)
    assert.ok(existsSync(join(out, 'two-nodes', `${String(macswap[0]!.index).padStart(4, '0')}.json`)));

    // the floor: a trial where the generator sent and nothing came back is not ok (an NF that never forwards)
    writeFileSync(inv, inventoryYaml(em, { commands: `commands:\n  macswap: { argv: [sleep, "{duration}"], rate: { regex: "never", unit: pps }, start_wait_s: 1 }\n` }));
    writeFileSync(spec, `name: first-day-dead\ntestbed: lab\ninventory: { file: ${inv} }\ntraffic: { flows: 100, files: 1, duration_s: 2, warmup_s: 1 }\nmatrix: { nfs: [macswap], cores: [1] }\n`);
    const dead = flexbench(['run', spec, '--out', join(dir, 'dead'), '--no-plots'], cwd);
    assert.equal(dead.status, 1, dead.stderr);
    const [d] = readFileSync(join(dir, 'dead', 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(d.status, 'failed');
    assert.match(d.reason, /nothing came back: the generator sent \d+ packets .* node1 received none/);

    // point 8: every node's SSH problem at once, with the exact command for the inventory's own file
    const empty = join(dir, 'known_hosts_empty');
    writeFileSync(empty, '');
    writeFileSync(inv, inventoryYaml(em, { knownHosts: empty }));
    const both = flexbench(['run', spec, '--out', join(dir, 'ssh'), '--no-plots'], cwd);
    assert.equal(both.status, 5, both.stderr);
    assert.match(both.stderr, /node1:\n\s+- SSH host key check failed for node1 .*is not in .*known_hosts_empty[\s\S]*node2:\n\s+- SSH host key check failed for node2/);
    assert.ok(both.stderr.includes(`ssh-keyscan -p 22 ${em.node2.sshAddress} >> ${empty}`), both.stderr);
    // ... a store address that is not on its interface
    writeFileSync(inv, inventoryYaml(em, { storeAddress: '198.19.250.1' }));
    writeFileSync(spec, `name: first-day-store\ntestbed: lab\ninventory: { file: ${inv} }\ntraffic: { flows: 100, files: 1, duration_s: 2, warmup_s: 1 }\nmatrix: { nfs: [counter-async], stores: [redis], locations: [remote], cores: [1] }\n`);
    const store = flexbench(['run', spec, '--out', join(dir, 'store'), '--no-plots'], cwd);
    assert.equal(store.status, 5, store.stderr);
    assert.match(store.stderr, /node1:\n(\s+- .*\n)*\s+- port port2: address 198\.19\.250\.1 is not on it \(it has 198\.19\.\d+\.1\)/);
    // point 6 (the inventory checked like a spec) and the rest of point 8 have their own tests:
    // test/harness/inventory/file.test.ts, test/harness/hosts/{known-hosts,ssh}.test.ts
    assert.doesNotMatch(both.stderr + store.stderr + r.stderr, /fbwrap/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await em.destroy();
  }
  assert.deepEqual(await leftovers(em.id), []);
});
