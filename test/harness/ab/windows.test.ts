// `flexbench ab` in windows (one resident nf run per build, paused between its windows), in a throwaway clone of this
// repository: a commit that slows NAT by an extra loop per burst is called regressed, main against itself is not; a
// head whose nf run dies mid-run (told to once a few rounds are done) fails its cell; --per-trial still measures a fresh
// process per trial; and no process outlives ab. ab.test.ts covers the rest of ab (bad input, --max-time, reports).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../../harness/exit-codes.js';
import { abClone, slowerNat } from './clone.js';

const WARMUP_S = 0.5;
const WINDOW_S = 0.5;
const SETTLE_S = 0.1;
/** As ab.test.ts: 16 extra iterations per packet (about −45 to −54 % here), far from the tolerance for any noise seen. */
const EXTRA_PER_PACKET = 16;
const CAP = 30;
/**
 * The dying head's NAT throws once the test has seen this many rounds done (it then creates the trigger file the NAT
 * looks for): a death mid-run on any host, where a packet count was one at one rate only (20 M packets ended every
 * head window at 21 Mpps). Before the default epoch's end (6 rounds), so the one that dies is the first epoch's (r0).
 */
const DIE_AFTER_ROUNDS = 3;
/** bursts between the dying NAT's looks for the trigger file (a stat each; the NAT is throwaway, only its death matters) */
const DIE_CHECK_BURSTS = 1024;
// the spawn's safety net, derived from the plan: builds, two process starts, every window at four times its length
const AB_TIMEOUT_MS = Math.round((240 + 2 * CAP * (WINDOW_S + SETTLE_S) * 4) * 1000);

const { tmp, cache, spec, ab, abAsync, commitChange, create } = abClone('ab-windows', { seed: 19, timeoutMs: AB_TIMEOUT_MS });

let slow = '';
let dies = '';
const dieNow = join(tmp.dir, 'die-now');
before(() => {
  create({ description: 'flexbench ab windows test (test/harness/ab/windows.test.ts)', windowS: WINDOW_S, warmupS: WARMUP_S });
  slow = commitChange('slow-nat', 'nfs/nat.ts', slowerNat(EXTRA_PER_PACKET));
  // once per burst (classify), every DIE_CHECK_BURSTS bursts: does the trigger file exist (node:fs without an import nfs/ may not have)
  dies = commitChange('dying-nat', 'nfs/nat.ts', (s) =>
    s.replace('    this.sink = touched;\n', `    this.sink = touched;\n    if ((this.dieBursts = (this.dieBursts ?? 0) + 1) % ${DIE_CHECK_BURSTS} === 0 && process.getBuiltinModule('node:fs').existsSync(${JSON.stringify(dieNow)})) throw new Error('test: the NAT dies');\n`)
      .replace(/(\n  process\(b: Burst\): number \{)/, '\n  dieBursts: number | undefined;$1'));
});
after(() => tmp.cleanup());

function assertNoProcess() {
  const ps = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => (l.includes(cache) || l.includes(tmp.dir)) && !l.includes(' ps '));
  assert.deepEqual(ps, [], 'processes outlived ab');
}

