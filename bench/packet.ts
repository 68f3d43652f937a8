// Packet-path benchmark: DPDK testpmd (macswap, net_pcap infinite_rx -> net_null) versus `flexbench nf run`
// in replay mode, same pcap, both pinned to the same one CPU (taskset / --lcores), in interleaved rounds.
// Measures and prints rates (median and range of the rounds) and issue 20's goals judged on paired
// rounds (bench/lib/goal.ts); where a 1M-flow case runs, also the host's price of a cache line no
// cache holds (bench/lib/line-reads.ts) and the rate it leaves each 1M-flow case; asserts nothing.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePcaps } from '../runtime/packet/generate.js';
import { startRedis } from '../runtime/stores/redis.js';
import { server as cassandraServer, type RunningCassandra } from '../runtime/stores/cassandra.js';
import { median } from '../harness/results/stats.js';
import { medianRange, steadyMpps } from './lib/measure.js';
import { formatGoal, pairedGoal } from './lib/goal.js';
import { rateWithLines, type LineReads } from './lib/line-reads.js';
import { jvmSettled } from './lib/jvm-warmup.js';
import { deviceInterrupts, quieterCpu, readInterrupts } from '../harness/inventory/interrupts.js';
import { parseNfProgress } from '../harness/tools/nf-run.js';
import { processTicks } from '../harness/orchestrate/host-load.js';
import { parseNfRunOutput } from '../runtime/nf-process/result.js';
import { encodePcap, readPcap } from '../runtime/packet/pcap.js';
import { bothWays } from './lib/nat-both-ways.js';

const CLI = new URL('../../bin/flexbench.js', import.meta.url).pathname;
const LINE_READS = new URL('./lib/line-reads.js', import.meta.url).pathname;
/**
 * the cache lines a packet of a known flow reads at random in each 1M-flow case (the same NF's
 * 50,000-flow case beside it): LB its bucket; NAT, outbound, its forward bucket and the mapping's hot record
 */
const RANDOM_LINES: Record<string, [small: string, lines: number]> = {
  'nat hashmap, 1M flows': ['nat hashmap', 2],
  'lb hashmap, 1M flows': ['lb hashmap', 1],
};
const SECONDS = Number(process.env.FLEXBENCH_BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.FLEXBENCH_BENCH_ROUNDS ?? 3);
const WARMUP = Number(process.env.FLEXBENCH_BENCH_WARMUP ?? 1);
/** the first pass over 1,000,000 new flows (each one a FlexState map key) takes seconds: the warm-up covers it */
const WARMUP_1M = Number(process.env.FLEXBENCH_BENCH_WARMUP_1M ?? 10);
/**
 * after the first pass the rate still climbs for a while (the flushes of a million new keys, the JIT):
 * `nf run --nf lb` over the 1M capture reached its steady 8.4-9.5 Mpps ~3 s after its first pass ended
 */
const RAMP_AFTER_FIRST_PASS_S = 3;
/**
 * the CPU every measured program runs on (the other one keeps the harness, redis-server and the OS);
 * not given, the bench moves it off the CPU the store's disk interrupts land on (harness/inventory/interrupts.ts)
 */
const CPU_GIVEN = process.env.FLEXBENCH_BENCH_CPU !== undefined;
let CPU = Number(process.env.FLEXBENCH_BENCH_CPU ?? 1);
/** a regular expression: only the cases whose label it matches (testpmd, the anchor, always runs) */
const ONLY = ((re) => {
  if (!re) return null;
  try {
    return new RegExp(re);
  } catch (err) {
    throw new Error(`FLEXBENCH_BENCH_CASES is not a regular expression: ${(err as Error).message}`);
  }
})(process.env.FLEXBENCH_BENCH_CASES);
/** 0: leave Cassandra out (its JVM takes a minute to start and a few GB) */
const WITH_CASSANDRA = process.env.FLEXBENCH_BENCH_CASSANDRA !== '0';
/**
 * most seconds of counter-async flushes to a freshly started Cassandra before the rounds, in slices
 * of WARMUP_SLICE_S until its JVM's CPU per flush stops falling (bench/lib/jvm-warmup.ts): it
 * compiles the write path meanwhile (CPU per flush fell 5x over the first 50-60 s here), which would
 * otherwise run in the first cases' windows as a co-tenant twice as busy; 0: none
 */
const CASSANDRA_WARMUP = Number(process.env.FLEXBENCH_BENCH_CASSANDRA_WARMUP ?? 120);
const WARMUP_SLICE_S = 10;

