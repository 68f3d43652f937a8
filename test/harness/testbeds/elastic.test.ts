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
import type { ElasticEvent } from '../../../harness/spec/elastic.js';
import { runElasticTrial, instanceArgv, allInstances, storeEventOutcome, storeEventFlags, eventFlags } from '../../../harness/testbeds/elastic.js';
import { stateEventLine, parseStateEvents } from '../../../runtime/nf-process/result.js';
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

test('a store node kill from what the instances said on stderr: outages begun and ended, losses, packets lost until the next event', () => {
  const kill = 1_000_000;
  const lines = [
    'nf run: core 0: something else',
    stateEventLine({ core: 0, kind: 'store outage', outage: { from: kill - 5, to: null, failed: 1, error: 'MOVED' } }),
    stateEventLine({ core: 0, kind: 'store outage', outage: { from: kill - 5, to: kill + 2400, failed: 3, error: 'MOVED' } }),
    stateEventLine({ core: 0, kind: 'state loss', loss: { core: 0, at: new Date(kill + 2401).toISOString(), store: 's', partition: 'nat@ins1@0', flush_seq: 9, expected_seq: 8, store_seq: 7, flushes_lost: 1, counts_lost: 25, counts_exact: true, action: 'warn' } }),
    stateEventLine({ core: 0, kind: 'store outage', outage: { from: kill - 900, to: kill - 800, failed: 1, error: 'old' } }),
    'nf run: core 0: store outage {cut by a ki',
  ].join('\n');
  const ev = parseStateEvents(lines);
  assert.equal(ev.length, 4);
  const other = parseStateEvents(stateEventLine({ core: 0, kind: 'store outage', outage: { from: kill + 1000, to: null, failed: 2, error: 'down' } }));
  const zeros = () => Array.from({ length: 60 }, () => 0);
  const series = { sent: zeros(), returned: zeros(), lost: zeros(), nf_dropped: zeros(), missed: zeros(), moved_returned: zeros() };
  series.missed[20] = 2; // after the kill at 200 ms
  series.lost[45] = 7; // after the next event at 400 ms: the instance kill's, not the store's
  const rec = { node: 'master-of-ins1', port: 1, pid: 2, role: 'master' as const, slot: 3, at_s: 0.2, at_ms: 200, killed_epoch_ms: kill, promoted_ms: 2300, promoted_port: 4, outages: [], driver_recovered_ms: null, flushes_failed: 0, lost_packets: 0, state_losses: 0, counts_lost: 0 };
  const out = storeEventOutcome(rec, { bucket_ms: 10, series }, [...ev.map((e) => ({ instance: 'ins1', e })), ...other.map((e) => ({ instance: 'ins2', e }))], [{ kind: 'kill', instance: 'ins1', at_s: 0.4 }]);
  assert.deepEqual(out.outages, [
    { instance: 'ins1', core: 0, from_ms: -5, to_ms: 2400, failed: 3, error: 'MOVED' },
    { instance: 'ins2', core: 0, from_ms: 1000, to_ms: null, failed: 2, error: 'down' },
  ]);
  assert.equal(out.flushes_failed, 5);
  assert.equal(out.driver_recovered_ms, null, 'ins2 never wrote again');
  assert.deepEqual([out.state_losses, out.counts_lost, out.lost_packets], [1, 25, 2]);
  const one = storeEventOutcome(rec, { bucket_ms: 10, series }, ev.map((e) => ({ instance: 'ins1', e })));
  assert.equal(one.driver_recovered_ms, 2400);
  assert.equal(one.lost_packets, 9, 'no later event: to the end of the series');
});

test('an event the trial could not show whole is flagged: no owner ready, or no moved flow back, before the traffic ended', () => {
  const ev = (over: Record<string, unknown>) => ({ kind: 'add', instance: 'ins3', at_s: 2, at_ms: 2001.3, detected_ms: null, ready_ms: 150, recovery_ms: 160, moved_flows: 600, checked_flows: 600, kept_flows: 600, changed_packets: 0, lost_packets: 0, loaded: [], ...over });
  assert.deepEqual(eventFlags({ events: [ev({})] } as never, 3), []);
  assert.deepEqual(eventFlags({ events: [ev({ ready_ms: null, recovery_ms: null, moved_flows: 0 }), ev({ kind: 'remove', instance: 'ins1', recovery_ms: null })] } as never, 3), [
    'elastic_incomplete: add ins3 at 2.00 s: its new owner was not ready when the traffic ended (3.00 s measured); lengthen the trial or move the event earlier',
    'elastic_incomplete: remove ins1: none of its 600 moved flows came back before the traffic ended',
  ]);
});

