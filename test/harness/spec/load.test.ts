import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseSpec, loadSpec } from '../../../harness/spec/load.js';
import { lineRateMpps } from '../../../harness/spec/schema.js';
import { measurePlan } from '../../../harness/spec/measure.js';
import { SpecError, didYouMean, typoDistance } from '../../../harness/spec/errors.js';
import { FlexbenchError } from '../../../harness/exit-codes.js';
import { problems, ROOT } from './problems.js';


const VALID = `name: t
matrix:
  nfs: [nat]
  stores: [hashmap]
  cores: [1, 2]
`;

// Each invalid spec, and the problem (position, field, message fragment) it must produce.
const TABLE: { name: string; text: string; expect: RegExp[] }[] = [
  { name: 'unknown top-level key with a suggestion', text: `${VALID}trafic: {}\n`, expect: [/^6:1 trafic: unknown key "trafic"; did you mean "traffic"\?/] },
  { name: 'unknown nested key', text: `${VALID}traffic:\n  durations: 3\n`, expect: [/^7:3 traffic\.durations: unknown key "durations"; did you mean "duration_s"\?/] },
  { name: 'wrong type names expected and found', text: VALID.replace('[1, 2]', '[1, "two"]'), expect: [/^5:14 matrix\.cores\[1\]: expected a number, found "two" \(text\)/] },
  { name: 'non-integer cores', text: VALID.replace('[1, 2]', '[1, 2.5]'), expect: [/^5:14 matrix\.cores\[1\]: expected an integer, found 2\.5/] },
  { name: 'enum with did-you-mean', text: VALID.replace('[nat]', '[natt]'), expect: [/^3:9 matrix\.nfs\[0\]: expected one of .*"nat".*, found "natt" \(text\); did you mean "nat"\?/] },
  { name: 'missing required field', text: 'name: t\nmatrix:\n  nfs: [nat]\n', expect: [/^3:3 matrix\.cores: required, expected a list/] },
  { name: 'number out of range', text: `${VALID}traffic:\n  frame_size: 32\n`, expect: [/^7:15 traffic\.frame_size: expected a number >= 64, found 32/] },
  { name: 'union (rate) lists the alternatives', text: `${VALID}traffic:\n  rate: fast\n`, expect: [/^7:9 traffic\.rate: expected "max" or a number, found "fast"/] },
  { name: 'duplicate axis values', text: VALID.replace('[1, 2]', '[2, 2]'), expect: [/^5:10 matrix\.cores: values must be unique/] },
  { name: 'YAML syntax error', text: 'name: t\nmatrix: [\n', expect: [/^\d+:\d+ : YAML: /] },
  { name: 'duplicate key', text: `${VALID}name: u\n`, expect: [/^6:1 : YAML: Map keys must be unique/] },
  { name: 'not a mapping', text: '- a\n- b\n', expect: [/^1:1 : expected a mapping of spec fields/] },
  // lb keeps FlexState and has no Native form (nat has: store none is its Native cell, below)
  { name: 'semantic: store none with a stateful NF', text: VALID.replace('[nat]', '[lb]').replace('[hashmap]', '[hashmap, none]'), expect: [/^4:21 matrix\.stores\[1\]: store "none" runs without FlexState, but lb needs a store/] },
  { name: 'semantic: only store none for a stateful NF', text: VALID.replace('[nat]', '[lb]').replace('[hashmap]', '[none]'), expect: [/^4:11 matrix\.stores: expected at least one FlexState store for lb, found only "none"/] },
  { name: 'semantic: store none is Native for nat', text: VALID.replace('[hashmap]', '[none, hashmap]'), expect: [] },
  {
    name: 'semantic: figure filter outside the matrix',
    text: `${VALID}figures:\n  - id: f\n    title: F\n    filter: { nf: lb }\n`,
    expect: [/^9:19 figures\[0\]\.filter\.nf: expected a value of matrix\.nfs \(nat\), found "lb"/],
  },
  {
    name: 'an unknown key does not hide a semantic problem elsewhere',
    text: `${VALID}trafic: {}\nfigures:\n  - id: f\n    title: F\n    filter: { nf: lb }\n`,
    expect: [/^6:1 trafic: unknown key "trafic"/, /^10:19 figures\[0\]\.filter\.nf: expected a value of matrix\.nfs \(nat\), found "lb"/],
  },
  { name: 'semantic: inventory on the local testbed', text: `${VALID}inventory: { nodes: [] }\n`, expect: [/^6:1 inventory: the local testbed takes no inventory/] },
  { name: 'semantic: given pcap must exist', text: `${VALID}traffic:\n  pcaps: [does-not-exist.pcap]\n`, expect: [/^7:11 traffic\.pcaps\[0\]: expected an existing pcap file/] },
  {
    name: 'profile problems point into the profile',
    text: `${VALID}profiles:\n  paper:\n    traffic: { flows: -4 }\n    matrix: { corez: [1] }\n`,
    expect: [/^8:23 traffic\.flows: \(profile "paper"\) expected a number > 0, found -4/, /^9:15 matrix\.corez: \(profile "paper"\) unknown key "corez"; did you mean "cores"\?/],
  },
];

