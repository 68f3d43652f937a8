// The whole comparison as JSON for other tools (NaN and Infinity become null, as JSON has neither).
import type { Comparison } from '../compare.js';
import type { Reporter } from './reporter.js';

export const jsonReporter: Reporter = {
  format: 'json',
  render(c: Comparison): string {
    return JSON.stringify({ flexbench_compare: 1, ...c }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
  },
};
