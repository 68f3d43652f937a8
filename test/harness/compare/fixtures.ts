// Synthetic run directories with known answers, written by the results module's own writers (so they are valid runs).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRunJson, writeTrials } from '../../../harness/results/files.js';
import type { CellKey, Fingerprint, RunJson, TrialRecord } from '../../../harness/results/format.js';
import { samplesWith } from './helpers.js';
import type { Workload } from '../../../harness/compare/workload.js';

export const FINGERPRINT: Fingerprint = {
  cpu_model: 'Intel(R) Xeon(R) CPU E5-2650 v4 @ 2.20GHz',
  cores: 48,
  kernel: '6.1.0-18-amd64',
  node: 'v20.20.2',
  platform: 'linux',
  arch: 'x64',
  memory_gb: 128,
  store_versions: { redis: '7.0.15', cassandra: '4.1.3' },
  dpdk_version: '22.11.4',
  testbed: 'lab',
  nic: 'Intel 82599ES (ixgbe)',
};

export interface CellSpec {
  key: CellKey;
  /** tx_pps samples of the successful trials (rx_pps is 1% higher) */
  values: number[];
  failed?: number;
  skipped?: number;
}

export function key(nf: string, store: string, cores: number, mode = 'async', location = 'local'): CellKey {
  return { nf, store, location, mode, cores, frame_size: 64, testbed: 'lab' };
}

export function makeTmp(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `h7-compare-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunOptions {
  fingerprint?: Fingerprint;
  /** spec_resolved.traffic of the run (the workload compare checks) */
  traffic?: Record<string, unknown>;
  commit?: string | null;
  dirty?: boolean;
  spec?: string;
  profile?: string | null;
  id?: string;
  status?: RunJson['status'];
}

export function writeRun(dir: string, cells: CellSpec[], opts: RunOptions = {}): string {
  const trials: TrialRecord[] = [];
  const add = (c: CellSpec, status: TrialRecord['status'], v: number | null) => {
    const i = trials.length;
    trials.push({
      trial_id: `t${i}`, index: i, ...c.key, flush_ms: c.key.mode === 'async' ? 1 : null,
      pcap: `flows-${i % 2}.pcap`, pcap_sha256: null, repetition: i, status,
      reason: status === 'ok' ? null : `${status} on purpose`,
      rx_packets: v === null ? null : v * 1.01 * 2, tx_packets: v === null ? null : v * 2,
      rx_pps: v === null ? null : v * 1.01, tx_pps: v, dropped: v === null ? null : 0,
      duration_s: v === null ? null : 2, warmup_s: 0.5, per_core: [], commands: [], flags: [], started_at: null, ended_at: null,
    });
  };
  for (const c of cells) {
    for (const v of c.values) add(c, 'ok', v);
    for (let i = 0; i < (c.failed ?? 0); i++) add(c, 'failed', null);
    for (let i = 0; i < (c.skipped ?? 0); i++) add(c, 'skipped', null);
  }
  const counts = { planned: trials.length, ok: 0, failed: 0, skipped: 0, missing: 0 };
  for (const t of trials) counts[t.status] += 1;
  writeRunJson(dir, {
    format_version: 1,
    run_id: opts.id ?? 'run-test',
    status: opts.status ?? 'complete',
    spec_file: 'experiments/gate-test.yaml',
    profile: opts.profile ?? null,
    spec_given: {},
    spec_resolved: { name: opts.spec ?? 'gate-test', traffic: opts.traffic ?? { flows: 2000, proto: 'udp', duration_s: 2, warmup_s: 0.5, rate: 'max' }, state: { flush_ms: 1 } },
    plan: [],
    provenance: {
      flexbench_version: '0.1.0',
      git_commit: opts.commit === undefined ? '0123456789abcdef0123456789abcdef01234567' : opts.commit,
      git_dirty: opts.dirty ?? false,
      command: 'flexbench run experiments/gate-test.yaml',
      fingerprint: opts.fingerprint ?? FINGERPRINT,
      pcaps: [],
      started_at: '2026-01-01T00:00:00Z',
      ended_at: '2026-01-01T00:10:00Z',
      resumed_at: [],
    },
    counts,
  });
  writeTrials(dir, trials);
  return dir;
}

/** The workload writeRun records by default, as a SampleSet holds it. */
export const WORKLOAD: Workload = { flows: 2000, proto: 'udp', duration_s: 2, warmup_s: 0.5, rate: 'max', flush_ms: 1, pcaps: [] };

/** The known-answer scenario: one cell per verdict, one missing, one new. */
export const SCENARIO = {
  baseline: [
    { key: key('nat', 'redis', 1), values: samplesWith(10e6, 0.1e6, 5) },
    { key: key('nat', 'redis', 2), values: samplesWith(12e6, 0.1e6, 5) },
    { key: key('lb', 'hashmap', 1), values: samplesWith(9e6, 0.09e6, 5) },
    { key: key('lb', 'hashmap', 2), values: [9.5e6] },
    { key: key('counter', 'redis', 1, 'sync'), values: samplesWith(1.5e6, 0.02e6, 5) },
  ] as CellSpec[],
  current: [
    { key: key('nat', 'redis', 1), values: samplesWith(8e6, 0.1e6, 5) }, // -20%: regressed
    { key: key('nat', 'redis', 2), values: samplesWith(13.8e6, 0.1e6, 5) }, // +15%: improved
    { key: key('lb', 'hashmap', 1), values: samplesWith(9e6, 0.09e6, 5), skipped: 1 }, // same: unchanged
    { key: key('lb', 'hashmap', 2), values: [6e6], failed: 2 }, // one sample: inconclusive
    { key: key('counter', 'redis', 1, 'async'), values: samplesWith(12e6, 0.1e6, 5) }, // new (sync is missing)
  ] as CellSpec[],
};
