// The whole history as JSON (NaN and ∞ as null).
import type { History } from '../series.js';
import type { HistoryReporter } from './reporter.js';

export const jsonReporter: HistoryReporter = {
  format: 'json',
  render(h: History): string {
    return `${JSON.stringify({ flexbench_history: 1, ...h }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
  },
};
