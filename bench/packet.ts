// Packet-path benchmark: DPDK testpmd (macswap, net_pcap infinite_rx -> net_null) versus `flexbench nf run`
// in replay mode, same pcap, one core. Measures and prints rates and ratios; asserts nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePcaps } from '../runtime/packet/generate.js';
import { startRedis } from '../runtime/stores/redis.js';

const CLI = new URL('../../bin/flexbench.js', import.meta.url).pathname;
const SECONDS = Number(process.env.FLEXBENCH_BENCH_SECONDS ?? 5);

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

/** testpmd on one forwarding core; the rate is the mean Rx-pps of port 0 over the readings after the first. */
async function testpmd(pcap: string): Promise<number> {
  const prefix = `h2bench${process.pid}`;
  const args = [
    '-l', '0-1', '--no-huge', '-m', '1024', '--no-pci', '--file-prefix', prefix,
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
  const r = await collect(process.execPath, [CLI, 'nf', 'run', '--nf', nf, '--cores', '1', '--input', pcap, '--duration', String(SECONDS), '--json', '--progress', '0', ...extra]);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !last.startsWith('{')) throw new Error(`nf run ${nf} ${extra.join(' ')} failed (exit ${r.code}): ${r.stderr.slice(-1500)}`);
  return JSON.parse(last);
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'packet-bench-'));
  const redis = await startRedis();
  try {
    const [pcap] = generatePcaps({ out: dir, flows: 50_000, files: 1, seed: 1 });
    console.log(`pcap: 50,000 flows x 64 B; ${SECONDS} s per run, 1 core, burst 32`);
    // testpmd first and last: on a shared machine the load drifts, the mean of both is the reference
    const tpBefore = await testpmd(pcap);
    console.log(`${'dpdk-testpmd macswap (first)'.padEnd(34)} ${tpBefore.toFixed(3).padStart(8)} Mpps`);
    let tp = tpBefore;
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
    const rate: Record<string, number> = {};
    for (const [label, nf, extra] of cases) {
      try {
        const r = await nfRun(pcap, nf, [...extra, '--nf-id', `bench-${nf}`, '--instance', `i${Date.now()}`]);
        rate[label] = r.rx_mpps;
        console.log(`${('flexbench ' + label).padEnd(34)} ${r.rx_mpps.toFixed(3).padStart(8)} Mpps`);
      } catch (err) {
        console.log(`${('flexbench ' + label).padEnd(34)}   failed: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    const tpAfter = await testpmd(pcap);
    tp = (tpBefore + tpAfter) / 2;
    console.log(`${'dpdk-testpmd macswap (last)'.padEnd(34)} ${tpAfter.toFixed(3).padStart(8)} Mpps`);
    console.log(`testpmd reference (mean of both): ${tp.toFixed(3)} Mpps`);
    for (const [label, r] of Object.entries(rate)) console.log(`${('flexbench ' + label).padEnd(34)} ${(r / tp).toFixed(2)}x testpmd`);
    const ratio = (a: string, b: string, what: string) => {
      if (rate[a] && rate[b]) console.log(`${what.padEnd(44)} ${(rate[a] / rate[b]).toFixed(2)}x`);
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
