// The spec loader fuzzed (fast-check) three ways: random YAML documents (random values, spec-shaped
// mappings, token soup), random mutations of the shipped experiments/*.yaml, and random bytes. Every
// input must end in a valid spec whose plan is what countTrials says, or a FlexbenchError with exit 2
// (problems with file:line:col), within a time bound derived from this machine's own loading of the
// shipped specs and of a legal spec at the value limit. The inputs tried are printed for the closing note.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parse as parseYaml, stringify as yamlStringify } from 'yaml';
import { parseSpec, MAX_SPEC_VALUES } from '../../../harness/spec/load.js';
import { SpecError } from '../../../harness/spec/errors.js';
import { countTrials, expandPlan, MAX_TRIALS } from '../../../harness/plan/plan.js';
import { FlexbenchError, EXIT } from '../../../common/errors.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SEED = Number(process.env.FUZZ_SEED ?? 20261205);
// per target; FUZZ_RUNS sets all three (about 10 s in all here when idle, well within a minute on a busy 2-core machine)
const RUNS = process.env.FUZZ_RUNS === undefined ? null : Number(process.env.FUZZ_RUNS);
const SHIPPED = readdirSync(join(ROOT, 'experiments')).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(join(ROOT, 'experiments', f), 'utf8'));

type Outcome = 'valid' | 'refused';

/** Load one input and check its outcome; returns it and the milliseconds it took. */
async function judge(text: string): Promise<{ outcome: Outcome; ms: number }> {
  const t0 = performance.now();
  let outcome: Outcome;
  try {
    const l = await parseSpec(text, 'fuzz.yaml', { baseDir: ROOT });
    const n = countTrials(l.spec);
    assert.ok(n <= MAX_TRIALS, `a valid spec plans ${n} trials`);
    assert.equal(expandPlan(l.spec).length, n);
    outcome = 'valid';
  } catch (e) {
    if (!(e instanceof FlexbenchError) || e.exitCode !== EXIT.usage) throw e;
    assert.ok(e.message.length > 0 && !/\n\s+at /.test(e.message), e.message);
    if (e instanceof SpecError) for (const i of e.issues) assert.ok(i.file === 'fuzz.yaml' && i.line >= 0 && i.col >= 0 && i.message.length > 0, JSON.stringify(i));
    outcome = 'refused';
  }
  return { outcome, ms: performance.now() - t0 };
}

/** Median ms of loading `text` (after a warm-up). */
async function median(text: string, n = 7): Promise<number> {
  await judge(text);
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push((await judge(text)).ms);
  return xs.sort((a, b) => a - b)[n >> 1]!;
}

let boundMs = 0;
before(async () => {
  // warm the dynamic imports (testbed modules) the rules load, then time the shipped specs and the heaviest legal input
  for (const tb of ['netns', 'lab']) await judge(`name: w\ntestbed: ${tb}\nmatrix:\n  nfs: [nat]\n  cores: [1]\n`);
  let shipped = 0;
  for (const s of SHIPPED) shipped = Math.max(shipped, await median(s));
  const list = `[${Array.from({ length: 1000 }, (_, i) => i).join(', ')}]`;
  const heavy = `name: h\nmatrix:\n  nfs: [nat]\n  cores: [1]\ndescription: &d ${list}\nx: [${Array(Math.floor(MAX_SPEC_VALUES / 1001) - 2).fill('*d').join(', ')}]\n`;
  const heavyMs = await median(heavy, 3);
  // 25x the slowest legal work measured here: a hang or an exponential blow-up is orders beyond it, a busy machine is not
  boundMs = 25 * Math.max(shipped, heavyMs);
  process.stdout.write(`fuzz spec loader: bound ${boundMs.toFixed(0)} ms per input (slowest shipped spec ${shipped.toFixed(1)} ms, a spec at the value limit ${heavyMs.toFixed(1)} ms)\n`);
});

async function fuzz(target: string, arb: fc.Arbitrary<string>, runs: number): Promise<void> {
  const counts: Record<Outcome, number> = { valid: 0, refused: 0 };
  let slowest = 0;
  await fc.assert(
    fc.asyncProperty(arb, async (text) => {
      const { outcome, ms } = await judge(text);
      counts[outcome]++;
      slowest = Math.max(slowest, ms);
      assert.ok(ms <= boundMs, `${text.length} characters took ${ms.toFixed(0)} ms, bound ${boundMs.toFixed(0)} ms`);
    }),
    { seed: SEED, numRuns: runs },
  );
  process.stdout.write(`fuzz spec loader, ${target}: ${counts.valid + counts.refused} inputs tried (${counts.valid} valid, ${counts.refused} refused with exit 2), slowest ${slowest.toFixed(0)} ms, seed ${SEED}\n`);
}

