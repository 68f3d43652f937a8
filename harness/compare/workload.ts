// What a run offered the NFs, beyond the cell key: two sides measured under different traffic (flows,
// window, rate, flush period, pcap bytes) are not comparable, whatever the hardware.
import { z } from 'zod';
import type { RunJson } from '../results/format.js';
import { diffFingerprints, type FingerprintDifference } from './fingerprint.js';

export const workloadSchema = z.object({
  flows: z.number().nullable(),
  proto: z.string().nullable(),
  duration_s: z.number().nullable(),
  warmup_s: z.number().nullable(),
  rate: z.union([z.number(), z.string()]).nullable(),
  flush_ms: z.number().nullable(),
  /** sha256 of every pcap replayed, sorted */
  pcaps: z.array(z.string()),
});
export type Workload = z.infer<typeof workloadSchema>;

const pick = <T>(o: unknown, k: string, ok: (v: unknown) => v is T): T | null => {
  const v = o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined;
  return ok(v) ? v : null;
};
const isNum = (v: unknown): v is number => typeof v === 'number';
const isStr = (v: unknown): v is string => typeof v === 'string';

export function workloadOfRun(run: RunJson): Workload {
  const tr = run.spec_resolved.traffic;
  const st = run.spec_resolved.state;
  return {
    flows: pick(tr, 'flows', isNum),
    proto: pick(tr, 'proto', isStr),
    duration_s: pick(tr, 'duration_s', isNum),
    warmup_s: pick(tr, 'warmup_s', isNum),
    rate: pick(tr, 'rate', (v): v is number | string => isNum(v) || isStr(v)),
    flush_ms: pick(st, 'flush_ms', isNum),
    pcaps: run.provenance.pcaps.map((p) => p.sha256).sort(),
  };
}

export function diffWorkloads(baseline: Workload, current: Workload): FingerprintDifference[] {
  return diffFingerprints(baseline, current);
}
