import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadStateConfig, parseStateConfig, resolveFlusher, stateConfigFromFlags } from '../../../runtime/state/config.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'flexbench-h1-cfg-'));

test('the YAML file and the equivalent flags give the same config, defaults filled in', () => {
  const d = tmp();
  try {
    const f = path.join(d, 'state.yaml');
    writeFileSync(f, 'nf: nf1\ninstance: ins1\nstore: redis://127.0.0.1:6379\nmode: async\n');
    const fromFile = loadStateConfig(f);
    const fromFlags = stateConfigFromFlags({ store: 'redis://127.0.0.1:6379', nfId: 'nf1', instance: 'ins1', mode: 'async' });
    assert.deepEqual(fromFile, fromFlags);
    assert.equal(fromFile.flushMs, 1);
    assert.equal(fromFile.flusher, 'auto');
    // flags override the file: switching store is one line
    const over = stateConfigFromFlags({ stateConfig: f, store: 'hashmap:', flushMs: 5, mode: 'sync' });
    assert.equal(over.store, 'hashmap:');
    assert.equal(over.flushMs, 5);
    assert.equal(over.mode, 'sync');
    assert.equal(over.nf, 'nf1');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('bad configs name the file and the field, exit code 2', () => {
  const d = tmp();
  try {
    const f = path.join(d, 'bad.yaml');
    writeFileSync(f, 'nf: nf1\ninstance: ins1\nstore: redis://h:1\nmode: sometimes\nflushMs: -1\nextra: 1\n');
    assert.throws(() => loadStateConfig(f), (e: Error & { exitCode?: number }) => e.exitCode === 2 && e.message.includes(f) && /mode/.test(e.message) && /flushMs/.test(e.message) && /extra/.test(e.message));
    writeFileSync(f, 'nf: [unclosed');
    assert.throws(() => loadStateConfig(f), /not valid YAML/);
    assert.throws(() => loadStateConfig(path.join(d, 'missing.yaml')), /cannot read/);
    assert.throws(() => parseStateConfig({ nf: 'a@b', instance: 'i', store: 'hashmap:' }), /nf/);
    assert.throws(() => parseStateConfig({ nf: 'a', instance: '{i}', store: 'hashmap:' }), /instance/);
    assert.throws(() => parseStateConfig({ nf: 'a', instance: 'i', store: 'not a url' }), /store/);
    assert.throws(() => stateConfigFromFlags({ store: 'hashmap:' }), /--nf-id|nf/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('flusher auto: a state thread only where the process may use a CPU beyond its packet cores', () => {
  assert.equal(resolveFlusher('auto', 1, 2), 'worker');
  assert.equal(resolveFlusher('auto', 1, 1), 'thread'); // taskset -c 1: the state thread would share the packet core
  assert.equal(resolveFlusher('auto', 2, 2), 'thread');
  assert.equal(resolveFlusher('auto', 4, 2), 'thread');
  assert.equal(resolveFlusher('auto', 2, 8), 'worker');
  assert.equal(resolveFlusher('worker', 2, 2), 'worker'); // asked for: kept
  assert.equal(resolveFlusher('thread', 1, 8), 'thread');
});
