// `flexbench ab`'s own option parsing (the run itself: test/harness/ab/ab.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMaxTime } from '../../../harness/commands/ab.js';
import { FlexbenchError, EXIT } from '../../../harness/exit-codes.js';

test('--max-time: seconds, or a number with s, m or h; anything else is a usage error naming the value', () => {
  assert.equal(parseMaxTime('600'), 600);
  assert.equal(parseMaxTime('90s'), 90);
  assert.equal(parseMaxTime('10m'), 600);
  assert.equal(parseMaxTime('1.5h'), 5400);
  assert.equal(parseMaxTime(' 2m '), 120);
  for (const bad of ['', '0', '0s', '10 min', '-5', 'm', '1e3', '10d']) {
    assert.throws(() => parseMaxTime(bad), (e: unknown) => e instanceof FlexbenchError && e.exitCode === EXIT.usage && e.message.includes(`--max-time "${bad}"`), bad);
  }
});
