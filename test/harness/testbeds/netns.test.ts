// End to end on the emulated two-node testbed, through the real CLI: testpmd baseline and a FlexState NF
// (flexbench nf run on node2's veth) with a local and a remote Redis; then Ctrl-C in the middle of a
// trial. Every run must leave no namespace, veth or process behind. Needs root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { leftovers } from '../../../harness/netns/emulation.js';
import { runCli } from '../orchestrate/cli.js';
import { LocalHost } from '../../../harness/hosts/local.js';
import { pidRunning } from '../../../common/processes.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
// a run past this is killed, so a hung run fails its test with its output instead of at the test's timeout
const GUARD = { ms: 540_000, signal: 'SIGKILL' as const };
const skip = process.getuid?.() === 0 ? false : 'needs root (network namespaces, veths, sshd): run the tests as root';

function spec(suffix: string, slot: number, body: string): string {
  return `name: netns-${suffix}\ntestbed: netns\ninventory: { suffix: ${suffix}, slot: ${slot} }\n${body}`;
}

/** Every process a run could start on a node (NF, store, tools, sshd, anything under its remote dirs). */
async function candidates(): Promise<Map<number, string>> {
  const r = await new LocalHost().exec(['pgrep', '-af', 'flexbench-netns-|fbnetnsn[12]-|flexbench\\.js nf run|redis-server|dpdk-testpmd|sshd'], { allowFailure: true });
  const out = new Map<number, string>();
  for (const l of r.stdout.split('\n')) {
    const m = /^(\d+) (.*)$/.exec(l.trim());
    // a zombie has exited (its parent, maybe this sandbox's init, just has not reaped it yet)
    if (m && !/pgrep/.test(m[2]!) && pidRunning(Number(m[1]))) out.set(Number(m[1]), m[2]!);
  }
  return out;
}

/** Such processes that were not there before the run: what it left behind. */
async function strayProcesses(before: Map<number, string>): Promise<string> {
  return [...(await candidates())].filter(([pid]) => !before.has(pid)).map(([pid, cmd]) => `${pid} ${cmd}`).join('\n');
}

/** max/min of the NF's per-interval tx rates in a trial log (flexbench rate lines or testpmd's Tx-pps), start-up line left out. */
function rateSpread(log: string): number {
  const xs = [...log.matchAll(/\] t=[\d.]+s rx [\d.]+ Mpps tx ([\d.]+) Mpps|Tx-pps:\s+(\d+)/g)].map((m) => Number(m[1] ?? m[2])).filter((v) => v > 0).slice(1);
  return xs.length >= 2 ? Math.max(...xs) / Math.min(...xs) : 1;
}

/** The log file of a trial (logs/<index>-<trial id with / as _>.log). */
function logOf(out: string, trialId: string): string {
  return readdirSync(join(out, 'logs')).find((f) => f.endsWith(`${trialId.replace(/\//g, '_')}.log`))!;
}