for (const row of TABLE) {
  test(`spec error: ${row.name}`, async () => {
    const got = await problems(row.text);
    assert.equal(got.length, row.expect.length, `problems: ${JSON.stringify(got, null, 1)}`);
    row.expect.forEach((re, i) => assert.match(got[i], re, `problems: ${JSON.stringify(got, null, 1)}`));
  });
}

test('every problem is reported at once, in file order', async () => {
  const got = await problems('name: t\nbogus: 1\ntraffic:\n  flows: 0\nmatrix:\n  nfs: [nat]\n  cores: []\n');
  assert.deepEqual(got.map((g) => g.split(' ')[0]), ['2:1', '4:10', '7:10']);
});

test('cross-field rules still run when other fields are refused, at the refused list item\'s neighbours\' own lines', async () => {
  // a type error elsewhere does not hide the store rule; a bad store before "none" does not move it
  const got = await problems('name: t\ntraffic:\n  flows: many\nmatrix:\n  nfs: [lb]\n  stores: [redis, redsi, none]\n  cores: [1]\n');
  assert.deepEqual(got.map((g) => g.split(':').slice(0, 2).join(':')), ['3:10 traffic.flows', '6:19 matrix.stores[1]', '6:26 matrix.stores[2]'], got.join('\n'));
  assert.match(got[1]!, /did you mean "redis"/);
  assert.match(got[2]!, /store "none" runs without FlexState, but lb needs a store/);
  // a list keeps its valid items for the rules: the figure filter is still checked against matrix.nfs
  const cores = await problems('name: t\nmatrix:\n  nfs: [nat]\n  stores: [hashmap]\n  cores: [1, 0]\nfigures:\n  - { id: f, title: T, filter: { nf: lb } }\n');
  assert.equal(cores.length, 2, cores.join('\n'));
  assert.match(cores[0]!, /^5:14 matrix.cores\[1\]/);
  assert.match(cores[1]!, /figures\[0\]\.filter\.nf: expected a value of matrix\.nfs \(nat\), found "lb"/);
});

test('rules never judge a default that stands in for a refused value', async () => {
  // testbed refused: the rules would see "local" and call the inventory wrong
  const tb = await problems(`${VALID}testbed: lba\ninventory: { file: lab.yaml }\n`);
  assert.equal(tb.length, 1, tb.join('\n'));
  assert.match(tb[0]!, /testbed: expected one of .*found "lba".*did you mean "lab"/);
  // stores refused as a whole (duplicates): the rules would see [hashmap] and call the figure's filter wrong
  const st = await problems('name: t\nmatrix:\n  nfs: [nat]\n  stores: [redis, redis]\n  cores: [1]\nfigures:\n  - { id: f, title: T, filter: { store: redis } }\n');
  assert.equal(st.length, 1, st.join('\n'));
  assert.match(st[0]!, /matrix\.stores: values must be unique/);
  // a refused figure before two with the same id: the message names the document's index
  const fig = await problems(`${VALID}figures:\n  - oops\n  - { id: a, title: A }\n  - { id: a, title: B }\n`);
  assert.equal(fig.length, 2, fig.join('\n'));
  assert.match(fig[1]!, /figures\[2\]\.id: figure id "a" is already used by figures\[1\]/);
});

