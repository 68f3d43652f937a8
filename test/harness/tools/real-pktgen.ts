// The real Pktgen-DPDK for tests: built once from ../shared/vendor/pktgen (its build.sh) into a cache
// outside the source (the source may be read-only, as in CI), serialised with flock so test files running
// in parallel do not build twice. Where it cannot be built (no ../shared, not root, no compiler), tests
// say so and fall back to the double of test/fixtures/pktgen.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync, execFile } from 'node:child_process';
import { createServer } from 'node:net';

const root = new URL('../../../../', import.meta.url).pathname;
export const vendorDir = join(root, '../shared/vendor/pktgen');

export type RealPktgen = { binary: string; version: string; reason?: undefined } | { binary?: undefined; version?: undefined; reason: string };

let cached: Promise<RealPktgen> | null = null;

/** The binary (built on first use) or why there is none. */
export function realPktgen(): Promise<RealPktgen> {
  cached ??= build();
  return cached;
}

async function build(): Promise<RealPktgen> {
  if (process.env.FLEXBENCH_NO_REAL_PKTGEN) return { reason: 'FLEXBENCH_NO_REAL_PKTGEN is set' };
  const script = join(vendorDir, 'build.sh');
  if (!existsSync(script)) return { reason: `no Pktgen sources at ${vendorDir} (../shared/vendor/pktgen from the repository root)` };
  if (process.getuid?.() !== 0) return { reason: 'DPDK and the Pktgen build need root here' };
  for (const tool of ['script', 'flock']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return { reason: `${tool} (util-linux) is not installed` };
  const tarball = readdirSync(vendorDir).find((f) => /^pktgen-.*\.tar\.gz$/.test(f));
  if (!tarball) return { reason: `no pktgen-*.tar.gz in ${vendorDir}` };
  const version = tarball.replace(/^pktgen-|\.tar\.gz$/g, '');
  // the cache is keyed by what build.sh builds from, so a new version or patch builds afresh
  const h = createHash('sha256');
  for (const f of readdirSync(vendorDir).sort()) if (!f.endsWith('.md')) h.update(f).update(readFileSync(join(vendorDir, f)));
  const cacheRoot = process.env.FLEXBENCH_PKTGEN_CACHE ?? join(tmpdir(), 'flexbench-pktgen');
  mkdirSync(cacheRoot, { recursive: true });
  const dir = join(cacheRoot, `${version}-${h.digest('hex').slice(0, 12)}`);
  const started = Date.now();
  const r = await new Promise<{ code: number; out: string }>((res) =>
    execFile('flock', [`${dir}.lock`, 'bash', script, dir], { maxBuffer: 64 << 20, timeout: 15 * 60_000 }, (e, stdout, stderr) =>
      res({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    ),
  );
  const binary = r.out.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !existsSync(binary)) return { reason: `build.sh failed (exit ${r.code}): ${r.out.trim().split('\n').slice(-4).join(' | ')}` };
  const secs = (Date.now() - started) / 1000;
  if (secs > 5) process.stdout.write(`# built Pktgen-DPDK ${version} in ${secs.toFixed(0)} s into ${dir}\n`);
  return { binary, version };
}

/** A free TCP port on this machine (Pktgen's Lua socket binds 0.0.0.0, so two instances need two ports). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '0.0.0.0', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

/** Processes whose command line mentions `needle` (e.g. a --file-prefix), this test's own excluded. */
export function processesWith(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (cmd.includes(needle)) found.push(`${pid} ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return found;
}
