// The one schema of an experiment spec; every type of the spec is inferred from it.
import { z } from 'zod';
import { NF_NAMES } from '../../nfs/registry.js';
import { ORDERS } from '../plan/order.js';
import { MAX_FLOWS, MAX_FILES, MAX_SEED } from '../../runtime/packet/generate.js';
import { eventsSchema, instancesSchema } from './elastic.js';

/** testpmd is DPDK's (Figure 4); the rest are flexbench NFs run with `flexbench nf run --nf NAME` (nfs/registry.ts). */
export const NFS = ['testpmd', ...NF_NAMES] as const;
export const STORES = ['hashmap', 'redis', 'cassandra', 'none'] as const;
export const LOCATIONS = ['local', 'remote'] as const;
export const MODES = ['sync', 'async'] as const;
/** trial modes: none for NFs without FlexState */
const TRIAL_MODES = ['sync', 'async', 'none'] as const;
export const TESTBEDS = ['local', 'netns', 'lab'] as const;
const SERIES_FIELDS = ['nf', 'store', 'location', 'mode'] as const;
const METRIC_FIELDS = ['tx_mpps', 'rx_mpps'] as const;
/** what a figure draws: a rate, or the paired ratio of tx rate to the figure's baseline cell */
const FIGURE_METRICS = [...METRIC_FIELDS, 'ratio'] as const;

const posInt = z.number().int().positive();
/** Most cores a trial may ask for (DPDK builds for big hosts stop at 1024 lcores; the harness stops a little later). */
const MAX_CORES = 4096;
/** Fastest offered rate a spec may ask for, packets/s: above 800 GbE at 64 B (1.19 Gpps). */
const MAX_RATE_PPS = 2e9;
const nonEmptyUnique = <T extends z.ZodType>(item: T) =>
  z.array(item).min(1).refine((xs) => new Set(xs.map((x) => JSON.stringify(x))).size === xs.length, { message: 'values must be unique' });

/** One axis value or a list of them; a filter matches any listed value. */
const oneOrMany = <T extends readonly [string, ...string[]]>(values: T) => z.union([z.enum(values), z.array(z.enum(values)).min(1)]);

const trafficSchema = z.strictObject({
  /** Ethernet frame size in bytes (64 = the minimum, as in the paper) */
  frame_size: z.number().int().min(64).max(1518).default(64),
  /** distinct flows (= distinct packets) per pcap file */
  flows: posInt.max(MAX_FLOWS).default(2000),
  /** number of pcap files; every cell is measured once per file and repetition */
  files: posInt.max(MAX_FILES).default(2),
  proto: z.enum(['udp', 'tcp']).default('udp'),
  /** seed of the first pcap; file i uses seed + i */
  seed: z.number().int().nonnegative().max(MAX_SEED).default(1),
  /** given pcap files instead of generated ones (paths relative to the spec file) */
  pcaps: z.array(z.string().min(1)).min(1).max(MAX_FILES).optional(),
  /** measured window per trial, seconds */
  duration_s: z.number().positive().max(3600).default(2),
  /** warm-up before the measured window, seconds (not counted) */
  warmup_s: z.number().nonnegative().max(600).default(0.5),
  /** "max": replay as fast as the NF takes it; a number: offered load in packets per second */
  rate: z.union([z.literal('max'), z.number().min(1).max(MAX_RATE_PPS)]).default('max'),
});

const matrixSchema = z.strictObject({
  nfs: nonEmptyUnique(z.enum(NFS)),
  stores: nonEmptyUnique(z.enum(STORES)).default(['hashmap']),
  locations: nonEmptyUnique(z.enum(LOCATIONS)).default(['local']),
  modes: nonEmptyUnique(z.enum(MODES)).default(['async']),
  cores: nonEmptyUnique(posInt.max(MAX_CORES)),
  /** repetitions per pcap file; auto: rounds until every cell's interval reaches target_ci, at most max_repetitions */
  repetitions: z.union([posInt, z.literal('auto')]).default(1),
  /** with repetitions auto: the relative 95 % half-width to reach, a fraction (0.03) or a percentage ("3%") */
  target_ci: z
    .union([z.number().positive().max(1), z.string().regex(/^\d+(\.\d+)?%$/, 'a percentage such as "3%"').transform((s) => Number(s.slice(0, -1)) / 100)])
    .default(0.03),
  /** with repetitions auto: the cap on repetitions per pcap file */
  max_repetitions: posInt.max(1000).default(10),
  /** interleaved: round by round, every cell once per round in a seeded random order; sequential: cell by cell */
  order: z.enum(ORDERS).default('interleaved'),
});

