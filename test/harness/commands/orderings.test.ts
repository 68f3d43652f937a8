// `flexbench orderings` through the real CLI, on run directories written by the results module's own writers with a
// real spec: each run's orderings re-derived from its trials, two runs the same, consistent or contradicting (exit 6).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flexbench, tempDir } from '../../runtime/packet/helpers.js';
import { loadSpec } from '../../../harness/spec/load.js';
import { readRunJson, writeRunJson, writeTrials } from '../../../harness/results/files.js';
import { trialRecord } from '../results/record.js';
import { writeRun } from '../compare/fixtures.js';

let tmp: ReturnType<typeof tempDir>;
before(() => {
  tmp = tempDir('orderings');
});
after(() => tmp.cleanup());

/** A run of hashmap and redis NAT cells over 6 rounds whose per-round rates of redis are hashmap's times `redis`. */
async function writeRunDir(name: string, redis: number[]): Promise<string> {
  const specFile = join(tmp.dir, 'o.yaml');
  writeFileSync(specFile, 'name: o\ntraffic: { flows: 100, files: 1 }\nmatrix: { nfs: [nat], stores: [hashmap, redis], cores: [1], repetitions: 6, target_ci: 5% }\nbaseline: { store: hashmap }\n');
  const { spec } = await loadSpec(specFile);
  const records = redis.flatMap((x, k) => [
    trialRecord({ trial_id: `h${k}`, index: 2 * k, store: 'hashmap', repetition: k, tx_pps: 1e6, rx_pps: 1e6, rx_packets: 1e6, tx_packets: 1e6 }),
    trialRecord({ trial_id: `r${k}`, index: 2 * k + 1, store: 'redis', repetition: k, tx_pps: 1e6 * x, rx_pps: 1e6 * x, rx_packets: 1e6 * x, tx_packets: 1e6 * x }),
  ]);
  const dir = join(tmp.dir, name);
  mkdirSync(dir);
  // a valid run.json (provenance and all) from the compare fixtures, given this spec and these trials
  writeRun(dir, []);
  const run = readRunJson(dir);
  writeRunJson(dir, { ...run, run_id: name, spec_file: specFile, spec_resolved: spec as unknown as Record<string, unknown>, counts: { planned: 12, ok: 12, failed: 0, skipped: 0, missing: 0 } });
  writeTrials(dir, records);
  return dir;
}

test('orderings: the same, consistent (a pair resolved in one run only), contradicting (exit 6); bad input exit 2', async () => {
  // 0.90 ± 1 %: apart beyond the 5 % margin; 0.99 ± 1 %: within it; 0.955 ± 3 %: unresolved
  const apart = await writeRunDir('apart', [0.89, 0.9, 0.91, 0.9, 0.89, 0.91]);
  const apart2 = await writeRunDir('apart2', [0.9, 0.91, 0.89, 0.9, 0.9, 0.9]);
  const within = await writeRunDir('within', [0.98, 0.99, 1.0, 0.99, 0.98, 1.0]);
  const unresolved = await writeRunDir('unresolved', [0.92, 0.99, 0.95, 0.96, 0.93, 0.98]);
  const same = await flexbench(['orderings', apart, apart2]);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /^nat\/local\/async\/1 \(forwarded rate over store=hashmap\): same\n  apart: hashmap > redis\n  apart2: hashmap > redis\n/);
  const consistent = await flexbench(['orderings', apart, unresolved]);
  assert.equal(consistent.code, 0, consistent.stderr);
  assert.match(consistent.stdout, /: consistent\n  apart: hashmap > redis\n  unresolved: hashmap ~ redis\n  hashmap \/ redis: apart hashmap > redis \(hashmap\/redis 1\.111 \[\d\.\d{3}, \d\.\d{3}\]\); unresolved unresolved \(hashmap\/redis 1\.047/);
  assert.match(consistent.stdout, /1 group\(s\): 0 the same, 1 differing only where a run left a pair unresolved, 0 contradicting, 0 not in every run\n$/);
  const contra = await flexbench(['orderings', apart, within, unresolved]);
  assert.equal(contra.code, 6, contra.stdout);
  assert.match(contra.stdout, /: contradicts\n[^]*hashmap \/ redis CONTRADICTS: apart hashmap > redis [^;]*; within within \(hashmap\/redis 1\.0/);
  const json = await flexbench(['orderings', within, '--json']);
  assert.equal(json.code, 0);
  const parsed = JSON.parse(json.stdout) as { runs: string[]; groups: { agreement: string; orders: string[] }[] };
  assert.deepEqual([parsed.runs, parsed.groups.map((g) => [g.agreement, g.orders])], [['within'], [['same', ['hashmap ≈ redis']]]]);
  const bad = await flexbench(['orderings', tmp.dir]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^flexbench: .* is not a run directory: run\.json is missing\n$/);
});
