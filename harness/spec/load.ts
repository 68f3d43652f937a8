// Reads a spec: YAML with positions -> schema -> normalise -> semantic rules; every problem at once, with file:line:col.
import { readInputFile } from '../../common/input-file.js';
import { dirname, resolve } from 'node:path';
import { parseDocument, LineCounter, isMap, isSeq, isPair, isScalar, isAlias, type Document, type Node } from 'yaml';
import { z } from 'zod';
import { lineRateMpps, specSchema, type Spec } from './schema.js';
import { SpecError, type SpecIssue, type PathSeg, formatPath, didYouMean, describeValue } from './errors.js';
import { semanticIssues, RULES_READ_DEFAULTED } from './rules.js';
import { frameSizesOf } from './measure.js';
import { getIn, zodIssues } from './zod-issues.js';
import { Positions } from './positions.js';
import { FlexbenchError, EXIT } from '../exit-codes.js';

export interface LoadedSpec {
  /** path as given */
  file: string;
  /** the document as written (plain data) */
  given: unknown;
  /** defaults applied, profile merged, normalised */
  spec: Spec;
  profile: string | null;
  /** the spec file's directory, for relative pcap paths */
  baseDir: string;
}


/**
 * A copy of the spec without what stage 1 refused (unknown keys, bad list items, wrong values), so the
 * semantic rules can still judge the rest and one run of validate lists every problem. null when a
 * refused value is one the rules read and the schema would default (they would judge the default).
 * `remap` turns a path in the copy back into the document's (list items after a dropped one moved
 * up); `dropped` are the deleted fields, `shortened` the lists that lost items (a rule about a whole
 * one would judge another list).
 */
function withoutBadFields(given: unknown, issues: readonly z.ZodIssue[]): { pruned: unknown; dropped: string[]; shortened: Set<string>; remap: (p: readonly PathSeg[]) => PathSeg[] } | null {
  const copy = structuredClone(given);
  const dropped: string[] = [];
  const lists = new Map<string, { list: unknown[]; gone: Set<number> }>();
  const related = (p: readonly PathSeg[], q: readonly PathSeg[]) => p.slice(0, q.length).every((seg, i) => seg === q[i]) || q.slice(0, p.length).every((seg, i) => seg === p[i]);
  for (const i of issues) {
    const path = i.path as PathSeg[];
    if (i.code === 'unrecognized_keys') {
      const at = getIn(copy, path);
      if (isPlainObject(at)) for (const k of i.keys) delete at[k];
      continue;
    }
    if (path.length === 0) return null;
    const parent = getIn(copy, path.slice(0, -1));
    const last = path[path.length - 1]!;
    if (Array.isArray(parent) && typeof last === 'number') {
      const key = formatPath(path.slice(0, -1));
      if (!lists.has(key)) lists.set(key, { list: parent, gone: new Set() });
      lists.get(key)!.gone.add(last);
    } else {
      if (RULES_READ_DEFAULTED.some((r) => related(path, r))) return null;
      if (isPlainObject(parent)) delete parent[last as string];
      dropped.push(formatPath(path));
    }
  }
  // list items go last, from the end, so earlier indices stay put; kept[i] = document index of item i
  const kept = new Map<string, number[]>();
  for (const [key, { list, gone }] of lists) {
    kept.set(key, list.map((_, j) => j).filter((j) => !gone.has(j)));
    for (const j of [...gone].sort((a, b) => b - a)) list.splice(j, 1);
  }
  const remap = (p: readonly PathSeg[]): PathSeg[] => {
    const out: PathSeg[] = [];
    for (const seg of p) {
      const k = typeof seg === 'number' ? kept.get(formatPath(out)) : undefined;
      out.push(k && typeof seg === 'number' && seg < k.length ? k[seg]! : seg);
    }
    return out;
  };
  return { pruned: copy, dropped, shortened: new Set(lists.keys()), remap };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Profile merge: mappings merge key by key, anything else (lists too) replaces. */
function mergeProfile(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeProfile(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** Normalise: sorted core counts, pcap paths resolved against the spec's directory, line rates of the frame size. */
function normalise(spec: Spec, baseDir: string): Spec {
  return {
    ...spec,
    figures: spec.figures.map((f) => (f.line_rate_mpps === 'auto' ? { ...f, line_rate_mpps: lineRateMpps(Math.min(...frameSizesOf(spec))) } : f)),
    matrix: { ...spec.matrix, cores: [...spec.matrix.cores].sort((a, b) => a - b) },
    traffic: { ...spec.traffic, pcaps: spec.traffic.pcaps?.map((p) => resolve(baseDir, p)) },
  };
}

/** Most values a spec may hold once its aliases are expanded: the shipped ones hold a few hundred. */
export const MAX_SPEC_VALUES = 100_000;
/** Deepest nesting of mappings and lists in a spec (the shipped ones nest 4 deep). */
const MAX_SPEC_DEPTH = 64;

/**
 * The document's size once aliases are expanded, counted before anything expands them: an alias bomb
 * ("billion laughs") is refused at the alias that crosses the limit; an alias of a missing anchor or
 * inside its own anchor (a cycle) at that alias. null when the document is fine.
 */
function yamlShapeIssue(doc: Document, lines: LineCounter, file: string): SpecIssue | null {
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  let total = 0;
  let issue: SpecIssue | null = null;
  const fail = (n: Node, message: string): never => {
    const p = lines.linePos(n.range?.[0] ?? 0);
    issue = { file, line: p.line, col: p.col, path: '', message: `YAML: ${message}` };
    throw issue;
  };
  // the number of values `n` stands for once its aliases are expanded
  const walk = (n: unknown, depth: number): number => {
    if (!n || typeof n !== 'object') return 0;
    const node = n as Node;
    if (depth > MAX_SPEC_DEPTH) fail(node, `nested deeper than ${MAX_SPEC_DEPTH} levels of mappings and lists`);
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) return fail(node, `alias *${node.source} names no anchor before it (mark an earlier value with &${node.source})`);
      if (open.has(target)) fail(node, `alias *${node.source} is inside the value it names (a cycle)`);
      const size = sizes.get(target) ?? 1;
      total += size;
      if (total > MAX_SPEC_VALUES) fail(node, `alias *${node.source} expands the spec past ${MAX_SPEC_VALUES.toLocaleString('en-US')} values (an alias bomb?); write the values out or use fewer aliases`);
      return size;
    }
    if (node.anchor) {
      anchors.set(node.anchor, node);
      open.add(node);
    }
    let size = 1;
    if (++total > MAX_SPEC_VALUES) fail(node, `the spec holds more than ${MAX_SPEC_VALUES.toLocaleString('en-US')} values`);
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items as unknown[]) {
        if (!isPair(item)) size += walk(item, depth + 1);
        else {
          // a mapping or list as a key would be turned into text by JavaScript objects
          if (isMap(item.key) || isSeq(item.key)) fail(item.key as Node, 'a key must be plain text, found a mapping or list as a key');
          size += walk(item.key, depth + 1) + walk(item.value, depth + 1);
        }
      }
    }
    if (node.anchor) {
      open.delete(node);
      sizes.set(node, size);
    }
    return size;
  };
  try {
    walk(doc.contents, 0);
  } catch (e) {
    if (e !== issue) throw e;
  }
  return issue;
}

