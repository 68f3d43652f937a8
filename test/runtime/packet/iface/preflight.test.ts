// Preflight parsing and port-spec rules, fed the real formats of /proc files; and the CLI's answer when
// the addon is missing (the replay port keeps working).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { effectiveCaps, bpffsMounted, memlockLimit, linkInfo } from '../../../../runtime/packet/iface/preflight.js';
import { parsePortSpec } from '../../../../runtime/packet/iface/index.js';
import { encodePcap } from '../../../../runtime/packet/pcap.js';
import { flowFrames } from './frames.js';

const cli = fileURLToPath(new URL('../../../../../bin/flexbench.js', import.meta.url));

describe('preflight', () => {
  test('reads effective capabilities from /proc/self/status', () => {
    const caps = effectiveCaps('Name:\tnode\nCapPrm:\t0000000000000000\nCapEff:\t000001fffeffffff\n');
    assert.ok((caps & (1n << 12n)) !== 0n, 'CAP_NET_ADMIN');
    assert.ok((caps & (1n << 39n)) !== 0n, 'CAP_BPF above bit 31');
    assert.equal(caps & (1n << 24n), 0n, 'CAP_SYS_RESOURCE is off in this mask');
    assert.equal(effectiveCaps('CapEff:\t0000000000000000\n'), 0n);
  });

  test('finds bpffs only at /sys/fs/bpf with type bpf', () => {
    assert.ok(bpffsMounted('sysfs /sys sysfs rw 0 0\nbpf /sys/fs/bpf bpf rw,relatime 0 0\n'));
    assert.ok(!bpffsMounted('sysfs /sys sysfs rw 0 0\nnone /sys/fs/bpf tmpfs rw 0 0\n'));
    assert.ok(!bpffsMounted('bpf /mnt/bpf bpf rw 0 0\n'));
  });

  test('reads RLIMIT_MEMLOCK from /proc/self/limits', () => {
    assert.equal(memlockLimit('Limit Soft Limit Hard Limit Units\nMax locked memory         8388608              8388608              bytes\n'), 8388608);
    assert.equal(memlockLimit('Max locked memory         unlimited            unlimited            bytes\n'), Infinity);
  });

  test('rejects bad interface names and names the missing one', () => {
    assert.throws(() => linkInfo('bad name;rm'), /bad interface name/);
    assert.throws(() => linkInfo('fbx-nosuch9'), /fbx-nosuch9 does not exist in this network namespace/);
  });
});

describe('port spec', () => {
  test('[MODE:]IFACE, mode from the flag or FLEXBENCH_PORT_MODE otherwise', () => {
    assert.deepEqual(parsePortSpec('xdp:eth1'), { iface: 'eth1', mode: 'xdp', queueIds: null });
    assert.deepEqual(parsePortSpec('packet:veth0'), { iface: 'veth0', mode: 'packet', queueIds: null });
    assert.deepEqual(parsePortSpec('eth1', 'packet'), { iface: 'eth1', mode: 'packet', queueIds: null });
    assert.equal(parsePortSpec('eth1').mode, process.env.FLEXBENCH_PORT_MODE ?? 'auto');
    assert.throws(() => parsePortSpec('dpdk:eth1'), /port mode "dpdk" is not one of auto, xdp, packet/);
    assert.throws(() => parsePortSpec('xdp:'), /no interface name/);
  });

  test(',QUEUES: a count, ids or ranges, mapped to cores in order', () => {
    assert.deepEqual(parsePortSpec('eth1,3').queueIds, [0, 1, 2]);
    assert.deepEqual(parsePortSpec('xdp:eth1,4-6').queueIds, [4, 5, 6]);
    assert.deepEqual(parsePortSpec('eth1,2,5').queueIds, [2, 5]);
    assert.deepEqual(parsePortSpec('eth1,7-7,1').queueIds, [7, 1]);
    assert.throws(() => parsePortSpec('eth1,0'), /queue count must be at least 1/);
    assert.throws(() => parsePortSpec('eth1,a'), /"a" is not a queue id or range/);
    assert.throws(() => parsePortSpec('eth1,5-2'), /"5-2" is not a queue id or range/);
    assert.throws(() => parsePortSpec('eth1,1,1'), /listed twice/);
  });
});

describe('without the native addon', () => {
  test('--port IFACE says why the interface port is unavailable (exit 5); --port replay still works', () => {
    const env = { ...process.env, FLEXBENCH_NATIVE_ADDON: '/nonexistent/flexbench_iface.node' };
    const r = spawnSync(process.execPath, [cli, 'nf', 'run', '--nf', 'macswap', '--port', 'packet:fbx-nosuch0', '--duration', '1'], { env, encoding: 'utf8' });
    assert.equal(r.status, 5, r.stderr);
    assert.match(r.stderr, /interface port unavailable: the native addon is not built \(\/nonexistent\/flexbench_iface.node missing\); build it with `sh runtime\/native\/build.sh`/);
    const dir = mkdtempSync(join(tmpdir(), 'fbx-iface-'));
    try {
      const pcap = join(dir, 'in.pcap');
      writeFileSync(pcap, encodePcap(flowFrames({ flows: 16, perFlow: 2, srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02' })));
      const ok = spawnSync(process.execPath, [cli, 'nf', 'run', '--nf', 'macswap', '--input', pcap, '--packets', '64', '--json'], { env, encoding: 'utf8' });
      assert.equal(ok.status, 0, ok.stderr);
      assert.equal(JSON.parse(ok.stdout.trim().split('\n').pop()!).tx_packets, 64);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
