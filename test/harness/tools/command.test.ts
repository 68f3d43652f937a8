// The command target: argv templates (no shell) and reading a rate by regex or JSON path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandTargetSchema, expandArgv, readRate } from '../../../harness/tools/command.js';
import { LocalHost } from '../../../harness/hosts/local.js';

const vars = { iface: 'port1', pci: '', cores: 2, corelist: '0,1', duration: 12, store: 'redis://198.19.1.1:6379', pcap: '/tmp/a b.pcap' };

test('placeholders are substituted inside elements; spaces stay inside one argument', async () => {
  const argv = expandArgv(['printf', '%s|', '--if={iface}', '{pcap}', '-l', '{corelist}', '{store}'], vars);
  assert.deepEqual(argv, ['printf', '%s|', '--if=port1', '/tmp/a b.pcap', '-l', '0,1', 'redis://198.19.1.1:6379']);
  const r = await new LocalHost().exec(argv);
  assert.equal(r.stdout, '--if=port1|/tmp/a b.pcap|-l|0,1|redis://198.19.1.1:6379|');
  assert.throws(() => expandArgv(['nf', '{ifname}'], vars), /unknown placeholder \{ifname\} in "\{ifname\}" \(known: .*\{iface\}/);
});

test('rate by regex: mean after the first match, or the last; units', () => {
  const t = commandTargetSchema.parse({ argv: ['x'], rate: { regex: 'rate ([\\d.]+) Mpps', unit: 'mpps' } });
  assert.equal(readRate(t, 'rate 9 Mpps\nrate 1.0 Mpps\nrate 3.0 Mpps\n', ''), 2e6);
  const last = commandTargetSchema.parse({ argv: ['x'], rate: { regex: 'pps=(\\d+)', take: 'last', stream: 'stderr' } });
  assert.equal(readRate(last, '', 'pps=10\npps=30\n'), 30);
  assert.throws(() => readRate(t, 'nothing here', ''), /matched nothing on stdout/);
  const bad = commandTargetSchema.parse({ argv: ['x'], rate: { regex: '(' } });
  assert.throws(() => readRate(bad, '', ''), /bad rate regex/);
});

test('rate by JSON path in the last stdout line (e.g. flexbench nf run --json)', () => {
  const t = commandTargetSchema.parse({ argv: ['x'], rate: { json_path: 'stats.tx_mpps', unit: 'mpps' } });
  assert.equal(readRate(t, 'log line\n{"stats":{"tx_mpps":1.5}}\n', ''), 1.5e6);
  assert.throws(() => readRate(t, '{"stats":{}}', ''), /"stats\.tx_mpps" is not a number/);
  assert.throws(() => readRate(t, 'not json', ''), /not JSON/);
});

test('schema rejects a target without argv or with an unknown rate form', () => {
  assert.equal(commandTargetSchema.safeParse({ argv: [], rate: { regex: 'x' } }).success, false);
  assert.equal(commandTargetSchema.safeParse({ argv: ['a'], rate: { xpath: 'x' } }).success, false);
});

test('ready line, start wait and stop signal: defaults, and a bad ready regex refused at validation', () => {
  const d = commandTargetSchema.parse({ argv: ['x'], rate: { json_path: 'rx_mpps' } });
  assert.equal(d.stop_signal, 'TERM');
  assert.equal(d.start_wait_s, 2);
  assert.equal(d.ready, undefined);
  const r = commandTargetSchema.parse({ argv: ['x'], rate: { json_path: 'rx_mpps' }, ready: { regex: 'ports? up' }, stop_signal: 'INT' });
  assert.deepEqual(r.ready, { regex: 'ports? up', stream: 'stdout' });
  const bad = commandTargetSchema.safeParse({ argv: ['x'], rate: { json_path: 'rx_mpps' }, ready: { regex: '(unclosed' } });
  assert.ok(!bad.success);
  assert.deepEqual(bad.error.issues[0]!.path, ['ready', 'regex']);
  assert.equal(commandTargetSchema.safeParse({ argv: ['x'], rate: { json_path: 'a' }, stop_signal: 'HUP' }).success, false);
});
