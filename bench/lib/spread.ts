// What bench/spread.ts shares with its test: the variants (how a node process is started) and the split of the
// processes' windows' rates into the host's share (the batch), a process's own offset and a window's noise.
import { epochSpread } from '../../harness/compare/paired.js';
import { mean, sd } from '../../harness/results/stats.js';

/** One way of starting `nf run`: a command before node (setarch -R: no ASLR) and node's own flags (V8's). */
export interface SpreadVariant {
  name: string;
  prefix: string[];
  node: string[];
  /** run another build's CLI (FLEXBENCH_SPREAD_OTHER_CLI) instead of this one's */
  other?: boolean;
}

const v = (name: string, node: string[], prefix: string[] = []): [string, SpreadVariant] => [name, { name, prefix, node }];

/** The hypotheses bench/spread.ts can compare (FLEXBENCH_SPREAD_VARIANTS names them). */
export const SPREAD_VARIANTS: Record<string, SpreadVariant> = Object.fromEntries([
  v('base', []),
  v('base2', []), // the same start again: the table's own noise
  v('no-aslr', [], ['setarch', '-R']),
  v('hash-seed', ['--hash-seed=1']),
  v('random-seed', ['--random-seed=1']),
  v('predictable', ['--predictable']),
  v('single-threaded', ['--single-threaded']),
  v('no-opt', ['--no-opt']),
  v('semi-64', ['--max-semi-space-size=64']),
  v('gc-single', ['--single-threaded-gc']),
  v('no-concurrent-sparkplug', ['--no-concurrent-sparkplug']),
  v('no-lazy-feedback', ['--no-lazy-feedback-allocation']),
  // TurboFan's inlining budget: which callees fit in it depends on the call counts at the moment the caller is
  // (re)optimised, a moment that differs between processes; a budget every hot callee fits in decides the same way
  // (nf run sets 4000 on itself since: NF_V8_FLAGS, which a node flag no longer overrides)
  v('inline-4000', ['--max-inlined-bytecode-size-cumulative=4000']),
  v('stress-inline', ['--stress-inline']),
  v('no-inline', ['--no-turbo-inlining']),
  v('seeds-aslr', ['--hash-seed=1', '--random-seed=1'], ['setarch', '-R']),
  // another build of flexbench started the same way (its bin/flexbench.js in FLEXBENCH_SPREAD_OTHER_CLI): before/after
  ['other', { name: 'other', prefix: [], node: [], other: true }],
]);

/** A variant by name; `NAME#k` is NAME again (a second process of it in each batch: its pairs' ratios). */
export function variantOf(name: string): SpreadVariant | undefined {
  const base = SPREAD_VARIANTS[name.replace(/#.*$/, '')];
  return base ? { ...base, name } : undefined;
}

/**
 * Processes' windows' rates → the geometric mean rate, `between` (sd of a process's own ln offset) and `within` (sd of
 * a window's ln rate around its process's mean): the one-way random-effects split ab reports for epochs.
 */
export function spreadOf(procs: readonly (readonly number[])[]): { mean: number; between: number | null; within: number | null } {
  const rows = procs.flatMap((rates, p) => rates.map((ratio) => ({ epoch: p, ratio })));
  const mean = rows.length ? Math.exp(rows.reduce((a, r) => a + Math.log(r.ratio), 0) / rows.length) : NaN;
  return { mean, ...epochSpread(rows) };
}

/**
 * Batches of processes resident at once (one per variant, windows interleaved): each process's mean ln rate less its
 * variant's mean and its batch's mean (the host's speed over the batch, which every process of it shared) leaves the
 * process's own offset plus its windows' noise. `process` = √max(0, var(residuals)·k/(k−1)·n/(n−1) − within²/W): the
 * sd of a process's own offset net of the host's slow changes (k variants, n batches, W windows). `batch` is the sd of
 * the batches' means, the host's share. `pairs`: for variants given twice (`X` and `X#2`), the sd over batches of
 * ln(X/X#2), what an A/B of a build against itself sees per pair of processes.
 */
export function batchedSpread(rows: readonly { batch: number; variant: string; rates: readonly number[] }[]) {
  const variants = [...new Set(rows.map((r) => r.variant))];
  const batches = [...new Set(rows.map((r) => r.batch))].filter((b) => variants.every((v) => rows.some((r) => r.batch === b && r.variant === v)));
  const pm = new Map<string, number>();
  let ssw = 0;
  let dfw = 0;
  let windows = 0;
  for (const r of rows) {
    const logs = r.rates.map(Math.log);
    const m = mean(logs);
    pm.set(`${r.batch}\u0000${r.variant}`, m);
    ssw += logs.reduce((a, x) => a + (x - m) ** 2, 0);
    dfw += logs.length - 1;
    windows += logs.length;
  }
  const within = dfw > 0 ? Math.sqrt(ssw / dfw) : null;
  const w = windows / rows.length;
  const at = (b: number, v: string) => pm.get(`${b}\u0000${v}`)!;
  const vm = new Map(variants.map((v) => [v, mean(batches.map((b) => at(b, v)))]));
  const bm = new Map(batches.map((b) => [b, mean(variants.map((v) => at(b, v) - vm.get(v)!))]));
  const k = variants.length;
  const n = batches.length;
  const perVariant = variants.map((v) => {
    let proc: number | null = null;
    if (k >= 2 && n >= 2 && within !== null) {
      const res = batches.map((b) => at(b, v) - vm.get(v)! - bm.get(b)!);
      const varRes = res.reduce((a, x) => a + x * x, 0) / (n - 1) * (k / (k - 1));
      proc = Math.sqrt(Math.max(0, varRes - within ** 2 / w));
    }
    return { variant: v, mean: Math.exp(vm.get(v)!), process: proc };
  });
  const pairs = variants
    .filter((v) => v.includes('#'))
    .map((v2) => {
      const v1 = v2.replace(/#.*$/, '');
      if (!variants.includes(v1) || n < 2) return null;
      const d = batches.map((b) => at(b, v2) - at(b, v1));
      return { variants: [v1, v2] as [string, string], sd: sd(d), ratio: Math.exp(mean(d)) };
    })
    .filter((x) => x !== null);
  return { within, windows: w, batches: n, batch: n >= 2 ? sd(batches.map((b) => bm.get(b)!)) : null, variants: perVariant, pairs };
}
