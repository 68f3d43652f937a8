// Slot tables grow while the other thread looks: views must never claim slots a buffer lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlotViews, createSlotTable } from '../../../runtime/state/slots.js';

type Growable = SharedArrayBuffer & { grow(n: number): void };
const lengths = (v: SlotViews) => [v.value, v.present, ...v.delta, ...v.abs, ...v.flag, ...v.list].map((a) => a.length);

test('a refresh in the middle of a growth sees the old capacity in every view, then the new one', () => {
  const init = createSlotTable(0, 'CounterMap', 'm', 1024);
  const packet = new SlotViews(init);
  const state = new SlotViews(init);
  assert.equal(state.capacity, 64);
  // the packet thread has grown value and present but not yet the delta buffers: the state thread refreshes now
  // (the next capacity: 64 grown by 1.25x)
  (init.value as Growable).grow(80 * 8);
  (init.present as Growable).grow(80);
  state.refresh();
  assert.deepEqual(lengths(state), Array(10).fill(state.capacity), 'every view as long as the capacity');
  assert.equal(state.capacity, 64);
  assert.ok(packet.grow(65));
  state.refresh();
  assert.deepEqual(lengths(state), Array(10).fill(80));
  assert.deepEqual(lengths(packet), Array(10).fill(80));
  assert.equal(packet.grow(1025), false, 'maxSlots bounds growth');
});

test('a Map has no delta buffers; its words take the capacity at the first word key and grow with it, by 1.25x', () => {
  const init = createSlotTable(0, 'Map', 'm', 1 << 16);
  const packet = new SlotViews(init);
  assert.deepEqual(lengths(packet), [64, 64, 0, 0, 64, 64, 64, 64, 64, 64]);
  assert.equal(init.bufs[0].delta.byteLength + init.bufs[1].delta.byteLength, 0);
  assert.equal(init.words.byteLength, 0, 'no words before the first word key');
  assert.equal(packet.useWords().length, 4 * 64);
  assert.ok(packet.grow(65));
  assert.equal(packet.capacity, 80);
  assert.equal(packet.words.length, 4 * 80);
  assert.equal(init.words.byteLength, 16 * 80);
  const state = new SlotViews(init);
  assert.deepEqual(lengths(state), [80, 80, 0, 0, 80, 80, 80, 80, 80, 80]);
});
