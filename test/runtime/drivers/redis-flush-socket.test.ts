// The Redis flush's own encoder and reply parser (pure: no server): the RESP bytes of a batch are
// the flush script's KEYS/ARGV layout, numbers written digit by digit read back as JavaScript prints
// them, and a reply split anywhere parses once whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FlushHead, RespWriter, encodeFlush, parseReply } from '../../../runtime/drivers/redis/flush-socket.js';
import { ArraySink, flushKeys, writeFlushArgs } from '../../../runtime/drivers/redis/flush-encode.js';
import type { Change, FlushBatch } from '../../../runtime/drivers/driver.js';

/** a RESP array of bulk strings -> its strings (read byte by byte: lengths count bytes) */
function respArgs(b: Buffer): string[] {
  let at = 0;
  const line = (): string => {
    const e = b.indexOf('\r\n', at);
    const v = b.toString('latin1', at, e);
    at = e + 2;
    return v;
  };
  const head = line();
  assert.equal(head[0], '*');
  const out: string[] = [];
  for (let i = 0; i < Number(head.slice(1)); i++) {
    const h = line();
    assert.equal(h[0], '$');
    const len = Number(h.slice(1));
    out.push(b.toString('utf8', at, at + len));
    assert.equal(b.toString('latin1', at + len, at + len + 2), '\r\n');
    at += len + 2;
  }
  assert.equal(at, b.length, 'nothing after the last argument');
  return out;
}

const keyOf = (c: Change) => `nf@i@0@${c.type}@${c.id}`;

test('a batch of every op encodes as the flush script reads it: KEYS once per structure, ARGV op/key/count/values', () => {
  const batch: FlushBatch = {
    seq: 42,
    resync: true,
    changes: [
      { type: 'Counter', id: 'pkts', op: 'add', value: 1234567 },
      { type: 'Counter', id: 'pkts', op: 'set', value: -3 },
      { type: 'Counter', id: 'f', op: 'add', value: 0.5 },
      { type: 'Value', id: 'v', op: 'set', value: 'héllo' },
      { type: 'List', id: 'l', op: 'pushBack', values: ['a', 'b'] },
      { type: 'List', id: 'l', op: 'popFront', count: 2 },
      { type: 'List', id: 'l', op: 'setAt', index: 1, value: 'z' },
      { type: 'Set', id: 's', op: 'insert', values: ['x'] },
      { type: 'Set', id: 's', op: 'erase', values: ['y'] },
      { type: 'Map', id: 'm', op: 'set', keys: ['k1', 'k2'], values: [7, 2.25] },
      { type: 'CounterMap', id: 'cm', op: 'add', keys: ['10.0.0.1:5>10.0.0.2:6/17'], values: [-9007199254740991] },
      { type: 'CounterMap', id: 'cm', op: 'add', keys: ['a'], values: [1.5] },
      { type: 'Map', id: 'm', op: 'erase', keys: ['k1'] },
      { type: 'Map', id: 'm', op: 'delete' },
    ],
  };
  const { bytes, entries } = encodeFlush(new RespWriter(), 'SHA', null, 'nf@i@0@FlushSeq', keyOf, batch);
  assert.deepEqual(respArgs(bytes), [
    'EVALSHA', 'SHA', '8', 'nf@i@0@FlushSeq', 'nf@i@0@Counter@pkts', 'nf@i@0@Counter@f', 'nf@i@0@Value@v', 'nf@i@0@List@l', 'nf@i@0@Set@s', 'nf@i@0@Map@m', 'nf@i@0@CounterMap@cm',
    '42', 'r',
    'incr', '2', '1', '1234567',
    'set', '2', '1', '-3',
    'incrf', '3', '1', '0.5',
    'set', '4', '1', 'héllo',
    'rpush', '5', '2', 'a', 'b',
    'lpop', '5', '2',
    'lset', '5', '1', '1', 'z',
    'sadd', '6', '1', 'x',
    'srem', '6', '1', 'y',
    'hset', '7', '2', 'k1', '7', 'k2', '2.25',
    'hincr', '8', '1', '10.0.0.1:5>10.0.0.2:6/17', '-9007199254740991',
    'hincrf', '8', '1', 'a', '1.5',
    'hdel', '7', '1', 'k1',
    'del', '7', '1',
  ]);
  assert.equal(entries, 1 + 1 + 1 + 1 + 2 + 2 + 1 + 1 + 1 + 2 + 1 + 1 + 1 + 1);
});