test('testpmd baseline and counter-async with a local and a remote redis, nothing left behind', { skip, timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbn-e2e-'));
  try {
    const file = join(dir, 'spec.yaml');
    writeFileSync(file, spec('e2e', 14, `traffic: { frame_size: 64, flows: 200, files: 1, duration_s: 2, warmup_s: 1 }
matrix:
  nfs: [testpmd, counter-async]
  stores: [redis]
  locations: [local, remote]
  modes: [async]
  cores: [1]
`));
    const out = join(dir, 'res');
    const before = await candidates();
    const r = await runCli(['run', file, '--out', out, '--no-plots'], root, undefined, GUARD);
    assert.equal(r.code, 0, r.stderr);
    // preflight reported both nodes
    assert.match(r.stderr, /node1: ok[\s\S]*node2: ok/);
    const trials = readFileSync(join(out, 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    assert.equal(trials.length, 3);
    for (const t of trials) {
      assert.equal(t.status, 'ok', t.reason);
      assert.equal(t.testbed, 'netns');
      assert.ok(t.tx_pps > 0 && t.rx_pps > 0, `${t.trial_id}: rates ${t.rx_pps}/${t.tx_pps}`);
      // the window spans whole statistics blocks on the generator's own (TSC) clock: at least the 2 s asked
      assert.ok(t.duration_s >= 1.9 && t.duration_s < 5, `window of ${t.duration_s}s on the generator's clock`);
      assert.match(t.commands[0], /^node2\$ /);
      assert.match(t.commands[1], /^node1\$ .*net_pcap0,rx_pcap=.*infinite_rx=1.*net_af_packet1,iface=port1/);
    }
    const byId = (s: string) => trials.find((t) => t.trial_id.startsWith(s))!;
    assert.match(byId('testpmd/').commands[0], /dpdk-testpmd .*--no-huge.*net_af_packet0,iface=port1.*--forward-mode=macswap --stats-period=1/);
    // the local store is on node2's loopback, the remote one on node1's store port (198.19.2*14+1.1)
    assert.match(byId('counter-async/redis/local').commands[0], /--port (xdp|packet):port1 --store redis:\/\/127\.0\.0\.1:\d+/);
    assert.match(byId('counter-async/redis/remote').commands[0], /--store redis:\/\/198\.19\.29\.1:\d+/);
    // the lab is locked (issue 14 item 11): the Redis flexbench started wanted a password generated for the
    // run, kept on this host only (0600), handed to the NF in a private file, and written nowhere else
    const secret = join(out, 'secrets', 'redis.password');
    assert.equal(statSync(secret).mode & 0o777, 0o600);
    const password = readFileSync(secret, 'utf8').trim();
    assert.ok(password.length >= 24);
    assert.match(byId('counter-async/redis/remote').commands[0], /--state-config \/tmp\/flexbench-netns-[^ ]+\/secrets\/state-\d+\.json/);
    const everything = (d: string): string => readdirSync(d, { withFileTypes: true }).filter((e) => e.name !== 'secrets').map((e) => (e.isDirectory() ? everything(join(d, e.name)) : readFileSync(join(d, e.name), 'utf8'))).join('\n');
    assert.ok(!everything(out).includes(password) && !r.stderr.includes(password) && !r.stdout.includes(password), 'the password was echoed');
    // generator and NF counters recorded beside the rate
    const sidecars = readdirSync(join(out, 'two-nodes'));
    assert.equal(sidecars.length, 3);
    for (const f of sidecars) {
      const x = JSON.parse(readFileSync(join(out, 'two-nodes', f), 'utf8'));
      assert.ok(x.generator.tx_packets > 0, 'generator sent');
      assert.ok(x.generator.rx_packets > 0, 'packets came back to node1');
      assert.equal(x.generator.rx_packets, trials.find((t) => t.trial_id === x.trial_id)!.tx_packets);
      assert.ok(x.nf.final !== null, 'the NF reported its totals');
      // nothing comes back that the generator did not send, and the NF's own counters tell the same story
      // as node1's over the same window (both on their tools' clocks)
      assert.ok(x.generator.rx_packets <= x.generator.tx_packets, `returned ${x.generator.rx_packets} > sent ${x.generator.tx_packets}`);
      // the two windows are aligned to about one rate line: on a busy host the rate moves from line to line, and
      // the two can differ by as much as the NF's own lines differ from each other (the bound comes from them)
      const spread = Math.max(1.25, rateSpread(readFileSync(join(out, 'logs', logOf(out, x.trial_id)), 'utf8')) * 1.1);
      const ratio = x.nf.tx_pps / x.generator.rx_pps;
      assert.ok(ratio > 1 / spread && ratio < spread, `${x.trial_id}: NF tx ${x.nf.tx_pps} pps vs returned ${x.generator.rx_pps} pps (NF rate lines spread ${spread.toFixed(2)}x)`);
      assert.deepEqual(x.flags, []);
    }
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    assert.equal(run.provenance.fingerprint.testbed, 'netns');
    assert.match(run.provenance.fingerprint.dpdk_version, /DPDK/);
    assert.deepEqual(await leftovers('fbne2e'), []);
    assert.equal(await strayProcesses(before), '');
    // nor DPDK runtime dirs of its testpmd processes
    const dpdkDirs = new LocalHost().exec(['sh', '-c', 'ls /var/run/dpdk 2>/dev/null | grep "^fbnetnsn[12]-" || true']);
    assert.equal((await dpdkDirs).stdout.trim(), '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Ctrl-C during a trial: exit 130, nodes and every remote process gone', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbn-int-'));
  try {
    const file = join(dir, 'spec.yaml');
    writeFileSync(file, spec('int', 15, `traffic: { frame_size: 64, flows: 100, files: 1, duration_s: 30, warmup_s: 1 }
matrix: { nfs: [testpmd], cores: [1] }
`));
    let sent = false;
    const before = await candidates();
    const r = await runCli(['run', file, '--out', join(dir, 'res'), '--no-plots'], root, (err, kill) => {
      // interrupt once the trial runs (its line is printed when it starts); give testpmd time to come up
      if (!sent && /\[1\/1\]/.test(err)) {
        sent = true;
        setTimeout(() => kill('SIGINT'), 6000);
      }
    }, GUARD);
    assert.ok(sent, `the trial never started: ${r.stderr}`);
    assert.equal(r.code, 130, r.stderr);
    assert.deepEqual(await leftovers('fbnint'), []);
    assert.equal(await strayProcesses(before), '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
