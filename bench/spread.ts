// Where a process's own rate comes from: N fresh `nf run` processes per variant (how node is started: V8 flags, ASLR
// off, …), started in interleaved order, each pinned to the same CPU, each measured in several windows between two of
// its own samples (--samples-on-stdin, as ab's resident processes). The processes of a batch (one per variant) are
// resident at once and measured in rounds of windows, so the host's slow changes fall on all of them; the split
// (bench/lib/spread.ts) gives the host's share, each variant's process offset net of it, the one-way `between` (host
// included, as processes one after the other see it), and for a variant given twice (`X,X#2`) the sd of their ratio:
// docs/regression-gate.md, "Where the per-process spread comes from".
// Measures and prints; asserts nothing. Run alone: npm run bench -- spread (env FLEXBENCH_SPREAD_* below).
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePcaps } from '../runtime/packet/generate.js';
import { ResidentNf } from '../harness/testbeds/resident.js';
import { windowBetween } from '../harness/testbeds/resident.js';
import { sleep } from '../common/processes.js';
import { batchedSpread, spreadOf, variantOf, SPREAD_VARIANTS, type SpreadVariant } from './lib/spread.js';
import { seededRandom, shuffled } from '../harness/results/random.js';

const CLI = new URL('../../bin/flexbench.js', import.meta.url).pathname;
const env = process.env;
/** processes per variant */
const PROCS = Number(env.FLEXBENCH_SPREAD_PROCS ?? 12);
/** windows measured per process, back to back */
const WINDOWS = Number(env.FLEXBENCH_SPREAD_WINDOWS ?? 4);
const WINDOW_S = Number(env.FLEXBENCH_SPREAD_WINDOW_S ?? 0.5);
const WARMUP_S = Number(env.FLEXBENCH_SPREAD_WARMUP_S ?? 0.5);
/** seconds a process runs after it is resumed before its window starts */
const SETTLE_S = Number(env.FLEXBENCH_SPREAD_SETTLE_S ?? 0.1);
const FLOWS = Number(env.FLEXBENCH_SPREAD_FLOWS ?? 2000);
const NF = env.FLEXBENCH_SPREAD_NF ?? 'nat';
const STORE = env.FLEXBENCH_SPREAD_STORE ?? 'hashmap:';
/** the CPU every process is pinned to */
const CPU = Number(env.FLEXBENCH_SPREAD_CPU ?? Math.max(0, os.availableParallelism() - 1));
/** comma-separated names of SPREAD_VARIANTS (bench/lib/spread.ts), NAME#2 for a second copy; default: two copies of today's start, whose ratio is what a self A/B sees */
const VARIANTS = (env.FLEXBENCH_SPREAD_VARIANTS ?? 'base,base#2').split(',').map((s) => s.trim()).filter(Boolean);
const SEED = Number(env.FLEXBENCH_SPREAD_SEED ?? 1);
/** the variant `other`: another build's bin/flexbench.js (a before/after of a change) */
const OTHER_CLI = env.FLEXBENCH_SPREAD_OTHER_CLI;
/** print each process's windows */
const VERBOSE = env.FLEXBENCH_SPREAD_VERBOSE === '1';

function startProcess(v: SpreadVariant, pcap: string, signal: AbortSignal): Promise<ResidentNf> {
  const nfArgs = ['nf', 'run', '--nf', NF, '--cores', '1', '--input', pcap, ...(STORE === 'none' ? ['--store', 'none'] : ['--store', STORE, '--nf-id', NF, '--instance', 'ins1', '--mode', 'async', '--flush-ms', '1']), '--duration', '100000', '--progress', '0', '--samples-on-stdin', '--json'];
  if (v.other && !OTHER_CLI) throw new Error('FLEXBENCH_SPREAD_OTHER_CLI: the variant other needs another build\'s bin/flexbench.js');
  const argv = ['taskset', '-c', String(CPU), ...v.prefix, process.execPath, ...v.node, v.other ? OTHER_CLI! : CLI, ...nfArgs];
  return ResidentNf.start({ argv, cwd: process.cwd(), name: v.name, warmupS: WARMUP_S, log: (l) => VERBOSE && !l.startsWith('{') && console.log(`  [${v.name}] ${l}`), signal });
}

