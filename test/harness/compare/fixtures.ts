// Synthetic run directories with known answers: written in the results format (run.json + trials.jsonl) to temp dirs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CellKey } from '../../../harness/compare/cell.js';
import { samplesWith } from './helpers.js';

export const FINGERPRINT = {
  cpu_model: 'Intel(R) Xeon(R) CPU E5-2650 v4 @ 2.20GHz',
  cores: 48,
  kernel: '6.1.0-18-amd64',
  node: 'v20.20.2',
  dpdk: '22.11.4',
  stores: { redis: '7.0.15', cassandra: '4.1.3' },
  testbed: 'local',
  nic: { model: 'Intel 82599ES', driver: 'ixgbe' },
};

export interface CellSpec {
  key: CellKey;
  /** rx_pps samples of the successful trials */
  values: number[];
  failed?: number;
}

export function key(nf: string, store: string, cores: number, location = 'local'): CellKey {
  return { nf, store, location, cores, frame_size: 64, testbed: 'local' };
}

export function makeTmp(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `h7-compare-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Write a run directory; tx_pps is rx_pps * 0.99 so the two metrics differ. */
export function writeRun(dir: string, cells: CellSpec[], opts: { fingerprint?: unknown; commit?: string; spec?: string; id?: string } = {}): string {
  mkdirSync(dir, { recursive: true });
  const run = {
    id: opts.id ?? 'run-test',
    spec: { name: opts.spec ?? 'gate-test' },
    provenance: { commit: opts.commit ?? '0123456789abcdef0123456789abcdef01234567', fingerprint: 'fingerprint' in opts ? opts.fingerprint : FINGERPRINT },
  };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(run, null, 2));
  const lines: string[] = [];
  for (const c of cells) {
    c.values.forEach((v, i) => {
      lines.push(JSON.stringify({ ...c.key, pcap: `p${i % 2}.pcap`, repetition: i, rx_pps: v, tx_pps: v * 0.99, dropped: 0, status: 'ok', per_core: [] }));
    });
    for (let i = 0; i < (c.failed ?? 0); i++) {
      lines.push(JSON.stringify({ ...c.key, pcap: 'p0.pcap', repetition: c.values.length + i, rx_pps: 0, tx_pps: 0, dropped: 0, status: 'failed', per_core: [] }));
    }
  }
  writeFileSync(join(dir, 'trials.jsonl'), lines.join('\n') + '\n');
  return dir;
}

/** The known-answer scenario: one cell per verdict, one missing, one new. */
export const SCENARIO = {
  baseline: [
    { key: key('nat', 'redis', 1), values: samplesWith(10e6, 0.1e6, 5) },
    { key: key('nat', 'redis', 2), values: samplesWith(12e6, 0.1e6, 5) },
    { key: key('lb', 'hashmap', 1), values: samplesWith(9e6, 0.09e6, 5) },
    { key: key('lb', 'hashmap', 2), values: [9.5e6] },
    { key: key('counter-sync', 'redis', 1), values: samplesWith(1.5e6, 0.02e6, 5) },
  ] as CellSpec[],
  current: [
    { key: key('nat', 'redis', 1), values: samplesWith(8e6, 0.1e6, 5) }, // -20%: regressed
    { key: key('nat', 'redis', 2), values: samplesWith(13.8e6, 0.1e6, 5) }, // +15%: improved
    { key: key('lb', 'hashmap', 1), values: samplesWith(9e6, 0.09e6, 5) }, // same: unchanged
    { key: key('lb', 'hashmap', 2), values: [6e6], failed: 2 }, // one sample: inconclusive
    { key: key('counter-async', 'redis', 1), values: samplesWith(12e6, 0.1e6, 5) }, // new
  ] as CellSpec[],
};