test('a store node kill the trial could not show whole is flagged: never promoted, a live instance still failing', () => {
  const base = { node: 'master1', port: 7001, pid: 2, role: 'master' as const, slot: 0, at_s: 2, at_ms: 2000, killed_epoch_ms: 1, promoted_ms: 2400 as number | null, promoted_port: 7004 as number | null, outages: [] as { instance: string; core: number; from_ms: number; to_ms: number | null; failed: number; error: string }[], driver_recovered_ms: null, flushes_failed: 0, lost_packets: 0, state_losses: 0, counts_lost: 0 };
  assert.deepEqual(storeEventFlags([base]), []);
  const never = storeEventFlags([{ ...base, promoted_ms: null, promoted_port: null }]);
  assert.equal(never.length, 1);
  assert.match(never[0]!, /^elastic_incomplete: store node master1 \(port 7001\) killed at 2\.00 s: no node served its slots/);
  const failing = { ...base, outages: [{ instance: 'ins1', core: 0, from_ms: 3, to_ms: null, failed: 4, error: 'x' }, { instance: 'ins2', core: 0, from_ms: 5, to_ms: null, failed: 2, error: 'x' }] };
  const f = storeEventFlags([failing], [{ kind: 'kill', instance: 'ins1', at_s: 4 }]);
  assert.deepEqual(f, ['elastic_incomplete: store node master1: ins2 core 0 still could not flush when the traffic ended (2 attempts failed since 5 ms after the kill)']);
  // a replica's kill promotes nobody
  assert.deepEqual(storeEventFlags([{ ...base, role: 'replica', promoted_ms: null, promoted_port: null }]), []);
});

/**
 * NAT instances (two unless said) on a real redis-server, 500 flows at 20 kpps, the given events; the
 * trial's dir and store removed after.
 */