test('EVAL with the script body when asked; the writer is reused across flushes of any size', () => {
  const w = new RespWriter();
  const big: FlushBatch = { seq: 1, changes: [{ type: 'CounterMap', id: 'cm', op: 'add', keys: Array.from({ length: 20_000 }, (_, i) => `key${i}`), values: Array.from({ length: 20_000 }, (_, i) => i) }] };
  const a = respArgs(encodeFlush(w, 'SHA', null, 'q', keyOf, big).bytes);
  assert.equal(a.length, 3 + 2 + 2 + 3 + 40_000);
  assert.equal(a.at(-1), '19999');
  const b = respArgs(encodeFlush(w, 'SHA', 'return 1', 'q', keyOf, { seq: 2, changes: [] }).bytes);
  assert.deepEqual(b, ['EVAL', 'return 1', '1', 'q', '2', '-']);
});

test('a flush of the structures the last one had reuses its head: the same bytes as encoded afresh, and any other batch encoded afresh', () => {
  const w = new RespWriter();
  const head = new FlushHead();
  let made = 0;
  const counting = (c: Change) => { made++; return keyOf(c); };
  const counter = (seq: number, value: number): FlushBatch => ({ seq, changes: [{ type: 'Counter', id: 'pkts', op: 'add', value }] });
  const fresh = (b: FlushBatch, script: string | null = null) => respArgs(encodeFlush(new RespWriter(), 'SHA', script, 'nf@i@0@FlushSeq', keyOf, b).bytes);
  for (let seq = 1; seq <= 5; seq++) {
    const b = counter(seq, seq * 1000 + 7);
    assert.deepEqual(respArgs(encodeFlush(w, 'SHA', null, 'nf@i@0@FlushSeq', counting, b, Date.now(), head).bytes), fresh(b));
  }
  assert.equal(made, 1, 'the key made once, at the first flush');
  const others: [FlushBatch, string | null, string][] = [
    [{ seq: 6, changes: [{ type: 'Counter', id: 'other', op: 'add', value: 1 }] }, null, 'SHA'],
    [{ seq: 7, changes: [{ type: 'Counter', id: 'pkts', op: 'add', value: 1 }, { type: 'Value', id: 'v', op: 'set', value: 'x' }] }, null, 'SHA'],
    [{ seq: 8, changes: [{ type: 'CounterMap', id: 'pkts', op: 'add', keys: ['a'], values: [1] }] }, null, 'SHA'],
    [{ seq: 9, changes: [{ type: 'CounterMap', id: 'pkts', op: 'add', keys: ['a'], values: [1] }] }, 'return 1', 'SHA'],
    [{ seq: 10, changes: [{ type: 'CounterMap', id: 'pkts', op: 'add', keys: ['a'], values: [1] }] }, null, 'SHA2'],
    [{ seq: 11, changes: [] }, null, 'SHA'],
    [counter(12, -5), null, 'SHA'],
  ];
  for (const [b, script, sha] of others) {
    const got = respArgs(encodeFlush(w, sha, script, 'nf@i@0@FlushSeq', keyOf, b, Date.now(), head).bytes);
    assert.deepEqual(got, respArgs(encodeFlush(new RespWriter(), sha, script, 'nf@i@0@FlushSeq', keyOf, b).bytes));
  }
  // another partition's seq key: not the last head
  const b = counter(13, 1);
  assert.deepEqual(respArgs(encodeFlush(w, 'SHA', null, 'nf@j@0@FlushSeq', keyOf, b, Date.now(), head).bytes), respArgs(encodeFlush(new RespWriter(), 'SHA', null, 'nf@j@0@FlushSeq', keyOf, b).bytes));
});

test('bulk strings of any length and characters read back as written (short ASCII written byte by byte)', () => {
  fc.assert(fc.property(fc.array(fc.oneof(fc.string({ maxLength: 70 }), fc.string({ unit: 'binary', maxLength: 70 }), fc.string({ unit: 'binary-ascii', minLength: 60, maxLength: 70 })), { maxLength: 8 }), (xs) => {
    const w = new RespWriter();
    w.begin();
    for (const x of xs) w.str(x);
    assert.deepEqual(respArgs(w.end()), xs);
  }), { numRuns: 1000 });
});