test('a figure\'s line rate follows the frame size unless given', async () => {
  assert.equal(lineRateMpps(64), 14.88);
  assert.equal(lineRateMpps(128), 8.45);
  assert.equal(lineRateMpps(1518), 0.81);
  assert.equal(lineRateMpps(64, 100), 148.81);
  const text = (extra: string) => `${VALID}traffic: { frame_size: 128 }\nfigures:\n  - { id: f, title: T${extra} }\n`;
  assert.equal((await parseSpec(text(''), 'spec.yaml')).spec.figures[0]!.line_rate_mpps, 8.45);
  assert.equal((await parseSpec(text(', line_rate_mpps: 3'), 'spec.yaml')).spec.figures[0]!.line_rate_mpps, 3);
  assert.equal((await parseSpec(text(', line_rate_mpps: null'), 'spec.yaml')).spec.figures[0]!.line_rate_mpps, null);
});

test('a valid spec gets its defaults, sorted cores, and the chosen profile merged', async () => {
  const text = `${VALID.replace('[1, 2]', '[4, 1, 2]')}profiles:\n  paper:\n    traffic: { flows: 50000, files: 10 }\n    matrix: { cores: [1, 48] }\n`;
  const base = await parseSpec(text, 'spec.yaml');
  assert.deepEqual(base.spec.matrix.cores, [1, 2, 4]);
  assert.equal(base.spec.traffic.frame_size, 64);
  assert.equal(base.spec.testbed, 'local');
  assert.deepEqual(base.spec.matrix.modes, ['async']);
  const paper = await parseSpec(text, 'spec.yaml', { profile: 'paper' });
  assert.equal(paper.spec.traffic.flows, 50000);
  assert.equal(paper.spec.traffic.duration_s, 2, 'fields the profile does not set keep the base value');
  assert.deepEqual(paper.spec.matrix.cores, [1, 48], 'lists are replaced, not merged');
  assert.deepEqual(paper.spec.matrix.nfs, ['nat']);
  await assert.rejects(parseSpec(text, 'spec.yaml', { profile: 'papr' }), (e: unknown) => e instanceof FlexbenchError && /no profile "papr"; did you mean "paper"\?/.test(e.message) && e.exitCode === 2);
});

test('a two-node testbed checks its inventory with its own schema; a missing one is reported at the testbed', async () => {
  const got = await problems(`${VALID}testbed: lab\n`);
  assert.ok(got.length >= 1, 'lab needs an inventory');
  assert.match(got[0], /^6:10 (inventory: required|testbed: )/);
});

test('--testbed and --inventory replace the spec\'s lines, are recorded as given, and their problems say so', async () => {
  const spec = `${VALID}testbed: local\n`;
  const netns = await parseSpec(spec, 'spec.yaml', { baseDir: ROOT, testbed: 'netns' });
  assert.equal(netns.spec.testbed, 'netns');
  assert.equal((netns.given as { testbed: string }).testbed, 'netns', 'run.json keeps what ran');
  await assert.rejects(parseSpec(spec, 'spec.yaml', { baseDir: ROOT, testbed: 'lab' }), (e: SpecError) =>
    e.issues.length === 1 && e.issues[0]!.line === 6 && /^\(--testbed lab\) required/.test(e.issues[0]!.message));
  await assert.rejects(parseSpec(spec, 'spec.yaml', { baseDir: ROOT, testbed: 'lab', inventory: '/nonexistent/lab.yaml' }), (e: SpecError) =>
    e.issues.length === 1 && e.issues[0]!.path === 'inventory.file' && /^\(--inventory\) inventory file not found: \/nonexistent\/lab.yaml/.test(e.issues[0]!.message));
  await assert.rejects(parseSpec(spec, 'spec.yaml', { baseDir: ROOT, testbed: 'moon' }), (e: SpecError) => /^\(--testbed moon\) /.test(e.issues[0]!.message));
});

