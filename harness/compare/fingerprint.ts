// Baselines only mean something on the hardware they were measured on: list every field where two fingerprints differ.

export interface FingerprintDifference {
  /** dotted path of the field, e.g. "cpu.model" or "store_versions.redis" */
  field: string;
  baseline: unknown;
  current: unknown;
}

/** Flatten nested objects to dotted paths; arrays compare as a whole (a core list is one value). */
function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.set(prefix, value);
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Fields recorded only for what a run used: a run lists the versions of the stores its spec used, so a store present
 * on one side only says nothing about the hardware (its cells are missing or new anyway).
 */
const PER_RUN_PREFIXES = ['store_versions.'];

/** Every field present in either fingerprint whose values differ (a field missing on one side is a difference, except per-run ones). */
export function diffFingerprints(baseline: unknown, current: unknown): FingerprintDifference[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  flatten(baseline, '', a);
  flatten(current, '', b);
  const fields = [...new Set([...a.keys(), ...b.keys()])].sort();
  return fields
    .filter((f) => !(PER_RUN_PREFIXES.some((p) => f.startsWith(p)) && (!a.has(f) || !b.has(f))))
    .filter((f) => !same(a.get(f), b.get(f)))
    .map((f) => ({ field: f, baseline: a.get(f), current: b.get(f) }));
}

export function formatDifferences(diffs: readonly FingerprintDifference[], names: [string, string] = ['baseline', 'current']): string {
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
  return diffs.map((d) => `  ${d.field}: ${names[0]} ${show(d.baseline)} vs ${names[1]} ${show(d.current)}`).join('\n');
}
