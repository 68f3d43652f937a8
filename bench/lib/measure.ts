// What the benchmarks share: a rate after the warm-up from `nf run`'s progress lines (read by the
// harness's own parser) and median [min-max] of interleaved rounds (on a shared 2-core machine one
// run says little). The median is harness/results/stats.ts's, the project's one statistics module.
import { median } from '../../harness/results/stats.js';
import { parseNfProgress } from '../../harness/tools/nf-run.js';

/** rx Mpps between the first progress line at or after `warmupS` and the last one; null if fewer than two */
export function steadyMpps(stderr: string, warmupS: number): number | null {
  const pts = stderr.split('\n').map(parseNfProgress).filter((p) => p !== null && p.t >= warmupS);
  if (pts.length < 2) return null;
  const a = pts[0]!;
  const b = pts[pts.length - 1]!;
  return (b.rx_total - a.rx_total) / (b.t - a.t) / 1e6;
}

/** "12.345 [11.90-12.80]": median and range of the rounds */
export function medianRange(v: readonly number[], digits = 3): string {
  if (v.length === 0) return '-';
  return `${median(v).toFixed(digits)} [${Math.min(...v).toFixed(2)}-${Math.max(...v).toFixed(2)}]`;
}
