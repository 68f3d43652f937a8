import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Progress } from '../../../harness/progress/progress.js';

function sink() {
  const chunks: string[] = [];
  const w = new Writable({ write(c, _e, cb) { chunks.push(String(c)); cb(); } });
  return { w, text: () => chunks.join('') };
}

const state = { i: 3, total: 12, cell: 'nat/redis/local/async cores=2 pcap=1 rep=0', etaSeconds: 75, lastMpps: 4.25 };

test('status line: trial i/N, the cell, ETA and the last rate', () => {
  assert.equal(Progress.format(state), '[3/12] nat/redis/local/async cores=2 pcap=1 rep=0  ETA 1m15s  last 4.250 Mpps');
  assert.equal(Progress.format({ ...state, lastMpps: null }), '[3/12] nat/redis/local/async cores=2 pcap=1 rep=0  ETA 1m15s');
  assert.equal(Progress.format({ ...state, round: 2, rounds: 4, lastMpps: 0.000213 }), '[3/12] round 2 of 4 nat/redis/local/async cores=2 pcap=1 rep=0  ETA 1m15s  last 213 pps');
  assert.equal(Progress.format({ ...state, lastMpps: 0.0456 }), '[3/12] nat/redis/local/async cores=2 pcap=1 rep=0  ETA 1m15s  last 45.6 kpps');
});

test('non-terminal: plain lines, no escape codes', () => {
  const s = sink();
  const p = new Progress(s.w, false);
  p.update(state);
  p.log('ok');
  p.done();
  assert.equal(s.text(), `${Progress.format(state)}\nok\n`);
});

test('terminal: one redrawn line, cleared before a message that stays', () => {
  const s = sink();
  const p = new Progress(s.w, true);
  p.update(state);
  p.update({ ...state, i: 4 });
  p.log('FAILED x');
  p.done();
  const t = s.text();
  assert.equal(t.split('\n').length, 2, 'only the kept message ends a line');
  assert.ok(t.startsWith('\r\x1b[2K[3/12]'));
  assert.ok(t.includes('\r\x1b[2K[4/12]'));
  assert.ok(t.endsWith('\r\x1b[2KFAILED x\n'));
});
