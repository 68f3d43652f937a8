// Several NAT instances behind the front-end on a real redis-server (issue 18): one is SIGKILLed mid-run,
// a standby takes its id and recovers its partition; the moved flows come back with the translations
// they had (checked on every returned packet's headers), and nothing the trial started is left running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { startRedis } from '../../../runtime/stores/redis.js';
import { generatePcaps } from '../../../runtime/packet/generate.js';
import { runElasticTrial, instanceArgv, allInstances } from '../../../harness/testbeds/elastic.js';
import { pidAlive } from '../../../common/processes.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = join(ROOT, 'bin', 'flexbench.js');

test('instance argv: ids, pool shares in the order the run names them, a standby without an id', () => {
  const all = allInstances(['ins1', 'ins2'], [{ kind: 'kill', instance: 'ins1', at_s: 2 }, { kind: 'add', instance: 'ins3', at_s: 3 }]);
  assert.deepEqual(all, ['ins1', 'ins2', 'ins3']);
  const o = { nf: 'nat', cores: 1, storeUrl: 'redis://127.0.0.1:1', mode: 'async', flushMs: 1 };
  assert.deepEqual(instanceArgv(o, '/s', 'ins2', { index: 1, of: 3 }).join(' '),
    'nf run --nf nat --cores 1 --port link:/s --store redis://127.0.0.1:1 --nf-id nat --mode async --flush-ms 1 --instance ins2 --nat-share 2/3 --progress 0 --json');
  assert.ok(instanceArgv(o, '/s', null, null).includes('--standby'));
});

test('kill one of two NAT instances on Redis: the standby recovers its flows, every translation kept', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(os.tmpdir(), 'fb-elastic-'));
  const redis = await startRedis();
  try {
    const [pcap] = generatePcaps({ out: dir, flows: 500, files: 1 });
    const ac = new AbortController();
    const lines: string[] = [];
    const { m, elastic } = await runElasticTrial({
      cli: CLI, cwd: ROOT, nf: 'nat', cores: 1, storeUrl: redis.url, mode: 'async', flushMs: 1, pcapPath: pcap!, rate: 20000,
      warmupS: 0.5, durationS: 1.5, instances: ['ins1', 'ins2'], events: [{ kind: 'kill', instance: 'ins1', at_s: 1 }],
      runDir: dir, name: 't', signal: ac.signal, log: (s) => lines.push(s),
    });
    const ev = elastic.events[0]!;
    assert.equal(ev.kind, 'kill');
    assert.ok(ev.moved_flows > 100 && ev.moved_flows < 400, `moved ${ev.moved_flows} of 500 flows`);
    assert.equal(ev.checked_flows, ev.moved_flows, 'every moved flow was seen before and after the kill');
    assert.equal(ev.kept_flows, ev.checked_flows);
    assert.equal(ev.changed_packets, 0);
    assert.equal(elastic.changed_flows, 0);
    assert.ok(ev.recovery_ms !== null && ev.recovery_ms > 0 && ev.ready_ms !== null && ev.recovery_ms >= ev.ready_ms, JSON.stringify(ev));
    assert.equal(elastic.per_instance.ins1?.exit, 'SIGKILL');
    assert.equal(elastic.per_instance.ins1?.recovered, ev.moved_flows, 'the standby recovered exactly the flows the dead instance had');
    // every packet is accounted for: returned, lost (no instance / in the dead one), missed or dropped
    assert.equal(elastic.sent, elastic.returned + elastic.lost + elastic.missed + elastic.nf_dropped);
    assert.ok(m.tx_packets > 0 && m.tx_packets <= m.rx_packets);
    const csv = readFileSync(join(dir, elastic.series_file), 'utf8').trim().split('\n');
    assert.equal(csv[0], 't_ms,sent,returned,lost,nf_dropped,missed,moved_returned');
    assert.ok(csv.length > 150);
    for (const pids of Object.values(elastic.per_instance).map((p) => p.pids)) for (const pid of pids) assert.equal(pidAlive(pid), false, `pid ${pid} outlived the trial`);
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('remove one of two NAT instances on Redis: it drains and flushes, the survivor adopts its flows with their translations', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(os.tmpdir(), 'fb-elastic-rm-'));
  const redis = await startRedis();
  try {
    const [pcap] = generatePcaps({ out: dir, flows: 500, files: 1 });
    const ac = new AbortController();
    const { m, elastic } = await runElasticTrial({
      cli: CLI, cwd: ROOT, nf: 'nat', cores: 1, storeUrl: redis.url, mode: 'async', flushMs: 1, pcapPath: pcap!, rate: 20000,
      warmupS: 0.5, durationS: 1.5, instances: ['ins1', 'ins2'], events: [{ kind: 'remove', instance: 'ins1', at_s: 1 }],
      runDir: dir, name: 't', signal: ac.signal, log: () => {},
    });
    const ev = elastic.events[0]!;
    assert.equal(ev.kind, 'remove');
    assert.ok(ev.moved_flows > 100 && ev.moved_flows < 400, `moved ${ev.moved_flows} of 500 flows`);
    assert.equal(ev.checked_flows, ev.moved_flows, 'every moved flow was seen before and after the remove');
    assert.equal(ev.kept_flows, ev.checked_flows, 'the survivor translates every moved flow as the removed instance did');
    assert.equal(ev.changed_packets, 0);
    assert.ok(ev.ready_ms !== null && ev.recovery_ms !== null && ev.recovery_ms >= ev.ready_ms, JSON.stringify(ev));
    // the survivor's ADOPTED names what it loaded: the removed instance's mappings, every one of them
    assert.equal(ev.loaded.reduce((a, l) => a + Number(l.adopted ?? 0), 0), ev.moved_flows, JSON.stringify(ev.loaded));
    assert.equal(elastic.sent, elastic.returned + elastic.lost + elastic.missed + elastic.nf_dropped);
    assert.ok(m.tx_packets > 0 && m.tx_packets <= m.rx_packets);
    for (const pids of Object.values(elastic.per_instance).map((p) => p.pids)) for (const pid of pids) assert.equal(pidAlive(pid), false, `pid ${pid} outlived the trial`);
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
