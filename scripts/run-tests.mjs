#!/usr/bin/env node
// Runs every compiled test file under dist/test with node's test runner (Node 20 has no --test globs).
// Usage: node scripts/run-tests.mjs [substring-filter ...]
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test/', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && (filters.length === 0 || filters.some((f) => p.includes(f)))) files.push(p);
  }
})(root);
if (files.length === 0) {
  console.error('no test files found under dist/test (did the build run?)');
  process.exit(1);
}
// What the temp dir held before: anything new afterwards outlived the test that made it. The temp dir
// is the machine's (tests share caches there), so run the suite alone, as CI does: another flexbench
// or JVM working meanwhile would have its files counted here.
const tmpBefore = new Set(readdirSync(tmpdir()));
// One file at a time: tests start real servers and measure; the machine has 2 cores.
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit' });
// flexbench's own (store servers' dirs, a JVM's unpacked libraries) fail the run: nothing it starts
// may outlive it. A test's own folder left behind is reported only. Caches meant to stay are not new.
const KEEP = new Set(['flexbench-stores', 'flexbench-pktgen']);
const PRODUCT = /^(flexbench-|snappy-|liblz4-java-)/;
const left = readdirSync(tmpdir()).filter((n) => !tmpBefore.has(n) && !KEEP.has(n));
const product = left.filter((n) => PRODUCT.test(n));
const tests = left.filter((n) => !PRODUCT.test(n) && /^(fb|h3-)/.test(n));
if (tests.length > 0) console.error(`\nnote: tests left these in ${tmpdir()}: ${tests.join(' ')}`);
if (product.length > 0) {
  console.error(`\nleft behind in ${tmpdir()} by what flexbench started: ${product.join(' ')}`);
  process.exit(r.status || 1);
}
process.exit(r.status ?? 1);
