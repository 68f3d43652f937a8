// `flexbench run` refuses a spec whose instance events cannot happen (issue 18's bad input: an event
// naming an unknown instance, a kill before the run starts, a scale-in of the last instance) with exit
// 2, the file, line, column and field, no stack, and nothing started: no store, no pcap, no results.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { flexbench, tempDir } from '../../runtime/packet/helpers.js';

let tmp: ReturnType<typeof tempDir>;
before(() => {
  tmp = tempDir('runelastic');
});
after(() => tmp.cleanup());

const BASE = `name: e
traffic: { flows: 100, files: 1, rate: 20000, warmup_s: 1, duration_s: 3 }
matrix: { nfs: [nat], stores: [redis], modes: [async], cores: [1] }
instances: [ins1, ins2]
events:
`;

for (const t of [
  { name: 'an event naming an unknown instance', events: '  - kill: { instance: ins9, at_s: 2 }\n', want: /e\.yaml:6:23: events\[0\]\.kill\.instance: no instance "ins9" is running when this kill fires/ },
  { name: 'a kill before the run starts', events: '  - kill: { instance: ins1, at_s: 0 }\n', want: /e\.yaml:6:35: events\[0\]\.kill\.at_s: a kill at 0 s is before the run starts/ },
  { name: 'a scale-in of the last instance', events: '  - remove: { instance: ins2, at_s: 2 }\n  - remove: { instance: ins1, at_s: 3 }\n', want: /e\.yaml:7:25: events\[1\]\.remove\.instance: removing "ins1" would leave no instance/ },
]) {
  test(`run refuses ${t.name}: exit 2 at its line and field, nothing started`, async () => {
    const spec = join(tmp.dir, 'e.yaml');
    writeFileSync(spec, BASE + t.events);
    const out = join(tmp.dir, 'out');
    const r = await flexbench(['run', spec, '--out', out]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, t.want);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack');
    assert.doesNotMatch(r.stderr + r.stdout, /starting store|up at redis/, 'no store was started');
    assert.equal(existsSync(join(out, 'trials.jsonl')), false, 'no trial ran');
    assert.equal(existsSync(join(tmp.dir, 'pcaps')), false, 'no pcap was generated');
  });
}