async function natTrial(prefix: string, events: ElasticEvent[], check: (r: Awaited<ReturnType<typeof runElasticTrial>>, dir: string) => void, o: { flows?: number; durationS?: number; instances?: string[] } = {}): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  const redis = await startRedis();
  try {
    const [pcap] = generatePcaps({ out: dir, flows: o.flows ?? 500, files: 1 });
    const ac = new AbortController();
    const r = await runElasticTrial({
      cli: CLI, cwd: ROOT, nf: 'nat', cores: 1, storeUrl: redis.url, mode: 'async', flushMs: 1, pcapPath: pcap!, rate: 20000,
      warmupS: 0.5, durationS: o.durationS ?? 1.5, instances: o.instances ?? ['ins1', 'ins2'], events,
      runDir: dir, name: 't', signal: ac.signal, log: () => {},
    });
    check(r, dir);
    const { m, elastic } = r;
    // every packet is accounted for: returned, lost (no instance / in the dead one), missed or dropped
    assert.equal(elastic.sent, elastic.returned + elastic.lost + elastic.missed + elastic.nf_dropped);
    assert.ok(m.tx_packets > 0 && m.tx_packets <= m.rx_packets);
    // instances sharing one pool through the store's block locks: no translated pair ever left on two flows
    assert.equal(elastic.pairs?.shared, 0, JSON.stringify(elastic.pairs));
    for (const pids of Object.values(elastic.per_instance).map((p) => p.pids)) for (const pid of pids) assert.equal(pidAlive(pid), false, `pid ${pid} outlived the trial`);
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One event of two instances' 500 flows: about half of them moved, each seen before and after, every packet after the move translated as before. */
function assertMovedKept(ev: Awaited<ReturnType<typeof runElasticTrial>>['elastic']['events'][number], kind: ElasticEvent['kind']): void {
  assert.equal(ev.kind, kind);
  assert.ok(ev.moved_flows > 100 && ev.moved_flows < 400, `moved ${ev.moved_flows} of 500 flows`);
  assert.equal(ev.checked_flows, ev.moved_flows, `every moved flow was seen before and after the ${kind}`);
  assert.equal(ev.kept_flows, ev.checked_flows, 'the new owner translates every moved flow as the old one did');
  assert.equal(ev.changed_packets, 0);
}

test('kill one of two NAT instances on Redis: the standby recovers its flows, every translation kept', { timeout: 120_000 }, () =>
  natTrial('fb-elastic-', [{ kind: 'kill', instance: 'ins1', at_s: 1 }], ({ elastic }, dir) => {
    const ev = elastic.events[0]!;
    assertMovedKept(ev, 'kill');
    assert.equal(elastic.changed_flows, 0);
    assert.ok(ev.recovery_ms !== null && ev.recovery_ms > 0 && ev.ready_ms !== null && ev.recovery_ms >= ev.ready_ms, JSON.stringify(ev));
    assert.equal(elastic.per_instance.ins1?.exit, 'SIGKILL');
    assert.equal(elastic.per_instance.ins1?.recovered, ev.moved_flows, 'the standby recovered exactly the flows the dead instance had');
    const csv = readFileSync(join(dir, elastic.series_file), 'utf8').trim().split('\n');
    assert.equal(csv[0], 't_ms,sent,returned,lost,nf_dropped,missed,moved_returned');
    assert.ok(csv.length > 150);
  }));

test('remove one of two NAT instances on Redis: it drains and flushes, the survivor adopts its flows with their translations', { timeout: 120_000 }, () =>
  natTrial('fb-elastic-rm-', [{ kind: 'remove', instance: 'ins1', at_s: 1 }], ({ elastic }) => {
    const ev = elastic.events[0]!;
    assertMovedKept(ev, 'remove');
    assert.ok(ev.ready_ms !== null && ev.recovery_ms !== null && ev.recovery_ms >= ev.ready_ms, JSON.stringify(ev));
    // the survivor's ADOPTED names what it loaded: the removed instance's mappings, every one of them
    assert.equal(ev.loaded.reduce((a, l) => a + Number(l.adopted ?? 0), 0), ev.moved_flows, JSON.stringify(ev.loaded));
  }));

test('kill one of two NAT instances on Redis with no standby: the survivor adopts what it flushed and takes its flows, every translation kept', { timeout: 120_000 }, () =>
  natTrial('fb-elastic-sv-', [{ kind: 'kill', instance: 'ins1', at_s: 1, takeover: 'survivors' }], ({ elastic }) => {
    const ev = elastic.events[0]!;
    // every flow had been seen for 0.5 s before the kill, so its mapping was flushed long before it
    assertMovedKept(ev, 'kill');
    assert.ok(ev.detected_ms !== null && ev.ready_ms !== null && ev.recovery_ms !== null && ev.recovery_ms >= ev.ready_ms, JSON.stringify(ev));
    assert.equal(ev.loaded.reduce((a, l) => a + Number(l.adopted ?? 0), 0), ev.moved_flows, `the survivor adopted exactly the dead instance's mappings: ${JSON.stringify(ev.loaded)}`);
    assert.equal(elastic.per_instance.ins1?.exit, 'SIGKILL');
    // no standby was started: ins1's id was served by one process only, and ins2 by its own
    assert.equal(elastic.per_instance.ins1?.pids.length, 1);
    assert.deepEqual(Object.keys(elastic.per_instance).sort(), ['ins1', 'ins2']);
  }));

test('two removes 10 ms apart: the second waits until the first is adopted; both instances\' flows keep their translations', { timeout: 120_000 }, () =>
  natTrial('fb-elastic-rm2-', [{ kind: 'remove', instance: 'ins1', at_s: 1 }, { kind: 'remove', instance: 'ins2', at_s: 1.01 }], ({ elastic }) => {
    const [a, b] = elastic.events;
    for (const ev of [a!, b!]) {
      assert.equal(ev.kind, 'remove');
      assert.ok(ev.moved_flows > 0 && ev.ready_ms !== null && ev.recovery_ms !== null, JSON.stringify(ev));
      assert.equal(ev.kept_flows, ev.checked_flows, `${ev.instance}: every moved flow keeps its translation`);
      assert.equal(ev.changed_packets, 0);
    }
    // carried out one after the other: the second began once the first's survivors had adopted
    assert.ok(b!.at_ms >= a!.at_ms + a!.ready_ms!, `${JSON.stringify(a)} ${JSON.stringify(b)}`);
    assert.equal(elastic.changed_flows, 0);
  }, { flows: 600, durationS: 2, instances: ['ins1', 'ins2', 'ins3'] }));
