// Pcaps are generated once per parameter set and cached under pcaps/<hash of the parameters>/ with their SHA-256s.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, basename } from 'node:path';
import type { Spec } from '../spec/schema.js';
import type { PcapInfo, PlanTrial } from '../results/format.js';
import { frameSizesOf } from '../spec/measure.js';
import { pcapCount } from '../plan/plan.js';
import { writeAtomic } from '../results/files.js';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { ensureOutputDir } from '../../common/output-dir.js';
import { replayedPcapPath } from '../spec/rules.js';
import { devargsPathProblem } from '../tools/testpmd.js';

/** Bump when the generator's output changes for the same parameters. */
const GENERATOR = 'flexbench-pcap-v1';

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

interface Manifest {
  params: Record<string, unknown>;
  files: { name: string; sha256: string }[];
}

function pcapParams(spec: Spec) {
  const t = spec.traffic;
  return { generator: GENERATOR, flows: t.flows, files: t.files, frame_size: t.frame_size, seed: t.seed, proto: t.proto, ...(spec.matrix.frame_sizes ? { prefix: prefixOf(spec) } : {}) };
}

function pcapCacheDir(cacheRoot: string, spec: Spec): string {
  const key = createHash('sha256').update(JSON.stringify(pcapParams(spec))).digest('hex').slice(0, 16);
  return join(cacheRoot, key);
}

/** The spec as one frame size sees it (pcaps are generated per frame size). */
const atFrameSize = (spec: Spec, frame_size: number): Spec => ({ ...spec, traffic: { ...spec.traffic, frame_size } });

/** File name prefix: with frame sizes as an axis the size is in the name, so files of two sizes never share one (two-node testbeds copy them into one directory). */
const prefixOf = (spec: Spec) => (spec.matrix.frame_sizes ? `flows-f${spec.traffic.frame_size}` : 'flows');

/**
 * The run's pcaps in one list: per frame size (in frameSizesOf order) its `files` pcaps. A trial's
 * own is pcapOf(spec, pcaps, trial).
 */
export function plannedPcaps(spec: Spec, cacheRoot: string): PcapInfo[] {
  return frameSizesOf(spec).flatMap((f) => plannedPcapsOfSize(atFrameSize(spec, f), cacheRoot));
}

/** The pcap a trial replays: its frame size's, at its pcap index. */
export function pcapOf(spec: Spec, pcaps: readonly PcapInfo[], t: Pick<PlanTrial, 'frame_size' | 'pcap_index'>): PcapInfo {
  const i = Math.max(0, frameSizesOf(spec).indexOf(t.frame_size)) * pcapCount(spec) + t.pcap_index;
  const p = pcaps[i];
  if (!p) throw new FlexbenchError(`no pcap for frame size ${t.frame_size}, file ${t.pcap_index} (the run has ${pcaps.length})`, EXIT.usage);
  return p;
}

function plannedPcapsOfSize(spec: Spec, cacheRoot: string): PcapInfo[] {
  if (spec.traffic.pcaps) return spec.traffic.pcaps.map((p) => ({ name: basename(p), path: p, sha256: '', seed: null, flows: null, frame_size: spec.traffic.frame_size }));
  const dir = pcapCacheDir(cacheRoot, spec);
  const width = String(spec.traffic.files - 1).length;
  return Array.from({ length: spec.traffic.files }, (_, i) => {
    const name = `${prefixOf(spec)}-${String(i).padStart(width, '0')}.pcap`;
    return { name, path: join(dir, name), sha256: '', seed: spec.traffic.seed, flows: spec.traffic.flows, frame_size: spec.traffic.frame_size };
  });
}

/**
 * Refuses (exit 2) pcaps DPDK could not replay where the run would replay them: the same check as the
 * spec rule for given pcaps, here for generated ones, whose path comes from the working directory.
 */
export function checkReplayable(spec: Spec, pcaps: readonly PcapInfo[]): void {
  for (const p of pcaps) {
    const replayed = replayedPcapPath(spec, p.path);
    const problem = replayed === null ? null : devargsPathProblem(replayed);
    if (problem) throw new FlexbenchError(`${problem}; generated pcaps live in ./pcaps/, so run flexbench from a directory whose path has neither`, EXIT.usage);
  }
}

/** Generate (or reuse, after checking each file's SHA-256) the run's pcaps, every frame size's (plannedPcaps' order). */
export async function ensurePcaps(spec: Spec, cacheRoot: string, log: (s: string) => void = () => {}): Promise<PcapInfo[]> {
  const out: PcapInfo[] = [];
  for (const f of frameSizesOf(spec)) out.push(...(await ensurePcapsOfSize(atFrameSize(spec, f), cacheRoot, log)));
  return out;
}

async function ensurePcapsOfSize(spec: Spec, cacheRoot: string, log: (s: string) => void): Promise<PcapInfo[]> {
  if (spec.traffic.pcaps) {
    return spec.traffic.pcaps.map((p) => {
      if (!existsSync(p)) throw new FlexbenchError(`pcap ${p} does not exist`, EXIT.usage);
      return { name: basename(p), path: p, sha256: sha256File(p), seed: null, flows: null, frame_size: spec.traffic.frame_size };
    });
  }
  const dir = pcapCacheDir(cacheRoot, spec);
  const manifestPath = join(dir, 'manifest.json');
  const planned = plannedPcapsOfSize(spec, cacheRoot);
  if (existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    const ok = planned.every((p, i) => existsSync(p.path) && m.files[i]?.name === p.name && sha256File(p.path) === m.files[i].sha256);
    if (ok) {
      log(`pcaps: reusing ${planned.length} cached file(s) in ${dir}`);
      return planned.map((p, i) => ({ ...p, sha256: m.files[i].sha256 }));
    }
    log(`pcaps: cache ${dir} does not match its manifest; regenerating`);
  }
  log(`pcaps: generating ${spec.traffic.files} file(s) of ${spec.traffic.flows} flows, ${spec.traffic.frame_size} B into ${dir}`);
  // Generated into a temporary directory and renamed, so an interrupt never leaves a half cache.
  const tmp = `${dir}.tmp-${process.pid}`;
  ensureOutputDir(cacheRoot, 'pcap cache');
  rmSync(tmp, { recursive: true, force: true });
  const { generatePcaps } = (await import('../../runtime/packet/generate.js')) as typeof import('../../runtime/packet/generate.js');
  generatePcaps({ out: tmp, flows: spec.traffic.flows, files: spec.traffic.files, frameSize: spec.traffic.frame_size, seed: spec.traffic.seed, proto: spec.traffic.proto, prefix: prefixOf(spec) });
  const files = planned.map((p) => ({ name: p.name, sha256: sha256File(join(tmp, p.name)) }));
  writeAtomic(join(tmp, 'manifest.json'), `${JSON.stringify({ params: pcapParams(spec), files } satisfies Manifest, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return planned.map((p, i) => ({ ...p, sha256: files[i].sha256 }));
}
