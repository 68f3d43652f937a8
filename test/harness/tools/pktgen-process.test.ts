// The real Pktgen-DPDK as flexbench runs it (under a pty, Lua socket, console quit): it replays a
// flexbench pcap exactly, and a failed or interrupted start leaves nothing behind. Skipped, saying why,
// where Pktgen cannot be built (see ./real-pktgen.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pktgenArgv } from '../../../harness/tools/pktgen.js';
import { PktgenProcess, dpdkRuntimeDir, consoleText, consoleTextStream } from '../../../harness/tools/pktgen-process.js';
import { LocalHost } from '../../../harness/hosts/local.js';
import { generatePcaps } from '../../../runtime/packet/generate.js';
import { realPktgen, freePort, processesWith } from './real-pktgen.js';

const real = await realPktgen();
const skip = real.reason ? `real Pktgen unavailable: ${real.reason}` : false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every field of each packet as tshark dissects it, payload included: one line per packet. */
function tsharkPackets(file: string): string[] {
  const fields = ['frame.len', 'eth.dst', 'eth.src', 'ip.id', 'ip.src', 'ip.dst', 'ip.checksum', 'udp.srcport', 'udp.dstport', 'udp.checksum', 'data'];
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', maxBuffer: 256 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

test(`REAL Pktgen ${real.version ?? ''} replays a flexbench pcap on net_pcap: tshark sees the pcap's packets, in order`, { skip: skip || (spawnSync('sh', ['-c', 'command -v tshark']).status !== 0 ? 'tshark is not installed' : false), timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-pgr-'));
  const n = 300;
  const loops = 3;
  const [pcap] = generatePcaps({ out: dir, flows: n, files: 1, seed: 5 });
  const out = join(dir, 'sent.pcap');
  const prefix = `fbtpg${process.pid}r`;
  const luaPort = await freePort();
  const argv = pktgenArgv({ binary: real.binary!, lcores: [0, 1], filePrefix: prefix, vdevs: [`net_pcap0,tx_pcap=${out}`], noHuge: true, memoryMb: 512, port: 0, rxCore: 1, txCore: 1, pcap, luaPort });
  const pg = await PktgenProcess.start(new LocalHost(), { argv, filePrefix: prefix, luaPort, startTimeoutMs: 60_000 });
  let sent = -1;
  try {
    await pg.lua.setup(0, 1);
    // count is exact: the capture three times over, then Pktgen stops by itself
    await pg.lua.set(0, 'count', n * loops);
    await pg.lua.start(0);
    for (let last = -1, still = 0; still < 10; ) {
      sent = (await pg.lua.counters(0)).opackets;
      still = sent === last ? still + 1 : 0;
      last = sent;
      if (sent >= n * loops) break;
      await sleep(200);
    }
    await pg.lua.stop(0);
  } finally {
    // the console quit closes the port, which flushes the capture file
    await pg.quit();
  }
  try {
    assert.equal(sent, n * loops, `Pktgen counted ${sent} packets sent`);
    const want = tsharkPackets(pcap);
    const got = tsharkPackets(out);
    assert.equal(want.length, n);
    assert.equal(got.length, n * loops, 'the capture holds exactly what was counted');
    for (let i = 0; i < got.length; i++) assert.equal(got[i], want[i % n], `packet ${i} is packet ${i % n} of the pcap`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(!existsSync(dpdkRuntimeDir(prefix)));
  assert.deepEqual(processesWith(prefix), []);
});

test(`REAL Pktgen ${real.version ?? ''}: a failed start (no such interface) is an error with its console output, and leaves nothing`, { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-pgf-'));
  const [pcap] = generatePcaps({ out: dir, flows: 100, files: 1 });
  const prefix = `fbtpg${process.pid}f`;
  const luaPort = await freePort();
  const argv = pktgenArgv({ binary: real.binary!, lcores: [0, 1], filePrefix: prefix, vdevs: ['net_af_packet0,iface=fbnosuchif0'], noHuge: true, memoryMb: 512, port: 0, rxCore: 1, txCore: 1, pcap, luaPort });
  try {
    await assert.rejects(PktgenProcess.start(new LocalHost(), { argv, filePrefix: prefix, luaPort, startTimeoutMs: 60_000 }), (e: Error) => {
      assert.match(e.message, /^pktgen exited at start \(code \d+\): .+/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(!existsSync(dpdkRuntimeDir(prefix)));
  assert.deepEqual(processesWith(prefix), []);
});

test(`REAL Pktgen ${real.version ?? ''}: interrupted while starting (Ctrl-C) and a Lua socket that never opens both end it and leave nothing`, { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-pgi-'));
  const [pcap] = generatePcaps({ out: dir, flows: 100, files: 1 });
  try {
    // interrupted: the abort reaches it as soon as its process is there
    const prefix = `fbtpg${process.pid}i`;
    const luaPort = await freePort();
    const argv = pktgenArgv({ binary: real.binary!, lcores: [0, 1], filePrefix: prefix, vdevs: ['net_null0,no-rx=1'], noHuge: true, memoryMb: 512, port: 0, rxCore: 1, txCore: 1, pcap, luaPort });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    await assert.rejects(PktgenProcess.start(new LocalHost(), { argv, filePrefix: prefix, luaPort, startTimeoutMs: 60_000, signal: ac.signal }), /interrupted while pktgen was starting/);
    assert.ok(!existsSync(dpdkRuntimeDir(prefix)));
    assert.deepEqual(processesWith(prefix), []);
    // a socket that never opens (flexbench looks on another port than Pktgen's): ended after the timeout
    const prefix2 = `fbtpg${process.pid}t`;
    const [p1, p2] = [await freePort(), await freePort()];
    const argv2 = pktgenArgv({ binary: real.binary!, lcores: [0, 1], filePrefix: prefix2, vdevs: ['net_null0,no-rx=1'], noHuge: true, memoryMb: 512, port: 0, rxCore: 1, txCore: 1, pcap, luaPort: p1 });
    let console = '';
    await assert.rejects(PktgenProcess.start(new LocalHost(), { argv: argv2, filePrefix: prefix2, luaPort: p2 === p1 ? p1 + 1 : p2, startTimeoutMs: 3000, onOutput: (c) => (console += c) }), /did not open within 3000 ms/);
    assert.match(consoleText(console), /Pktgen/, 'console output reached the caller');
    assert.ok(!existsSync(dpdkRuntimeDir(prefix2)));
    assert.deepEqual(processesWith(prefix2), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('console text from chunks: an escape sequence split between two chunks leaves nothing of itself', () => {
  const text = consoleTextStream();
  // as a loaded machine delivered Pktgen's screen: ESC[12 in one chunk, ;22H in the next
  const out = [text('0/0   0\x1b[12'), text(';22H   0/0\n** Version'), text(' \x1b'), text('[2Jdone\x1b7\n')].join('');
  assert.equal(out, '0/0   0   0/0\n** Version done\n');
  assert.doesNotMatch(out, /\x1b|;22H/);
  assert.equal(consoleText('a\x1b[1;1Hb\x1bZc\r\n'), 'abZc\n', 'a sequence not listed loses its ESC, not its text');
});