/** Rx-pps readings of port 0 (net_pcap receives) from testpmd's periodic statistics blocks. */
function port0Rates(out: string): number[] {
  const rates: number[] = [];
  for (const block of out.split(/NIC statistics for port /).slice(1)) {
    if (!block.startsWith('0')) continue;
    const m = /Rx-pps:\s+(\d+)/.exec(block);
    if (m) rates.push(Number(m[1]));
  }
  return rates;
}

function collect(cmd: string, args: string[], stopAfterMs?: number, stopWhen?: (stdout: string) => boolean): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let asked = false;
    p.stdout.on('data', (d) => {
      stdout += d;
      if (stopWhen && !asked && stopWhen(stdout)) {
        asked = true;
        p.kill('SIGINT');
      }
    });
    p.stderr.on('data', (d) => (stderr += d));
    const t = stopAfterMs ? setTimeout(() => p.kill('SIGINT'), stopAfterMs) : null;
    const hard = setTimeout(() => p.kill('SIGKILL'), (stopAfterMs ?? SECONDS * 1000) + 60_000);
    p.on('error', reject);
    p.on('close', (code) => {
      if (t) clearTimeout(t);
      clearTimeout(hard);
      resolve({ code, stdout, stderr });
    });
  });
}

/** testpmd's main and forwarding lcores on CPU; the rate is the mean Rx-pps of port 0 over the readings after the first. */
async function testpmd(pcap: string, packets: number): Promise<number> {
  const prefix = `h2bench${process.pid}`;
  // net_pcap with infinite_rx holds the whole capture in mbufs: room for all of it
  const mbufs = packets > 50_000 ? packets + 65536 : 65536; // 65536 as before for the 50,000-flow anchor
  // a million default mbufs (2,176 B) is refused under --no-huge (ENOMEM even with -m 4096): a big
  // capture gets 256 B mbufs (room for a 64 B frame after the 128 B headroom), a stricter anchor
  const small = packets > 65536;
  const mem = 1024;
  const args = [
    '--lcores', `(0,1)@${CPU}`, '--no-huge', '-m', String(mem), '--no-pci', '--file-prefix', prefix,
    '--vdev', `net_pcap0,rx_pcap=${pcap},infinite_rx=1`, '--vdev', 'net_null0,no-rx=1',
    '--', '--forward-mode=macswap', '--nb-cores=1', `--total-num-mbufs=${mbufs}`, ...(small ? ['--mbuf-size=256'] : []), '--stats-period', '1',
  ];
  // line-buffered stdout (stdbuf) so that readings arrive as printed; stop after SECONDS+1 of them
  // (loading the pcap into mbufs takes a while before the first one)
  const r = await collect('stdbuf', ['-oL', 'dpdk-testpmd', ...args], undefined, (out) => port0Rates(out).length >= SECONDS + 1);
  rmSync(`/var/run/dpdk/${prefix}`, { recursive: true, force: true }); // testpmd leaves its runtime dir behind
  const rates = port0Rates(r.stdout);
  const steady = rates.slice(1).filter((x) => x > 0);
  if (steady.length === 0) throw new Error(`testpmd gave no Rx-pps readings (exit ${r.code}):\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-1500)}`);
  return steady.reduce((a, b) => a + b, 0) / steady.length / 1e6;
}

/** user + system CPU seconds a process has used so far, null when it is gone (clock ticks of USER_HZ 100) */
function cpuSeconds(pid: number): number | null {
  const t = processTicks(pid);
  return t === null ? null : t / 100;
}

/** random line reads over `bytes`, in a child on the DUT's CPU (the bench's own process is not pinned) */
async function lineReads(bytes: number): Promise<LineReads> {
  const r = await collect('taskset', ['-c', String(CPU), process.execPath, LINE_READS, String(Math.round(bytes))], 120_000);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !last.startsWith('{')) throw new Error(`line reads failed (exit ${r.code}): ${r.stderr.slice(-500)}`);
  return JSON.parse(last) as LineReads;
}

interface Case {
  /** p50k2: the 50,000 flows each followed by its reply (NAT only, bench/lib/nat-both-ways.ts) */
  label: string; nf: string; extra: string[]; pcap: 'p50k' | 'p1m' | 'p50k2'; cores?: number; store?: 'redis' | 'cassandra';
  /** runs in the Cassandra warm-up's partition (its keyspace made before the rounds), not a fresh one per run */
  warmPartition?: true;
}

/** what one run's flushes cost, per second of run and per flush (async mode, core 0) */
interface FlushFigures { perS: number; entries: number; bytes: number; rtt: number; mergeUs: number; encodeUs: number; syscalls: number | null; threadPct: number | null; cpuPct: number | null; wakeS: number | null }

