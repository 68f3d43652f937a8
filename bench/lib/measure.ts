// What the benchmarks share: a rate after the warm-up from `nf run`'s progress lines, and the median
// of interleaved rounds (on a shared 2-core machine one run says little; the spread is printed too).

const PROGRESS = /t=([\d.]+)s rx [\d.]+ Mpps tx [\d.]+ Mpps \(total rx (\d+)\)/g;

/** rx Mpps between the first progress line at or after `warmupS` and the last one; null if fewer than two */
export function steadyMpps(stderr: string, warmupS: number): number | null {
  const pts = [...stderr.matchAll(PROGRESS)].map((m) => [Number(m[1]), Number(m[2])] as const).filter(([t]) => t >= warmupS);
  if (pts.length < 2) return null;
  const [t0, r0] = pts[0]!;
  const [t1, r1] = pts[pts.length - 1]!;
  return (r1 - r0) / (t1 - t0) / 1e6;
}

export function median(v: readonly number[]): number {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** "12.345 [11.90-12.80]": median and range of the rounds */
export function medianRange(v: readonly number[], digits = 3): string {
  if (v.length === 0) return '-';
  return `${median(v).toFixed(digits)} [${Math.min(...v).toFixed(2)}-${Math.max(...v).toFixed(2)}]`;
}
