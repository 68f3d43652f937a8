// The Pktgen-DPDK adapter, against the real Pktgen 24.07.1 (built from ../shared/vendor/pktgen by
// ./real-pktgen.ts) wherever it builds, on a DPDK null device. Where it cannot be built, and for the
// statistics shape of Pktgen 26.02+ (which this DPDK cannot build), against a DOUBLE of its Lua socket
// that runs what flexbench sends in a real Lua as Pktgen's socket does, with recorded-format statistics
// (test/fixtures/pktgen/, see its README).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server } from 'node:net';
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PktgenLua, parseDump, countersFromStats, statsScript, windowRates, pktgenArgv, ratePercent, luaString, wrapChunk } from '../../../harness/tools/pktgen.js';
import { PktgenProcess, dpdkRuntimeDir } from '../../../harness/tools/pktgen-process.js';
import { LocalHost } from '../../../harness/hosts/local.js';
import { generatePcaps } from '../../../runtime/packet/generate.js';
import { realPktgen, freePort, processesWith } from './real-pktgen.js';

const real = await realPktgen();
if (real.reason) process.stdout.write(`# real Pktgen unavailable (${real.reason}): the adapter is tested against the double only\n`);

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
      // the socket is a REPL read line by line: answer each complete line
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const chunk = buf.slice(0, nl + 1);
        buf = buf.slice(nl + 1);
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
  // the 24.07 shape is proven on the real program below; the double stands in for it only where that cannot run
  const skip = shape === 'legacy' && real.binary ? `the real Pktgen ${real.version} answers this shape (test below)` : false;
  test(`DOUBLE: rates from counter deltas, ${label}; the Lua runs in a real Lua as Pktgen's socket runs it`, { skip }, async () => {
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
      // one line per call (the socket's REPL reads lines), each chunk a quoted string run by load
      assert.ok(d.chunks.every((c) => c.indexOf('\n') === c.length - 1));
      // pcap mode switched on explicitly, then the rate, start and stop, in that order
      assert.ok(d.chunks[0].includes(luaString('pktgen.screen("off")\npktgen.pcap("0", "on")\npktgen.set("0", "rate", 100)')));
      assert.ok(d.chunks[1].includes(luaString('pktgen.start("0")')));
      assert.ok(d.chunks[d.chunks.length - 1].includes(luaString('pktgen.stop("0")')));
      // the stats call tries the two-argument form under pcall and falls back to the one-argument form
      assert.ok(d.chunks[2].includes(luaString(statsScript(0, 'auto'))));
      // what the Lua actually did: pcap on, rate, start; per stats call the two-argument form, and on
      // 26.02 (which refuses it) the one-argument form as well; stop
      const names = d.calls.map((c) => c.join(' '));
      assert.deepEqual(names.slice(0, 4), ['screen off', 'pcap 0 on', 'set 0 rate 100', 'start 0']);
      const perStats = shape === 'legacy' ? ['portStats 0 port'] : ['portStats 0 port', 'portStats 0 nil'];
      assert.deepEqual(names.slice(4, -1), Array(4).fill(perStats).flat());
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
  // main lcore 2 stated (DPDK would take 0, the lowest, and leave rx without its core: issue 21 point 4)
  assert.deepEqual(a.slice(1, 5), ['-l', '2,0,1', '--main-lcore', '2']);
  assert.ok(!a.includes('-f'), 'no start-up script: it would block the statistics timer');
  assert.equal(ratePercent(14_880_952, 64, 10).toFixed(2), '100.00');
  assert.equal(ratePercent(1_488_095, 64, 10).toFixed(1), '10.0');
  assert.equal(ratePercent(1e12, 64, 10), 100);
  assert.throws(() => pktgenArgv({ binary: 'p', lcores: [0], filePrefix: 'x', port: 0, rxCore: 0, txCore: 0, pcap: 'a' }), /main lcore/);
  assert.match(statsScript(0, 'table'), /local s = pktgen\.portStats\("0"\)\n/);
  assert.match(statsScript(0, 'legacy'), /local s = pktgen\.portStats\("0", "port"\)\n/);
  // another Lua port than the default; no shared config without hugepages
  const b = pktgenArgv({ binary: 'p', lcores: [0, 1], filePrefix: 'x', noHuge: true, memoryMb: 512, port: 0, rxCore: 1, txCore: 1, pcap: 'a', luaPort: 23000 });
  assert.deepEqual(b.slice(b.indexOf('--') + 1, b.indexOf('-m', b.indexOf('--'))), ['-T', '-P', '-g', '127.0.0.1:23000']);
  // one lcore for rx and tx is mapped as both, not as rx then tx
  assert.equal(b[b.indexOf('-m', b.indexOf('--')) + 1], '1.0');
  assert.ok(b.includes('--no-shconf'));
});

