import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reportError, debugRequested } from '../../harness/error-report.js';
import { FlexbenchError, EXIT } from '../../harness/exit-codes.js';

test('a FlexbenchError is its sentence and its exit code, with passwords masked', () => {
  const r = reportError(new FlexbenchError('store redis://:pw@h:1: refused', EXIT.environment));
  assert.deepEqual(r, { text: 'flexbench: store redis://:***@h:1: refused', exitCode: 5 });
});

test('a file system error with a path is a sentence with exit 2 (or 5 for a full disk), no stack', () => {
  const e = Object.assign(new Error("EACCES: permission denied, open '/x/y'"), { code: 'EACCES', syscall: 'open', path: '/x/y' });
  assert.deepEqual(reportError(e), { text: 'flexbench: cannot open /x/y: permission denied (EACCES)', exitCode: 2 });
  const full = Object.assign(new Error('ENOSPC'), { code: 'ENOSPC', syscall: 'write', path: '/r/run.json' });
  assert.equal(reportError(full).exitCode, 5);
  assert.match(reportError(full).text, /no space left/);
});

test('anything else is one line and exit 70; the stack only when debugging', () => {
  const e = new TypeError('x is not a function\nsecond line');
  const plain = reportError(e);
  assert.equal(plain.exitCode, 70);
  assert.equal(plain.text.split('\n').length, 1);
  assert.match(plain.text, /^flexbench: internal error .*TypeError: x is not a function .*--debug/);
  assert.doesNotMatch(plain.text, /\n\s+at /);
  const debug = reportError(e, true);
  assert.equal(debug.exitCode, 70);
  assert.match(debug.text, /\n\s+at /);
  assert.match(reportError(new FlexbenchError('bad'), true).text, /^flexbench: bad\n.*FlexbenchError: bad\n\s+at /);
  assert.equal(reportError('a thrown string').exitCode, 70);
});

test('--debug anywhere, or FLEXBENCH_DEBUG=1, asks for the stack', () => {
  assert.equal(debugRequested(['run', 'x.yaml', '--debug'], {}), true);
  assert.equal(debugRequested(['run', 'x.yaml'], { FLEXBENCH_DEBUG: '1' }), true);
  assert.equal(debugRequested(['run', 'x.yaml'], { FLEXBENCH_DEBUG: '0' }), false);
  assert.equal(debugRequested(['run'], {}), false);
});
