// The elastic figure: points around the first event in kpps, the events as rules, trials without a series left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { timeseriesSpec, parseSeriesCsv } from '../../../harness/plots/timeseries.js';
import { figureSchema } from '../../../harness/spec/schema.js';
import type { TrialRecord } from '../../../harness/results/format.js';

test('series CSV parsed by column; points relative to the kill, in kpps; the kill drawn as a rule', () => {
  const dir = mkdtempSync(join(os.tmpdir(), 'fb-ts-'));
  try {
    mkdirSync(join(dir, 'series'));
    const rows = ['t_ms,sent,returned,lost,nf_dropped,missed,moved_returned'];
    for (let i = 0; i < 300; i++) rows.push(`${i * 10},500,${i >= 200 && i < 220 ? 250 : 500},0,0,0,0`);
    writeFileSync(join(dir, 'series', 'a.csv'), rows.join('\n') + '\n');
    assert.deepEqual(parseSeriesCsv('a,b\n1,2\n3,4\n'), { a: [1, 3], b: [2, 4] });
    const t = {
      index: 3, nf: 'nat', store: 'redis', location: 'local', mode: 'async', status: 'ok', repetition: 0,
      elastic: { series_file: 'series/a.csv', bucket_ms: 10, events: [{ kind: 'kill', instance: 'ins1', at_ms: 2000 }] },
    } as unknown as TrialRecord;
    const missing = { ...t, index: 4, elastic: { ...t.elastic!, series_file: 'series/none.csv' } } as TrialRecord;
    const fig = figureSchema.parse({ id: 'f', title: 'F', kind: 'timeseries', series: ['store'] });
    const spec = timeseriesSpec(fig, [t, missing], dir, ['sub']) as unknown as { layer: { data: { values: Record<string, unknown>[] } }[] };
    const pts = spec.layer[1]!.data.values;
    assert.equal(pts[0]!.t, -300);
    assert.equal(pts.find((p) => p.t === 0)!.kpps, 25); // 250 packets in 10 ms
    assert.equal(pts.find((p) => p.t === 200)!.kpps, 50);
    assert.deepEqual(spec.layer[2]!.data.values, [{ t: 0, label: 'kill ins1' }]);
    assert.equal(timeseriesSpec(fig, [missing], dir, []), null);
    // the x axis runs 1.2 s past the last event, or past its recovery where that took longer
    const x = (sp: unknown) => (sp as { layer: { encoding: { x: { scale: { domain: number[] } } } }[] }).layer[1]!.encoding.x.scale.domain;
    assert.deepEqual(x(spec), [-300, 1200]);
    const two = { ...t, elastic: { ...t.elastic!, events: [{ kind: 'add', instance: 'ins3', at_ms: 500, recovery_ms: 80 }, { kind: 'remove', instance: 'ins1', at_ms: 1500, recovery_ms: 1400 }] } } as unknown as TrialRecord;
    assert.deepEqual(x(timeseriesSpec(fig, [two], dir, [])), [-300, 2700]);
    // a store node's kill alone (a ring's node) is drawn too, its window past the driver's recovery
    const store = { ...t, elastic: { ...t.elastic!, events: [], store_events: [{ node: 'node1', at_ms: 1000, driver_recovered_ms: 1500 }] } } as unknown as TrialRecord;
    const st = timeseriesSpec(fig, [store], dir, []) as unknown as { layer: { data: { values: Record<string, unknown>[] } }[] };
    assert.deepEqual(st.layer[2]!.data.values, [{ t: 0, label: 'kill store node1' }]);
    assert.deepEqual(x(st), [-300, 1800]);
    // with an instance kill after it, the window starts at the store's kill and both are marked
    const both = { ...store, elastic: { ...store.elastic!, events: [{ kind: 'kill', instance: 'ins1', at_ms: 2000, recovery_ms: 50 }] } } as unknown as TrialRecord;
    assert.deepEqual((timeseriesSpec(fig, [both], dir, []) as unknown as typeof st).layer[2]!.data.values, [{ t: 0, label: 'kill store node1' }, { t: 1000, label: 'kill ins1' }]);
    // after the generator stopped (sent 0 to the end), nothing is drawn: the end of a trial is not an outage
    writeFileSync(join(dir, 'series', 'a.csv'), [...rows.slice(0, 251), ...Array.from({ length: 50 }, (_, i) => `${(250 + i) * 10},0,0,0,0,0,0`)].join('\n') + '\n');
    const ended = timeseriesSpec(fig, [t], dir, []) as unknown as { layer: { data: { values: { t: number }[] } }[] };
    assert.equal(Math.max(...ended.layer[1]!.data.values.map((p) => p.t)), 490);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
