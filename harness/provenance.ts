// Where a number came from: flexbench version and commit, and the fingerprint of the machine that measured it.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { Fingerprint } from './results/format.js';

/** Repository root (dist/harness/provenance.js -> ../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function flexbenchVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function out(cmd: string, args: string[]): Promise<string | null> {
  try {
    const r = await execa(cmd, args, { reject: false, timeout: 5000, cwd: REPO_ROOT });
    return r.exitCode === 0 ? r.stdout.trim() : null;
  } catch {
    return null;
  }
}

export async function gitState(): Promise<{ commit: string | null; dirty: boolean | null }> {
  const commit = await out('git', ['rev-parse', 'HEAD']);
  if (!commit) return { commit: null, dirty: null };
  const status = await out('git', ['status', '--porcelain', '--untracked-files=no']);
  return { commit, dirty: status === null ? null : status.length > 0 };
}

/** Version string of a locally installed store server; null when it is not installed. */
async function localStoreVersion(store: string): Promise<string | null> {
  if (store === 'redis') {
    const v = await out('redis-server', ['--version']);
    return v?.match(/v=([\w.]+)/)?.[1] ?? v;
  }
  if (store === 'hashmap') return 'builtin';
  if (store === 'cassandra' || store === 'cassandra-cluster') {
    // the version the store module will fetch and start (FLEXBENCH_CASSANDRA_VERSION or its default); the
    // version the node answered with once started is recorded too, in provenance.store_started
    try {
      const { cassandraVersion } = (await import('../runtime/stores/cassandra/fetch.js')) as typeof import('../runtime/stores/cassandra/fetch.js');
      return cassandraVersion();
    } catch {
      return null; // not built
    }
  }
  return null;
}

/** Busy and total jiffies of the given CPUs from /proc/stat's cpuN lines (iowait counts as idle). */
export function cpuTimes(stat: string, cpus: readonly number[]): { busy: number; total: number } | null {
  let busy = 0;
  let total = 0;
  let seen = 0;
  for (const m of stat.matchAll(/^cpu(\d+)\s+(.*)$/gm)) {
    if (!cpus.includes(Number(m[1]))) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    const t = f.slice(0, 8).reduce((a, b) => a + b, 0); // user nice system idle iowait irq softirq steal
    busy += t - f[3]! - (f[4] ?? 0);
    total += t;
    seen++;
  }
  return seen ? { busy, total } : null;
}

/**
 * How many cores something else keeps busy now, sampled over `ms` while this process waits: a
 * benchmark host should be idle between trials; if it is not, the run says so and records it.
 */
export async function hostBusyCores(ms = 500): Promise<number | null> {
  try {
    // the CPUs trials may run on (a cpuset container sees the whole host in /proc/stat)
    const cpus = allowedCpus();
    const a = cpuTimes(readFileSync('/proc/stat', 'utf8'), cpus);
    await new Promise((r) => setTimeout(r, ms));
    const b = cpuTimes(readFileSync('/proc/stat', 'utf8'), cpus);
    if (!a || !b || b.total <= a.total) return null;
    return Math.round(((b.busy - a.busy) / (b.total - a.total)) * cpus.length * 100) / 100;
  } catch {
    return null; // no /proc (not Linux)
  }
}

async function localDpdkVersion(): Promise<string | null> {
  return (await out('pkg-config', ['--modversion', 'libdpdk'])) ?? (await out('dpkg-query', ['-W', '-f=${Version}', 'dpdk']));
}

/** CPUs this process may run on (Cpus_allowed_list), e.g. "0-3,8" -> [0, 1, 2, 3, 8]. */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.trim().split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let c = a!; c <= (b ?? a!); c++) out.push(c);
  }
  return out;
}

export function allowedCpus(): number[] {
  try {
    const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return parseCpuList(m[1]!);
  } catch {
    // not Linux: every CPU the OS reports
  }
  return os.cpus().map((_, i) => i);
}

/** Fingerprint of this machine as the node that runs the NF. */
export async function localFingerprint(testbed: string, stores: readonly string[]): Promise<Fingerprint> {
  const cpus = os.cpus();
  const store_versions: Record<string, string | null> = {};
  for (const s of [...new Set(stores)].sort()) if (s !== 'none') store_versions[s] = await localStoreVersion(s);
  return {
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    core_list: allowedCpus(),
    kernel: os.release(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    store_versions,
    dpdk_version: await localDpdkVersion(),
    testbed,
    nic: null,
  };
}
