import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { createTestbed } from '../../../harness/testbeds/local.js';
import { parseNfProgress } from '../../../harness/tools/nf-run.js';
import { parseSpec } from '../../../harness/spec/load.js';
import type { PlanTrial } from '../../../harness/results/format.js';

test('rate lines of `nf run` parse; other stderr lines do not', () => {
  assert.deepEqual(parseNfProgress('[nat] t=1.5s rx 12.350 Mpps tx 12.250 Mpps (total rx 23918592)'), { t: 1.5, rx_total: 23918592, rx_mpps: 12.35, tx_mpps: 12.25 });
  assert.equal(parseNfProgress('nat: opening state on redis://127.0.0.1:1'), null);
});

test('local testbed: what it cannot give is skipped with a reason, and commands are exact', async () => {
  const { spec } = await parseSpec('name: l\ntraffic: { files: 1, duration_s: 2, warmup_s: 1 }\nmatrix: { nfs: [testpmd, nat], stores: [redis], cores: [1] }\n', 'l.yaml');
  const tb = await createTestbed({ spec, inventory: undefined, root: '/repo' });
  const t = (over: Partial<PlanTrial>): PlanTrial => ({ trial_id: 'x', index: 7, nf: 'nat', store: 'redis', location: 'local', mode: 'async', cores: 1, frame_size: 64, testbed: 'local', pcap_index: 0, repetition: 0, skip: null, ...over });
  const n = os.availableParallelism();
  assert.match(tb.skipReason(t({ location: 'remote' }))!, /one node: a remote store needs a second node/);
  assert.match(tb.skipReason(t({ cores: n + 1 }))!, new RegExp(`needs ${n + 1} cores; this host has ${n}`));
  assert.match(tb.skipReason(t({ nf: 'testpmd', store: 'none', mode: 'none', cores: n }))!, /testpmd needs \d+ lcores \(1 main/);
  assert.match(tb.skipReason(t({ store: 'nosuchstore' }))!, /store server "nosuchstore" is not available/);
  assert.equal(tb.skipReason(t({})), null);
  const pcap = { name: 'f.pcap', path: '/p/f.pcap', sha256: '', seed: 1, flows: 10, frame_size: 64 };
  assert.deepEqual(tb.describeTrial(t({}), pcap, spec), [
    'flexbench nf run --nf nat --cores 1 --input /p/f.pcap --store redis://127.0.0.1:PORT --nf-id nat --instance ins1 --mode async --flush-ms 1 --warmup 1 --duration 2 --json',
  ]);
  const [tp] = tb.describeTrial(t({ nf: 'testpmd', store: 'none', mode: 'none' }), pcap, spec);
  assert.match(tp, /^dpdk-testpmd -l 0,1 --main-lcore 0 --file-prefix flexbench-l-t7 --no-huge -m 1024 --vdev net_pcap0,rx_pcap=\/p\/f\.pcap,infinite_rx=1 --vdev net_null0,no-rx=1 --no-pci -- --nb-cores=1 --forward-mode=macswap --stats-period=1 --total-num-mbufs=65536$/);
  await tb.teardown();
});
