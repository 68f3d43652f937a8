// The order of an interleaved A/B run, drawn from a recorded seed: every round measures every unit (a cell on one
// pcap) with both builds back to back; the units come in a new random order each round, and which build goes
// first alternates per unit from round to round, starting from a random side (so each build leads equally often).
import { seededRandom, shuffled } from '../results/random.js';
import type { Role } from './revision.js';

export interface Slot {
  unit: number;
  /** the builds in the order they run */
  order: [Role, Role];
}

export class Schedule {
  private readonly random: () => number;
  private readonly headFirst: boolean[];
  private round = 0;

  constructor(readonly seed: number, readonly units: number) {
    this.random = seededRandom(seed);
    this.headFirst = Array.from({ length: units }, () => this.random() < 0.5);
  }

  /** The next round's slots. */
  next(): Slot[] {
    const flip = this.round % 2 === 1;
    this.round += 1;
    const order = shuffled(Array.from({ length: this.units }, (_, i) => i), this.random);
    return order.map((unit) => ({ unit, order: this.headFirst[unit] !== flip ? ['head', 'base'] : ['base', 'head'] }));
  }
}

/** A fresh seed when none is given (recorded, so the order can be replayed with --seed). */
export function newSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/** Growth of the rounds between two looks at the verdicts under --until decided. */
export const LOOK_GROWTH = 1.25;

/**
 * The rounds after which --until decided looks at the verdicts: the first at `min`, then each about LOOK_GROWTH
 * times the last (at least one round later), and the cap. Every look is a chance of a false alarm that the
 * confidence is split over (Bonferroni), so looks spaced geometrically cost a few of them instead of one per round:
 * 10 to 200 rounds are 14 looks (99.64 % each for 95 % in all), not 191 (99.97 %).
 */
export function lookRounds(min: number, cap: number, growth = LOOK_GROWTH): number[] {
  const out: number[] = [];
  for (let r = min; r < cap; r = Math.max(r + 1, Math.ceil(r * growth))) out.push(r);
  out.push(cap);
  return out;
}

/**
 * With epochs of `k` rounds (windows of resident processes), the looks come at epochs' ends only, the epoch being the
 * sample: lookRounds over epochs (the first at the epoch holding --min-rounds, at least the second), in rounds; the
 * cap's epoch may be short.
 */
export function epochLookRounds(minRounds: number, cap: number, k: number, growth = LOOK_GROWTH): number[] {
  return lookRounds(Math.max(2, Math.ceil(minRounds / k)), Math.ceil(cap / k), growth).map((e) => Math.min(e * k, cap));
}
