// When a freshly started Cassandra is warm enough to measure against: its JVM's CPU time per flush,
// slice by slice of a steady flush load, falls while its JIT compiles the write path (measured on
// this host: ~6, 3.3, 2.5, 2.1, 1.2, 1.3, 1.3 ms of CPU a flush in 10-s slices at ~330 flushes/s;
// docs/performance.md) and a case measured during the fall runs beside a co-tenant twice as busy.

/** a slice counts as not falling when its cost is at least this share of the slice before it */
export const STILL = 0.9;

/**
 * Whether the JVM has settled: the last two slices each cost at least STILL of the slice before them
 * (one flat slice can be noise in the middle of the fall). `msPerFlush`: each slice's JVM CPU ms per
 * acknowledged flush, in order.
 */
export function jvmSettled(msPerFlush: readonly number[]): boolean {
  const n = msPerFlush.length;
  if (n < 3) return false;
  const [a, b, c] = [msPerFlush[n - 3]!, msPerFlush[n - 2]!, msPerFlush[n - 1]!];
  return b >= STILL * a && c >= STILL * b;
}