test('a chunk travels as one line: quotes, backslashes and newlines survive, run as the socket runs it', () => {
  // Lua source: local s = "a\"b\\c"  then a second line writing it and a newline
  const src = 'local s = "a\\"b\\\\c"\nio.write(s, "\\n")';
  const line = wrapChunk(src, 'fb9');
  assert.equal(line.indexOf('\n'), line.length - 1);
  const r = runChunk(line, 'legacy', '');
  assert.equal(r.error, null);
  assert.equal(r.out, 'FB-BEGIN fb9\na"b\\c\n\nFB-END fb9 ok\n');
  // a Lua error comes back over the socket with the end marker, not on the console
  const bad = runChunk(wrapChunk('error("boom")', 'fb10'), 'legacy', '');
  assert.equal(bad.error, null);
  assert.match(bad.out, /\nFB-END fb10 error flexbench:1: boom\n$/);
});

const realSkip = real.reason ? `real Pktgen unavailable: ${real.reason}` : false;

test(`REAL Pktgen ${real.version ?? ''} on a pcap device: counters both ways, rates, Lua errors, console quit, nothing left`, { skip: realSkip, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-pg-'));
  const [pcap] = generatePcaps({ out: dir, flows: 1000, files: 1 });
  const prefix = `fbtpg${process.pid}a`;
  const luaPort = await freePort();
  // the device receives the capture once (rx_pcap) and writes what Pktgen sends (tx_pcap)
  const vdev = `net_pcap0,rx_pcap=${pcap},tx_pcap=${join(dir, 'tx.pcap')}`;
  const argv = pktgenArgv({ binary: real.binary!, lcores: [0, 1], filePrefix: prefix, vdevs: [vdev], noHuge: true, memoryMb: 512, port: 0, rxCore: 1, txCore: 1, pcap, luaPort });
  const pg = await PktgenProcess.start(new LocalHost(), { argv, filePrefix: prefix, luaPort, startTimeoutMs: 60_000 });
  let quit: Awaited<ReturnType<PktgenProcess['quit']>> | null = null;
  try {
    const lua = pg.lua;
    assert.ok(existsSync(dpdkRuntimeDir(prefix)), 'a running DPDK app has its runtime directory');
    await lua.setup(0, 1);
    // 24.07 is the flat shape: the "auto" form and the two-argument form agree; the 26.02 form is refused
    // its one port lcore receives too: every packet of the capture on its rx side, once
    let c0 = await lua.counters(0);
    for (const until = Date.now() + 30_000; c0.ipackets < 1000 && Date.now() < until; c0 = await lua.counters(0)) await new Promise((r) => setTimeout(r, 200));
    assert.equal(c0.ipackets, 1000);
    assert.equal(c0.ibytes, 1000 * 60);
    assert.equal(c0.opackets, 0);
    assert.deepEqual(await lua.counters(0, 'legacy'), c0);
    await assert.rejects(lua.counters(0, 'table'), /pktgen's Lua failed \(.*portStats, wrong number of arguments\)/);
    await lua.start(0);
    const sample = async () => ({ at: performance.now() / 1000, counters: await lua.counters(0) });
    let a = await sample();
    for (const until = Date.now() + 30_000; a.counters.opackets === 0 && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 200));
      a = await sample();
    }
    await new Promise((r) => setTimeout(r, 1000));
    const b = await sample();
    await lua.stop(0);
    const w = windowRates(a, b);
    assert.ok(w.tx_packets > 0 && w.tx_pps > 0, `sent ${w.tx_packets} in ${w.seconds} s`);
    assert.equal(w.rx_packets, 0, 'the capture was received once, before the start');
    // stopped: the counters settle (one more burst may still be in flight)
    const s1 = await lua.counters(0);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await lua.counters(0)).opackets, s1.opackets);
    // a Lua error is thrown naming it, print goes to the console, and the socket carries on
    await assert.rejects(lua.eval('error("boom")'), /pktgen's Lua failed \(flexbench:1: boom\)/);
    assert.equal(await lua.eval('print("to the console")'), '');
    assert.equal(await lua.eval('io.write("still here")'), 'still here');
  } finally {
    quit = await pg.quit();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual({ code: quit.code, signal: quit.signal }, { code: 0, signal: null }, 'ended by its console, not by a signal');
  assert.ok(!existsSync(dpdkRuntimeDir(prefix)), 'runtime directory removed');
  assert.deepEqual(processesWith(prefix), []);
});