function flushFigures(r: Record<string, any>): FlushFigures | null {
  const s = r.per_core?.[0]?.state as Record<string, number | null> | undefined;
  const d = r.duration_s as number;
  if (!s || !(s.flushes! > 0) || !(d > 0)) return null;
  const f = s.flushes!;
  const io = s.writes !== null && s.writes !== undefined && s.reads !== null && s.reads !== undefined ? (s.writes + s.reads) / f : null;
  const busy = s.state_thread_busy_ms;
  const cpu = s.state_thread_cpu_ms;
  const wake = s.state_thread_wakeups;
  return { perS: f / d, entries: s.entries! / f, bytes: s.bytes! / f, rtt: s.round_trips! / f, mergeUs: (1000 * s.merge_ms!) / f, encodeUs: (1000 * (s.encode_ms ?? 0)) / f, syscalls: io, threadPct: busy === null || busy === undefined ? null : busy / 10 / d,
    cpuPct: cpu === null || cpu === undefined ? null : cpu / 10 / d, wakeS: wake === null || wake === undefined ? null : wake / d };
}

function flushCell(v: FlushFigures[]): string {
  if (v.length === 0) return '';
  const m = (k: keyof FlushFigures) => { const xs = v.map((x) => x[k]).filter((x): x is number => x !== null); return xs.length ? median(xs) : null; };
  const io = m('syscalls');
  const th = m('threadPct');
  const cpu = m('cpuPct');
  const wake = m('wakeS');
  return `${m('perS')!.toFixed(0)}/s x ${m('entries')!.toFixed(1)} entries ${m('bytes')!.toFixed(0)} B ${m('rtt')!.toFixed(1)} RT, merge ${m('mergeUs')!.toFixed(1)} encode ${m('encodeUs')!.toFixed(1)} us${io === null ? '' : `, ${io.toFixed(1)} socket calls`}${th === null ? '' : `; state thread ${th.toFixed(1)} % busy`}${cpu === null ? '' : `, ${cpu.toFixed(1)} % CPU`}${wake === null ? '' : `, ${wake.toFixed(0)} wake-ups/s`}`;
}

