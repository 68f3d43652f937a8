// The spec's `instances:` and `events:` (issue 18): several instances of the NF behind a front-end,
// and what happens to them during a trial (kill, add, remove), with the rules a schema cannot say.
import { z } from 'zod';
import type { PathSeg } from './errors.js';
import { didYouMean } from './errors.js';

const instanceId = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, ".", "-" or "_" (it is part of the store keys)');
const when = z.strictObject({
  instance: instanceId,
  /** seconds after traffic starts (the warm-up included); the event must fall in the measured window */
  at_s: z.number().nonnegative().max(3600),
});

/** `kill` (SIGKILL; a standby takes the instance's id and recovers its partitions), `add` (scale-out), `remove` (scale-in). */
export const eventSchema = z.union([
  z.strictObject({ kill: when }),
  z.strictObject({ add: when }),
  z.strictObject({ remove: when }),
]);

/** instances live from the start (ids); with `events`, what happens to them */
export const instancesSchema = z.array(instanceId).min(1).max(16).refine((xs) => new Set(xs).size === xs.length, { message: 'instance ids must be unique' });
export const eventsSchema = z.array(eventSchema).max(32);

export type ElasticEventKind = 'kill' | 'add' | 'remove';
export interface ElasticEvent {
  kind: ElasticEventKind;
  instance: string;
  at_s: number;
}

/** The events as one shape, in spec order. */
export function elasticEvents(events: readonly z.output<typeof eventSchema>[] | undefined): ElasticEvent[] {
  return (events ?? []).map((e) => {
    const kind = Object.keys(e)[0] as ElasticEventKind;
    const w = (e as Record<string, { instance: string; at_s: number }>)[kind];
    return { kind, instance: w.instance, at_s: w.at_s };
  });
}

/** What the rules read of a spec. */
interface ElasticSpecPart {
  testbed: string;
  traffic: { warmup_s: number; duration_s: number; rate: number | 'max' };
  matrix: { nfs: readonly string[]; stores: readonly string[] };
  instances?: readonly string[];
  events?: readonly z.output<typeof eventSchema>[];
}

/**
 * Problems of `instances:`/`events:` a schema cannot see: an event naming an instance that is not live
 * when it fires, an event outside the measured window (or before the run starts), a scale-in of the
 * last instance, a store the instances cannot share, a rate the front-end cannot offer.
 */
export function elasticIssues(spec: ElasticSpecPart, issue: (at: PathSeg[], message: string, key?: boolean) => void): void {
  if (spec.events !== undefined && spec.instances === undefined) {
    issue(['events'], 'events need instances: name the instances live from the start (instances: [ins1, ins2])', true);
    return;
  }
  if (spec.instances === undefined) return;
  if (spec.testbed !== 'local') issue(['instances'], `several instances run on the local testbed (its front-end stands for the switch in front of them); found testbed "${spec.testbed}"`, true);
  if (spec.traffic.rate === 'max') issue(['traffic', 'rate'], 'several instances need an offered rate in packets per second (the front-end paces it), found "max"');
  const testpmd = spec.matrix.nfs.indexOf('testpmd');
  if (testpmd >= 0) issue(['matrix', 'nfs', testpmd], 'testpmd runs as one process: instances are for flexbench NFs');
  spec.matrix.stores.forEach((s, i) => {
    if (s === 'hashmap') issue(['matrix', 'stores', i], 'instances share one store; hashmap lives inside one process (use redis or cassandra)');
  });
  const w0 = spec.traffic.warmup_s;
  const w1 = spec.traffic.warmup_s + spec.traffic.duration_s;
  const events = elasticEvents(spec.events);
  // replay the events in time order: which ids are live when each fires
  const live = new Set(spec.instances);
  const named = new Set(spec.instances);
  const order = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.at_s - b.e.at_s || a.i - b.i);
  for (const { e, i } of order) {
    const at: PathSeg[] = ['events', i, e.kind];
    if (e.at_s <= 0) issue([...at, 'at_s'], `a ${e.kind} at ${e.at_s} s is before the run starts (at_s counts from the first packet; give a time within the measured window, ${w0}..${w1} s)`);
    else if (e.at_s < w0) issue([...at, 'at_s'], `a ${e.kind} at ${e.at_s} s falls in the ${w0} s warm-up, which is not measured (give ${w0} <= at_s < ${w1})`);
    else if (e.at_s >= w1) issue([...at, 'at_s'], `a ${e.kind} at ${e.at_s} s is after the measured window ends (${w1} s = warmup_s + duration_s)`);
    if (e.kind === 'add') {
      if (live.has(e.instance)) issue([...at, 'instance'], `instance "${e.instance}" is already running when it is added`);
      else if (named.has(e.instance)) issue([...at, 'instance'], `instance "${e.instance}" was named before; a new instance needs a new id (a killed one comes back through its standby)`);
      live.add(e.instance);
      named.add(e.instance);
      continue;
    }
    if (!live.has(e.instance)) {
      const hint = didYouMean(e.instance, [...live]);
      issue([...at, 'instance'], `no instance "${e.instance}" is running when this ${e.kind} fires (running: ${[...live].join(', ') || 'none'})${hint ? `; did you mean "${hint}"?` : ''}`);
      continue;
    }
    if (e.kind === 'remove') {
      if (live.size === 1) issue([...at, 'instance'], `removing "${e.instance}" would leave no instance: scale-in keeps at least one (add one first, or kill it to fail over to a standby)`);
      live.delete(e.instance);
    }
    // a kill keeps the id live: a standby takes it over
  }
}
