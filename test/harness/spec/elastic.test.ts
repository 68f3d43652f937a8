// Spec `instances:`/`events:` (issue 18): every bad input is refused before anything starts, at its line and field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec } from '../../../harness/spec/load.js';
import { elasticEvents } from '../../../harness/spec/elastic.js';
import { problems, ROOT } from './problems.js';


const BASE = `name: t
traffic: { rate: 50000, warmup_s: 1, duration_s: 3 }
matrix: { nfs: [nat], stores: [redis], cores: [1] }
instances: [ins1, ins2]
`;

test('a kill, an add and a remove in the window are accepted, normalised in spec order', async () => {
  const text = `${BASE}events:\n  - kill: { instance: ins1, at_s: 2 }\n  - add: { instance: ins3, at_s: 2.5 }\n  - remove: { instance: ins2, at_s: 3 }\n`;
  assert.deepEqual(await problems(text), []);
  const spec = await parseSpec(text, 'spec.yaml', { baseDir: ROOT });
  assert.deepEqual(elasticEvents(spec.spec.events), [
    { kind: 'kill', instance: 'ins1', at_s: 2 },
    { kind: 'add', instance: 'ins3', at_s: 2.5 },
    { kind: 'remove', instance: 'ins2', at_s: 3 },
  ]);
});

const TABLE: { name: string; events: string; base?: string; expect: RegExp[] }[] = [
  { name: 'unknown instance, with a suggestion', events: '  - kill: { instance: ins9, at_s: 2 }\n', expect: [/^6:23 events\[0\]\.kill\.instance: no instance "ins9" is running when this kill fires \(running: ins1, ins2\); did you mean "ins1"\?/] },
  { name: 'a kill before the run starts', events: '  - kill: { instance: ins1, at_s: 0 }\n', expect: [/^6:35 events\[0\]\.kill\.at_s: a kill at 0 s is before the run starts/] },
  { name: 'an event in the warm-up', events: '  - kill: { instance: ins1, at_s: 0.5 }\n', expect: [/events\[0\]\.kill\.at_s: a kill at 0\.5 s falls in the 1 s warm-up/] },
  { name: 'an event after the window', events: '  - add: { instance: ins3, at_s: 4 }\n', expect: [/events\[0\]\.add\.at_s: a add at 4 s is after the measured window ends \(4 s/] },
  {
    name: 'scale-in of the last instance',
    events: '  - remove: { instance: ins2, at_s: 2 }\n  - remove: { instance: ins1, at_s: 3 }\n',
    expect: [/^7:25 events\[1\]\.remove\.instance: removing "ins1" would leave no instance/],
  },
  { name: 'a removed instance cannot be killed later', events: '  - remove: { instance: ins2, at_s: 2 }\n  - kill: { instance: ins2, at_s: 3 }\n', expect: [/events\[1\]\.kill\.instance: no instance "ins2" is running when this kill fires \(running: ins1\)/] },
  { name: 'adding a running instance', events: '  - add: { instance: ins2, at_s: 2 }\n', expect: [/events\[0\]\.add\.instance: instance "ins2" is already running/] },
  { name: 'two kinds in one event', events: '  - { kill: { instance: ins1, at_s: 2 }, add: { instance: ins3, at_s: 2 } }\n', expect: [/events\[0\]/] },
  { name: 'hashmap cannot be shared', events: '  - kill: { instance: ins1, at_s: 2 }\n', base: BASE.replace('[redis]', '[redis, hashmap]'), expect: [/matrix\.stores\[1\]: instances share one store; hashmap lives inside one process/] },
  { name: 'rate max', events: '  - kill: { instance: ins1, at_s: 2 }\n', base: BASE.replace('rate: 50000', 'rate: max'), expect: [/traffic\.rate: several instances need an offered rate/] },
  { name: 'events without instances', events: '  - kill: { instance: ins1, at_s: 2 }\n', base: BASE.replace('instances: [ins1, ins2]\n', ''), expect: [/events: events need instances/] },
];

for (const t of TABLE) {
  test(`refused: ${t.name}`, async () => {
    const got = await problems(`${t.base ?? BASE}events:\n${t.events}`);
    for (const re of t.expect) assert.ok(got.some((g) => re.test(g)), `${re} not in:\n${got.join('\n')}`);
  });
}