/** Repetitions per pcap file the plan holds (the cap when repetitions is auto). */
export function plannedRepetitions(m: Pick<Matrix, 'repetitions' | 'max_repetitions'>): number {
  return m.repetitions === 'auto' ? m.max_repetitions : m.repetitions;
}

const stateSchema = z.strictObject({
  /** async flush period in milliseconds (the paper: 1 ms) */
  flush_ms: z.number().positive().max(60_000).default(1),
});

/** Packets per second of a link at a frame size: each frame also takes 8 bytes of preamble and 12 of gap. */
export function linePps(frameSize: number, gbps = 10): number {
  return (gbps * 1e9) / ((frameSize + 20) * 8);
}

/** The same in Mpps, to two decimals (figures, reports): 14.88 for 64 B at 10 GbE. */
export function lineRateMpps(frameSize: number, gbps = 10): number {
  return Math.round(linePps(frameSize, gbps) / 1e4) / 100;
}

/** A reference: each cell is paired with the cell that has these values instead (same round, same pcap). */
export const baselineSchema = z
  .strictObject({ nf: z.enum(NFS).optional(), store: z.enum(STORES).optional(), location: z.enum(LOCATIONS).optional(), mode: z.enum(TRIAL_MODES).optional() })
  .refine((b) => Object.keys(b).length > 0, { message: 'name at least one of nf, store, location, mode' });

export const figureSchema = z.strictObject({
  /** file name of the figure (plots/<id>.png) */
  id: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "-" or "_"'),
  title: z.string().min(1),
  /** lines: x cores, y Mpps, one line per series; best: bars of the best core count per series */
  kind: z.enum(['lines', 'best']).default('lines'),
  /** which trials the figure shows */
  filter: z
    .strictObject({ nf: oneOrMany(NFS).optional(), store: oneOrMany(STORES).optional(), location: oneOrMany(LOCATIONS).optional(), mode: oneOrMany(TRIAL_MODES).optional() })
    .default({}),
  /** the fields that make one line (or bar) */
  series: nonEmptyUnique(z.enum(SERIES_FIELDS)).default(['store', 'location']),
  metric: z.enum(FIGURE_METRICS).default('tx_mpps'),
  /** the reference cell: the cell with these fields replaced (e.g. { store: hashmap }); needed by metric: ratio */
  baseline: baselineSchema.optional(),
  /** dashed reference line in Mpps; null for none; auto: 10 GbE (the paper's link) at the spec's frame size (64 B: 14.88) */
  line_rate_mpps: z.union([z.literal('auto'), z.number().positive()]).nullable().default('auto'),
});

/** Everything a profile may override: the same sections, every field optional (checked again after merging). */
const profileSchema = z.strictObject({
  description: z.string().optional(),
  traffic: z.record(z.string(), z.unknown()).optional(),
  matrix: z.record(z.string(), z.unknown()).optional(),
  state: z.record(z.string(), z.unknown()).optional(),
  figures: z.array(z.unknown()).optional(),
});

export const specSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, ".", "-" or "_"'),
  description: z.string().default(''),
  testbed: z.enum(TESTBEDS).default('local'),
  /** hosts and links of a netns/lab testbed; its shape is checked by that testbed's own schema */
  inventory: z.unknown().optional(),
  traffic: trafficSchema.default(() => trafficSchema.parse({})),
  matrix: matrixSchema,
  state: stateSchema.default(() => stateSchema.parse({})),
  figures: z.array(figureSchema).default([]),
  /** the reference of ratios.csv and summary.csv's ratio columns (figures may name their own) */
  baseline: baselineSchema.optional(),
  /** named overrides, chosen with `--profile NAME` (e.g. `paper` for the paper's full parameters) */
  profiles: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), profileSchema).default({}),
  /** several instances of the NF behind a front-end, sharing the store (harness/spec/elastic.ts) */
  instances: instancesSchema.optional(),
  /** kill / add / remove instances during each trial */
  events: eventsSchema.optional(),
});

export type Spec = z.output<typeof specSchema>;
type Matrix = Spec['matrix'];
export type Figure = Spec['figures'][number];
export type NfName = (typeof NFS)[number];
