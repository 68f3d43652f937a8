// The Pktgen-DPDK adapter. Pktgen cannot be installed here (no NIC, no hugepages, not in Debian), so the
// adapter talks over a real TCP socket to a DOUBLE of Pktgen's Lua socket that answers with recorded-format
// statistics (test/fixtures/pktgen/, the two table shapes of the documented APIs, see its README).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import { PktgenLua, parseDump, countersFromStats, statsScript, windowRates, pktgenArgv, ratePercent } from '../../../harness/tools/pktgen.js';

const fixtures = new URL('../../../../test/fixtures/pktgen/', import.meta.url).pathname;
const samples = (name: string) => readFileSync(fixtures + name, 'utf8').split('--- sample\n').filter((s) => s.trim());

type RunChunk = (chunk: string, shape: string, stats: string) => { out: string; calls: string[][]; error: string | null };
const { runChunk } = (await import(fixtures + 'lua-pktgen.mjs')) as { runChunk: RunChunk };

/**
 * A Pktgen Lua socket double: each chunk runs in a real Lua 5.4 against a stand-in `pktgen` table
 * (test/fixtures/pktgen/lua-pktgen.mjs) whose portStats answers with the next recorded sample.
 */
function pktgenDouble(dumps: string[], shape: 'legacy' | 'table') {
  const chunks: string[] = [];
  const calls: string[][] = [];
  let next = 0;
  const server: Server = createServer((sock) => {
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      // our chunks end with the FB-END print; answer each complete chunk
      for (let m = buf.match(/print\("FB-END (\w+)"\)\n/); m; m = buf.match(/print\("FB-END (\w+)"\)\n/)) {
        const chunk = buf.slice(0, (m.index ?? 0) + m[0].length);
        buf = buf.slice(chunk.length);
        chunks.push(chunk);
        const r = runChunk(chunk, shape, dumps[Math.min(next, dumps.length - 1)]!);
        if (r.calls.some((c) => c[0] === 'portStats')) next++;
        calls.push(...r.calls);
        if (r.error) { sock.end(`lua error: ${r.error}\n`); return; }
        sock.write(r.out);
      }
    });
  });
  return new Promise<{ port: number; chunks: string[]; calls: string[][]; close: () => void }>((res) =>
    server.listen(0, '127.0.0.1', () => res({ port: (server.address() as { port: number }).port, chunks, calls, close: () => server.close() })),
  );
}

const open = (port: number) =>
  new Promise<ReturnType<typeof connect>>((res, rej) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => res(s));
    s.once('error', rej);
  });

for (const [name, shape, label] of [['portstats-legacy.txt', 'legacy', 'up to 25.08: portStats(p, "port") flat table'], ['portstats-table.txt', 'table', 'from 26.02: portStats(p) {curr, sizes, qstats}']] as const) {
  test(`rates from counter deltas, ${label}; the Lua runs in a real Lua 5.4`, async () => {
    const dumps = samples(name);
    const d = await pktgenDouble(dumps, shape);
    const lua = new PktgenLua(await open(d.port));
    try {
      await lua.setup(0, 100);
      await lua.start(0);
      const c0 = await lua.counters(0);
      const c1 = await lua.counters(0);
      const c3 = (await lua.counters(0), await lua.counters(0));
      await lua.stop(0);
      // pcap mode switched on explicitly, then the rate, start and stop, in that order
      assert.match(d.chunks[0], /pktgen\.pcap\("0", "on"\)\npktgen\.set\("0", "rate", 100\)/);
      assert.match(d.chunks[1], /pktgen\.start\("0"\)/);
      assert.match(d.chunks[d.chunks.length - 1], /pktgen\.stop\("0"\)/);
      // the stats call tries the two-argument form under pcall and falls back to the one-argument form
      assert.match(d.chunks[2], /pcall\(pktgen\.portStats, "0", "port"\)[\s\S]*pktgen\.portStats\("0"\)/);
      // what the Lua actually did: pcap on, rate, start; per stats call the two-argument form, and on
      // 26.02 (which refuses it) the one-argument form as well; stop
      const names = d.calls.map((c) => c.join(' '));
      assert.deepEqual(names.slice(0, 3), ['pcap 0 on', 'set 0 rate 100', 'start 0']);
      const perStats = shape === 'legacy' ? ['portStats 0 port'] : ['portStats 0 port', 'portStats 0 nil'];
      assert.deepEqual(names.slice(3, -1), Array(4).fill(perStats).flat());
      assert.equal(names[names.length - 1], 'stop 0');
      const exp0 = countersFromStats(parseDump(dumps[0]), 0);
      assert.deepEqual(c0, exp0);
      assert.equal(c1.opackets - c0.opackets, 9_500_000);
      const w = windowRates({ at: 10, counters: c0 }, { at: 13, counters: c3 });
      assert.equal(w.tx_pps, 9_500_000);
      assert.equal(w.rx_pps, 9_400_000);
      assert.equal(w.seconds, 3);
    } finally {
      lua.close();
      d.close();
    }
  });
}

