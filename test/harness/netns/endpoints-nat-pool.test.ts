// Bad input on StatelessNF's path: a NAT between the end hosts whose pool holds 2 pairs, and 3 flows.
// iperf3's control connection and its one stream take both pairs; a ping started while they run is a
// third flow: it gets no pair, its packets are dropped and counted (pool_drops), the NF says so in a
// sentence (its warnings, which a trial records as an nf_warning flag), and the connection that holds
// the pairs carries on to the end untouched. Nothing is left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints } from '../../../harness/netns/endpoints.js';
import { leftovers } from '../../../harness/netns/emulation.js';
import { iperfClientArgv, iperfServerArgv, parseIperfJson } from '../../../harness/tools/iperf.js';
import type { NfRunResult } from '../../../runtime/nf-process/result.js';
import { running, withEndHosts } from './endpoints-helpers.js';

const skip = process.getuid?.() === 0 ? false : 'needs root (network namespaces): run the tests as root';
const ID = 'fbnipp';
const SLOT = 45;

test('NAT pool exhausted between the end hosts: a new flow dropped, counted and said; the connections holding the pairs carry on', { skip, timeout: 240_000 }, async () => {
  // one pool address (the /26's second), two ports: two pairs
  const nfArgs = (ep: Endpoints) => {
    const base = ep.pool.split('/')[0]!.split('.');
    const one = [...base.slice(0, 3), String(Number(base[3]) + 1)].join('.');
    return ['--nf', 'nat', '--port', `packet:${ep.nfIface}`, '--nat-ips', `${one}/32`, '--nat-ports', '40000-40001', '--nat-inside', ep.client.net, '--nat-timeout', '30', '--nat-other', 'pass'];
  };
  await withEndHosts(ID, SLOT, nfArgs, async ({ nf, hosts }) => {
    let res: NfRunResult | undefined;
    // iperf3 as a trial runs it (harness/tools/iperf.ts), its exit and stderr kept for the message
    const server = hosts.host.spawn(hosts.inServer(iperfServerArgv({ bind: hosts.serverAddress, port: 5501 })));
    try {
      for (let i = 0; i < 100; i++) {
        const l = await hosts.host.exec(hosts.inServer(['ss', '-Hn', '-lt', 'sport = :5501']), { allowFailure: true });
        if (l.stdout.trim()) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const client = hosts.host.exec(hosts.inClient(iperfClientArgv({ proto: 'tcp', server: hosts.serverAddress, port: 5501, streams: 1, seconds: 4, omit: 0, udpBitrate: 0, udpLength: 1472, bind: hosts.clientAddress })), { allowFailure: true, timeoutMs: 40_000 });
      // a third flow while iperf3 holds both pairs
      await new Promise((r) => setTimeout(r, 1500));
      const ping = await hosts.host.exec(hosts.inClient(['ping', '-n', '-c', '5', '-i', '0.2', '-W', '1', hosts.serverAddress]), { allowFailure: true });
      const c = await client;
      res = await nf.stop();
      const s = res.per_core[0]!.nf;
      assert.equal(c.code, 0, `iperf3 exit ${c.code} ${c.signal ?? ''}: ${c.stderr.slice(-500)} ${c.stdout.slice(-800)}; the NAT: ${JSON.stringify(s)} ${res.warnings.join(' ')}`);
      assert.match(ping.stdout, /^5 packets transmitted, 0 received/m, `the ping got no pair: ${ping.stdout}`);
      const t = parseIperfJson(c.stdout);
      assert.equal(t.idle_streams, 0, `the stream carried data to the end: ${JSON.stringify(t)}`);
      assert.ok(t.received_bps > 0 && t.seconds >= 3.9, JSON.stringify(t));
    } finally {
      await server.kill(2000);
    }
    const s = res!.per_core[0]!.nf;
    assert.equal(s.mappings_created, 2, `iperf3's two connections, nothing else: ${JSON.stringify(s)}`);
    assert.equal(s.pool_left, 0);
    assert.equal(s.pool_drops, 5, 'every echo request of the ping dropped and counted');
    assert.equal(s.in_no_mapping, 0, 'every reply of the connections found its mapping');
    assert.ok(res!.warnings.some((w) => /^core 0: NAT pool exhausted on this core: 5 packet\(s\) of new flows dropped/.test(w)), res!.warnings.join('\n'));
  });
  assert.deepEqual(await leftovers(ID), []);
  assert.deepEqual(await running('iperf3'), [], 'no iperf3 is left');
});
