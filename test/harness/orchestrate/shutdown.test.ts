import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Shutdown } from '../../../harness/orchestrate/shutdown.js';

test('shutdown: steps run in the fixed order whatever the registration order, each once, errors collected', async () => {
  const s = new Shutdown();
  const seen: string[] = [];
  s.on('signals', () => seen.push('signals'));
  s.on('lock', () => seen.push('lock'));
  s.on('stores', () => seen.push('redis'));
  s.on('stores', async () => {
    seen.push('cassandra');
    throw new Error('boom');
  });
  s.on('testbed', () => seen.push('testbed'));
  const a = s.close();
  const b = s.close();
  assert.equal(a, b, 'idempotent: the same promise');
  const errors = await a;
  assert.deepEqual(seen, ['cassandra', 'redis', 'testbed', 'lock', 'signals'], 'stores in reverse start order, then the rest');
  assert.deepEqual(errors.map((e) => e.message), ['boom']);
  await s.close();
  assert.equal(seen.length, 5, 'nothing runs twice');
  assert.throws(() => s.on('lock', () => {}), /after close/);
});
