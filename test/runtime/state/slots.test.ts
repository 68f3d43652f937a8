// Slot tables grow while the other thread looks: views must never claim slots a buffer lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlotViews, createSlotTable } from '../../../runtime/state/slots.js';

type Growable = SharedArrayBuffer & { grow(n: number): void };
const lengths = (v: SlotViews) => [v.value, v.present, ...v.delta, ...v.abs, ...v.flag, ...v.list].map((a) => a.length);

test('a refresh in the middle of a growth sees the old capacity in every view, then the new one', () => {
  const init = createSlotTable(0, 'Map', 'm', 1024);
  const packet = new SlotViews(init);
  const state = new SlotViews(init);
  assert.equal(state.capacity, 64);
  // the packet thread has grown value and present but not yet the delta buffers: the state thread refreshes now
  (init.value as Growable).grow(128 * 8);
  (init.present as Growable).grow(128);
  state.refresh();
  assert.deepEqual(lengths(state), Array(10).fill(state.capacity), 'every view as long as the capacity');
  assert.equal(state.capacity, 64);
  assert.ok(packet.grow(65));
  state.refresh();
  assert.deepEqual(lengths(state), Array(10).fill(128));
  assert.deepEqual(lengths(packet), Array(10).fill(128));
  assert.equal(packet.grow(1025), false, 'maxSlots bounds growth');
});