test('numbers read back as the store gets them from JavaScript (integers digit by digit, others as printed)', () => {
  fc.assert(fc.property(fc.oneof(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), fc.double({ noNaN: true, noDefaultInfinity: true })), (v) => {
    const a = respArgs(encodeFlush(new RespWriter(), 'S', null, 'q', keyOf, { seq: 1, changes: [{ type: 'Counter', id: 'c', op: 'set', value: v }] }).bytes);
    const want = Number.isSafeInteger(v) ? v.toFixed(0) : String(v);
    assert.equal(a.at(-1), want === '-0' ? '0' : want);
  }), { numRuns: 2000 });
});

test('a reply split anywhere parses only once whole: integers, the script\'s arrays, errors', () => {
  const replies: [string, unknown][] = [
    [':0\r\n', { kind: 'int', value: 0 }],
    ['*2\r\n:1\r\n:0\r\n', { kind: 'array', items: [1, 0] }],
    ['*2\r\n:2\r\n:17\r\n', { kind: 'array', items: [2, 17] }],
    ['*3\r\n:1\r\n:1\r\n$37\r\nWRONGTYPE Operation against a key ...\r\n', { kind: 'array', items: [1, 1, 'WRONGTYPE Operation against a key ...'] }],
    ['-NOSCRIPT No matching script. Please use EVAL.\r\n', { kind: 'error', message: 'NOSCRIPT No matching script. Please use EVAL.' }],
    ['+OK\r\n', { kind: 'array', items: ['OK'] }],
  ];
  for (const [text, want] of replies) {
    const b = Buffer.from(text);
    for (let cut = 0; cut < b.length; cut++) assert.equal(parseReply(b, cut), null, `${JSON.stringify(text)} cut at ${cut}`);
    const r = parseReply(Buffer.concat([b, Buffer.from(':5\r\n')]), b.length + 4);
    assert.deepEqual(r, { reply: want, used: b.length });
  }
});

test('timers encode as the flush script reads them, on the flush socket and on the ioredis path alike: live entries with the TTL left at send time, past ones deleted, a cleared structure by a literal pattern', () => {
  const now = 1_000_000;
  const batch: FlushBatch = {
    seq: 3,
    changes: [
      { type: 'Timer', id: 't*1', op: 'set', keys: ['a', 'b', 'c'], values: [now + 1500.2, now - 1, now + 10] },
      { type: 'Timer', id: 't*1', op: 'erase', keys: ['d'] },
      { type: 'Timer', id: 'u', op: 'set', keys: ['gone'], values: [now] },
      { type: 'Timer', id: 'u', op: 'delete' },
    ],
  };
  const want = [
    'EVALSHA', 'SHA', '3', 'q', 'nf@i@0@Timer@t*1', 'nf@i@0@Timer@u',
    '3', '-',
    'tset', '2', '2', 'a', '1501', '1001500.2', 'c', '10', '1000010',
    'tdel', '2', '1', 'b',
    'tdel', '2', '1', 'd',
    'tdel', '3', '1', 'gone',
    'tclr', '3', '1', 'nf@i@0@Timer@u@*',
  ];
  const { bytes, entries } = encodeFlush(new RespWriter(), 'SHA', null, 'q', keyOf, batch, now);
  assert.deepEqual(respArgs(bytes), want);
  assert.equal(entries, 6);
  // the same layout through the argument array the ioredis path sends
  const { keys, kidx } = flushKeys('q', keyOf, batch.changes);
  const sink = new ArraySink();
  assert.equal(writeFlushArgs(sink, keys, kidx, batch, now), 6);
  assert.deepEqual(['EVALSHA', 'SHA', String(keys.length), ...keys, ...sink.args], want);
  // a key's glob characters are escaped: the clear matches that structure's entries only
  const star = encodeFlush(new RespWriter(), 'SHA', null, 'q', keyOf, { seq: 4, changes: [{ type: 'Timer', id: 't*1', op: 'delete' }] }, now);
  assert.equal(respArgs(star.bytes).at(-1), 'nf@i@0@Timer@t\\*1@*');
});
