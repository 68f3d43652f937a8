// One interface for every output format of `flexbench history`; each format lives in its own file.
import type { History } from '../series.js';

export interface HistoryReporter {
  readonly format: string;
  render(h: History): string;
}

export function mpps(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(3)} Mpps` : '–';
}

export function signedPercent(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`;
}