/** One window of a paused resident process: resumed, settled, measured between two of its samples, paused again. */
async function windowOf(nf: ResidentNf, signal: AbortSignal): Promise<number> {
  nf.resume();
  try {
    await sleep(SETTLE_S * 1000, signal);
    const a = await nf.sample(undefined, signal);
    await sleep(WINDOW_S * 1000, signal);
    const m = windowBetween(a, await nf.sample(undefined, signal));
    return m.own?.tx_pps ?? m.tx_pps;
  } finally {
    nf.pause();
  }
}

export async function run(): Promise<void> {
  const unknown = VARIANTS.filter((n) => !variantOf(n));
  if (unknown.length) throw new Error(`FLEXBENCH_SPREAD_VARIANTS: unknown ${unknown.join(', ')} (known: ${Object.keys(SPREAD_VARIANTS).join(', ')})`);
  const dir = mkdtempSync(join(tmpdir(), 'fb-spread-'));
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const [pcap] = generatePcaps({ out: dir, flows: FLOWS, files: 1, frameSize: 64, seed: 1, proto: 'udp', srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', prefix: 'flows' });
    console.log(`spread: ${NF} on ${STORE}, 1 core pinned to CPU ${CPU} (${os.cpus()[CPU]?.model ?? os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} CPUs, node ${process.version}), ${FLOWS} flows, ${PROCS} processes per variant x ${WINDOWS} windows of ${WINDOW_S} s (each ${SETTLE_S} s after resumed) after ${WARMUP_S} s, batches of one process per variant resident at once, seed ${SEED}`);
    // a batch is one process of every variant, all resident at once and measured in rounds of windows in a shuffled
    // order, so the host's slow spells fall on every process alike (a window's noise) and not on one process's life
    const random = seededRandom(SEED);
    const byVariant = new Map<string, number[][]>(VARIANTS.map((n) => [n, []]));
    const rows: { batch: number; variant: string; rates: number[] }[] = [];
    for (let b = 0; b < PROCS; b++) {
      const procs: { name: string; nf: ResidentNf; rates: number[] }[] = [];
      try {
        for (const name of shuffled(VARIANTS, random)) procs.push({ name, nf: await startProcess(variantOf(name)!, pcap!, ac.signal), rates: [] });
        for (let w = 0; w < WINDOWS; w++) for (const p of shuffled(procs, random)) p.rates.push(await windowOf(p.nf, ac.signal));
      } finally {
        for (const p of procs) await p.nf.stop();
      }
      for (const p of procs) {
        byVariant.get(p.name)!.push(p.rates);
        rows.push({ batch: b, variant: p.name, rates: p.rates });
        if (VERBOSE) console.log(`  batch ${b + 1}/${PROCS} ${p.name.padEnd(20)} pid ${p.nf.pid}: ${p.rates.map((x) => (x / 1e6).toFixed(2)).join(' ')} Mpps`);
      }
    }
    const t = batchedSpread(rows);
    console.log(`sd(ln) of a window around its process's mean (within) ${t.within?.toFixed(3)}; of a batch's mean (the host over time) ${t.batch?.toFixed(3)}`);
    console.log('variant              procs  mean Mpps  process sd(ln)  one-way between  process means (Mpps)');
    for (const [name, procs] of byVariant) {
      const s = spreadOf(procs);
      const v = t.variants.find((x) => x.variant === name)!;
      const means = procs.map((p) => Math.exp(p.reduce((a, x) => a + Math.log(x), 0) / p.length) / 1e6);
      console.log(`${name.padEnd(20)} ${String(procs.length).padStart(5)}  ${(v.mean / 1e6).toFixed(2).padStart(9)}  ${(v.process ?? NaN).toFixed(3).padStart(14)}  ${(s.between ?? NaN).toFixed(3).padStart(15)}  ${means.map((m) => m.toFixed(2)).join(' ')}`);
    }
    for (const p of t.pairs) console.log(`pair ${p.variants.join(' / ')}: sd(ln ratio) over ${t.batches} batches ${p.sd.toFixed(3)}, ratio ${p.ratio.toFixed(3)}`);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
