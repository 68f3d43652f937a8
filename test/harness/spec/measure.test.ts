// The spec's measure: section and the frame_sizes axis: what it resolves to, and the bad input refused
// before anything starts, each problem at its file:line:col and field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec } from '../../../harness/spec/load.js';
import { measurePlan, frameSizesOf, stampEvery, loadLabel, minStampedFrame } from '../../../harness/spec/measure.js';
import { presetGoals } from '../../../harness/search/goal.js';
import { expandPlan } from '../../../harness/plan/plan.js';
import { problems } from './problems.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePcaps } from '../../../runtime/packet/generate.js';

const BASE = `name: m
matrix:
  nfs: [nat]
  cores: [1]
`;

test('measure: absent is throughput only; a preset name, true and explicit goals resolve with their defaults', async () => {
  const plain = (await parseSpec(BASE, 'spec.yaml')).spec;
  assert.deepEqual(measurePlan(plain), { ndr_pdr: null, latency: null });
  const preset = (await parseSpec(`${BASE}measure: { ndr_pdr: csit, latency: true }\n`, 'spec.yaml')).spec;
  const mp = measurePlan(preset);
  assert.deepEqual(mp.ndr_pdr!.goals, presetGoals('csit'));
  assert.deepEqual([mp.ndr_pdr!.min_load_pps, mp.ndr_pdr!.max_load_pps, mp.ndr_pdr!.warmup_s], ['auto', 'auto', 0.5]);
  assert.deepEqual(mp.latency, { loads: [0, 0.1, 0.5, 0.9], low_rate_pps: 10_000, every: 'auto', duration_s: 2, warmup_s: 0.5, calibrate: true });
  const explicit = (await parseSpec(`${BASE}measure:
  ndr_pdr:
    goals: [{ name: ndr, loss_ratio: 0, final_trial_duration: 2, width: "1%" }, { name: pdr, loss_ratio: "0.5%", exceed_ratio: 0.5, final_trial_duration: 1, duration_sum: 5, width: 0.01 }]
    min_load_pps: 5000
  latency: { loads: [0, "25%", 0.75], every: 7 }
`, 'spec.yaml')).spec;
  const e = measurePlan(explicit);
  assert.equal(e.ndr_pdr!.preset, 'custom');
  assert.deepEqual(e.ndr_pdr!.goals, [
    { name: 'ndr', loss_ratio: 0, exceed_ratio: 0, final_trial_duration: 2, initial_trial_duration: 1, duration_sum: 2, width: 0.01 },
    { name: 'pdr', loss_ratio: 0.005, exceed_ratio: 0.5, final_trial_duration: 1, initial_trial_duration: 0.5, duration_sum: 5, width: 0.01 },
  ]);
  assert.deepEqual([e.ndr_pdr!.min_load_pps, e.latency!.loads, e.latency!.every], [5000, [0, 0.25, 0.75], 7]);
});

test('latency helpers: load labels, stamping about 10,000 samples a second, the smallest stamped frame', () => {
  assert.deepEqual([0, 0.1, 0.5, 0.9, 0.125].map(loadLabel), ['0', '10%', '50%', '90%', '12.5%']);
  assert.deepEqual([stampEvery('auto', 10_000), stampEvery('auto', 1_000), stampEvery('auto', 1_000_000), stampEvery(3, 1e6)], [1, 1, 100, 3]);
  assert.deepEqual([minStampedFrame('udp'), minStampedFrame('tcp')], [58, 70]);
});

test('frame_sizes: an axis of the plan (ids name the size), pcaps per size; absent: traffic.frame_size, ids as before', async () => {
  const s = (await parseSpec(`${BASE}  frame_sizes: [64, 512, 1500]\ntraffic: { files: 2 }\n`, 'spec.yaml')).spec;
  assert.deepEqual(frameSizesOf(s), [64, 512, 1500]);
  const plan = expandPlan(s);
  assert.equal(plan.length, 3 * 2);
  assert.deepEqual(plan.map((t) => t.frame_size), [64, 64, 512, 512, 1500, 1500]);
  assert.equal(plan[2]!.trial_id, 'nat/hashmap/local/async/c1/f512/p0/r0');
  const one = (await parseSpec(`${BASE}traffic: { frame_size: 128, files: 1 }\n`, 'spec.yaml')).spec;
  assert.deepEqual(expandPlan(one).map((t) => [t.trial_id, t.frame_size]), [['nat/hashmap/local/async/c1/p0/r0', 128]]);
});

