// One of two NAT instances SIGKILLed mid-run on a real Cassandra node (issue 18): its standby takes
// its id, recovers its partition and renews its pool blocks' locks (lightweight transactions); the
// moved flows come back with the translations they had, checked on every returned packet's headers,
// no translated pair leaves on two flows, and the recovery time is recorded beside REINFORCE's 10 ms.
// Its own file: one Cassandra node for it (start-up is slow).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { server } from '../../../runtime/stores/cassandra.js';
import { generatePcaps } from '../../../runtime/packet/generate.js';
import { runElasticTrial, REINFORCE_FAILOVER_MS } from '../../../harness/testbeds/elastic.js';
import { pidAlive } from '../../../common/processes.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = join(ROOT, 'bin', 'flexbench.js');

let started: ReturnType<typeof server.start> | null = null;
after(async () => { if (started) await (await started).stop(); });

test('kill one of two NAT instances on Cassandra: the standby recovers its flows, every translation kept, no pair on two flows', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(os.tmpdir(), 'fb-elastic-cass-'));
  try {
    const node = await (started ??= server.start());
    const [pcap] = generatePcaps({ out: dir, flows: 500, files: 1 });
    const { m, elastic } = await runElasticTrial({
      cli: CLI, cwd: ROOT, nf: 'nat', cores: 1, storeUrl: node.url, mode: 'async', flushMs: 1, pcapPath: pcap!, rate: 20000,
      warmupS: 0.5, durationS: 2, instances: ['ins1', 'ins2'], events: [{ kind: 'kill', instance: 'ins1', at_s: 1 }],
      runDir: dir, name: 't', signal: new AbortController().signal, log: () => {},
    });
    const ev = elastic.events[0]!;
    assert.equal(ev.kind, 'kill');
    assert.ok(ev.moved_flows > 100 && ev.moved_flows < 400, `moved ${ev.moved_flows} of 500 flows`);
    assert.equal(ev.checked_flows, ev.moved_flows, 'every moved flow was seen before and after the kill');
    assert.equal(ev.kept_flows, ev.checked_flows, 'the standby translates every moved flow as the dead instance did');
    assert.equal(ev.changed_packets, 0);
    assert.ok(ev.detected_ms !== null && ev.ready_ms !== null && ev.recovery_ms !== null && ev.recovery_ms >= ev.ready_ms, JSON.stringify(ev));
    assert.equal(elastic.reference_failover_ms, REINFORCE_FAILOVER_MS);
    assert.equal(elastic.per_instance.ins1?.exit, 'SIGKILL');
    // the standby (ins1's second process) renewed its predecessor's blocks: it took them, none twice
    assert.ok((elastic.per_instance.ins1?.pool?.blocks_taken ?? 0) >= 1, JSON.stringify(elastic.per_instance));
    assert.deepEqual([elastic.pairs?.used, elastic.pairs?.shared], [500, 0]);
    assert.equal(elastic.sent, elastic.returned + elastic.lost + elastic.missed + elastic.nf_dropped);
    assert.deepEqual(m.flags, []);
    for (const pids of Object.values(elastic.per_instance).map((p) => p.pids)) for (const pid of pids) assert.equal(pidAlive(pid), false, `pid ${pid} outlived the trial`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
