// The emulated testbed with the REAL Pktgen-DPDK as node1's generator (generator: pktgen), through the
// CLI: Pktgen on net_af_packet on node1's veth, replaying the trial's pcap, paced, read over its Lua socket
// through SSH — the lab's code path. What it sent agrees with what the NF on node2 received; a rate it
// cannot reach is flagged; a run, a Ctrl-C and a failed start leave no Pktgen, runtime dir, veth or
// namespace. Needs root and a Pktgen that builds here (../shared/vendor/pktgen): skipped saying why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { leftovers } from '../../../harness/netns/emulation.js';
import { runCli } from '../orchestrate/cli.js';
import { realPktgen, processesWith } from '../tools/real-pktgen.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
// a run past this is killed, so a hung run fails its test with its output instead of at the test's timeout
const GUARD = { ms: 540_000, signal: 'SIGKILL' as const };
const real = process.getuid?.() === 0 ? await realPktgen() : { reason: 'needs root (network namespaces, veths, sshd)' };
const skip = real.reason ? `real Pktgen unavailable: ${real.reason}` : false;

/** What a pktgen run could leave: Pktgen processes (its file prefix, its binary), runtime dirs, nodes. */
async function leftBehind(suffix: string): Promise<string[]> {
  const procs = [...processesWith('fbnetnspg-'), ...(real.binary ? processesWith(real.binary) : [])];
  const dirs = existsSync('/var/run/dpdk') ? readdirSync('/var/run/dpdk').filter((d) => d.startsWith('fbnetns')) : [];
  return [...procs, ...dirs.map((d) => `/var/run/dpdk/${d}`), ...(await leftovers(`fbn${suffix}`))];
}

/** max/min of the NF's per-second rates in a trial log (flexbench rate lines, testpmd's Tx-pps), as in netns.test.ts */
function rateSpread(log: string): number {
  const xs = [...log.matchAll(/\] t=[\d.]+s rx [\d.]+ Mpps tx ([\d.]+) Mpps|Tx-pps:\s+(\d+)/g)].map((m) => Number(m[1] ?? m[2])).filter((v) => v > 0).slice(1);
  return xs.length >= 2 ? Math.max(...xs) / Math.min(...xs) : 1;
}

const spec = (suffix: string, slot: number, inv: string, traffic: string, matrix: string) =>
  `name: netns-${suffix}\ntestbed: netns\ninventory: { suffix: ${suffix}, slot: ${slot}, generator: pktgen, pktgen: ${real.binary ?? 'pktgen'}${inv} }\ntraffic: { frame_size: 64, flows: 2000, files: 1, ${traffic} }\nmatrix: ${matrix}\n`;