// Each bad spec and the problem (position, field, message) it must produce.
const BAD: { name: string; text: string; expect: RegExp[] }[] = [
  {
    name: 'testpmd cannot be paced on the local testbed',
    text: 'name: m\nmatrix:\n  nfs: [nat, testpmd]\n  cores: [1]\nmeasure: { ndr_pdr: quick }\n',
    expect: [/^3:14 matrix\.nfs\[1\]: testpmd replays the pcap with net_pcap as fast as it can.*measure\.ndr_pdr needs a generator that paces the load/],
  },
  {
    name: 'a TCP frame too small for the stamp names the frame size',
    text: `${BASE}  frame_sizes: [64, 128]\ntraffic: { proto: tcp }\nmeasure: { latency: true }\n`,
    expect: [/^5:17 matrix\.frame_sizes\[0\]: frame size 64 is too small for a latency stamp: TCP frames need at least 70 B/],
  },
  {
    name: 'the same through traffic.frame_size',
    text: `${BASE}traffic: { proto: tcp, frame_size: 66 }\nmeasure: { latency: { loads: [0] } }\n`,
    expect: [/^5:36 traffic\.frame_size: frame size 66 is too small for a latency stamp/],
  },
  {
    name: 'a goal RFC 9971 does not allow',
    text: `${BASE}measure:\n  ndr_pdr:\n    goals: [{ name: ndr, loss_ratio: 0, final_trial_duration: 1, initial_trial_duration: 2, width: 0.01 }]\n`,
    expect: [/^7:13 measure\.ndr_pdr\.goals\[0\]: final_trial_duration \(1\) must be at least initial_trial_duration \(2\)/],
  },
  {
    name: 'preset and goals together, a goal name twice, min above max',
    text: `${BASE}measure:\n  ndr_pdr:\n    preset: csit\n    goals: [{ name: ndr, loss_ratio: 0, final_trial_duration: 1, width: 0.01 }, { name: ndr, loss_ratio: 0.01, final_trial_duration: 1, width: 0.01 }]\n    min_load_pps: 2000000\n    max_load_pps: 1000000\n`,
    expect: [/^8:5 measure\.ndr_pdr\.goals: give either preset \(csit\) or goals, not both/, /measure\.ndr_pdr\.goals\[1\]\.name: goal name "ndr" is already used/, /^9:19 measure\.ndr_pdr\.min_load_pps: expected a minimum load below max_load_pps \(1000000\), found 2000000/],
  },
  {
    name: 'an unknown preset',
    text: `${BASE}measure: { ndr_pdr: csti }\n`,
    expect: [/^5:21 measure\.ndr_pdr: expected one of "quick", "csit", "rfc2544", "tst009" or a mapping, found "csti"/],
  },
  {
    name: 'a latency load above 100 %',
    text: `${BASE}measure: { latency: { loads: [0, "150%"] } }\n`,
    expect: [/measure\.latency\.loads\[1\]/],
  },
  {
    name: 'frame_sizes with given pcaps',
    text: `${BASE}  frame_sizes: [64, 128]\ntraffic: { pcaps: [package.json] }\n`,
    expect: [/matrix\.frame_sizes: given pcaps \(traffic\.pcaps\) have their own frame size/],
  },
  {
    name: 'measure.repetitions without end-host tests (every trial is the generator\'s)',
    text: `${BASE}  repetitions: 3\nmeasure: { ndr_pdr: quick, repetitions: 1 }\n`,
    expect: [/^6:28 measure\.repetitions: measure\.repetitions says how many repetitions also run the generator's trials beside the end-host tests \(endpoints:\); without endpoints every trial is the generator's: lower matrix\.repetitions instead/],
  },
  {
    name: 'measure.repetitions above the matrix\'s',
    text: `name: m\ntestbed: netns\ninventory: { generator: flexbench }\nmatrix: { nfs: [nat], stores: [none], cores: [1], repetitions: 2 }\nmeasure: { ndr_pdr: quick, repetitions: 3 }\nendpoints: { tests: [udp] }\n`,
    expect: [/^5:41 measure\.repetitions: expected at most matrix\.repetitions \(2\), found 3/],
  },
];

for (const c of BAD) {
  test(`measure refused: ${c.name}`, async () => {
    const got = await problems(c.text);
    for (const re of c.expect) assert.ok(got.some((g) => re.test(g)), `expected ${re} in:\n${got.join('\n')}`);
  });
}

test('a given capture whose packets cannot carry a latency stamp is refused at its entry, with the sentence nf run and gen give', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-stamp-spec-'));
  try {
    const [tcp64] = generatePcaps({ out: dir, flows: 10, files: 1, seed: 2, proto: 'tcp' });
    const got = await problems(`${BASE}traffic: { pcaps: [${tcp64}] }\nmeasure: { latency: true }\n`);
    assert.equal(got.length, 1, got.join('\n'));
    assert.match(got[0]!, /traffic\.pcaps\[0\]: .*: packet 1 \(60 B in the capture\) has 6 B of payload after its headers; a latency stamp needs 12 B \(use larger frames/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
