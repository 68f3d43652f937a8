// The spec's measure: section resolved into what the orchestrator runs: search goals (a preset or the
// spec's own, defaults filled in), loads and stamping of latency; frame sizes as an axis. Pure.
import type { Spec, GoalSpec } from './schema.js';
import { presetGoals, type SearchGoal } from '../search/goal.js';
import { STAMP_BYTES } from '../../runtime/packet/stamp.js';

export interface NdrPdrPlan {
  /** the preset's name, or "custom" */
  preset: string;
  goals: SearchGoal[];
  min_load_pps: number | 'auto';
  max_load_pps: number | 'auto';
  warmup_s: number;
  max_trials: number;
}

export interface LatencyPlan {
  /** fractions of the reference; 0 = the low fixed rate */
  loads: number[];
  low_rate_pps: number;
  every: number | 'auto';
  duration_s: number;
  warmup_s: number;
  calibrate: boolean;
}

export interface MeasurePlan {
  ndr_pdr: NdrPdrPlan | null;
  latency: LatencyPlan | null;
}

/** A spec goal with its defaults: initial trials half the final one, the duration sum one final trial. */
export function goalOf(g: GoalSpec): SearchGoal {
  return {
    name: g.name, loss_ratio: g.loss_ratio, exceed_ratio: g.exceed_ratio, final_trial_duration: g.final_trial_duration,
    initial_trial_duration: g.initial_trial_duration ?? g.final_trial_duration / 2, duration_sum: g.duration_sum ?? g.final_trial_duration, width: g.width,
  };
}

export function measurePlan(spec: Spec): MeasurePlan {
  const m = spec.measure;
  let ndr: NdrPdrPlan | null = null;
  if (m.ndr_pdr !== undefined) {
    const o = typeof m.ndr_pdr === 'string' ? { preset: m.ndr_pdr } : m.ndr_pdr;
    const given = typeof m.ndr_pdr === 'string' ? undefined : m.ndr_pdr.goals;
    const preset = given ? 'custom' : o.preset ?? 'quick';
    ndr = {
      preset,
      goals: given ? given.map(goalOf) : presetGoals(o.preset ?? 'quick'),
      min_load_pps: typeof m.ndr_pdr === 'string' ? 'auto' : m.ndr_pdr.min_load_pps,
      max_load_pps: typeof m.ndr_pdr === 'string' ? 'auto' : m.ndr_pdr.max_load_pps,
      warmup_s: (typeof m.ndr_pdr === 'string' ? undefined : m.ndr_pdr.warmup_s) ?? spec.traffic.warmup_s,
      max_trials: typeof m.ndr_pdr === 'string' ? 60 : m.ndr_pdr.max_trials,
    };
  }
  let lat: LatencyPlan | null = null;
  if (m.latency !== undefined) {
    const l = m.latency === true ? { loads: [0, 0.1, 0.5, 0.9], low_rate_pps: 10_000, every: 'auto' as const, duration_s: undefined, calibrate: true } : m.latency;
    lat = { loads: l.loads, low_rate_pps: l.low_rate_pps, every: l.every, duration_s: l.duration_s ?? spec.traffic.duration_s, warmup_s: spec.traffic.warmup_s, calibrate: l.calibrate };
  }
  return { ndr_pdr: ndr, latency: lat };
}

/** Whether a plan trial measures more than its max-load rate (a paced generator is then needed). */
export const needsPacing = (spec: Spec): boolean => spec.measure.ndr_pdr !== undefined || spec.measure.latency !== undefined;

/** The frame sizes of the plan: matrix.frame_sizes, else traffic.frame_size. */
export function frameSizesOf(spec: Spec): number[] {
  return spec.matrix.frame_sizes ?? [spec.traffic.frame_size];
}

/** The smallest Ethernet frame (FCS included) that carries a latency stamp after its IPv4 and L4 headers. */
export function minStampedFrame(proto: 'udp' | 'tcp'): number {
  return 14 + 20 + (proto === 'tcp' ? 20 : 8) + STAMP_BYTES + 4;
}

/** A latency label as results and summary.csv write it: "0" (the low fixed rate), "10%", "50%", … */
export function loadLabel(fraction: number): string {
  return fraction === 0 ? '0' : `${Math.round(fraction * 1000) / 10}%`;
}

/** Stamp every Nth packet: about 10,000 samples a second (every packet at 10 kpps), or what the spec says. */
export function stampEvery(every: number | 'auto', load_pps: number): number {
  return every === 'auto' ? Math.max(1, Math.round(load_pps / 10_000)) : every;
}
