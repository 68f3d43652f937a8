// The start ETA's scale: the median wall / estimate of the newest finished runs on this machine and
// testbed; runs resumed, unfinished, elsewhere or wildly off are not used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etaCalibration, runScale } from '../../../harness/orchestrate/eta.js';

const here = { cpu_model: 'AMD EPYC', cores: 2, testbed: 'local' };

function run(id: string, o: { wall: number; eta: number; model?: number; status?: string; resumed?: boolean; fp?: Partial<typeof here> }) {
  return {
    run_id: id,
    status: o.status ?? 'complete',
    provenance: { fingerprint: { ...here, ...o.fp }, resumed_at: o.resumed ? ['2026-12-07T10:00:00Z'] : [], eta_s: o.eta, ...(o.model !== undefined ? { eta_model_s: o.model } : {}), wall_s: o.wall },
  };
}

test('one run: wall over the unscaled estimate, when it ran whole here', () => {
  assert.equal(runScale(run('a', { wall: 165, eta: 220 }), here), 0.75);
  // a run that was itself scaled: the model estimate is what it is compared with
  assert.equal(runScale(run('b', { wall: 165, eta: 180, model: 220 }), here), 0.75);
  assert.equal(runScale(run('c', { wall: 165, eta: 220, status: 'incomplete' }), here), null);
  assert.equal(runScale(run('d', { wall: 165, eta: 220, resumed: true }), here), null);
  assert.equal(runScale(run('e', { wall: 165, eta: 220, fp: { cpu_model: 'Intel Xeon' } }), here), null);
  assert.equal(runScale(run('f', { wall: 165, eta: 220, fp: { testbed: 'netns' } }), here), null);
  assert.equal(runScale(run('g', { wall: 165, eta: 220, fp: { cores: 4 } }), here), null);
  // a stall or a hung store, not the host's speed
  assert.equal(runScale(run('h', { wall: 500, eta: 220 }), here), null);
  assert.equal(runScale(run('i', { wall: 100, eta: 220 }), here), null);
  assert.equal(runScale(run('j', { wall: 0, eta: 220 }), here), null);
});

test('the median of the newest three usable runs; the run itself and other machines skipped', () => {
  const root = mkdtempSync(join(tmpdir(), 'fb-eta-'));
  try {
    const put = (name: string, body: unknown, age: number) => {
      mkdirSync(join(root, name));
      writeFileSync(join(root, name, 'run.json'), typeof body === 'string' ? body : JSON.stringify(body));
      const t = new Date(Date.UTC(2026, 11, 7, 10, 0, 0) - age * 1000);
      utimesSync(join(root, name, 'run.json'), t, t);
    };
    put('oldest', run('oldest', { wall: 100, eta: 100 }), 60);
    put('r1', run('r1', { wall: 100, eta: 100 }), 50);
    put('other-host', run('other-host', { wall: 150, eta: 100, fp: { cpu_model: 'Intel Xeon' } }), 45);
    put('r2', run('r2', { wall: 75, eta: 100 }), 40);
    put('torn', '{"status": "comp', 35);
    put('r3', run('r3', { wall: 70, eta: 100 }), 30);
    put('current', run('current', { wall: 10, eta: 100, status: 'running' }), 0);
    mkdirSync(join(root, 'no-run-json'));
    assert.deepEqual(etaCalibration(root, here, join(root, 'current')), { scale: 0.75, runs: ['r3', 'r2', 'r1'] });
    assert.equal(etaCalibration(root, { ...here, testbed: 'lab' }), null);
    assert.equal(etaCalibration(join(root, 'nowhere'), here), null);
    rmSync(join(root, 'r3'), { recursive: true });
    rmSync(join(root, 'oldest'), { recursive: true });
    assert.deepEqual(etaCalibration(root, here), { scale: 0.875, runs: ['r2', 'r1'] });
    // an --out run's folder is looked in too, newest first across both
    const outs = mkdtempSync(join(tmpdir(), 'fb-eta-out-'));
    try {
      mkdirSync(join(outs, 'mine'));
      writeFileSync(join(outs, 'mine', 'run.json'), JSON.stringify(run('mine', { wall: 120, eta: 100 })));
      const newest = new Date(Date.UTC(2026, 11, 7, 10, 0, 10));
      utimesSync(join(outs, 'mine', 'run.json'), newest, newest);
      assert.deepEqual(etaCalibration([root, outs, root], here), { scale: 1, runs: ['mine', 'r2', 'r1'] });
    } finally {
      rmSync(outs, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