test('both shapes give the same counters; missing ports and fields are named', () => {
  const legacy = countersFromStats(parseDump(samples('portstats-legacy.txt')[1]), 0);
  const table = countersFromStats(parseDump(samples('portstats-table.txt')[1]), 0);
  assert.deepEqual(legacy, table);
  assert.throws(() => countersFromStats(parseDump(samples('portstats-legacy.txt')[1]), 1), /no port 1/);
  assert.throws(() => countersFromStats({ 0: { curr: { ibytes: 1 } } }, 0), /lack ipackets\/opackets/);
  assert.throws(() => windowRates({ at: 1, counters: legacy }, { at: 1, counters: legacy }), /window is empty/);
});

test('a silent or closed socket is an error naming pktgen, not a hang', async () => {
  const server = createServer((s) => s.on('data', () => undefined));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const lua = new PktgenLua(await open((server.address() as { port: number }).port), 300);
  await assert.rejects(lua.counters(0), /did not answer on its Lua socket within 300 ms/);
  lua.close();
  server.close();
  const closing = createServer((s) => s.end());
  await new Promise<void>((r) => closing.listen(0, '127.0.0.1', () => r()));
  const lua2 = new PktgenLua(await open((closing.address() as { port: number }).port), 2000);
  await assert.rejects(lua2.start(0), /closed its Lua socket/);
  closing.close();
});

test('command line: Lua socket on, pcap per port, lcore map; rate in percent of line rate', () => {
  const a = pktgenArgv({ binary: '/opt/pktgen', lcores: [2, 0, 1], filePrefix: 'pg1', pci: ['0000:81:00.0'], port: 0, rxCore: 0, txCore: 1, pcap: '/tmp/x.pcap' });
  const app = a.slice(a.indexOf('--') + 1);
  assert.deepEqual(app, ['-T', '-P', '-G', '-m', '[0:1].0', '-s', '0:/tmp/x.pcap']);
  assert.ok(!a.includes('-f'), 'no start-up script: it would block the statistics timer');
  assert.equal(ratePercent(14_880_952, 64, 10).toFixed(2), '100.00');
  assert.equal(ratePercent(1_488_095, 64, 10).toFixed(1), '10.0');
  assert.equal(ratePercent(1e12, 64, 10), 100);
  assert.throws(() => pktgenArgv({ binary: 'p', lcores: [0], filePrefix: 'x', port: 0, rxCore: 0, txCore: 0, pcap: 'a' }), /main lcore/);
  assert.match(statsScript(0, 'table', 't'), /local s = pktgen\.portStats\("0"\)\n/);
  assert.match(statsScript(0, 'legacy', 't'), /local s = pktgen\.portStats\("0", "port"\)\n/);
});