/** Parse and validate a spec text; throws SpecError with every problem. */
/** What `flexbench run` may change in a spec from the command line. */
interface SpecOptions {
  profile?: string | null;
  /** `--testbed`: run the same spec on another testbed */
  testbed?: string;
  /** `--inventory FILE`: the inventory of a netns/lab testbed, from a file */
  inventory?: string;
}

export async function parseSpec(text: string, file: string, opts: SpecOptions & { baseDir?: string } = {}): Promise<LoadedSpec> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const pos = new Positions(doc, lines, file);
  const baseDir = opts.baseDir ?? dirname(resolve(file));
  const issues: SpecIssue[] = [];
  for (const e of [...doc.errors, ...doc.warnings]) {
    const p = lines.linePos(e.pos[0]);
    issues.push({ file, line: p.line, col: p.col, path: '', message: `YAML: ${e.message.split('\n')[0]}` });
  }
  if (issues.length) throw new SpecError(issues);
  const shape = yamlShapeIssue(doc, lines, file);
  if (shape) throw new SpecError([shape]);
  let given: unknown;
  try {
    given = doc.toJS();
  } catch (e) {
    // yaml's own alias guard, should a document pass the count above and still trip it
    throw new SpecError([{ file, line: 1, col: 1, path: '', message: `YAML: ${(e as Error).message}` }]);
  }
  if (!isPlainObject(given)) {
    throw new SpecError([{ file, line: 1, col: 1, path: '', message: `expected a mapping of spec fields (name, traffic, matrix, …), found ${describeValue(given)}` }]);
  }
  // Command-line overrides go into the spec as given, so they are checked (and recorded) like spec lines.
  if (opts.testbed !== undefined) given.testbed = opts.testbed;
  if (opts.inventory !== undefined) given.inventory = { file: resolve(opts.inventory) };
  const seen = new Set<string>();
  const add = (list: SpecIssue[]) => {
    for (const i of list) {
      const k = `${i.line}:${i.col}:${i.path}:${i.message}`;
      if (!seen.has(k)) {
        seen.add(k);
        issues.push(i);
      }
    }
  };

  // Stage 1 on the spec as written (profiles included, so their outer shape is checked once).
  const base = specSchema.safeParse(given);
  // a problem in a field the command line set says so (its position is where the spec would have it)
  const flagged = (p: readonly PathSeg[]) =>
    p[0] === 'testbed' && opts.testbed !== undefined ? `(--testbed ${opts.testbed}) ` : p[0] === 'inventory' && opts.inventory !== undefined ? '(--inventory) ' : '';
  const baseLocate = (p: readonly PathSeg[], key: boolean) => ({ file, ...pos.at(p, key), prefix: flagged(p) });
  if (!base.success) {
    add(zodIssues(base.error, given, baseLocate));
    // Stage 1's problems do not hide the rest: the rules also judge the spec without the refused fields
    // (where it still stands without them), so one run of validate lists every problem.
    const cut = withoutBadFields(given, base.error.issues);
    const again = cut === null ? null : specSchema.safeParse(cut.pruned);
    if (cut && again?.success) {
      const moot = (path: string) => cut.shortened.has(path) || cut.dropped.some((d) => path === d || path.startsWith(`${d}.`) || path.startsWith(`${d}[`));
      add((await semanticIssues(normalise(again.data, baseDir), baseLocate, cut.remap)).filter((i) => !moot(i.path)));
    }
  } else add(await semanticIssues(normalise(base.data, baseDir), baseLocate));

  // the same problem seen from the base and from a profile differs only in its "(…) " prefix
  const problemKey = (i: SpecIssue) => `${i.path}:${i.message.replace(/^\([^)]*\) /, '')}`;
  const baseKeys = new Set(issues.map(problemKey));
  // Every profile merged over the base is validated too, positions pointing into the profile where it overrides.
  const profiles = isPlainObject(given.profiles) ? given.profiles : {};
  const { profiles: _drop, ...plain } = given;
  const resolved = new Map<string, Spec>();
  for (const [name, over] of Object.entries(profiles)) {
    if (!isPlainObject(over)) continue; // reported by stage 1
    const { description: _d, ...overrides } = over;
    const merged = mergeProfile(plain, overrides);
    const owned = (p: readonly PathSeg[]): boolean => {
      // a path belongs to the profile when the profile spells it out, or replaces a whole list/value above it
      for (let n = p.length; n > 0; n--) {
        const q = ['profiles', name, ...p.slice(0, n)];
        if (!pos.has(q)) continue;
        return n === p.length || !isPlainObject(getIn(given, q));
      }
      return false;
    };
    const locate = (p: readonly PathSeg[], key: boolean) => {
      if (!owned(p)) return { file, ...pos.at(p, key), prefix: `(profile "${name}") ` };
      for (let n = p.length; n > 0; n--) {
        if (pos.has(['profiles', name, ...p.slice(0, n)])) return { file, ...pos.at(['profiles', name, ...p], key), prefix: `(profile "${name}") ` };
      }
      return { file, ...pos.at(p, key), prefix: `(profile "${name}") ` };
    };
    // problems the base already has are reported once, from the base
    const fresh = (list: SpecIssue[]) => list.filter((i) => !baseKeys.has(problemKey(i)));
    const r = specSchema.safeParse(merged);
    if (!r.success) add(fresh(zodIssues(r.error, merged, locate)));
    else {
      const spec = normalise(r.data, baseDir);
      resolved.set(name, spec);
      add(fresh(await semanticIssues(spec, locate)));
    }
  }

  if (opts.profile && !Object.hasOwn(profiles, opts.profile)) {
    const names = Object.keys(profiles);
    const hint = didYouMean(opts.profile, names);
    throw new FlexbenchError(
      `${file}: no profile "${opts.profile}"${hint ? `; did you mean "${hint}"?` : ''} (profiles in this spec: ${names.length ? names.join(', ') : 'none'})`,
      EXIT.usage,
    );
  }
  if (issues.length) throw new SpecError(issues.sort((a, b) => a.line - b.line || a.col - b.col));
  const spec = opts.profile ? resolved.get(opts.profile)! : normalise(base.data!, baseDir);
  return { file, given, spec, profile: opts.profile ?? null, baseDir };
}

/** Largest spec file read: the shipped ones are 2-3 KiB. */
const MAX_SPEC_BYTES = 2 ** 20;

export async function loadSpec(file: string, opts: SpecOptions = {}): Promise<LoadedSpec> {
  return parseSpec(readInputFile(file, MAX_SPEC_BYTES, 'spec').toString('utf8'), file, opts);
}

/** The spec a run recorded (run.json's `spec_resolved`) as this flexbench reads it; a sentence, exit 2, when it no longer validates. */
export function specOfRun(spec_resolved: unknown, runDir: string): Spec {
  const parsed = specSchema.safeParse(spec_resolved);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new FlexbenchError(`${runDir}/run.json: its resolved spec no longer validates with this flexbench: ${i ? `${i.path.join('.') || '(top)'}: ${i.message}` : 'unknown'}`, EXIT.usage);
  }
  return parsed.data;
}
