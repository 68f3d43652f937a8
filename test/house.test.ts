// The house holds: every import follows docs/ARCHITECTURE.md's rules (.dependency-cruiser.cjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../scripts/check-house.mjs', import.meta.url));

test('no import breaks a rule of docs/ARCHITECTURE.md (no cycles, runtime free of the harness, NFs see the state API only, …)', () => {
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /every import follows/);
});