interface Rec { status: string; reason: string | null; started_at: string; ended_at: string; duration_s: number; ab_window?: { process: string; pid: number; window: number; settle_s: number } }
interface AbJson { rounds: number; measured: { mode: string; window_s?: number; settle_s?: number }; comparison: { cells: { verdict: string; change: number; reason?: string; changeCi: { low: number; high: number } | null; paired: { rounds: number; detectable: number | null } }[] } }
const records = (dir: string, side: string) => readFileSync(join(dir, side, 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Rec);

test('ab windows: main against itself is not regressed; every round is a window of one resident process per build', () => {
  const out = join(tmp.dir, 'self');
  // one epoch as long as the run: one process per build throughout (the epochs test below restarts them)
  const r = ab(['--base', 'main', '--head', 'main', spec, '--epoch-rounds', String(CAP), '--rounds', String(CAP), '--confidence', '0.99', '--settle', String(SETTLE_S), '--out', out, '--format', 'json']);
  assert.equal(r.code, EXIT.ok, `self: exit ${r.code}: ${r.stderr}`);
  const j = JSON.parse(readFileSync(join(out, 'ab.json'), 'utf8')) as AbJson;
  assert.deepEqual({ mode: j.measured.mode, window_s: j.measured.window_s, settle_s: j.measured.settle_s }, { mode: 'windows', window_s: WINDOW_S, settle_s: SETTLE_S });
  assert.match(r.stdout, /measured in windows: one resident nf run per build and unit/);
  assert.equal(j.rounds, CAP);
  assert.notEqual(j.comparison.cells[0].verdict, 'regressed');
  for (const side of ['base', 'head']) {
    const rs = records(out, side);
    assert.equal(rs.length, CAP);
    assert.ok(rs.every((x) => x.status === 'ok'), JSON.stringify(rs.find((x) => x.status !== 'ok')));
    // one process for the whole run, its windows counted in order, each window measured over at least what was asked
    assert.equal(new Set(rs.map((x) => x.ab_window?.pid)).size, 1);
    assert.deepEqual(rs.map((x) => x.ab_window?.window), Array.from({ length: CAP }, (_, i) => i + 1));
    assert.ok(rs.every((x) => x.ab_window?.process === 'resident' && x.duration_s >= WINDOW_S), JSON.stringify(rs[0]));
  }
  const c = j.comparison.cells[0];
  // one epoch: a change but no interval (that needs two epochs)
  process.stderr.write(`ab windows self: change ${(c.change * 100).toFixed(2)}%, ${c.changeCi ? `CI [${(c.changeCi.low * 100).toFixed(2)}, ${(c.changeCi.high * 100).toFixed(2)}]%` : 'no interval from one epoch'}\n`);
  assertNoProcess();
});

test('ab windows: every --epoch-rounds rounds both builds get new processes, and the verdict\'s samples are the epochs', () => {
  const out = join(tmp.dir, 'epochs');
  const K = 4;
  const E = 3;
  const r = ab(['--base', 'main', '--head', 'main', spec, '--epoch-rounds', String(K), '--rounds', String(K * E), '--confidence', '0.99', '--settle', String(SETTLE_S), '--out', out, '--format', 'text']);
  assert.equal(r.code, EXIT.ok, `epochs: exit ${r.code}: ${r.stderr}`);
  assert.match(r.stdout, new RegExp(`interleaved A/B: ${K * E} rounds in ${E} epochs`));
  assert.match(r.stdout, new RegExp(`paired over ${E} epochs of ${K} rounds \\(${K * E} rounds; a new pair of processes each epoch`));
  const j = JSON.parse(readFileSync(join(out, 'ab.json'), 'utf8')) as AbJson & {
    epoch_rounds: number; ratios: Record<string, number[]>; epoch_ratios: Record<string, { epoch: number; rounds: number; ratio: number }[]>;
    epochs: { epoch: number; first_round: number; start_s: number; pids: Record<string, number[]> }[];
  };
  assert.equal(j.epoch_rounds, K);
  assert.deepEqual(j.epochs.map((e) => [e.epoch, e.first_round]), Array.from({ length: E }, (_, e) => [e, e * K + 1]));
  for (const side of ['base', 'head']) {
    const rs = records(out, side) as (Rec & { ab_window: { epoch?: number } })[];
    assert.equal(rs.length, K * E);
    // round i is window i % K + 1 of epoch ⌊i / K⌋'s process, a process of its own per epoch
    assert.deepEqual(rs.map((x) => [x.ab_window.epoch, x.ab_window.window]), rs.map((_, i) => [Math.floor(i / K), (i % K) + 1]));
    assert.deepEqual(rs.map((x) => x.ab_window.pid), rs.map((_, i) => j.epochs[Math.floor(i / K)].pids[side][0]));
    assert.equal(new Set(rs.map((x) => x.ab_window.pid)).size, E);
  }
  // each epoch's sample is the geometric mean of its rounds' ratios; the cell is decided on those
  const [cell] = Object.keys(j.ratios);
  const byRound = j.ratios[cell];
  const want = Array.from({ length: E }, (_, e) => Math.exp(byRound.slice(e * K, (e + 1) * K).reduce((a, x) => a + Math.log(x), 0) / K));
  j.epoch_ratios[cell].forEach((e, i) => assert.ok(Math.abs(e.ratio - want[i]) < 1e-12, `epoch ${i}: ${e.ratio} vs ${want[i]}`));
  const c = j.comparison.cells[0] as AbJson['comparison']['cells'][number] & { paired: { ratios: number[]; epochs: { n: number; size: number } } };
  assert.deepEqual(c.paired.ratios, j.epoch_ratios[cell].map((e) => e.ratio));
  assert.deepEqual([c.paired.epochs.n, c.paired.epochs.size, c.paired.rounds], [E, K, K * E]);
  assert.notEqual(c.verdict, 'regressed');
  process.stderr.write(`ab windows epochs: starts ${j.epochs.map((e) => e.start_s.toFixed(2)).join(', ')} s; change ${(c.change * 100).toFixed(2)}%\n`);
  assertNoProcess();
});

test(`ab windows: NAT slowed by ${EXTRA_PER_PACKET} loop iterations per packet is regressed`, () => {
  const out = join(tmp.dir, 'slow');
  const r = ab(['--base', 'main', '--head', slow, spec, '--until', 'decided', '--min-rounds', '5', '--rounds', String(CAP), '--out', out, '--format', 'markdown']);
  assert.equal(r.code, EXIT.regression, `slow: exit ${r.code}: ${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /🔴 regressed \| nat\/hashmap\/local\/async cores=1/);
  const j = JSON.parse(readFileSync(join(out, 'ab.json'), 'utf8')) as AbJson;
  assert.equal(j.measured.mode, 'windows');
  const c = j.comparison.cells[0];
  assert.equal(c.verdict, 'regressed');
  assert.ok(c.change < -0.05, String(c.change));
  process.stderr.write(`ab windows: slow NAT decided after ${j.rounds} rounds, change ${(c.change * 100).toFixed(2)}% CI [${(c.changeCi!.low * 100).toFixed(2)}, ${(c.changeCi!.high * 100).toFixed(2)}]%\n`);
  assertNoProcess();
});

test('ab windows: a head whose resident nf run dies mid-run fails its cell (regressed, saying why); nothing is left', async () => {
  const out = join(tmp.dir, 'dies');
  // the head's NAT dies once DIE_AFTER_ROUNDS rounds are done, whatever this host's packet rate
  const done = new RegExp(`^round ${DIE_AFTER_ROUNDS}/${CAP}: `);
  let armed = false;
  const r = await abAsync(['--base', 'main', '--head', dies, spec, '--rounds', String(CAP), '--out', out, '--format', 'text'], (line) => {
    if (armed || !done.test(line)) return;
    writeFileSync(dieNow, '');
    armed = true;
  });
  assert.ok(armed, `dies: ab never said round ${DIE_AFTER_ROUNDS} was done: ${r.stderr}`);
  assert.equal(r.code, EXIT.regression, `dies: exit ${r.code}: ${r.stdout}\n${r.stderr}`);
  const j = JSON.parse(readFileSync(join(out, 'ab.json'), 'utf8')) as AbJson;
  const c = j.comparison.cells[0];
  assert.equal(c.verdict, 'regressed');
  assert.match(c.reason ?? '', /the resident nf run \(nat\/hashmap\/local\/async\/c1\/p0\/r0, pid \d+\) exited with \d+.*the NAT dies.* in round \d+/);
  assert.match(r.stderr, /warning: the resident nf run .* in round \d+ \(\d+ windows measured\): its cell fails/);
  // it died after the rounds it was let live, not before
  const diedIn = Number(/ in round (\d+)$/.exec(c.reason ?? '')?.[1]);
  assert.ok(diedIn > DIE_AFTER_ROUNDS, c.reason);
  const head = records(out, 'head');
  const first = head.findIndex((x) => x.status === 'failed');
  assert.ok(first >= DIE_AFTER_ROUNDS && head.slice(first).every((x) => x.status === 'failed'), 'every window from its death on is failed');
  process.stderr.write(`ab windows dies: told to after round ${DIE_AFTER_ROUNDS}, died in round ${diedIn}, its first failed window ${first + 1}\n`);
  assertNoProcess();
});

test('ab --per-trial: a fresh nf run per trial, said in ab.json and the report', () => {
  const out = join(tmp.dir, 'trials');
  const r = ab(['--base', 'main', '--head', 'main', spec, '--rounds', '2', '--per-trial', '--out', out, '--format', 'text']);
  assert.equal(r.code, EXIT.ok, `per-trial: exit ${r.code}: ${r.stderr}`);
  const j = JSON.parse(readFileSync(join(out, 'ab.json'), 'utf8')) as AbJson;
  assert.equal(j.measured.mode, 'trials');
  assert.match(r.stdout, /measured by a fresh nf run per trial \(asked with --per-trial\)/);
  assert.ok(records(out, 'base').every((x) => x.ab_window === undefined));
  assertNoProcess();
});
