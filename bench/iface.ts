// Interface port vs DPDK: on one veth pair between two namespaces, dpdk-testpmd replays the same pcap
// (net_pcap, infinite) into the generator side through net_af_packet and counts what comes back.
// On the other side, in turn: dpdk-testpmd MAC swap on net_af_packet (the baseline), flexbench
// macswap and nat (async, hashmap store) on the interface port, AF_XDP and AF_PACKET.
// Pinning (2 cores here): the generator's two lcores share CPU 0 (`--lcores (0,1)@0`), every DUT
// gets CPU 1 alone (testpmd `--lcores (0,1)@1`; flexbench under `taskset -c 1`, all its threads).
// The yardstick is the generator's view for every DUT: packets/s sent (offered) and returned.
// Env: FLEXBENCH_BENCH_SECONDS (default 8) per DUT, FLEXBENCH_BENCH_FLOWS (default 10000),
// FLEXBENCH_BENCH_DUTS (ids: testpmd, testpmd-xdp, macswap-xdp, macswap-packet, nat-xdp, nat-packet;
// the baseline always runs), FLEXBENCH_BENCH_GEN=xdp (the generator on net_af_xdp instead of
// net_af_packet), FLEXBENCH_BENCH_ROUNDS (default 3): DUTs run interleaved, round after round,
// so that the load others put on this shared machine falls on all of them alike; medians reported.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVethPair, ensureBpffs, netnsUnavailable } from './lib/veth-pair.js';
import { generatePcaps } from '../runtime/packet/generate.js';
import { TestpmdStatsParser, steadyRate, afPacketVdev } from '../harness/tools/testpmd.js';
import { nativeUnavailable } from '../runtime/packet/iface/native.js';
import { median as med } from '../harness/results/stats.js';
import { parseNfRunOutput } from '../runtime/nf-process/result.js';

const cli = fileURLToPath(new URL('../../bin/flexbench.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Dut {
  id: string;
  name: string;
  argv: string[];
  ready: RegExp;
}
interface Row {
  name: string;
  offeredPps: number;
  returnedPps: number;
  samples: number;
  dutSays: string;
}

function start(argv: string[]): { p: ChildProcess; out: () => string } {
  const p = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  p.stdout!.on('data', (d) => (text += d));
  p.stderr!.on('data', (d) => (text += d));
  return { p, out: () => text };
}

function stop(p: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
    p.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    p.kill(signal);
  });
}

const testpmd = (ns: string, cpu: number, prefix: string, vdevs: string[], mode: string) => [
  'ip', 'netns', 'exec', ns, 'dpdk-testpmd', '--lcores', `(0,1)@${cpu}`, '--file-prefix', prefix, '--no-huge', '-m', '512', '--no-pci',
  ...vdevs.flatMap((v) => ['--vdev', v]), '--', '--nb-cores=1', `--forward-mode=${mode}`, '--stats-period=1', '--total-num-mbufs=16384',
];

