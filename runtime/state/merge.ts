// Merging functions' combine rules (Section VI-B), pure: each takes what every partition holds of one
// structure and returns one value. Every rule but the list's is commutative and associative, so the
// result does not depend on the order the partitions were read in.
import type { MapMergeRule } from './types.js';

/** Counter: the sum of the partitions' counters. */
export function mergeCounters(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/** Per key, `rule` over the partitions holding that key (CounterMap: sum; Map: max by default). Keys sorted. */
export function mergeEntries(parts: readonly (readonly [readonly string[], readonly number[]])[], rule: MapMergeRule): [string[], number[]] {
  const acc = new Map<string, number>();
  for (const [ks, vs] of parts) {
    for (let i = 0; i < ks.length; i++) {
      const k = ks[i]!, v = vs[i]!;
      const cur = acc.get(k);
      if (cur === undefined) acc.set(k, v);
      else acc.set(k, rule === 'sum' ? cur + v : rule === 'max' ? Math.max(cur, v) : Math.min(cur, v));
    }
  }
  const keys = [...acc.keys()].sort();
  return [keys, keys.map((k) => acc.get(k)!)];
}

/** Set: the union, sorted. */
export function mergeSets(parts: readonly (readonly string[])[]): string[] {
  const u = new Set<string>();
  for (const p of parts) for (const v of p) u.add(v);
  return [...u].sort();
}

/** List: concatenation in the order given (the caller gives partition order: instance, then core). */
export function mergeLists(parts: readonly (readonly string[])[]): string[] {
  return parts.flatMap((p) => [...p]);
}

const RULES: readonly MapMergeRule[] = ['max', 'min', 'sum'];
export function isMapMergeRule(r: unknown): r is MapMergeRule {
  return RULES.includes(r as MapMergeRule);
}