// values that break loaders: extremes, wrong types, YAML's own special forms
const hostileScalar = fc.oneof(
  fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, 1e-308, 0.5, 4294967296, 1e12, '', ' ', 'max', 'auto', 'none', '__proto__', 'constructor', '../../etc/passwd', '/dev/zero', 'a,b c', 'redis://:pw@h:1', '%', '\u0000', '\u202e', 'x'.repeat(5000), true, false, null),
  fc.integer(), fc.double(), fc.string({ maxLength: 20 }),
);
const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, hostileScalar, fc.array(tie('v'), { maxLength: 6 }), fc.dictionary(fc.constantFrom('nfs', 'stores', 'cores', 'flows', 'files', 'id', 'title', 'filter', 'rate', 'x', 'paper', 'file', 'nodes'), tie('v'), { maxKeys: 4 })),
})).v;
const specKeys = { name: fc.oneof(fc.constantFrom('t', 'core-sweep'), hostileScalar), testbed: fc.oneof(fc.constantFrom('local', 'netns', 'lab'), hostileScalar) };
const NFS_ = fc.subarray(['testpmd', 'macswap', 'nat', 'lb', 'counter-sync', 'counter-async', 'natt']);
const specShaped = fc.record(
  {
    ...specKeys,
    traffic: fc.oneof(fc.record({ flows: hostileScalar, files: hostileScalar, frame_size: hostileScalar, rate: hostileScalar, duration_s: hostileScalar, seed: hostileScalar, pcaps: hostileValue }, { requiredKeys: [] }), hostileValue),
    matrix: fc.oneof(fc.record({ nfs: fc.oneof(NFS_, hostileValue), stores: fc.oneof(fc.subarray(['hashmap', 'redis', 'cassandra', 'none']), hostileValue), cores: fc.oneof(fc.uniqueArray(fc.integer({ min: -2, max: 5000 }), { maxLength: 6 }), hostileValue), repetitions: hostileScalar, modes: hostileValue, order: hostileScalar }, { requiredKeys: [] }), hostileValue),
    state: hostileValue,
    inventory: hostileValue,
    figures: fc.array(fc.record({ id: hostileScalar, title: hostileScalar, filter: hostileValue, kind: hostileScalar }, { requiredKeys: [] }), { maxLength: 3 }),
    profiles: fc.dictionary(fc.constantFrom('paper', 'p', 'x y'), hostileValue, { maxKeys: 2 }),
  },
  { requiredKeys: [] },
).map((o) => yamlStringify(o));
const TOKENS = ['&a ', '&b ', '*a', '*b', '[', ']', '{', '}', ', ', '- ', ': ', '? ', '!!str ', '!!int ', '!!binary ', '!!map ', '!foo ', '|\n', '>\n', '---\n', '...\n', '%YAML 1.2\n', '<<: *a\n', "'", '"', '# c\n', '\n', '\n  ', '\n    ', '\t', 'name', 'matrix', 'nfs', 'cores', 'traffic', 'profiles', 'nat', '1', '-1', '.inf', '.nan', '0x10', '1e9', '~', 'null', 'true'];
const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((ts) => ts.join(''));
const randomDocument = fc.oneof(fc.jsonValue().map((v) => yamlStringify(v)), specShaped, tokenSoup);

// mutations of the shipped specs: the text edited the way people and tools get it wrong, or a field set to a hostile value
const textEdit = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.nat({ max: 40 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), s: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 })) }),
  fc.record({ op: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap-lines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ op: fc.constant('number' as const), nth: fc.nat(), s: fc.constantFrom('0', '-1', '1e308', '99999999999', '2.5', '.inf', 'x', '1e9') }),
);
const edited = fc.tuple(fc.constantFrom(...SHIPPED), fc.array(textEdit, { minLength: 1, maxLength: 4 })).map(([text, edits]) => {
  let s = text;
  for (const e of edits) {
    const lines = s.split('\n');
    if (e.op === 'delete') { const i = e.at % (s.length + 1); s = s.slice(0, i) + s.slice(i + e.len); }
    if (e.op === 'insert') { const i = e.at % (s.length + 1); s = s.slice(0, i) + e.s + s.slice(i); }
    if (e.op === 'duplicate-line') { const i = e.at % lines.length; lines.splice(i, 0, lines[i]!); s = lines.join('\n'); }
    if (e.op === 'swap-lines') { const a = e.a % lines.length; const b = e.b % lines.length; [lines[a], lines[b]] = [lines[b]!, lines[a]!]; s = lines.join('\n'); }
    if (e.op === 'number') { let k = 0; const n = (s.match(/\b\d+\b/g) ?? []).length || 1; s = s.replace(/\b\d+\b/g, (m) => (k++ === e.nth % n ? e.s : m)); }
  }
  return s;
});
const structural = fc.tuple(fc.constantFrom(...SHIPPED), fc.array(fc.tuple(fc.array(fc.constantFrom('traffic', 'matrix', 'state', 'figures', 'profiles', 'paper', 'nfs', 'cores', 'flows', 'files', 'rate', 'repetitions', 'stores', 'filter', 'testbed', 'inventory', 0, 1), { minLength: 1, maxLength: 3 }), hostileValue), { minLength: 1, maxLength: 3 })).map(([text, sets]) => {
  const doc = parseYaml(text) as Record<string, unknown>;
  for (const [path, value] of sets) {
    let o: Record<string | number, unknown> = doc;
    for (const seg of path.slice(0, -1)) {
      const next = o[seg];
      if (next === null || typeof next !== 'object') o[seg] = {};
      o = o[seg] as Record<string | number, unknown>;
    }
    o[path[path.length - 1]!] = value;
  }
  return yamlStringify(doc);
});
const mutatedShipped = fc.oneof(edited, structural);

const randomBytes = fc.tuple(fc.uint8Array({ maxLength: 2048 }), fc.boolean()).map(([b, utf8]) => Buffer.from(b).toString(utf8 ? 'utf8' : 'latin1'));

test('spec loader fuzz: random YAML documents', async () => fuzz('random YAML documents', randomDocument, RUNS ?? 2000));
test('spec loader fuzz: mutations of the shipped experiments', async () => fuzz('mutated experiments/*.yaml', mutatedShipped, RUNS ?? 2000));
test('spec loader fuzz: random bytes', async () => fuzz('random bytes', randomBytes, RUNS ?? 5000));