export async function run(): Promise<void> {
  const why = netnsUnavailable() ?? nativeUnavailable() ?? (spawnSync('sh', ['-c', 'command -v dpdk-testpmd']).status === 0 ? null : 'dpdk-testpmd is not installed');
  if (why) {
    console.log(`iface bench skipped: ${why}`);
    return;
  }
  const seconds = Number(process.env.FLEXBENCH_BENCH_SECONDS ?? 5);
  const rounds = Number(process.env.FLEXBENCH_BENCH_ROUNDS ?? 3);
  const flows = Number(process.env.FLEXBENCH_BENCH_FLOWS ?? 10000);
  ensureBpffs();
  const pair = createVethPair('bn', 1);
  const dir = mkdtempSync(join(tmpdir(), 'fbx-iface-bench-'));
  const running: ChildProcess[] = [];
  try {
    const [pcap] = generatePcaps({ out: dir, flows, files: 1, frameSize: 64, srcMac: pair.genMac, dstMac: pair.nfMac, prefix: 'bench' });
    const inNf = ['nsenter', `--net=/run/netns/${pair.nfNs}`, 'taskset', '-c', '1', process.execPath, cli, 'nf', 'run', '--cores', '1', '--duration', '3600', '--progress', '1', '--json'];
    const duts: Dut[] = [
      { id: 'testpmd', name: 'dpdk-testpmd macswap, net_af_packet', argv: testpmd(pair.nfNs, 1, 'fbx-bn-dut', [afPacketVdev(0, pair.nfIf)], 'macswap'), ready: /Port statistics/ },
      // DPDK's own AF_XDP driver: the anchor for flexbench's AF_XDP port on the same veth
      { id: 'testpmd-xdp', name: 'dpdk-testpmd macswap, net_af_xdp', argv: testpmd(pair.nfNs, 1, 'fbx-bn-dutx', [`net_af_xdp0,iface=${pair.nfIf},start_queue=0,queue_count=1`], 'macswap'), ready: /Port statistics/ },
      { id: 'macswap-xdp', name: 'flexbench macswap, AF_XDP', argv: [...inNf, '--nf', 'macswap', '--port', `xdp:${pair.nfIf}`], ready: /t=\d/ },
      { id: 'macswap-packet', name: 'flexbench macswap, AF_PACKET', argv: [...inNf, '--nf', 'macswap', '--port', `packet:${pair.nfIf}`], ready: /t=\d/ },
      { id: 'nat-xdp', name: 'flexbench nat async hashmap, AF_XDP', argv: [...inNf, '--nf', 'nat', '--store', 'hashmap:', '--mode', 'async', '--port', `xdp:${pair.nfIf}`], ready: /t=\d/ },
      { id: 'nat-packet', name: 'flexbench nat async hashmap, AF_PACKET', argv: [...inNf, '--nf', 'nat', '--store', 'hashmap:', '--mode', 'async', '--port', `packet:${pair.nfIf}`], ready: /t=\d/ },
    ];
    const only = (process.env.FLEXBENCH_BENCH_DUTS ?? '').split(',').map((x) => x.trim()).filter(Boolean);
    const unknown = only.filter((o) => !duts.some((d) => d.id === o));
    if (unknown.length) throw new Error(`FLEXBENCH_BENCH_DUTS: unknown ${unknown.join(', ')} (known: ${duts.map((d) => d.id).join(', ')})`);
    if (only.length) duts.splice(0, duts.length, ...duts.filter((d) => d.id === 'testpmd' || only.includes(d.id)));
    console.log(`veth ${pair.genIf} <-> ${pair.nfIf} (1 queue), ${flows} flows of 64 B from ${pcap}, ${seconds} s per DUT x ${rounds} rounds; generator on CPU 0, DUT on CPU 1`);
    const rows: Row[] = [];
    for (let round = 1; round <= rounds; round++) for (const dut of duts) {
      const d = start(dut.argv);
      running.push(d.p);
      const t0 = Date.now();
      while (!dut.ready.test(d.out()) && d.p.exitCode === null && Date.now() - t0 < 30_000) await sleep(100);
      if (!dut.ready.test(d.out())) {
        console.log(`${dut.name}: did not start: ${d.out().trim().split('\n').slice(-3).join(' | ')}`);
        await stop(d.p, 'SIGKILL');
        continue;
      }
      const parser = new TestpmdStatsParser();
      // FLEXBENCH_BENCH_GEN=xdp: the generator sends through DPDK's AF_XDP driver (faster than af_packet)
      const genPort = process.env.FLEXBENCH_BENCH_GEN === 'xdp' ? `net_af_xdp1,iface=${pair.genIf},start_queue=0,queue_count=1` : afPacketVdev(1, pair.genIf);
      const gen = start(testpmd(pair.genNs, 0, 'fbx-bn-gen', [`net_pcap0,rx_pcap=${pcap},infinite_rx=1,tx_pcap=/dev/null`, genPort], 'io'));
      running.push(gen.p);
      gen.p.stdout!.on('data', (c) => parser.push(String(c)));
      const g0 = Date.now();
      while (parser.snapshots.length === 0 && gen.p.exitCode === null && Date.now() - g0 < 30_000) await sleep(100);
      await sleep(seconds * 1000);
      await stop(gen.p, 'SIGINT');
      await stop(d.p, dut.name.startsWith('dpdk') ? 'SIGINT' : 'SIGTERM');
      const parsed = parser.end();
      // port 1 is the af_packet port on the veth: Tx = offered to the DUT, Rx = returned by it
      const r = steadyRate(parsed.snapshots, 1, 1);
      let dutSays = '';
      const last = d.out().trim().split('\n').pop() ?? '';
      if (last.startsWith('{')) {
        const j = parseNfRunOutput(d.out());
        dutSays = `rx ${j.rx_packets} tx ${j.tx_packets} missed ${j.missed} nf_dropped ${j.nf_dropped}`;
      } else {
        const fin = parseTestpmdFinal(d.out());
        if (fin) dutSays = fin;
      }
      rows.push({ name: dut.name, offeredPps: r.txPps, returnedPps: r.rxPps, samples: r.samples, dutSays });
      console.log(`[${round}] ${dut.name.padEnd(40)} offered ${fmt(r.txPps)}  returned ${fmt(r.rxPps)}  (${r.samples} s)  DUT: ${dutSays}`);
    }
    console.log(`\nmedian over ${rounds} round(s), packets/s as the generator counts them:`);
    const summary = duts.map((d) => {
      const mine = rows.filter((r) => r.name === d.name);
      return { d, offered: med(mine.map((r) => r.offeredPps)), returned: med(mine.map((r) => r.returnedPps)), n: mine.length };
    });
    // a generator whose packets come back from no DUT measured the veth, not the DUTs: say so
    if (summary.every((x) => !(x.returned > 0)) && summary.some((x) => x.offered > 0)) {
      console.log(`  no DUT returned a packet (testpmd on af_packet included): the generator's frames${process.env.FLEXBENCH_BENCH_GEN === 'xdp' ? ' (net_af_xdp, FLEXBENCH_BENCH_GEN=xdp)' : ''} do not reach the DUT's end of the veth; these rows are no measurement`);
    }
    const packetBase = summary.find((x) => x.d.id === 'testpmd');
    const xdpBase = summary.find((x) => x.d.id === 'testpmd-xdp');
    for (const x of summary) {
      // AF_XDP DUTs beside DPDK's AF_XDP driver when it ran, the rest beside testpmd on af_packet
      const base = x.d.id.endsWith('-xdp') && xdpBase && xdpBase.returned > 0 ? xdpBase : packetBase;
      const ratio = base && base.returned > 0 && x !== base ? `  ${(x.returned / base.returned).toFixed(2)}x ${base.d.name}` : '';
      console.log(`  ${x.d.name.padEnd(40)} offered ${fmt(x.offered)}  returned ${fmt(x.returned)}  (${x.n} run(s))${ratio}`);
    }
  } finally {
    for (const p of running) await stop(p, 'SIGKILL');
    pair.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (pps: number) => `${(pps / 1e6).toFixed(4)} Mpps`;

function parseTestpmdFinal(text: string): string | null {
  const p = new TestpmdStatsParser();
  p.push(text);
  const f = p.end().final;
  if (!f || f.ports.length === 0) return null;
  const port = f.ports[0];
  return `rx ${port.rxPackets} tx ${port.txPackets} rx_dropped ${port.rxDropped} tx_dropped ${port.txDropped}`;
}
