// One table says what an NF is and needs: the spec schema, the plan and the modules agree with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NF_NAMES, NF_REGISTRY, allowedModes } from '../../nfs/registry.js';
import { NFS } from '../../harness/spec/schema.js';
import { traitsOf } from '../../harness/plan/nfs.js';
import { parseIpRange } from '../../runtime/nf-process/entry.js';

test('every registered NF is a spec NF with the same traits in the plan; testpmd is the only other', () => {
  assert.deepEqual([...NFS].sort(), ['testpmd', ...NF_NAMES].sort());
  for (const n of NF_NAMES) {
    const e = NF_REGISTRY[n];
    const t = traitsOf(n);
    assert.equal(t.stateful, e.stateful, n);
    assert.equal(t.fixedMode, e.stateful ? e.fixedMode : 'none', n);
    assert.deepEqual(allowedModes(e), !e.stateful ? [] : e.fixedMode ? [e.fixedMode] : n === 'nat' ? ['sync', 'async', 'cache', 'stateless-async'] : ['sync', 'async'], n);
    assert.deepEqual(t.modes, allowedModes(e), n);
    // a Native form (store: none) only for a stateful NF that can run without its store: the NAT
    assert.equal(t.native, n === 'nat', n);
  }
  assert.deepEqual(traitsOf('testpmd'), { stateful: false, fixedMode: 'none', modes: [], native: false });
});

test('every registered NF loads; one without state is built without a state context', async () => {
  const opts = { core: 0, cores: 1, natIps: parseIpRange('198.19.0.0/28', 'x'), natPorts: { lo: 1024, hi: 65535 }, lbBackends: [1] };
  for (const n of NF_NAMES) {
    const mod = await NF_REGISTRY[n].load();
    assert.equal(typeof mod.createNf, 'function', n);
    if (!NF_REGISTRY[n].stateful) assert.equal(typeof (await mod.createNf(null, opts)).process, 'function', n);
  }
});