test('the shipped experiments and their paper profiles are valid', async () => {
  const dir = join(ROOT, 'experiments');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  for (const want of ['testbed.yaml', 'core-sweep.yaml', 'sync-vs-async.yaml', 'store-location.yaml']) assert.ok(files.includes(want), `experiments/${want} ships`);
  for (const f of files) {
    const s = await loadSpec(join(dir, f));
    if (['testbed.yaml', 'core-sweep.yaml', 'sync-vs-async.yaml', 'store-location.yaml'].includes(f)) assert.ok(s.spec.figures.length > 0, `${f} draws a figure`);
    if (Object.hasOwn(s.spec.profiles, 'paper')) {
      const p = await loadSpec(join(dir, f), { profile: 'paper' });
      const mp = measurePlan(p.spec);
      const e = p.spec.endpoints;
      if (e) {
        // StatelessNF's evaluation is iperf and D-ITG, not replayed pcaps: its counts are 5 iterations, 10 streams, 10,000 echo datagrams
        assert.ok(p.spec.matrix.repetitions === 5 && e.streams === 10 && e.rtt_packets === 10_000 && p.spec.testbed === 'netns', `${f} paper profile has StatelessNF's counts`);
      } else if (mp.ndr_pdr || mp.latency) {
        // the measure: specs' paper profiles: full-length search and latency trials, the paper's flows
        assert.ok(p.spec.traffic.flows >= 50000, `${f} paper profile has the paper's flows`);
        assert.ok(!mp.ndr_pdr || mp.ndr_pdr.goals.every((g) => g.duration_sum >= 20), `${f} paper profile decides each load on at least 20 s of trials`);
        assert.ok(!mp.latency || mp.latency.duration_s >= 10, `${f} paper profile measures latency over full-length trials`);
      } else assert.ok(p.spec.traffic.duration_s >= 15 && p.spec.traffic.files >= 10 && p.spec.traffic.flows >= 50000, `${f} paper profile has the paper's traffic`);
    }
  }
});

test('did you mean: close words only', () => {
  assert.equal(didYouMean('durations', ['duration_s', 'warmup_s']), 'duration_s');
  assert.equal(didYouMean('zzz', ['duration_s', 'warmup_s']), null);
  // a swap of two neighbours is one typo
  assert.equal(typoDistance('redsi', 'redis'), 1);
  assert.equal(typoDistance('ca', 'abc'), 3);
  assert.equal(typoDistance('kitten', 'sitting'), 3);
  assert.equal(didYouMean('redsi', ['hashmap', 'redis', 'cassandra']), 'redis');
});

test('order, repetitions auto, target_ci and baselines: defaults, percentages, and a ratio figure needs a baseline', async () => {
  const base = 'name: o\nmatrix: { nfs: [nat], stores: [hashmap, redis], cores: [1]';
  const s = (await parseSpec(`${base} }\n`, 'spec.yaml')).spec;
  assert.equal(s.matrix.order, 'interleaved');
  assert.equal(s.matrix.repetitions, 1);
  const auto = (await parseSpec(`${base}, repetitions: auto, target_ci: "2.5%", max_repetitions: 6, order: sequential }\nbaseline: { store: hashmap }\n`, 'spec.yaml')).spec;
  assert.deepEqual([auto.matrix.repetitions, auto.matrix.target_ci, auto.matrix.max_repetitions, auto.matrix.order], ['auto', 0.025, 6, 'sequential']);
  assert.deepEqual(auto.baseline, { store: 'hashmap' });
  assert.deepEqual(await problems(`${base} }\nfigures:\n  - { id: r, title: r, metric: ratio }\n`), ['4:32 figures[0].metric: expected a baseline for metric "ratio" (figures[].baseline or the top-level baseline, e.g. { store: hashmap }), found none']);
  assert.equal((await problems(`${base}, order: random }\n`)).length, 1);
});

test('a YAML alias bomb is refused at the alias that crosses the limit, before anything expands it; so are dangling and cyclic aliases', async () => {
  const levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (const [i, n] of [...'bcdefghi'].entries()) levels.push(`${n}: &${n} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`);
  const bomb = `${levels.join('\n')}\n`;
  assert.deepEqual(await problems(bomb), ['6:8 : YAML: alias *e expands the spec past 100,000 values (an alias bomb?); write the values out or use fewer aliases']);
  assert.deepEqual(await problems('name: t\nx: *nowhere\n'), ['2:4 : YAML: alias *nowhere names no anchor before it (mark an earlier value with &nowhere)']);
  assert.deepEqual(await problems('name: t\nx: &a [1, *a]\n'), ['2:11 : YAML: alias *a is inside the value it names (a cycle)']);
  assert.deepEqual(await problems('name: t\n? [a, b]\n: 1\n'), ['2:3 : YAML: a key must be plain text, found a mapping or list as a key']);
  assert.match((await problems(`name: t\nx: ${'['.repeat(80)}${']'.repeat(80)}\n`))[0]!, /^2:\d+ : YAML: nested deeper than 64 levels/);
  // aliases within the limit are ordinary YAML
  assert.deepEqual(await problems(`name: t\nmatrix:\n  nfs: &n [nat]\n  cores: [1]\nprofiles:\n  p:\n    matrix: { nfs: *n }\n`), []);
});
