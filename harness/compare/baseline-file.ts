// The baseline file (compare reads it, `baseline save` writes it): per-cell samples + fingerprint + spec + commit, written one cell per line so a lab's git diff reads well.
import { readInputFile, MAX_RESULT_FILE_BYTES } from '../../common/input-file.js';
import { z } from 'zod';
import { EXIT, FlexbenchError } from '../exit-codes.js';
import { fingerprintSchema } from '../results/format.js';
import { CELL_FIELDS, cellKeySchema, cellKeyOf, compareCellKeys, type CellSamples } from './cell.js';
import { workloadSchema } from './workload.js';
import { LATENCY_STATS, METRIC_INFO, SAMPLE_FIELDS, type LatencyStat, type Metric, type SampleSet } from './samples.js';

export const BASELINE_VERSION = 1;
export const BASELINE_SUFFIX = '.baseline.json';

const samples = z.array(z.number().finite());
const loadSamplesSchema = z.object({
  failed: z.number().int().nonnegative(),
  ...(Object.fromEntries(LATENCY_STATS.map((s) => [s, samples])) as Record<LatencyStat, typeof samples>),
});
const baselineCellSchema = cellKeySchema.extend({
  failed: z.number().int().nonnegative(),
  rx_pps: samples,
  tx_pps: samples,
  /** measure: ndr_pdr only: the rates found, and the searches that found none */
  /** the own-time rate (absent in baselines saved before it was measured, or where no trial reported it) */
  tx_pps_own: samples.optional(),
  ndr_pps: samples.optional(),
  pdr_pps: samples.optional(),
  no_rate: z.object({ ndr_pps: z.number().int().nonnegative(), pdr_pps: z.number().int().nonnegative() }).optional(),
  /** measure: latency only: per load ("0", "50%"), each statistic's samples in µs */
  latency: z.record(z.string(), loadSamplesSchema).optional(),
});

export const baselineSchema = z.object({
  flexbench_baseline: z.literal(BASELINE_VERSION),
  name: z.string().min(1),
  spec: z.string().nullable(),
  commit: z.string().nullable(),
  run_id: z.string().nullable(),
  created_at: z.string(),
  fingerprint: fingerprintSchema,
  /** the traffic of the run (absent in baselines saved before it was recorded) */
  workload: workloadSchema.optional(),
  cells: z.array(baselineCellSchema),
});
export type Baseline = z.infer<typeof baselineSchema>;

/** Field order of a cell line: key fields, then failure count, then the samples (packets per second, as measured). */
const LINE_FIELDS = [...CELL_FIELDS, 'failed', ...SAMPLE_FIELDS, 'no_rate', 'latency'] as const;

/** Pretty JSON for the header, one compact line per cell, cells sorted: re-saving the same run gives the same bytes (but created_at). */
export function serializeBaseline(b: Baseline): string {
  const parsed = baselineSchema.parse(b);
  const cells = [...parsed.cells].sort(compareCellKeys);
  const header: Record<string, unknown> = { ...parsed };
  delete header.cells;
  const head = JSON.stringify(header, null, 2).replace(/\n}$/, '');
  const lines = cells.map((c) => {
    const ordered: Record<string, unknown> = {};
    for (const f of LINE_FIELDS) ordered[f] = c[f];
    return `    ${JSON.stringify(ordered)}`;
  });
  return `${head},\n  "cells": [\n${lines.join(',\n')}\n  ]\n}\n`;
}

export function parseBaseline(text: string, path: string): Baseline {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new FlexbenchError(`${path}: not a baseline file (invalid JSON: ${(e as Error).message})`, EXIT.usage);
  }
  const r = baselineSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new FlexbenchError(`${path}: not a valid flexbench baseline (version ${BASELINE_VERSION}):\n${issues}`, EXIT.usage);
  }
  return r.data;
}

export function readBaseline(path: string): Baseline {
  let text: string;
  try {
    text = readInputFile(path, MAX_RESULT_FILE_BYTES, 'baseline').toString('utf8');
  } catch (e) {
    throw new FlexbenchError((e as Error).message, EXIT.usage);
  }
  return parseBaseline(text, path);
}

/** A baseline as one side of a comparison, for one metric. */
export function baselineSamples(b: Baseline, path: string, metric: Metric): SampleSet {
  return {
    kind: 'baseline',
    path,
    name: b.name,
    spec: b.spec,
    commit: b.commit,
    fingerprint: b.fingerprint,
    workload: b.workload ?? null,
    complete: true,
    metric,
    cells: baselineCells(b, metric),
  };
}

function baselineCells(b: Baseline, metric: Metric): CellSamples[] {
  const src = METRIC_INFO[metric].source;
  if ('rate' in src) {
    const f = src.rate;
    const extra = (c: Baseline['cells'][number]) => (f === 'ndr_pps' || f === 'pdr_pps' ? (c.no_rate?.[f] ?? 0) : 0);
    return b.cells.map((c) => ({ key: cellKeyOf(c), values: [...(c[f] ?? [])], failed: c.failed + extra(c) }));
  }
  const out: CellSamples[] = [];
  for (const c of b.cells) for (const [load, s] of Object.entries(c.latency ?? {})) out.push({ key: { ...cellKeyOf(c), load }, values: [...s[src.latency]], failed: s.failed });
  return out;
}
