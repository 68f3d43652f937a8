// Sizes checked at validation: trials counted without expanding, pcap bytes, and the bounded fields, each at its position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseSpec, loadSpec } from '../../../harness/spec/load.js';
import { countTrials, expandPlan, MAX_TRIALS } from '../../../harness/plan/plan.js';
import { NFS, STORES, LOCATIONS, MODES } from '../../../harness/spec/schema.js';
import { problems, ROOT } from './problems.js';


test('countTrials is the length of the plan, for the shipped experiments and their profiles', async () => {
  const dir = join(ROOT, 'experiments');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
    const base = await loadSpec(join(dir, f));
    for (const profile of [null, ...Object.keys(base.spec.profiles)]) {
      const s = profile ? (await loadSpec(join(dir, f), { profile })).spec : base.spec;
      assert.equal(countTrials(s), expandPlan(s).length, `${f} ${profile ?? ''}`);
    }
  }
});

test('countTrials is the length of the plan for any matrix (property)', async () => {
  const sub = <T>(xs: readonly T[]) => fc.subarray([...xs], { minLength: 1 });
  await fc.assert(
    fc.asyncProperty(sub(NFS.filter((n) => n !== 'testpmd' && n !== 'macswap')), sub(NFS.filter((n) => n === 'testpmd' || n === 'macswap')), fc.boolean(), sub(STORES.filter((s) => s !== 'none')), sub(LOCATIONS), sub(MODES),
      fc.uniqueArray(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }),
      async (stateful, storeless, withStoreless, stores, locations, modes, cores, files, repetitions) => {
        const nfs = withStoreless ? [...stateful, ...storeless] : stateful;
        const text = `name: p\ntraffic: { files: ${files} }\nmatrix:\n  nfs: [${nfs.join(', ')}]\n  stores: [${stores.join(', ')}]\n  locations: [${locations.join(', ')}]\n  modes: [${modes.join(', ')}]\n  cores: [${cores.join(', ')}]\n  repetitions: ${repetitions}\n`;
        const s = (await parseSpec(text, 'p.yaml', { baseDir: ROOT })).spec;
        assert.equal(countTrials(s), expandPlan(s).length);
      }),
    { numRuns: 150 },
  );
});

test('a matrix of 10^11 trials is refused at the matrix, counted in arithmetic, not by expanding it', async () => {
  const cores = Array.from({ length: 1000 }, (_, i) => i + 1).join(', ');
  const text = `name: big\ntraffic: { files: 100 }\nmatrix:\n  nfs: [nat, lb]\n  stores: [hashmap]\n  cores: [${cores}]\n  repetitions: 500000\n`;
  const heapBefore = process.memoryUsage().heapUsed;
  const got = await problems(text);
  assert.equal(got.length, 1, JSON.stringify(got));
  assert.match(got[0]!, /^3:1 matrix: expands to 100,000,000,000 trials \(2 NF\/store\/location\/mode cells x 1000 core counts x 100 pcaps x 500000 repetitions\), more than the 20,000 one run may hold/);
  // nothing the size of the plan was built (a plan of 10^11 trials cannot be: it would take terabytes)
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 256 * 2 ** 20);
  assert.equal(MAX_TRIALS, 20_000);
  // a profile that blows the plan up is reported inside the profile
  const prof = await problems(`name: p\nmatrix:\n  nfs: [nat]\n  cores: [1]\nprofiles:\n  huge:\n    matrix: { repetitions: 1000000 }\n`);
  assert.deepEqual(prof.map((p) => p.split(': ')[0]), ['7:5 matrix']);
  assert.match(prof[0]!, /\(profile "huge"\) expands to 2,000,000 trials/);
  // expandPlan itself refuses too, for plans that never went through validation
  const ok = (await parseSpec('name: p\nmatrix:\n  nfs: [nat]\n  cores: [1]\n', 'p.yaml', { baseDir: ROOT })).spec;
  assert.throws(() => expandPlan({ ...ok, matrix: { ...ok.matrix, repetitions: 1e9 } }), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /2,000,000,000 trials/.test(e.message));
});