test('generator: pktgen — the real Pktgen on node1 paced at a rate; the NF on node2 received what it sent; an unreachable rate is flagged; nothing left', { skip, timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbn-pg-'));
  try {
    // paced: 50 kpps (0.34 % of the veth's nominal 10 Gb/s), well within what two shared CPUs carry
    const file = join(dir, 'paced.yaml');
    writeFileSync(file, spec('pga', 16, '', 'duration_s: 3, warmup_s: 1, rate: 50000', '{ nfs: [testpmd, macswap], cores: [1] }'));
    const out = join(dir, 'paced');
    const r = await runCli(['run', file, '--out', out, '--no-plots'], root, undefined, GUARD);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /pktgen: .*pktgen/, 'preflight found the pktgen binary on node1');
    const trials = readFileSync(join(out, 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    assert.equal(trials.length, 2);
    for (const t of trials) {
      assert.equal(t.status, 'ok', t.reason);
      assert.match(t.commands[1], /^node1\$ \S*pktgen -l \S+ --main-lcore \d+ --file-prefix fbnetnspg-\d+-\d+ --no-huge .*--vdev net_af_packet0,iface=port1\S* -- -T -P -G -m 1\.0 -s 0:\S+\.pcap$/);
      const x = JSON.parse(readFileSync(join(out, 'two-nodes', `${String(t.index).padStart(4, '0')}.json`), 'utf8'));
      assert.equal(x.generator.tool, 'pktgen');
      assert.equal(x.generator.asked_pps, 50000);
      assert.ok(x.generator.tx_packets > 0, 'Pktgen sent');
      assert.ok(x.generator.rx_packets > 0, 'Pktgen counted packets coming back');
      // what Pktgen sent and what the NF received, each on its own counters over the same window, agree
      // within the testpmd generator's tolerance (netns.test.ts): 1.25x, or the spread of the NF's own
      // rate lines where a busy host moves the rate more than that between them
      const log = readFileSync(join(out, 'logs', readdirSync(join(out, 'logs')).find((f) => f.endsWith(`${t.trial_id.replace(/\//g, '_')}.log`))!), 'utf8');
      const spread = Math.max(1.25, rateSpread(log) * 1.1);
      const agree = x.nf.rx_pps / x.generator.tx_pps;
      assert.ok(agree > 1 / spread && agree < spread, `${t.trial_id}: NF received ${x.nf.rx_pps} pps, Pktgen sent ${x.generator.tx_pps} pps (NF rate lines spread ${spread.toFixed(2)}x)`);
      // the flag says exactly whether Pktgen fell short of the 50 kpps asked
      const short = x.generator.tx_pps < 50000 * 0.95;
      assert.equal(x.flags.some((f: string) => f.startsWith('generator_shortfall')), short, `sent ${x.generator.tx_pps} pps: ${JSON.stringify(x.flags)}`);
      process.stdout.write(`# ${t.trial_id}: Pktgen sent ${Math.round(x.generator.tx_pps)} pps (asked 50000), got back ${Math.round(x.generator.rx_pps)} pps; NF received ${Math.round(x.nf.rx_pps)} pps\n`);
    }
    // Pktgen's console reached the trial log as text, ended by `quit`
    const logs = readdirSync(join(out, 'logs'));
    const log = readFileSync(join(out, 'logs', logs[0]!), 'utf8');
    assert.match(log, /node1\$ script -qfec /);
    assert.match(log, /generator stopped \(code 0\)/, 'Pktgen ended through its console');
    // as text: no escape sequence from Pktgen's screen (or testpmd's clear-screen on node2), and no line
    // that one node left open (Pktgen's prompt) carrying the other node's output
    assert.doesNotMatch(log, /\x1b/, 'no terminal escape sequences in the log');
    assert.doesNotMatch(log, /^\[node\d\] .*\[node\d\] /m, 'each line from one node');
    assert.deepEqual(await leftBehind('pga'), []);

    // the whole line rate of a veth (100 % of 10 Gb/s, 14.88 Mpps) is far beyond two shared CPUs:
    // the real limiter falls short and the trial says so
    const maxFile = join(dir, 'max.yaml');
    writeFileSync(maxFile, spec('pgb', 17, '', 'duration_s: 2, warmup_s: 1', '{ nfs: [macswap], cores: [1] }'));
    const r2 = await runCli(['run', maxFile, '--out', join(dir, 'max'), '--no-plots'], root, undefined, GUARD);
    assert.equal(r2.code, 0, r2.stderr);
    const [m] = readFileSync(join(dir, 'max', 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    assert.equal(m.status, 'ok', m.reason);
    assert.match(m.flags.join(' '), /^generator_shortfall: sent \d+ pps of 14880952 asked/);
    assert.match(r2.stderr, /FLAG .*generator_shortfall/);
    assert.deepEqual(await leftBehind('pgb'), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('generator: pktgen — Ctrl-C while Pktgen sends, and a Pktgen that fails to start, leave nothing behind', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbn-pgi-'));
  try {
    const file = join(dir, 'int.yaml');
    writeFileSync(file, spec('pgi', 18, '', 'duration_s: 60, warmup_s: 1, rate: 20000', '{ nfs: [macswap], cores: [1] }'));
    const out = join(dir, 'int');
    let sent = false;
    let poll: NodeJS.Timeout | undefined;
    const r = await runCli(['run', file, '--out', out, '--no-plots'], root, (_err, kill) => {
      // interrupt once Pktgen has been told to start (the trial log says so)
      poll ??= setInterval(() => {
        if (sent || !existsSync(join(out, 'logs'))) return;
        const logs = readdirSync(join(out, 'logs'));
        if (logs.some((f) => /pktgen: pcap on, rate/.test(readFileSync(join(out, 'logs', f), 'utf8')))) {
          sent = true;
          setTimeout(() => kill('SIGINT'), 1500);
        }
      }, 200);
    }, GUARD);
    clearInterval(poll);
    assert.ok(sent, `Pktgen never started: ${r.stderr}`);
    assert.equal(r.code, 130, r.stderr);
    assert.deepEqual(await leftBehind('pgi'), []);

    // a Pktgen that exits at start (here: a binary that is not Pktgen) fails the trial with the reason
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `name: netns-pgf\ntestbed: netns\ninventory: { suffix: pgf, slot: 19, generator: pktgen, pktgen: /bin/false }\ntraffic: { frame_size: 64, flows: 100, files: 1, duration_s: 2, warmup_s: 1, rate: 20000 }\nmatrix: { nfs: [macswap], cores: [1] }\n`);
    const r2 = await runCli(['run', bad, '--out', join(dir, 'bad'), '--no-plots'], root, undefined, GUARD);
    assert.equal(r2.code, 1, r2.stderr);
    const [t] = readFileSync(join(dir, 'bad', 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    assert.equal(t.status, 'failed');
    assert.match(t.reason, /pktgen exited at start \(code 1\)/);
    assert.deepEqual(await leftBehind('pgf'), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a netns inventory from a file (--inventory FILE) chooses the generator and its binary', async () => {
  const { inventorySchema, netnsInventory } = await import('../../../harness/testbeds/netns.js');
  const dir = mkdtempSync(join(tmpdir(), 'fbn-inv-'));
  try {
    const file = join(dir, 'inv.yaml');
    writeFileSync(file, 'generator: pktgen\npktgen: /opt/pktgen/build/app/pktgen\npktgen_max_rate_percent: 5\n');
    const o = inventorySchema.parse({ file, suffix: 'x' });
    assert.deepEqual([o.generator, o.pktgen, o.pktgen_max_rate_percent, o.suffix], ['pktgen', '/opt/pktgen/build/app/pktgen', 5, 'x']);
    const inv = netnsInventory(o, root);
    assert.equal(inv.generator, 'pktgen');
    assert.equal(inv.nodes.node1.tools.pktgen, '/opt/pktgen/build/app/pktgen');
    assert.equal(inv.pktgen_max_rate_percent, 5);
    assert.equal(inventorySchema.parse(undefined).generator, 'testpmd');
    writeFileSync(file, 'generator: trex\n');
    assert.throws(() => inventorySchema.parse({ file }), /generator/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
