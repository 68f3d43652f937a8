// Interface port vs DPDK on one veth pair between two namespaces. The generator is flexbench's own
// round-trip generator (`flexbench gen`, AF_XDP; AF_PACKET with FLEXBENCH_BENCH_GEN=packet) on the
// generator side: it paces a pcap out and counts what comes back. On the other side, in turn: DPDK's
// own AF_XDP driver (dpdk-testpmd MAC swap on `net_af_xdp`, the anchor), flexbench macswap and nat
// (async, hashmap store) on AF_XDP; on request also testpmd on `net_af_packet` (the AF_PACKET DUTs'
// anchor) and flexbench on AF_PACKET. Each DUT gets the generator's top (unpaced) rate first, which
// shows whether the generator outruns it (loss at that rate), then the no-drop-rate search of
// `flexbench run` (harness/search/mlr.ts, RFC 9971 MLRsearch; one goal: loss 0, or
// FLEXBENCH_BENCH_LOSS), started at what the DUT forwarded at the top rate: the highest paced rate
// at which what the generator sent came back.
// Pinning (2 cores here): the generator on CPU 0, every DUT on CPU 1 (testpmd `--lcores (0,1)@1`;
// flexbench under `taskset -c 1`, all its threads). On a veth the receive work of a side runs on the
// CPU that sends to it (veth's NAPI is scheduled there), so the kernel's share is split alike for all DUTs.
// Env: FLEXBENCH_BENCH_SECONDS (default 2) of a final trial (the search's first ones are shorter),
// FLEXBENCH_BENCH_ROUNDS (default 2), FLEXBENCH_BENCH_TRIALS (default 14) search trials at most per
// DUT and round, FLEXBENCH_BENCH_WIDTH (default 5) the search's resolution in %, FLEXBENCH_BENCH_LOSS
// (accepted loss in %, default 0), FLEXBENCH_BENCH_FLOWS (default 10000), FLEXBENCH_BENCH_BURST
// (default 32: the paced generator sends that many back to back), FLEXBENCH_BENCH_DUTS (ids:
// testpmd-xdp, macswap-xdp, nat-xdp, testpmd, macswap-packet, nat-packet; default the three AF_XDP
// ones; the anchors of the named ones always run), FLEXBENCH_BENCH_GEN (xdp or packet, the generator's port). DUTs run
// interleaved, round after round, so that the load others put on this shared machine falls on all alike.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVethPair, ensureBpffs, netnsUnavailable } from './lib/veth-pair.js';
import { formatGoal, pairedGoal } from './lib/goal.js';
import { generatePcaps } from '../runtime/packet/generate.js';
import { TestpmdStatsParser, afPacketVdev } from '../harness/tools/testpmd.js';
import { nativeUnavailable } from '../runtime/packet/iface/native.js';
import { XDP_DEFAULTS } from '../runtime/packet/iface/xdp-port.js';
import { parseRoundTripOutput, type RoundTripResult } from '../runtime/packet/roundtrip-result.js';
import { median as med } from '../harness/results/stats.js';
import { mlrSearch } from '../harness/search/mlr.js';
import { parseNfRunOutput } from '../runtime/nf-process/result.js';

