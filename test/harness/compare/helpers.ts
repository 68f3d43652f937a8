// Synthetic samples with exactly the mean and standard deviation a test asks for, so verdicts have known answers.
import { mean, sd } from '../../../harness/results/stats.js';

/** n values (n ≥ 2) with sample mean m and sample sd s exactly (up to rounding): an alternating pattern, rescaled. */
export function samplesWith(m: number, s: number, n: number): number[] {
  const z = Array.from({ length: n }, (_, i) => (n % 2 === 1 && i === n - 1 ? 0 : i % 2 === 0 ? -1 : 1));
  const zm = mean(z);
  const zs = sd(z);
  return z.map((v) => m + ((v - zm) / zs) * s);
}
