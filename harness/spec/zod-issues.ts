// Zod's issues as spec issues: each positioned at its file:line:col, worded for a person (what was
// expected, what was found, a did-you-mean), the keys an object allows listed. Used by the loader
// (stage 1, the schema) and the rules (an inventory checked against its testbed's schema).
import type { z } from 'zod';
import { specSchema } from './schema.js';
import { type SpecIssue, type PathSeg, formatPath, didYouMean, describeValue } from './errors.js';

/** The schema node at a path (to list the keys an object allows). */
function schemaAt(schema: z.ZodType, path: readonly PathSeg[]): z.ZodType | null {
  let s: z.ZodType | null = schema;
  for (const seg of [...path, null]) {
    // unwrap wrappers that do not change the shape
    for (let guard = 0; s && guard < 10; guard++) {
      const def: Record<string, unknown> = (s as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
      if (['optional', 'default', 'nullable', 'prefault', 'readonly', 'catch'].includes(def.type as string)) s = def.innerType as z.ZodType;
      // z.preprocess is a pipe from a transform: the shape is its output's
      else if (def.type === 'pipe') s = ((def.in as { _zod: { def: { type: string } } })._zod.def.type === 'transform' ? def.out : def.in) as z.ZodType;
      else break;
    }
    if (seg === null || !s) break;
    const def: Record<string, unknown> = (s as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (def.type === 'object') s = ((def.shape as Record<string, z.ZodType>)[String(seg)] ?? null);
    else if (def.type === 'array') s = def.element as z.ZodType;
    else if (def.type === 'record') s = def.valueType as z.ZodType;
    else if (def.type === 'union') s = (def.options as z.ZodType[]).find((o) => (o as unknown as { _zod: { def: { type: string } } })._zod.def.type === 'object') ?? null;
    else return null;
  }
  return s;
}

function objectKeys(schema: z.ZodType | null): string[] {
  if (!schema) return [];
  const def = (schema as unknown as { _zod: { def: { type: string; shape?: Record<string, unknown> } } })._zod.def;
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

export function getIn(value: unknown, path: readonly PathSeg[]): unknown {
  let v = value;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg as string];
  }
  return v;
}

function expectedOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int' ? 'an integer' : issue.expected === 'array' ? 'a list' : issue.expected === 'object' ? 'a mapping' : `a ${issue.expected}`;
    case 'invalid_value':
      return issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'array') return `at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return issue.minimum === 1 ? 'non-empty text' : `text of at least ${issue.minimum} characters`;
      return `a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `at most ${issue.maximum} items`;
      return `a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    case 'invalid_union': {
      const alts = new Set<string>();
      for (const branch of issue.errors) for (const sub of branch) if (sub.path.length === 0) alts.add(expectedOf(sub));
      return [...alts].join(' or ') || 'another form';
    }
    case 'invalid_format':
      return issue.format === 'regex' ? `text matching ${(issue as { pattern?: string }).pattern ?? 'the pattern'} (${issue.message})` : issue.message;
    default:
      return issue.message;
  }
}

/** Turn zod issues into positioned spec issues. `origin` picks the document positions for a path (profiles). */
export function zodIssues(
  error: z.ZodError,
  data: unknown,
  locate: (path: readonly PathSeg[], key: boolean) => { file: string; line: number; col: number; prefix: string },
  schema: z.ZodType = specSchema,
): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path as PathSeg[];
    if (issue.code === 'unrecognized_keys') {
      const allowed = objectKeys(schemaAt(schema, path));
      for (const k of issue.keys) {
        const p = [...path, k];
        const loc = locate(p, true);
        const hint = didYouMean(k, allowed);
        out.push({
          file: loc.file, line: loc.line, col: loc.col, path: formatPath(p),
          message: `${loc.prefix}unknown key "${k}"${hint ? `; did you mean "${hint}"?` : ''} (allowed: ${allowed.join(', ')})`,
        });
      }
      continue;
    }
    const found = getIn(data, path);
    const loc = locate(path, false);
    let message: string;
    if (issue.code === 'custom') message = `${issue.message}, found ${describeValue(found)}`;
    else if (issue.code === 'invalid_type' && found === undefined) message = `required, expected ${expectedOf(issue)}`;
    else message = `expected ${expectedOf(issue)}, found ${describeValue(found)}`;
    if (issue.code === 'invalid_value' && typeof found === 'string') {
      const hint = didYouMean(found, issue.values.map(String));
      if (hint) message += `; did you mean "${hint}"?`;
    }
    out.push({ file: loc.file, line: loc.line, col: loc.col, path: formatPath(path), message: loc.prefix + message });
  }
  return out;
}
