// The order trials run in. Interleaved (the default): round by round, each round runs every runnable cell
// once on one (pcap file, repetition), in a random order drawn from a recorded seed — slow drifts of the
// host then hit every configuration alike, and a cell is compared with its reference within a round
// (Abedi & Brecht, ICPE 2017). Sequential: the plan's own order (cell by cell).
import type { PlanTrial } from '../results/format.js';
import { seededRandom, shuffled } from '../results/random.js';
import { needsServer } from '../../runtime/stores/server.js';

export const ORDERS = ['interleaved', 'sequential'] as const;
export type Order = (typeof ORDERS)[number];

/** The round of a trial: repetition-major, so rounds cover every pcap file before repeating one. */
export function roundOf(t: Pick<PlanTrial, 'pcap_index' | 'repetition'>, files: number): number {
  return t.repetition * files + t.pcap_index;
}

export interface Scheduled {
  trial: PlanTrial;
  /** 0-based round */
  round: number;
}

/**
 * The runnable trials of a plan in the order they run (skipped ones are not scheduled). With a `block` key
 * (the cell with its baseline fields taken out: a cell and its reference share it), a round runs its blocks
 * in a random order and the trials of a block back to back, also shuffled: a ratio then divides two rates
 * measured seconds apart, not a round apart (a randomized block design). With a `group` key, the trials that
 * share one (a cell's end-host tests of one repetition: endpointGroup) are one unit of the shuffle, run back to
 * back in the plan's order (the spec's endpoints.tests): one NF runs them, and a test's place on it matters (the
 * echo on a fresh NF measured 580-1,800 µs, after another test 160-510 µs), so every cell's test has the same
 * place; trials without one (null) are units alone, drawn as before.
 */
export function schedule(plan: readonly PlanTrial[], o: { order: Order; seed: number; files: number; block?: (t: PlanTrial) => string; group?: (t: PlanTrial) => string | null }): Scheduled[] {
  const run = plan.filter((t) => !t.skip).map((trial) => ({ trial, round: roundOf(trial, o.files) }));
  if (o.order === 'sequential') return run;
  const rounds = new Map<number, Scheduled[]>();
  for (const s of run) rounds.set(s.round, [...(rounds.get(s.round) ?? []), s]);
  const rnd = seededRandom(o.seed);
  // units draw nothing more than their shuffle: without groups the order is the one drawn before groups existed
  const out: Scheduled[] = [];
  for (const r of [...rounds.keys()].sort((a, b) => a - b)) {
    const units = unitsOf(rounds.get(r)!, o.group);
    if (!o.block) {
      out.push(...shuffled(units, rnd).flat());
      continue;
    }
    const blocks = new Map<string, Scheduled[][]>();
    for (const u of units) blocks.set(o.block(u[0]!.trial), [...(blocks.get(o.block(u[0]!.trial)) ?? []), u]);
    for (const b of shuffled([...blocks.values()], rnd)) out.push(...shuffled(b, rnd).flat());
  }
  return out;
}

/** A round's trials as units of the shuffle: those of one group together (where the first came), the others alone. */
function unitsOf(xs: readonly Scheduled[], group: ((t: PlanTrial) => string | null) | undefined): Scheduled[][] {
  const units: Scheduled[][] = [];
  const byKey = new Map<string, Scheduled[]>();
  for (const s of xs) {
    const k = group?.(s.trial) ?? null;
    const u = k === null ? undefined : byKey.get(k);
    if (u) u.push(s);
    else {
      units.push([s]);
      if (k !== null) byKey.set(k, units[units.length - 1]!);
    }
  }
  return units;
}

/**
 * The group of an end-host trial (PlanTrial.measure): its cell, pcap file and repetition, which its other tests
 * share; they run back to back on one NF kept up across them (Testbed.openEndpoints). Null for any other trial.
 */
export function endpointGroup(t: PlanTrial): string | null {
  return t.measure ? t.trial_id.slice(0, t.trial_id.length - t.measure.length - 1) : null;
}

export { needsServer };

/** The store servers a plan's runnable trials need, each (store, location) once, in first-use order. */
export function serversNeeded(trials: readonly Pick<PlanTrial, 'store' | 'location' | 'skip'>[]): { store: string; location: string }[] {
  const seen = new Map<string, { store: string; location: string }>();
  for (const t of trials) if (!t.skip && needsServer(t.store)) seen.set(`${t.store}@${t.location}`, { store: t.store, location: t.location });
  return [...seen.values()];
}

/** Key of the server a trial uses; null when it needs none. */
export const serverKey = (t: Pick<PlanTrial, 'store' | 'location'>): string | null => (needsServer(t.store) ? `${t.store}@${t.location}` : null);

/** The block key of a baseline: the trial's cell with the baseline's fields left out. */
export function blockBy(baseline: Partial<Record<'nf' | 'store' | 'location' | 'mode', string>>): (t: PlanTrial) => string {
  const fields = (['nf', 'store', 'location', 'mode', 'cores'] as const).filter((f) => f === 'cores' || baseline[f] === undefined);
  return (t) => fields.map((f) => t[f]).join('/');
}