test('pcap bytes: a file over 1 GiB and pcaps over 16 GiB in all are refused at flows / files', async () => {
  const spec = (traffic: string) => `name: t\ntraffic: { ${traffic} }\nmatrix:\n  nfs: [nat]\n  cores: [1]\n`;
  assert.deepEqual(await problems(spec('flows: 10000000, files: 1, frame_size: 1518')), [
    '2:19 traffic.flows: a pcap of 10000000 flows of 1518 B is 14.2 GiB, more than the 1.0 GiB a file may hold (an NF keeps its whole capture in memory); use fewer flows or smaller frames',
  ]);
  assert.deepEqual(await problems(spec('flows: 1000000, files: 10000')), [
    '2:35 traffic.files: 10000 pcaps of 72.5 MiB are 707.8 GiB, more than the 16.0 GiB flexbench generates at once; use fewer files or flows',
  ]);
  assert.deepEqual(await problems(spec('flows: 50000, files: 10')), []);
});

test('flows, files, seed, rate and cores have bounds with clear messages', async () => {
  const spec = (traffic: string, cores = '[1]') => `name: t\ntraffic: { ${traffic} }\nmatrix:\n  nfs: [nat]\n  cores: ${cores}\n`;
  assert.match((await problems(spec('flows: 20000000')))[0]!, /traffic\.flows: expected a number <= 10000000, found 20000000/);
  assert.match((await problems(spec('files: 20000')))[0]!, /traffic\.files: expected a number <= 10000, found 20000/);
  assert.match((await problems(spec('seed: 99999999999')))[0]!, /traffic\.seed: expected a number <= 4294967295/);
  assert.match((await problems(spec('rate: 0.001')))[0]!, /traffic\.rate: expected a number >= 1, found 0\.001/);
  assert.match((await problems(spec('rate: 1e12')))[0]!, /traffic\.rate: expected a number <= 2000000000/);
  assert.match((await problems(spec('duration_s: 1e9')))[0]!, /traffic\.duration_s: expected a number <= 3600/);
  assert.match((await problems(spec('flows: 10', '[1, 100000]')))[0]!, /matrix\.cores\[1\]: expected a number <= 4096, found 100000/);
});

test('validate refuses pcap paths DPDK cannot replay, where the run would refuse them (testpmd here, any generator on two nodes)', async () => {
  const given = (nfs: string, testbed = '') => `name: t\n${testbed}traffic:\n  pcaps: ["test/fixtures/no such, file.pcap"]\nmatrix:\n  nfs: [${nfs}]\n  cores: [1]\n`;
  const withTestpmd = await problems(given('testpmd, nat'));
  assert.ok(withTestpmd.some((p) => /^3:11 traffic\.pcaps\[0\]: pcap path ".*no such, file\.pcap" may not contain commas or spaces/.test(p)), JSON.stringify(withTestpmd));
  // nf run reads the file itself: a space is fine for it on the local testbed
  assert.ok(!(await problems(given('nat'))).some((p) => /commas or spaces/.test(p)));
});

test('validate reads a given pcap as nf run does: a directory, a text file or a pcapng is refused at its line', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'bounds-'));
  try {
    writeFileSync(join(dir, 'notes.pcap'), 'not a capture at all, just text\n');
    const got = await problems('name: t\ntraffic:\n  pcaps: [notes.pcap, .]\nmatrix:\n  nfs: [nat]\n  cores: [1]\n', join(dir, 's.yaml'));
    assert.equal(got.length, 2, JSON.stringify(got));
    assert.match(got[0]!, /^3:11 traffic\.pcaps\[0\]: .*notes\.pcap: not a pcap file \(magic 0x20746f6e\)/);
    assert.match(got[1]!, /^3:23 traffic\.pcaps\[1\]: cannot read pcap .*: is a directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