async function nfRun(pcap: string, c: Case, warmup: number): Promise<Record<string, any>> {
  // every thread of it (packet worker, state worker) on the one CPU testpmd had; 2 workers get both CPUs
  const cpus = (c.cores ?? 1) === 1 ? String(CPU) : `0-${(c.cores ?? 1) - 1}`;
  const r = await collect('taskset', ['-c', cpus, process.execPath, CLI, 'nf', 'run', '--nf', c.nf, '--cores', String(c.cores ?? 1), '--input', pcap, '--duration', String(SECONDS + warmup), '--json', '--progress', '0.5', ...c.extra]);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !last.startsWith('{')) throw new Error(`nf run ${c.nf} ${c.extra.join(' ')} failed (exit ${r.code}): ${r.stderr.slice(-1500)}`);
  const j: Record<string, any> = parseNfRunOutput(r.stdout);
  // the first pass over the capture is where every flow is new: when it ended, from the rate lines
  const pass = r.stderr.split('\n').map(parseNfProgress).find((p) => p !== null && p.rx_total >= (j.packets_in_capture as number));
  // a first pass that ended less than RAMP_AFTER_FIRST_PASS_S before the warm-up's end (a busy host) moves
  // the window's start past its ramp; the window keeps 1.5 s at least (three of the 0.5-s rate lines)
  const from = c.pcap === 'p1m' && pass ? Math.min(SECONDS + warmup - 1.5, Math.max(warmup, pass.t + RAMP_AFTER_FIRST_PASS_S)) : warmup;
  return { ...j, steady_mpps: steadyMpps(r.stderr, from), first_pass_s: pass?.t ?? null, window_from_s: from };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'packet-bench-'));
  const redis = await startRedis();
  let cas: RunningCassandra | null = null;
  // redis-server on the other CPU, all its threads: on the DUT's CPU it would compete with the NF
  // unseen (its own CPU time is printed beside each redis case instead)
  let other = os.availableParallelism() > 1 ? (CPU === 0 ? 1 : 0) : CPU;
  spawnSync('taskset', ['-a', '-p', '-c', String(other), String(redis.pid)], { stdio: 'ignore' });
  try {
    const t0 = performance.now();
    const [p50k] = generatePcaps({ out: dir, flows: 50_000, files: 1, seed: 1, prefix: 'f50k' });
    const t1 = performance.now();
    const [p1m] = generatePcaps({ out: dir, flows: 1_000_000, files: 1, seed: 1, prefix: 'f1m' });
    const t2 = performance.now();
    const pcaps = { p50k: p50k!, p1m: p1m!, p50k2: '' };
    console.log(`pcap generate: 50,000 flows in ${((t1 - t0) / 1000).toFixed(2)} s, 1,000,000 flows in ${((t2 - t1) / 1000).toFixed(2)} s`);
    // a store's case right beside its hashmap case, so each round's ratio compares runs a few
    // seconds apart (and the round's order is reversed every other round: drift cancels in the pairs)
    const cases: Case[] = ([
      { label: 'macswap', nf: 'macswap', extra: [], pcap: 'p50k' },
      { label: 'counter-async hashmap', nf: 'counter-async', extra: ['--store', 'hashmap:'], pcap: 'p50k' },
      { label: 'counter-async redis', nf: 'counter-async', extra: ['--store', redis.url], pcap: 'p50k' },
      // in the warm-up's partition: a fresh one's keyspace DDL kept the JVM busy into the window (1.60 ms of
      // its CPU a flush against 0.92-0.99 warm), and one counter carried over changes nothing a packet does
      { label: 'counter-async cassandra', nf: 'counter-async', extra: [], pcap: 'p50k', store: 'cassandra', warmPartition: true },
      { label: 'counter-async redis, state thread', nf: 'counter-async', extra: ['--store', redis.url, '--flusher', 'worker'], pcap: 'p50k' }, // auto (the case above) flushes on the packet thread here
      { label: 'counter-sync redis', nf: 'counter-sync', extra: ['--store', redis.url], pcap: 'p50k' },
      { label: 'nat hashmap', nf: 'nat', extra: ['--store', 'hashmap:'], pcap: 'p50k' },
      { label: 'nat redis', nf: 'nat', extra: ['--store', redis.url], pcap: 'p50k' },
      { label: 'nat cassandra', nf: 'nat', extra: [], pcap: 'p50k', store: 'cassandra' },
      { label: 'nat hashmap, both ways', nf: 'nat', extra: ['--store', 'hashmap:'], pcap: 'p50k2' },
      { label: 'lb hashmap', nf: 'lb', extra: ['--store', 'hashmap:'], pcap: 'p50k' },
      { label: 'lb redis', nf: 'lb', extra: ['--store', redis.url], pcap: 'p50k' },
      { label: 'lb cassandra', nf: 'lb', extra: [], pcap: 'p50k', store: 'cassandra' },
      { label: 'nat hashmap, 1M flows', nf: 'nat', extra: ['--store', 'hashmap:'], pcap: 'p1m' },
      { label: 'lb hashmap, 1M flows', nf: 'lb', extra: ['--store', 'hashmap:'], pcap: 'p1m' },
      { label: 'nat hashmap, 2 workers', nf: 'nat', extra: ['--store', 'hashmap:'], pcap: 'p50k', cores: 2 },
      { label: 'macswap, 2 workers', nf: 'macswap', extra: [], pcap: 'p50k', cores: 2 },
    ] satisfies Case[] as Case[]).filter((c) => ONLY === null || ONLY.test(c.label));
    for (const c of cases) if (c.extra.includes(redis.url)) c.store = 'redis';
    if (cases.some((c) => c.pcap === 'p50k2')) {
      // the replies to what the NAT sends for the 50,000 flows, each right after its flow's packet
      const out = join(dir, 'f50k-nat-out.pcap');
      const r = await collect(process.execPath, [CLI, 'nf', 'run', '--nf', 'nat', '--input', pcaps.p50k, '--packets', '50000', '--output', out, '--progress', '0', '--json']);
      if (r.code !== 0) throw new Error(`nf run --nf nat --output (the both-ways capture) failed (exit ${r.code}): ${r.stderr.slice(-800)}`);
      pcaps.p50k2 = join(dir, 'f50k-both.pcap');
      writeFileSync(pcaps.p50k2, encodePcap(bothWays(readPcap(pcaps.p50k), readPcap(out))));
      console.log('nat both ways: the 50,000 flows, each packet followed by the reply its outside host sends to the pool pair the NAT gave it (100,000 packets; from nf run --nf nat --output)');
    }
    const casWhy = !WITH_CASSANDRA ? 'FLEXBENCH_BENCH_CASSANDRA=0' : null;
    if (cases.some((c) => c.store === 'cassandra') && casWhy === null) {
      try {
        const t = performance.now();
        cas = await cassandraServer.start();
        // the JVM on the other CPU, as redis-server: on the DUT's CPU it would compete unseen
        spawnSync('taskset', ['-a', '-p', '-c', String(other), String(cas.pid)], { stdio: 'ignore' });
        console.log(`cassandra ${cas.node.version} on ${cas.url} ready in ${((performance.now() - t) / 1000).toFixed(0)} s, pinned to CPU ${other}`);
      } catch (err) {
        console.log(`cassandra cases skipped: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    const casUrl = cas?.url ?? null;
    /** the warm-up's partition (nf id, instance): counter-async on Cassandra runs in it, its keyspace made before the rounds */
    let warmPartition: string[] | null = null;
    if (cas !== null && CASSANDRA_WARMUP > 0) {
      // one instance for every slice: its keyspace is made once, the later slices carry on from it
      const partition = ['--nf-id', 'bench-warm-up', '--instance', `w${Date.now()}`];
      const perFlush: number[] = [];
      const jvmPct: number[] = [];
      const t = performance.now();
      const irq0 = readInterrupts();
      // a slice lasts what nf run takes (SECONDS at least, and its start); a limit below one slice still gets one
      const slice = Math.min(WARMUP_SLICE_S, CASSANDRA_WARMUP);
      let lastWall = slice;
      let stopped = '';
      try {
        for (;;) {
          if (jvmSettled(perFlush)) { stopped = 'settled'; break; }
          if (perFlush.length > 0 && (performance.now() - t) / 1000 + lastWall > CASSANDRA_WARMUP) {
            stopped = perFlush.length < 3
              ? `the ${CASSANDRA_WARMUP}-s limit (FLEXBENCH_BENCH_CASSANDRA_WARMUP) came before three slices could tell whether the JVM is still compiling`
              : `still falling at the ${CASSANDRA_WARMUP}-s limit (FLEXBENCH_BENCH_CASSANDRA_WARMUP): its first cases run beside a JVM still compiling`;
            break;
          }
          const c0 = cpuSeconds(cas.pid);
          const w0 = performance.now();
          const r = await nfRun(pcaps.p50k, { label: 'cassandra warm-up', nf: 'counter-async', extra: ['--store', cas.url, ...partition], pcap: 'p50k' }, Math.max(0, slice - SECONDS));
          const c1 = cpuSeconds(cas.pid);
          lastWall = (performance.now() - w0) / 1000;
          const flushes = (r.per_core?.[0]?.state?.flushes ?? 0) as number;
          warmPartition = partition; // its keyspace exists from the first slice on
          if (c0 === null || c1 === null || !(flushes > 0)) {
            stopped = `the JVM's CPU a flush not known (${c0 === null || c1 === null ? 'its CPU time unreadable' : 'no flush acknowledged'}): one slice`;
            break;
          }
          perFlush.push((1000 * (c1 - c0)) / flushes);
          jvmPct.push((100 * (c1 - c0)) / lastWall);
        }
        const slices = perFlush.map((ms, i) => `${ms.toFixed(2)} (${jvmPct[i]!.toFixed(0)} %)`).join(', ');
        console.log(`cassandra warm-up: ${((performance.now() - t) / 1000).toFixed(0)} s of counter-async flushes, not measured; the JVM's CPU ms a flush (% of a core) by slice of ~${Math.max(slice, SECONDS)} s: ${slices || 'none'}: ${stopped}`);
      } catch (err) {
        console.log(`cassandra warm-up failed: ${(err as Error).message.split('\n')[0]}`);
      }
      // the store's disk interrupts (Cassandra syncs its commit log every flush) land where the host sends
      // them, not where the JVM is pinned: counted during the warm-up (5 s of it at least), the DUT moves off their CPU
      const irq1 = readInterrupts();
      const secs = (performance.now() - t) / 1000;
      if (irq0 !== null && irq1 !== null && other !== CPU && perFlush.length > 0 && secs >= 5) {
        const { perCpu, top } = deviceInterrupts(irq0, irq1);
        const perS = new Map([...perCpu].map(([c, n]) => [c, n / secs]));
        const pick = CPU_GIVEN ? CPU : quieterCpu(perS, CPU, other);
        const seen = `device interrupts during the warm-up: ${[...perS].map(([c, n]) => `CPU ${c} ${n.toFixed(0)}/s`).join(', ')}${top ? ` (most: ${top.name}, ${(top.count / secs).toFixed(0)}/s)` : ''}`;
        if (pick !== CPU) {
          [CPU, other] = [pick, CPU];
          for (const pid of [redis.pid, cas.pid]) spawnSync('taskset', ['-a', '-p', '-c', String(other), String(pid)], { stdio: 'ignore' });
          console.log(`${seen}: every measured program runs on CPU ${CPU} from here, redis-server and the JVM on CPU ${other} (FLEXBENCH_BENCH_CPU fixes it)`);
        } else console.log(`${seen}: the measured programs stay on CPU ${CPU}${CPU_GIVEN ? ' (FLEXBENCH_BENCH_CPU)' : ''}`);
      }
    }
    console.log(`${SECONDS} s per run after a ${WARMUP} s warm-up (1M flows: ${WARMUP_1M} s, and ${RAMP_AFTER_FIRST_PASS_S} s after the first pass at least), 1 core (CPU ${CPU} for testpmd and for every nf run thread), burst 32, ${ROUNDS} rounds interleaved; redis-server${casUrl !== null ? ' and the JVM' : ''} pinned to CPU ${other}`);
    const run = cases.filter((c) => c.store !== 'cassandra' || casUrl !== null).map((c) => (c.store === 'cassandra' ? { ...c, extra: ['--store', casUrl!] } : c));
    if (casUrl === null && casWhy !== null && cases.some((c) => c.store === 'cassandra')) console.log(`cassandra cases skipped: ${casWhy}`);
    const rates: Record<string, number[]> = { testpmd: [], 'testpmd 1M': [] };
    /** the same rates by round (a failed run leaves its round empty): the goals are judged on each round's pair */
    const byRound: Record<string, (number | undefined)[]> = {};
    /** per redis/cassandra case and run: the store server's CPU seconds per second of nf run, and per flush (ms) */
    const serverCpu: Record<string, { share: number; msPerFlush: number | null }[]> = {};
    /** per-flush figures of async cases */
    const flushes: Record<string, FlushFigures[]> = {};
    /** bytes per flow of the NFs that keep flows: their own tables (and pool), what FlexState keeps per key */
    const perFlow: Record<string, { nf: number; state: number }> = {};
    const errors: Record<string, string> = {};
    /** both ways: the most replies a run found no mapping for (0 when the capture's pairs are the NAT's) */
    const unmapped: Record<string, number> = {};
    /** seconds the first pass over a 1M-flow capture took (every packet a new flow) */
    const firstPass: Record<string, number[]> = {};
    /** each round's random line reads over an array the size of the 1M-flow NFs' tables */
    const lineNs: number[] = [];
    const lineBytes = new Set<number>();
    // round-robin: a slow spell of the shared machine hits every case alike
    for (let round = 0; round < ROUNDS; round++) {
      for (const [label, pcap, n] of [['testpmd', p50k!, 50_000], ['testpmd 1M', p1m!, 1_000_000]] as const) {
        if (label === 'testpmd 1M' && !run.some((c) => c.pcap === 'p1m')) continue; // its anchor only where a 1M case runs
        try {
          rates[label]!.push(await testpmd(pcap, n));
          (byRound[label] ??= [])[round] = rates[label]!.at(-1);
          console.error(`round ${round + 1}: ${label}: ${rates[label]!.at(-1)!.toFixed(3)} Mpps`);
        } catch (err) {
          errors[label] = (err as Error).message.split('\n')[0]!;
        }
      }
      for (const c of round % 2 === 0 ? run : [...run].reverse()) {
        try {
          const serverPid = c.store === 'redis' ? redis.pid : c.store === 'cassandra' ? cas!.pid : null;
          const cpu0 = serverPid !== null ? cpuSeconds(serverPid) : null;
          const w0 = performance.now();
          const irqA = readInterrupts();
          // Cassandra's first flush of 50,000 new flows takes over a second: its cases warm up 2 s at least
          const warm = c.pcap === 'p1m' ? WARMUP_1M : c.store === 'cassandra' ? Math.max(WARMUP, 2) : WARMUP;
          // a fresh partition per run (NAT and LB learn their flows as on hashmap) unless the case says otherwise
          const partition = c.warmPartition && warmPartition !== null ? warmPartition : ['--nf-id', `bench-${c.nf}`, '--instance', `i${Date.now()}`];
          const r = await nfRun(pcaps[c.pcap], { ...c, extra: [...c.extra, ...partition] }, warm);
          const cpu1 = serverPid !== null ? cpuSeconds(serverPid) : null;
          const ff = flushFigures(r);
          if (ff !== null) (flushes[c.label] ??= []).push(ff);
          const irqB = readInterrupts();
          const onCpu = irqA !== null && irqB !== null ? (deviceInterrupts(irqA, irqB).perCpu.get(CPU) ?? 0) / ((performance.now() - w0) / 1000) : 0;
          const share = cpu0 !== null && cpu1 !== null ? (cpu1 - cpu0) / ((performance.now() - w0) / 1000) : null;
          const srv = share === null ? null : { share, msPerFlush: ff ? (1000 * share) / ff.perS : null };
          if (srv !== null) (serverCpu[c.label] ??= []).push(srv);
          // no two rate lines in the window: the whole run's rate (its warm-up in it), said on the round's line
          const mpps = (r.steady_mpps ?? r.rx_mpps) as number;
          (rates[c.label] ??= []).push(mpps);
          (byRound[c.label] ??= [])[round] = mpps;
          // as it goes, on stderr: a run cut short still shows what it measured
          console.error(`round ${round + 1}: ${c.label}: ${mpps.toFixed(3)} Mpps${r.steady_mpps === null ? ' (the whole run: no steady window in its rate lines)' : r.window_from_s !== warm ? ` (from ${r.window_from_s.toFixed(1)} s: the first pass ended at ${r.first_pass_s.toFixed(1)} s)` : ''}${ff ? `, ${ff.perS.toFixed(0)} flushes/s` : ''}${srv === null ? '' : `, the store server ${(100 * srv.share).toFixed(0)} % of a core${srv.msPerFlush !== null ? ` (${srv.msPerFlush.toFixed(2)} ms a flush)` : ''}`}${onCpu >= 1 ? `, ${onCpu.toFixed(0)} device interrupts/s on CPU ${CPU}` : ''}`);
          const nfs = r.per_core as { nf: { flows?: number; table_bytes?: number; pool_bytes?: number; state_bytes?: number; in_no_mapping?: number } }[];
          const lost = nfs.reduce((a, x) => a + (x.nf.in_no_mapping ?? 0), 0);
          // a reply the NAT could not map (the pool handed out other pairs than when the capture was made): the rate is not of both ways
          if (c.pcap === 'p50k2' && lost > 0) {
            console.error(`round ${round + 1}: ${c.label}: ${lost} replies found no mapping: not the both-ways rate`);
            unmapped[c.label] = Math.max(unmapped[c.label] ?? 0, lost);
          }
          const flows = nfs.reduce((a, x) => a + (x.nf.flows ?? 0), 0);
          const bytes = nfs.reduce((a, x) => a + (x.nf.table_bytes ?? 0) + (x.nf.pool_bytes ?? 0), 0);
          const state = nfs.reduce((a, x) => a + (x.nf.state_bytes ?? 0), 0);
          if (flows > 0 && bytes > 0) perFlow[c.label] = { nf: bytes / flows, state: state / flows };
          if (c.pcap === 'p1m' && r.first_pass_s !== null) (firstPass[c.label] ??= []).push(r.first_pass_s as number);
        } catch (err) {
          errors[c.label] = (err as Error).message.split('\n')[0]!;
        }
      }
      // the host's price of a line no cache holds, once a round where a 1M case runs (on a shared host it drifts as the rates do)
      const big = run.filter((c) => c.pcap === 'p1m' && perFlow[c.label]).map((c) => perFlow[c.label]!.nf * 1e6);
      if (run.some((c) => c.pcap === 'p1m')) {
        try {
          const lr = await lineReads(big.length > 0 ? Math.min(...big) : 32 * 1024 * 1024);
          lineNs.push(lr.extraNs);
          lineBytes.add(lr.bytes);
          console.error(`round ${round + 1}: random line reads over ${(lr.bytes / 1048576).toFixed(1)} MiB: ${lr.extraNs.toFixed(1)} ns each`);
        } catch (err) {
          errors['line reads'] = (err as Error).message.split('\n')[0]!;
        }
      }
    }
    const tp = median(rates.testpmd!);
    const tp1m = median(rates['testpmd 1M']!);
    console.log(`${'case'.padEnd(38)} ${'Mpps: median [min-max]'.padEnd(26)} ${'vs testpmd'.padEnd(11)} ${'B/flow: NF + FlexState'.padEnd(23)} store server CPU`);
    for (const label of ['testpmd', ...(run.some((c) => c.pcap === 'p1m') ? ['testpmd 1M'] : []), ...run.map((c) => c.label)]) {
      const v = rates[label] ?? [];
      const name = label.startsWith('testpmd') ? `dpdk-testpmd macswap${label.endsWith('1M') ? ', 1M flows (256 B mbufs)' : ''}` : `flexbench ${label}`;
      if (v.length === 0) { console.log(`${name.padEnd(38)} failed: ${errors[label] ?? 'no rate'}`); continue; }
      const anchor = label.endsWith('1M flows') ? tp1m : tp;
      const vs = label.startsWith('testpmd') || label.includes('2 workers') || !(anchor > 0) ? '' : `${(median(v) / anchor).toFixed(2)}x`;
      const pf = perFlow[label];
      const bpf = pf ? `${pf.nf.toFixed(1)} + ${pf.state.toFixed(1)} = ${(pf.nf + pf.state).toFixed(1)}` : '';
      // per flush: what a store whose server warms up (a JVM) or falls behind costs for the same work
      const sc = serverCpu[label];
      const perFlush = sc?.map((x) => x.msPerFlush).filter((x): x is number => x !== null) ?? [];
      const rc = sc ? `${(100 * median(sc.map((x) => x.share))).toFixed(1)} % of a core${perFlush.length ? `, ${median(perFlush).toFixed(2)} ms a flush` : ''}` : '';
      const um = unmapped[label] ? `; ${unmapped[label]} replies found no mapping: not the both-ways rate` : '';
      console.log(`${name.padEnd(38)} ${medianRange(v).padEnd(26)} ${vs.padEnd(11)} ${bpf.padEnd(23)} ${rc}${um}`);
    }
    if (run.some((c) => c.pcap === 'p50k2')) console.log('both ways: 100,000 packets (each flow\'s, then its reply), against testpmd over the 50,000 (frames of the same size)');
    if (Object.keys(perFlow).length > 0) console.log('B/flow: NF = its flow tables and records (NAT: and its pool); FlexState = the slot buffers both threads share, the local key index and the state thread\'s accumulator (the store\'s own memory, in-process for hashmap, is not counted)');
    console.log('\nflushes (async, median of the rounds): flushes per second x per flush: entries, bytes sent, round trips, merge and encode time, socket writes + reads; the state thread\'s busy share of the run, its CPU share (what it took from the packet thread on the one CPU) and wake-ups per second');
    for (const c of run) if (flushes[c.label]) console.log(`${`flexbench ${c.label}`.padEnd(38)} ${flushCell(flushes[c.label]!)}`);
    const ratio = (a: string, b: string, what: string) => {
      const x = median(rates[a] ?? []);
      const y = median(rates[b] ?? []);
      if (x > 0 && y > 0) console.log(`${what.padEnd(44)} ${(x / y).toFixed(2)}x`);
    };
    // issue 20's goals, each judged on its rounds' pairs
    const goal = (a: string, b: string, what: string, want: number) => {
      const v = pairedGoal(byRound[a] ?? [], byRound[b] ?? [], want);
      if (v) console.log(`${what.padEnd(44)} ${formatGoal(v, want)}`);
    };
    console.log(`\nratios of paired rounds (geometric mean, each round's ratio, 95 % interval) against issue 20's goals: met = the interval above the goal, not met = below it, undecided = across it`);
    goal('counter-async redis', 'counter-async hashmap', 'redis / hashmap, counter-async', 0.95);
    goal('nat redis', 'nat hashmap', 'redis / hashmap, nat', 0.95);
    goal('lb redis', 'lb hashmap', 'redis / hashmap, lb', 0.95);
    goal('counter-async cassandra', 'counter-async hashmap', 'cassandra / hashmap, counter-async', 0.9);
    goal('nat cassandra', 'nat hashmap', 'cassandra / hashmap, nat', 0.9);
    goal('lb cassandra', 'lb hashmap', 'cassandra / hashmap, lb', 0.9);
    goal('nat hashmap', 'testpmd', 'nat hashmap / testpmd', 1);
    goal('lb hashmap', 'testpmd', 'lb hashmap / testpmd', 1);
    goal('nat hashmap, 1M flows', 'testpmd 1M', 'nat hashmap / testpmd, 1M flows', 0.7);
    goal('lb hashmap, 1M flows', 'testpmd 1M', 'lb hashmap / testpmd, 1M flows', 0.7);
    goal('nat hashmap, 2 workers', 'nat hashmap', 'nat hashmap, 2 workers / 1', 1.8);
    if (lineNs.length > 0) {
      const ns = median(lineNs);
      console.log(`\nthe host's price of a cache line no cache holds: ${ns.toFixed(1)} ns a read (median of the rounds, ${lineNs.map((x) => x.toFixed(1)).join(' ')}), independent random reads over ${[...lineBytes].map((b) => (b / 1048576).toFixed(1)).join(' / ')} MiB on CPU ${CPU} beyond the same loop in L1`);
      for (const [label, [small, lines]] of Object.entries(RANDOM_LINES)) {
        const s = median(rates[small] ?? []);
        if (!(s > 0) || !(rates[label]?.length)) continue;
        const est = rateWithLines(s, lines, ns);
        console.log(`${label}: the host leaves about ${est.toFixed(2)} Mpps = ${tp1m > 0 ? `${(est / tp1m).toFixed(2)}x testpmd 1M` : '-'} (${small} at 50,000 flows, ${s.toFixed(2)} Mpps, + ${lines} line${lines > 1 ? 's' : ''} a packet at that price); measured ${median(rates[label]!).toFixed(2)}`);
      }
    } else if (errors['line reads']) console.log(`line reads: ${errors['line reads']}`);
    console.log('');
    ratio('counter-async redis', 'counter-sync redis', 'counter-async / counter-sync (redis)');
    ratio('counter-async redis, state thread', 'counter-async redis', 'redis counter-async, state thread / packet thread');
    for (const [label, v] of Object.entries(firstPass)) console.log(`${`${label}: first pass (1,000,000 new flows)`.padEnd(44)} ${median(v).toFixed(1)} s = ${(1 / median(v)).toFixed(2)} M new flows/s (rate lines every 0.5 s)`);
    ratio('macswap, 2 workers', 'macswap', 'macswap, 2 workers / 1');
  } finally {
    await cas?.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