const cli = fileURLToPath(new URL('../../bin/flexbench.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Dut {
  id: string;
  name: string;
  argv: string[];
  ready: RegExp;
  /** the id of the DUT it is compared with (itself for an anchor) */
  anchor: string;
}
interface Row {
  id: string;
  /** 0-based */
  round: number;
  /** the generator's top rate against this DUT, and what came back then */
  topSent: number;
  topReturned: number;
  topLoss: number;
  /** the search's lower bound (null: no rate passed), upper bound (null: the top rate passed) */
  ndr: number | null;
  upper: number | null;
  irregular: string | null;
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

const testpmd = (ns: string, cpu: number, prefix: string, vdevs: string[], mode: string, extra: string[] = ['--total-num-mbufs=16384']) => [
  'nsenter', `--net=/run/netns/${ns}`, 'dpdk-testpmd', '--lcores', `(0,1)@${cpu}`, '--file-prefix', prefix, '--no-huge', '-m', '512', '--no-pci',
  ...vdevs.flatMap((v) => ['--vdev', v]), '--', '--nb-cores=1', `--forward-mode=${mode}`, '--stats-period=1', ...extra,
];
// DPDK's AF_XDP rings as deep as flexbench's (XDP_DEFAULTS.ringSize; its default is 2048), so that both
// ride out the same scheduling stall without loss; its UMEM, the mbuf pool, holds both rings' frames
const xdpRings = [`--rxd=${XDP_DEFAULTS.ringSize}`, `--txd=${XDP_DEFAULTS.ringSize}`, `--total-num-mbufs=${4 * XDP_DEFAULTS.ringSize}`];

function env(name: string, dflt: number, ok: (v: number) => boolean, what: string): number {
  const raw = process.env[name];
  const v = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!ok(v)) throw new Error(`${name}=${raw}: want ${what}`);
  return v;
}

export async function run(): Promise<void> {
  const why = netnsUnavailable() ?? nativeUnavailable() ?? (spawnSync('sh', ['-c', 'command -v dpdk-testpmd']).status === 0 ? null : 'dpdk-testpmd is not installed');
  if (why) {
    console.log(`iface bench skipped: ${why}`);
    return;
  }
  const seconds = env('FLEXBENCH_BENCH_SECONDS', 2, (v) => v > 0, 'seconds > 0');
  const rounds = env('FLEXBENCH_BENCH_ROUNDS', 2, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const maxTrials = env('FLEXBENCH_BENCH_TRIALS', 14, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const width = env('FLEXBENCH_BENCH_WIDTH', 5, (v) => v > 0 && v < 100, 'a width in % (0 < x < 100)') / 100;
  const lossPct = env('FLEXBENCH_BENCH_LOSS', 0, (v) => v >= 0 && v < 100, 'a loss in % (0 <= x < 100)');
  const flows = env('FLEXBENCH_BENCH_FLOWS', 10000, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const burst = env('FLEXBENCH_BENCH_BURST', 32, (v) => Number.isInteger(v) && v >= 1 && v <= 1024, 'an integer from 1 to 1024');
  const genMode = process.env.FLEXBENCH_BENCH_GEN || 'xdp';
  if (genMode !== 'xdp' && genMode !== 'packet') throw new Error(`FLEXBENCH_BENCH_GEN=${genMode}: want xdp or packet`);
  const warmup = 0.5;
  ensureBpffs();
  const pair = createVethPair('bn', 1);
  const dir = mkdtempSync(join(tmpdir(), 'fbx-iface-bench-'));
  const running: ChildProcess[] = [];
  try {
    const [pcap] = generatePcaps({ out: dir, flows, files: 1, frameSize: 64, srcMac: pair.genMac, dstMac: pair.nfMac, prefix: 'bench' });
    const inNf = ['nsenter', `--net=/run/netns/${pair.nfNs}`, 'taskset', '-c', '1', process.execPath, cli, 'nf', 'run', '--cores', '1', '--duration', '3600', '--progress', '1', '--json'];
    const all: Dut[] = [
      // DPDK's own AF_XDP driver: the anchor of flexbench's AF_XDP port on the same veth
      { id: 'testpmd-xdp', name: 'dpdk-testpmd macswap, net_af_xdp', argv: testpmd(pair.nfNs, 1, 'fbx-bn-dutx', [`net_af_xdp0,iface=${pair.nfIf},start_queue=0,queue_count=1`], 'macswap', xdpRings), ready: /Port statistics/, anchor: 'testpmd-xdp' },
      { id: 'macswap-xdp', name: 'flexbench macswap, AF_XDP', argv: [...inNf, '--nf', 'macswap', '--port', `xdp:${pair.nfIf}`], ready: /t=\d/, anchor: 'testpmd-xdp' },
      { id: 'nat-xdp', name: 'flexbench nat async hashmap, AF_XDP', argv: [...inNf, '--nf', 'nat', '--store', 'hashmap:', '--mode', 'async', '--port', `xdp:${pair.nfIf}`], ready: /t=\d/, anchor: 'testpmd-xdp' },
      { id: 'testpmd', name: 'dpdk-testpmd macswap, net_af_packet', argv: testpmd(pair.nfNs, 1, 'fbx-bn-dut', [afPacketVdev(0, pair.nfIf)], 'macswap'), ready: /Port statistics/, anchor: 'testpmd' },
      { id: 'macswap-packet', name: 'flexbench macswap, AF_PACKET', argv: [...inNf, '--nf', 'macswap', '--port', `packet:${pair.nfIf}`], ready: /t=\d/, anchor: 'testpmd' },
      { id: 'nat-packet', name: 'flexbench nat async hashmap, AF_PACKET', argv: [...inNf, '--nf', 'nat', '--store', 'hashmap:', '--mode', 'async', '--port', `packet:${pair.nfIf}`], ready: /t=\d/, anchor: 'testpmd' },
    ];
    const named = (process.env.FLEXBENCH_BENCH_DUTS ?? '').split(',').map((x) => x.trim()).filter(Boolean);
    const unknown = named.filter((o) => !all.some((d) => d.id === o));
    if (unknown.length) throw new Error(`FLEXBENCH_BENCH_DUTS: unknown ${unknown.join(', ')} (known: ${all.map((d) => d.id).join(', ')})`);
    const wanted = named.length ? named : ['testpmd-xdp', 'macswap-xdp', 'nat-xdp'];
    const anchors = new Set(all.filter((d) => wanted.includes(d.id)).map((d) => d.anchor));
    const duts = all.filter((d) => wanted.includes(d.id) || anchors.has(d.id));

    const genArgv = (rate: string, duration: number) => [
      'nsenter', `--net=/run/netns/${pair.genNs}`, 'taskset', '-c', '0', process.execPath, cli, 'gen', '--port', `${genMode}:${pair.genIf}`, '--input', pcap,
      '--rate', rate, '--warmup', String(warmup), '--duration', String(duration), '--drain-ms', '200', '--burst', String(burst), '--json',
    ];
    const genTrialFor = async (rate: string, duration: number): Promise<RoundTripResult | string> => {
      const g = start(genArgv(rate, duration));
      running.push(g.p);
      const killer = setTimeout(() => g.p.kill('SIGKILL'), (warmup + duration) * 1000 + 30_000);
      await new Promise((r) => (g.p.exitCode !== null ? r(null) : g.p.once('exit', r)));
      clearTimeout(killer);
      try {
        return parseRoundTripOutput(g.out());
      } catch {
        return g.out().trim().split('\n').slice(-2).join(' | ');
      }
    };

    console.log(
      `veth ${pair.genIf} <-> ${pair.nfIf} (1 queue), ${flows} flows of 64 B from ${pcap}; generator: flexbench gen on ${genMode === 'xdp' ? 'AF_XDP' : 'AF_PACKET'}, CPU 0; DUT on CPU 1; ` +
        `per DUT and round: the generator's top rate, then the no-drop rate (loss <= ${lossPct} %) searched to ${width * 100} % in at most ${maxTrials} trials of ${Math.min(1, seconds)}-${seconds} s, each after ${warmup} s warm-up, paced in bursts of ${burst}`,
    );
    const rows: Row[] = [];
    for (let round = 1; round <= rounds; round++) for (const dut of duts) {
      const d = start(dut.argv);
      running.push(d.p);
      const t0 = Date.now();
      while (!dut.ready.test(d.out()) && d.p.exitCode === null && Date.now() - t0 < 30_000) await sleep(100);
      if (!dut.ready.test(d.out())) {
        console.log(`[${round}] ${dut.name}: did not start: ${d.out().trim().split('\n').slice(-3).join(' | ')}`);
        await stop(d.p, 'SIGKILL');
        continue;
      }
      const top = await genTrialFor('max', seconds);
      if (typeof top === 'string' || !(top.sent_pps > 0)) {
        console.log(`[${round}] ${dut.name}: the generator sent nothing: ${typeof top === 'string' ? top : JSON.stringify(top)}`);
        await stop(d.p, dut.id.startsWith('testpmd') ? 'SIGINT' : 'SIGTERM');
        continue;
      }
      const topLoss = top.intended_packets > 0 ? Math.max(0, top.intended_packets - top.received_packets) / top.intended_packets : 0;
      let genMissed = top.rx_missed;
      let failed: string | null = null;
      const marks: string[] = [];
      const res = await mlrSearch({
        // CSIT's NDR goal in small: a load needs two final trials' seconds, half of which may lose (so one
        // passing trial makes it a lower bound and a lossy one is measured again): one stall of this
        // shared host, or of the generator, does not decide a load
        goals: [{ name: 'ndr', loss_ratio: lossPct / 100, exceed_ratio: 0.5, final_trial_duration: seconds, initial_trial_duration: Math.min(1, seconds), duration_sum: 2 * seconds, width }],
        // the top of the search is what the generator sent unpaced; its first guess what came back then
        min_load_pps: top.sent_pps / 50,
        max_load_pps: top.sent_pps,
        start_load_pps: top.received_pps * (1 - width / 4),
        max_trials: maxTrials,
        measure: async (load, duration) => {
          if (failed) throw new Error(failed);
          const t = await genTrialFor(String(Math.round(load)), duration);
          if (typeof t === 'string') throw new Error((failed = `a trial at ${fmt(load)} failed: ${t}`));
          genMissed += t.rx_missed;
          const loss = t.intended_packets > 0 ? (t.intended_packets - t.received_packets) / t.intended_packets : 0;
          // '!': the generator itself fell behind (sent less than asked): that loss is not the DUT's
          marks.push(`${(load / 1e6).toFixed(3)}${loss <= lossPct / 100 ? '+' : '-'}${t.sent_packets < t.intended_packets * 0.999 ? '!' : ''}`);
          return { intended_packets: t.intended_packets, forwarded_packets: t.received_packets };
        },
      }).catch((e: Error) => e);
      await stop(d.p, dut.id.startsWith('testpmd') ? 'SIGINT' : 'SIGTERM');
      if (res instanceof Error) {
        console.log(`[${round}] ${dut.name}: the search stopped: ${res.message}`);
        continue;
      }
      const g = res.goals[0];
      const row: Row = { id: dut.id, round: round - 1, topSent: top.sent_pps, topReturned: top.received_pps, topLoss, ndr: g.lower_bound_pps, upper: g.upper_bound_pps, irregular: g.irregular_reason };
      rows.push(row);
      console.log(
        `[${round}] ${dut.name.padEnd(40)} top: offered ${fmt(top.sent_pps)} returned ${fmt(top.received_pps)} (loss ${pct(topLoss)})  ` +
          `NDR ${ndrText(row)}  [${marks.join(' ')}]  generator rx ring drops ${genMissed}  DUT: ${dutSays(d.out())}`,
      );
    }

    console.log(`\nmedian over ${rounds} round(s), packets/s as the generator counts them (top: its unpaced rate; NDR: the highest rate with loss <= ${lossPct} %):`);
    const summary = duts.map((d) => {
      const mine = rows.filter((r) => r.id === d.id);
      return {
        d,
        n: mine.length,
        topSent: med(mine.map((r) => r.topSent)),
        topReturned: med(mine.map((r) => r.topReturned)),
        topLoss: med(mine.map((r) => r.topLoss)),
        ndr: med(mine.map((r) => r.ndr ?? 0)),
        ndrs: mine.map((r) => r.ndr ?? 0),
        genBound: mine.filter((r) => r.upper === null && r.ndr !== null).length,
      };
    });
    for (const x of summary) {
      const base = summary.find((s) => s.d.id === x.d.anchor);
      const ratio = base && base !== x && base.ndr > 0 ? `  ${(x.ndr / base.ndr).toFixed(2)}x ${base.d.name}` : base === x ? '  (anchor)' : '';
      const range = x.ndrs.length > 1 ? ` [${fmt(Math.min(...x.ndrs))}-${fmt(Math.max(...x.ndrs))}]` : '';
      const bound = x.genBound ? `  (in ${x.genBound} of ${x.n} run(s) the generator's top rate passed: the NDR is the generator's, not the DUT's)` : '';
      console.log(
        `  ${x.d.name.padEnd(40)} top: offered ${fmt(x.topSent)} returned ${fmt(x.topReturned)} loss ${pct(x.topLoss)}   NDR ${fmt(x.ndr)}${range}  (${x.n} run(s))${ratio}${bound}`,
      );
    }
    const outran = rows.filter((r) => r.topLoss > lossPct / 100).length;
    console.log(`  the generator outran the DUT (loss at its top rate) in ${outran} of ${rows.length} DUT run(s)`);
    // issue 20: flexbench's AF_XDP port at least testpmd's net_af_xdp, judged on each round's pair; an
    // NDR where the generator's top rate passed is the generator's (a lower bound of the DUT's)
    const byRound = (id: string) => {
      const ndr: (number | undefined)[] = [];
      const atLeast: boolean[] = [];
      for (const r of rows.filter((x) => x.id === id && x.ndr !== null)) {
        ndr[r.round] = r.ndr!;
        atLeast[r.round] = r.upper === null;
      }
      return { ndr, atLeast };
    };
    const goals = duts.filter((d) => d.anchor !== d.id && d.id.endsWith('-xdp'));
    if (goals.length) console.log(`\nissue 20's goal, NDR / the anchor's NDR >= 1.00 on paired rounds (geometric mean, each round, 95 % interval; met / not met / undecided; a generator-bound NDR decides nothing against its side):`);
    for (const d of goals) {
      const a = byRound(d.id);
      const b = byRound(d.anchor);
      const v = pairedGoal(a.ndr, b.ndr, 1, { a: a.atLeast, b: b.atLeast });
      if (v) console.log(`  ${d.name.padEnd(40)} ${formatGoal(v, 1)}`);
    }
  } finally {
    for (const p of running) await stop(p, 'SIGKILL');
    pair.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (pps: number) => `${(pps / 1e6).toFixed(3)} Mpps`;
const pct = (ratio: number) => `${(ratio * 100).toFixed(2)} %`;
/** the lower bound, '>=' when the top rate passed (the generator bounds it), and why the search is irregular */
const ndrText = (r: Row) => `${r.upper === null && r.ndr !== null ? '>=' : ''}${r.ndr === null ? 'none' : fmt(r.ndr)}${r.upper !== null ? ` (fails at ${fmt(r.upper)})` : ''}${r.irregular ? ` (${r.irregular})` : ''}`;

/** what the DUT counted itself over all its trials: flexbench's --json result or testpmd's final statistics */
function dutSays(text: string): string {
  const last = text.trim().split('\n').pop() ?? '';
  if (last.startsWith('{')) {
    const j = parseNfRunOutput(text);
    return `rx ${j.rx_packets} tx ${j.tx_packets} missed ${j.missed} nf_dropped ${j.nf_dropped}`;
  }
  const p = new TestpmdStatsParser();
  p.push(text);
  const f = p.end().final;
  if (!f || f.ports.length === 0) return '';
  const port = f.ports[0];
  return `rx ${port.rxPackets} tx ${port.txPackets} rx_dropped ${port.rxDropped} tx_dropped ${port.txDropped}`;
}
