// Packet-path benchmark: DPDK testpmd (macswap, net_pcap infinite_rx -> net_null) versus `flexbench nf run`
// in replay mode, same pcap, both pinned to the same one CPU (taskset / --lcores), in interleaved rounds.
// Measures and prints rates (median and range of the rounds) and ratios of medians; asserts nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePcaps } from '../runtime/packet/generate.js';
import { startRedis } from '../runtime/stores/redis.js';
import { median } from '../harness/results/stats.js';
import { medianRange, steadyMpps } from './lib/measure.js';

const CLI = new URL('../../bin/flexbench.js', import.meta.url).pathname;
const SECONDS = Number(process.env.FLEXBENCH_BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.FLEXBENCH_BENCH_ROUNDS ?? 3);
const WARMUP = Number(process.env.FLEXBENCH_BENCH_WARMUP ?? 1);
/** the CPU every measured program runs on (the other one keeps the harness, redis-server and the OS) */
const CPU = Number(process.env.FLEXBENCH_BENCH_CPU ?? 1);

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
async function testpmd(pcap: string): Promise<number> {
  const prefix = `h2bench${process.pid}`;
  const args = [
    '--lcores', `(0,1)@${CPU}`, '--no-huge', '-m', '1024', '--no-pci', '--file-prefix', prefix,
    '--vdev', `net_pcap0,rx_pcap=${pcap},infinite_rx=1`, '--vdev', 'net_null0,no-rx=1',
    '--', '--forward-mode=macswap', '--nb-cores=1', '--total-num-mbufs=65536', '--stats-period', '1',
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

async function nfRun(pcap: string, nf: string, extra: string[]): Promise<Record<string, any>> {
  // every thread of it (packet worker, state worker) on the one CPU testpmd had
  const r = await collect('taskset', ['-c', String(CPU), process.execPath, CLI, 'nf', 'run', '--nf', nf, '--cores', '1', '--input', pcap, '--duration', String(SECONDS + WARMUP), '--json', '--progress', '0.5', ...extra]);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !last.startsWith('{')) throw new Error(`nf run ${nf} ${extra.join(' ')} failed (exit ${r.code}): ${r.stderr.slice(-1500)}`);
  return { ...JSON.parse(last), steady_mpps: steadyMpps(r.stderr, WARMUP) };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'packet-bench-'));
  const redis = await startRedis();
  try {
    const [pcap] = generatePcaps({ out: dir, flows: 50_000, files: 1, seed: 1 });
    console.log(`pcap: 50,000 flows x 64 B; ${SECONDS} s per run after a ${WARMUP} s warm-up, 1 core (CPU ${CPU} for testpmd and for every nf run thread), burst 32, ${ROUNDS} rounds interleaved`);
    const cases: [string, string, string[]][] = [
      ['macswap', 'macswap', []],
      ['counter-async hashmap', 'counter-async', ['--store', 'hashmap:']],
      ['counter-async redis', 'counter-async', ['--store', redis.url]],
      ['nat hashmap', 'nat', ['--store', 'hashmap:']],
      ['nat redis', 'nat', ['--store', redis.url]],
      ['lb hashmap', 'lb', ['--store', 'hashmap:']],
      ['lb redis', 'lb', ['--store', redis.url]],
      ['counter-sync redis', 'counter-sync', ['--store', redis.url]],
    ];
    const rates: Record<string, number[]> = { testpmd: [] };
    const errors: Record<string, string> = {};
    // round-robin: a slow spell of the shared machine hits every case alike
    for (let round = 0; round < ROUNDS; round++) {
      try {
        rates.testpmd!.push(await testpmd(pcap));
      } catch (err) {
        errors.testpmd = (err as Error).message.split('\n')[0]!;
      }
      for (const [label, nf, extra] of cases) {
        try {
          const r = await nfRun(pcap, nf, [...extra, '--nf-id', `bench-${nf}`, '--instance', `i${Date.now()}`]);
          (rates[label] ??= []).push(r.steady_mpps ?? r.rx_mpps);
        } catch (err) {
          errors[label] = (err as Error).message.split('\n')[0]!;
        }
      }
    }
    const tp = median(rates.testpmd!);
    console.log(`${'case'.padEnd(34)} ${'Mpps: median [min-max]'.padEnd(26)} vs testpmd`);
    for (const label of ['testpmd', ...cases.map((c) => c[0])]) {
      const v = rates[label] ?? [];
      const name = label === 'testpmd' ? 'dpdk-testpmd macswap' : `flexbench ${label}`;
      if (v.length === 0) { console.log(`${name.padEnd(34)} failed: ${errors[label] ?? 'no rate'}`); continue; }
      console.log(`${name.padEnd(34)} ${medianRange(v).padEnd(26)} ${label === 'testpmd' || !(tp > 0) ? '' : `${(median(v) / tp).toFixed(2)}x`}`);
    }
    const ratio = (a: string, b: string, what: string) => {
      const x = median(rates[a] ?? []);
      const y = median(rates[b] ?? []);
      if (x > 0 && y > 0) console.log(`${what.padEnd(44)} ${(x / y).toFixed(2)}x`);
    };
    console.log('');
    ratio('counter-async redis', 'counter-sync redis', 'counter-async / counter-sync (redis)');
    ratio('counter-async redis', 'counter-async hashmap', 'redis / hashmap, counter-async');
    ratio('nat redis', 'nat hashmap', 'redis / hashmap, nat');
    ratio('lb redis', 'lb hashmap', 'redis / hashmap, lb');
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
