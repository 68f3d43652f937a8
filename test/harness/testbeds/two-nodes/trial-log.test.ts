// A two-node trial's log: each line from one source, node lines tagged, escape sequences and passwords
// gone (exact text). What CI once saw: Pktgen's prompt left a line open and testpmd's clear-screen on
// node2 landed on it, so an escape sequence sat on a `[node1]` line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTrialLog, nodeLog } from '../../../../harness/testbeds/two-nodes/trial-log.js';

test('trial log: an open node line is ended before another source writes; escapes and passwords dropped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-tlog-'));
  try {
    const path = join(dir, 't.log');
    const log = openTrialLog(path);
    const node = nodeLog(log);
    log.write('# start redis://fb:s3cret@198.18.0.2:6379\n');
    node('node1')('Pktgen:/> ');
    node('node2')('\x1b[2J\x1b[1;1H\nPort statistics\n');
    node('node1')('pktgen.start("0")\n');
    node('node1')('Pktgen:/> ');
    node('node1')('quit\nbye');
    log.write('# generator stopped\n');
    // a sequence split across two chunks, as a loaded machine delivers it, never reaches the text in halves
    node('node1')('a\x1b[12');
    node('node1')(';22Hb\n');
    // a second writer of the same log (the resident pair makes its own) shares the open-line state
    nodeLog(log)('node2')('Tx-pps: 5');
    node('node2')('0000\n');
    await new Promise<void>((r) => log.end(r));
    assert.equal(
      readFileSync(path, 'utf8'),
      [
        '# start redis://fb:***@198.18.0.2:6379',
        '[node1] Pktgen:/> ',
        '[node2] ',
        '[node2] Port statistics',
        '[node1] pktgen.start("0")',
        '[node1] Pktgen:/> quit',
        '[node1] bye',
        '# generator stopped',
        '[node1] ab',
        '[node2] Tx-pps: 50000',
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
