// Cassandra beside hashmap and Redis: what one flush of 50,000 dirty countermap entries costs, and
// async NAT and LB rates through `flexbench nf run`. Starts and stops its own Cassandra and Redis.
// Measures and prints; asserts nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { server as cassandraServer } from '../runtime/stores/cassandra.js';
import { startRedis } from '../runtime/stores/redis.js';
import { generatePcaps } from '../runtime/packet/generate.js';
import { median } from '../harness/results/stats.js';
import { steadyMpps } from './lib/measure.js';
import { flushCost } from './lib/flush-cost.js';
import { parseNfRunOutput } from '../runtime/nf-process/result.js';

const CLI = new URL('../../bin/flexbench.js', import.meta.url).pathname;
const SECONDS = Number(process.env.FLEXBENCH_BENCH_SECONDS ?? 5);
/** the first 50,000 flows are inserted (and flushed) at the start: the harness excludes a warm-up, so does this */
const WARMUP = Number(process.env.FLEXBENCH_BENCH_WARMUP ?? 2);
const REPS = Number(process.env.FLEXBENCH_BENCH_REPS ?? 3);
const FLOWS = 50_000;

function nfRun(pcap: string, nf: string, extra: string[]): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, 'nf', 'run', '--nf', nf, '--cores', '1', '--input', pcap, '--duration', String(SECONDS), '--json', '--progress', '0.5', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const hard = setTimeout(() => p.kill('SIGKILL'), SECONDS * 1000 + 120_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(hard);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`nf run ${nf} ${extra.join(' ')} failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve({ ...parseNfRunOutput(out), steady_mpps: steadyMpps(err, WARMUP) });
    });
  });
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cassandra-bench-'));
  const t0 = performance.now();
  const cas = await cassandraServer.start();
  console.log(`cassandra ${cas.node.version} on ${cas.url}: ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (fetch ${cas.node.fetchSeconds.toFixed(1)} s, JVM to CQL ${cas.node.startSeconds.toFixed(1)} s)`);
  const redis = await startRedis();
  try {
    console.log(`\nflush of ${FLOWS} dirty countermap entries (one flush, async/thread, timed from the packet side), ${REPS} rounds interleaved over the stores`);
    console.log(`${'store'.padEnd(21)}${'ms: median [min-max]'.padStart(24)}${'entries'.padStart(9)}${'round trips'.padStart(13)}${'statements'.padStart(12)}${'bytes'.padStart(12)}`);
    // the driver's default batches (4096 entries) beside the whole map in one batch, as before the cap
    const flushStores = [['hashmap', `hashmap:cflush${process.pid}`], ['redis', redis.url], ['cassandra', cas.url], ['cassandra, one batch', `${cas.url}?batch=${FLOWS}`]] as const;
    const flushes = new Map<string, Awaited<ReturnType<typeof flushCost>>[]>();
    const flushErrors = new Map<string, string>();
    for (let round = 0; round < REPS; round++) {
      for (const [name, url] of flushStores) {
        try {
          const f = await flushCost(url, { flusher: 'thread' });
          flushes.set(name, [...(flushes.get(name) ?? []), f]);
        } catch (err) {
          flushErrors.set(name, (err as Error).message.split('\n')[0]!);
        }
      }
    }
    for (const [name] of flushStores) {
      const fs = flushes.get(name) ?? [];
      if (fs.length === 0) { console.log(`${name.padEnd(21)} failed: ${flushErrors.get(name)}`); continue; }
      const ms = fs.map((f) => f.ms);
      const f = fs[fs.length - 1]!;
      const cell = `${median(ms).toFixed(0)} [${Math.min(...ms).toFixed(0)}-${Math.max(...ms).toFixed(0)}]`;
      console.log(`${name.padEnd(21)}${cell.padStart(24)}${String(f.entries).padStart(9)}${String(f.roundTrips).padStart(13)}${(f.statements === undefined ? '-' : String(f.statements)).padStart(12)}${String(f.bytes).padStart(12)}`);
    }
    const [pcap] = generatePcaps({ out: dir, flows: FLOWS, files: 1, seed: 1 });
    console.log(`\nasync NAT and LB, 1 core, ${SECONDS} s each, pcap of ${FLOWS} flows x 64 B, flush every 1 ms, ${REPS} rounds interleaved over the stores`);
    console.log(`rx Mpps after a ${WARMUP} s warm-up: median [min-max] of the rounds (whole-run median in brackets); ratios of medians`);
    const stores = [['hashmap', 'hashmap:'], ['redis', redis.url], ['cassandra', cas.url]] as const;
    for (const nf of ['nat', 'lb']) {
      const steady: Record<string, number[]> = {};
      const whole: Record<string, number[]> = {};
      const errors: Record<string, string> = {};
      // round-robin, so a slow spell of the machine hits every store alike
      for (let rep = 0; rep < REPS; rep++) {
        for (const [name, url] of stores) {
          try {
            const r = await nfRun(pcap!, nf, ['--store', url, '--mode', 'async', '--nf-id', `bench-${nf}`, '--instance', `c${Date.now()}`]);
            (whole[name] ??= []).push(r.rx_mpps);
            if (r.steady_mpps !== null) (steady[name] ??= []).push(r.steady_mpps);
          } catch (err) {
            errors[name] = (err as Error).message.split('\n')[0]!;
          }
        }
      }
      const base = median(steady.hashmap ?? []);
      for (const [name] of stores) {
        const v = steady[name] ?? [];
        if (v.length === 0) { console.log(`${`${nf} ${name}`.padEnd(16)} failed: ${errors[name] ?? 'no rate lines'}`); continue; }
        const m = median(v);
        const range = `[${Math.min(...v).toFixed(2)}-${Math.max(...v).toFixed(2)}]`;
        console.log(`${`${nf} ${name}`.padEnd(16)}${m.toFixed(3).padStart(8)} Mpps ${range.padEnd(14)}(${median(whole[name] ?? []).toFixed(3)})${name !== 'hashmap' && base > 0 ? `  ${(m / base).toFixed(2)}x hashmap` : ''}`);
      }
    }
  } finally {
    await redis.stop();
    await cas.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
