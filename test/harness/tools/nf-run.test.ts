import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNfProgress, stateLossFlags } from '../../../harness/tools/nf-run.js';

test('rate lines parse into cumulative counters', () => {
  assert.deepEqual(parseNfProgress('[nat] t=1.5s rx 12.350 Mpps tx 12.250 Mpps (total rx 23918592)'), { t: 1.5, rx_total: 23918592, rx_mpps: 12.35, tx_mpps: 12.25 });
  assert.equal(parseNfProgress('nf run: core 0: state lost: …'), null);
});

test('a state loss becomes one trial flag per core, saying what was lost and what was done', () => {
  assert.deepEqual(stateLossFlags({ state_lost: false, state_loss: [] }), []);
  assert.deepEqual(stateLossFlags({}), []);
  assert.deepEqual(
    stateLossFlags({ state_lost: true, state_loss: [
      { core: 0, store: 'redis://127.0.0.1:6390', flushes_lost: 812, counts_lost: 4211, counts_exact: true, action: 'warn' },
      { core: 1, store: 'redis://127.0.0.1:6390', flushes_lost: 3, counts_lost: 17, counts_exact: false, action: 'reload' },
      { core: 2, store: 'redis://127.0.0.1:6390', flushes_lost: 3, counts_lost: null, counts_exact: false, action: 'warn' },
    ] }),
    [
      'state_lost: core 0, redis://127.0.0.1:6390: 812 acknowledged flushes, 4211 counts lost (warn)',
      'state_lost: core 1, redis://127.0.0.1:6390: 3 acknowledged flushes, >= 17 counts lost (reload)',
      'state_lost: core 2, redis://127.0.0.1:6390: 3 acknowledged flushes, unknown counts lost (warn)',
    ],
  );
});
