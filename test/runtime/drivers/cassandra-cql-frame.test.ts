// The Cassandra flush's own frames (pure: no server): requests byte for byte as protocol v4 lays
// them out, and responses (void with warnings, errors, prepared metadata) read back, whole only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import cassandra from 'cassandra-driver';
import { BATCH, FrameWriter, TYPE, encodable, frameAt, parseResponse, type Prepared } from '../../../runtime/drivers/cassandra/cql-frame.js';

const Long = cassandra.types.Long;
const hex = (b: Buffer) => b.toString('hex');
const bytes = (...parts: string[]) => parts.join('').replace(/\s+/g, '');
const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('hex');

test('STARTUP: CQL_VERSION 3.0.0, protocol v4, the body length in the header', () => {
  const f = new FrameWriter(16); // small on purpose: the writer grows
  assert.equal(hex(f.startup(0)), bytes(
    '04 00 0000 01 00000016',
    '0001', '000b', utf8('CQL_VERSION'), '0005', utf8('3.0.0'),
  ));
});

test('PREPARE: the query as a [long string] (UTF-8 length, not characters)', () => {
  const q = "UPDATE ks.t SET v = v + ? WHERE k = 'é'";
  const n = Buffer.byteLength(q);
  assert.equal(hex(new FrameWriter().prepare(5, q)), bytes('04 00 0005 09', (4 + n).toString(16).padStart(8, '0'), n.toString(16).padStart(8, '0'), utf8(q)));
});

test('EXECUTE of a counter update: id, consistency, values + skip-metadata, each value by its bind type', () => {
  const p: Prepared = { id: Buffer.from('abcd', 'hex'), types: [{ id: TYPE.counter }, { id: TYPE.counter }, { id: TYPE.varchar }] };
  const f = new FrameWriter();
  assert.equal(hex(f.execute(3, p, [Long.fromNumber(5), Long.fromNumber(-1), 'pk'], 1)), bytes(
    '04 00 0003 0a 00000027',
    '0002 abcd', // [short bytes] id
    '0001', // ONE
    '03', // values | skip metadata
    '0003',
    '00000008 0000000000000005',
    '00000008 ffffffffffffffff',
    '00000002', utf8('pk'),
  ));
  // numbers as bigints too (the writer's own halves), beyond 32 bits and negative
  const q: Prepared = { id: Buffer.from('01', 'hex'), types: [{ id: TYPE.bigint }, { id: TYPE.bigint }] };
  assert.equal(hex(f.execute(0x7fff, q, [2 ** 40 + 3, -(2 ** 33)], 10)), bytes(
    '04 00 7fff 0a 00000020',
    '0001 01', '000a', '03', '0002',
    '00000008 0000010000000003',
    '00000008 fffffffe00000000',
  ));
});

test('BATCH: type, statements as prepared ids with their values, consistency, no flags; int, double, list<text> and null', () => {
  const a: Prepared = { id: Buffer.from('01', 'hex'), types: [{ id: TYPE.bigint }, { id: TYPE.varchar }, { id: TYPE.int }] };
  const b: Prepared = { id: Buffer.from('0203', 'hex'), types: [{ id: TYPE.list, elem: TYPE.varchar }, { id: TYPE.double }, { id: TYPE.varchar }] };
  const frame = new FrameWriter().batch(7, BATCH.counter, [{ p: a, params: [Long.fromNumber(1), 'é', 2] }, { p: b, params: [['a', 'bc'], 0.5, null] }], 6);
  const body = bytes(
    '02', '0002',
    '01', '0001 01', '0003', '00000008 0000000000000001', '00000002 c3a9', '00000004 00000002',
    '01', '0002 0203', '0003',
    '0000000f', '00000002', '00000001 61', '00000002 6263', // list: its byte length, count, elements
    '00000008 3fe0000000000000',
    'ffffffff', // null
    '0006', '00',
  );
  assert.equal(hex(frame), bytes('04 00 0007 0d', (body.length / 2).toString(16).padStart(8, '0'), body));
});

test('a write that the socket still holds leaves the writer another buffer (the held frame unchanged)', () => {
  const f = new FrameWriter();
  const p: Prepared = { id: Buffer.from('01', 'hex'), types: [{ id: TYPE.int }] };
  const held = f.execute(1, p, [7], 1);
  const copy = hex(held);
  f.detach();
  f.execute(2, p, [8], 1);
  assert.equal(hex(held), copy);
});

test('values the bind types cannot take are refused, not sent wrong', () => {
  const f = new FrameWriter();
  const p: Prepared = { id: Buffer.from('01', 'hex'), types: [{ id: TYPE.int }] };
  assert.throws(() => f.execute(1, p, ['x'], 1), /int value/);
  assert.throws(() => f.execute(1, p, [1, 2], 1), /2 values for 1 bind markers/);
  assert.throws(() => f.execute(1, { id: p.id, types: [{ id: TYPE.bigint }] }, [0.5], 1), /safe integer/);
  assert.equal(encodable([{ id: TYPE.counter }, { id: TYPE.list, elem: TYPE.varchar }]), true);
  assert.equal(encodable([{ id: 0x0c }]), false); // uuid
  assert.equal(encodable([{ id: TYPE.list, elem: TYPE.int }]), false);
});

test('responses: a void RESULT after warnings, an ERROR, a prepared RESULT with its bind types; a frame is read only whole', () => {
  const frame = (flags: number, stream: number, opcode: number, body: string) => Buffer.from(bytes('84', flags.toString(16).padStart(2, '0'), (stream & 0xffff).toString(16).padStart(4, '0'), opcode.toString(16).padStart(2, '0'), (body.length / 2).toString(16).padStart(8, '0'), body), 'hex');
  const warn = frame(0x08, 4, 0x08, bytes('0001', '0004', utf8('big!'), '00000001'));
  const err = frame(0, 5, 0x00, bytes('00002500', '0004', utf8('gone')));
  const prep = frame(0, 6, 0x08, bytes(
    '00000004', '0002 beef',
    '00000001', '00000003', '00000001', '0002', // global spec, 3 columns, 1 pk index
    '0002', utf8('ks'), '0001', utf8('t'),
    '0005', utf8('value'), '0005',
    '0003', utf8('seq'), '0002',
    '0004', utf8('key1'), '0020', '000d',
    '00000004', '00000000', // result metadata: none
  ));
  const all = Buffer.concat([warn, err, prep]);
  // split anywhere: nothing until a frame is whole
  for (let cut = 0; cut < warn.length; cut++) assert.equal(frameAt(all, 0, cut), null);
  const h1 = frameAt(all, 0, all.length)!;
  assert.deepEqual({ stream: h1.stream, opcode: h1.opcode }, { stream: 4, opcode: 0x08 });
  assert.deepEqual(parseResponse(all, h1), { kind: 'void' });
  const h2 = frameAt(all, h1.end, all.length)!;
  assert.deepEqual(parseResponse(all, h2), { kind: 'error', code: 0x2500, message: 'gone' });
  const h3 = frameAt(all, h2.end, all.length)!;
  assert.equal(h3.end, all.length);
  const r = parseResponse(all, h3);
  assert.equal(r.kind, 'prepared');
  if (r.kind !== 'prepared') return;
  assert.equal(hex(r.prepared.id), 'beef');
  assert.deepEqual(r.prepared.types, [{ id: TYPE.counter }, { id: TYPE.bigint }, { id: TYPE.list, elem: TYPE.varchar }]);
  all.fill(0); // the id is a copy: the read buffer is reused
  assert.equal(hex(r.prepared.id), 'beef');
});
