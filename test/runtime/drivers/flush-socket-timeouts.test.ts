// The flush sockets' request timeout (one timer, not re-armed per request): a request sent long after
// the timer was last armed still fails one timeout after it was sent, not earlier and not a whole
// timeout later; a request answered in time leaves the connection up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { FlushSocket } from '../../../runtime/drivers/redis/flush-socket.js';
import { CqlFlushSocket } from '../../../runtime/drivers/cassandra/flush-socket.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const TIMEOUT = 300;

/**
 * `request` (just sent) fails with "no reply within TIMEOUT ms" not before its timeout, and about when a
 * plain timer of it started beside it fires (the bound on this machine as loaded as it is; a timer
 * re-armed whole at the old one's firing would fail 150 ms later)
 */
async function failsOnTime(request: Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  const plain = sleep(TIMEOUT).then(() => performance.now() - t0);
  await assert.rejects(request, new RegExp(`no reply within ${TIMEOUT} ms`));
  const took = performance.now() - t0;
  const late = await plain;
  assert.ok(took >= TIMEOUT - 5 && took < late + TIMEOUT / 3, `failed after ${took.toFixed(0)} ms (a plain ${TIMEOUT} ms timer fired after ${late.toFixed(0)} ms)`);
}

/** a server that accepts and answers Redis requests with `:1\r\n` while `answer` says so */
async function silentServer(answer: () => boolean): Promise<{ port: number; close: () => void }> {
  const socks: net.Socket[] = [];
  const srv = net.createServer((s) => { socks.push(s); s.on('data', () => { if (answer()) s.write(':1\r\n'); }); s.on('error', () => {}); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => { for (const s of socks) s.destroy(); srv.close(); } };
}


test('redis flush socket: a flush sent after the timer ran a while fails one timeout after it was sent; flushes answered in time do not', async () => {
  let answer = true;
  const srv = await silentServer(() => answer);
  const fs = new FlushSocket({ host: '127.0.0.1', port: srv.port, connectTimeoutMs: 2000, commandTimeoutMs: TIMEOUT });
  try {
    const batch = (seq: number) => ({ seq, changes: [{ type: 'Counter' as const, id: 'c', op: 'add' as const, value: 1 }] });
    // answered flushes across more than one timeout: none fails
    for (let i = 0; i < 8; i++) {
      const r = await fs.flush('SHA', null, 'q', (c) => `k@${c.id}`, batch(i + 1));
      assert.deepEqual(r.reply, { kind: 'int', value: 1 });
      await sleep(60);
    }
    await sleep(TIMEOUT / 2);
    answer = false;
    await failsOnTime(fs.flush('SHA', null, 'q', (c) => `k@${c.id}`, batch(9)));
  } finally {
    fs.close();
    srv.close();
  }
});

test('cassandra flush socket: a request sent after the timer ran a while fails one timeout after it was sent', async () => {
  const srv = await silentServer(() => false);
  const cs = new CqlFlushSocket({ host: '127.0.0.1', port: srv.port, connectTimeoutMs: 2000, requestTimeoutMs: TIMEOUT });
  try {
    await sleep(TIMEOUT / 2);
    await failsOnTime(cs.run([{ query: 'UPDATE t SET v = v + ? WHERE k = ?', params: [] }], true, 1));
  } finally {
    cs.close();
    srv.close();
  }
});
