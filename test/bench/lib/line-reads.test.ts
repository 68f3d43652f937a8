// The bench's price of a line no cache holds: the rate it leaves, exact values; the probe's output shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { measureLineReads, rateWithLines } from '../../../bench/lib/line-reads.js';

test('a packet at 50 ns (20 Mpps) that adds 2 lines of 25 ns takes 100 ns: 10 Mpps', () => {
  assert.equal(rateWithLines(20, 2, 25), 10);
  assert.equal(rateWithLines(20, 0, 25), 20);
  assert.equal(rateWithLines(10, 1, 100), 5);
});

test('the probe measures whole lines and reports the loop cost apart (no speed asserted)', () => {
  const r = measureLineReads(1000, 1 << 12, 1);
  assert.equal(r.bytes, 960); // 15 whole 64-byte lines
  assert.ok(Number.isFinite(r.ns) && r.ns > 0);
  assert.ok(Number.isFinite(r.baseNs) && r.baseNs > 0);
  assert.ok(r.extraNs >= 0);
});

test('run as a program it prints one JSON line for the size asked', () => {
  const file = fileURLToPath(new URL('../../../bench/lib/line-reads.js', import.meta.url));
  const out = execFileSync(process.execPath, [file, String(64 * 1024)], { encoding: 'utf8' });
  const r = JSON.parse(out.trim()) as { bytes: number; extraNs: number };
  assert.equal(r.bytes, 64 * 1024);
  assert.ok(r.extraNs >= 0);
});
