// Shared-memory layout of one slotted structure (counter = 1 slot, map, countermap) in async mode.
// The packet thread writes values and deltas into the current of two buffers; the state thread
// takes the other one after a swap. Growable SharedArrayBuffers: length-tracking views follow growth.
import type { StructType } from '../drivers/driver.js';

export const F_DIRTY = 1;
export const F_SET = 2;
export const F_ERASE = 4;
/** an add happened (even one netting 0: it still creates the entry, as INCRBY/HINCRBY do) */
export const F_ADD = 8;
export const F_DIRTY_ADD = F_DIRTY | F_ADD;

/** per-table control words (Int32): dirty count and cleared flag per buffer, slot count, capacity */
export const C_COUNT0 = 0;
export const C_CLEARED0 = 2;
export const C_SLOTS = 4;
/** slots every buffer holds: published (Atomics) only once all of them have grown */
const C_CAP = 5;
/** entries the state thread's accumulator holds room for (written there, read by the packet side's bytes()) */
export const C_ACC = 6;
const CTRL_WORDS = 7;

interface SlotBuffers {
  /** empty for a type that never adds (Map, Timer): their sets and erases carry no delta */
  delta: SharedArrayBuffer;
  abs: SharedArrayBuffer;
  flag: SharedArrayBuffer;
  list: SharedArrayBuffer;
}

/** What crosses to the state thread once per structure (postMessage). */
export interface SlotTableInit {
  index: number;
  type: StructType;
  id: string;
  ctrl: SharedArrayBuffer;
  value: SharedArrayBuffer;
  present: SharedArrayBuffer;
  /**
   * four int32 words per slot for keys given as a flow's words (slotOfFlow): written by the packet
   * side before the slot is first marked dirty, read by the state thread when a flush carries the key
   * (no copy of them there). Empty until the table's first word key, then grown with the others.
   */
  words: SharedArrayBuffer;
  bufs: [SlotBuffers, SlotBuffers];
}

const INITIAL = 64;
/**
 * capacity growth: the buffers grow in place (no copy), so a small step costs only a few more grow
 * calls and view rebuilds, and the capacity stays within 1.25x of the slots in use (doubling: 2x)
 */
const GROWTH = 1.25;
/** does a structure type ever add (delta)? Map and Timer only set and erase */
export const addsDeltas = (type: StructType): boolean => type === 'Counter' || type === 'CounterMap';

// ES2024 growable SharedArrayBuffer (Node 20 has it; the ES2022 lib typings do not)
type GrowableSab = SharedArrayBuffer & { readonly maxByteLength: number; grow(n: number): void };
const Sab = SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => GrowableSab;

function sab(bytesPerSlot: number, maxSlots: number, slots = INITIAL): SharedArrayBuffer {
  return new Sab(bytesPerSlot * Math.min(slots, maxSlots), { maxByteLength: bytesPerSlot * maxSlots });
}

export function createSlotTable(index: number, type: StructType, id: string, maxSlots: number): SlotTableInit {
  const d = addsDeltas(type) ? 8 : 0;
  const buf = (): SlotBuffers => ({ delta: sab(d, maxSlots), abs: sab(8, maxSlots), flag: sab(1, maxSlots), list: sab(4, maxSlots) });
  const ctrl = new SharedArrayBuffer(CTRL_WORDS * 4);
  Atomics.store(new Int32Array(ctrl), C_CAP, Math.min(INITIAL, maxSlots));
  return { index, type, id, ctrl, value: sab(8, maxSlots), present: sab(1, maxSlots), words: sab(16, maxSlots, 0), bufs: [buf(), buf()] };
}

/** the shared bytes a table holds (its buffers' current lengths) */
export function slotTableBytes(i: SlotTableInit): number {
  let n = i.ctrl.byteLength + i.value.byteLength + i.present.byteLength + i.words.byteLength;
  for (const b of i.bufs) n += b.delta.byteLength + b.abs.byteLength + b.flag.byteLength + b.list.byteLength;
  return n;
}

/**
 * Typed views over a table's buffers (each side builds its own). Views have a fixed length and are
 * rebuilt after growth: in Node 20, length-tracking views of a growable buffer run ~30x slower.
 */
export class SlotViews {
  readonly ctrl: Int32Array;
  /** the packet side's view of the word keys (empty until useWords) */
  words: Int32Array = new Int32Array(0);
  value!: Float64Array;
  present!: Uint8Array;
  delta!: [Float64Array, Float64Array];
  abs!: [Float64Array, Float64Array];
  flag!: [Uint8Array, Uint8Array];
  list!: [Int32Array, Int32Array];
  constructor(readonly init: SlotTableInit) {
    this.ctrl = new Int32Array(init.ctrl);
    this.refresh();
  }

  /**
   * (re)build fixed-length views over the published capacity. Not over each buffer's byteLength:
   * the state thread may look while the packet thread is half-way through growing the buffers, and
   * a view left short reads `undefined` for the slots past its end (their changes were lost).
   */
  refresh(): void {
    const i = this.init;
    const n = Atomics.load(this.ctrl, C_CAP);
    const f64 = (b: SharedArrayBuffer) => new Float64Array(b, 0, n);
    const u8 = (b: SharedArrayBuffer) => new Uint8Array(b, 0, n);
    const i32 = (b: SharedArrayBuffer) => new Int32Array(b, 0, n);
    this.value = f64(i.value);
    this.present = u8(i.present);
    const none = new Float64Array(0);
    this.delta = addsDeltas(i.type) ? [f64(i.bufs[0].delta), f64(i.bufs[1].delta)] : [none, none];
    this.abs = [f64(i.bufs[0].abs), f64(i.bufs[1].abs)];
    this.flag = [u8(i.bufs[0].flag), u8(i.bufs[1].flag)];
    this.list = [i32(i.bufs[0].list), i32(i.bufs[1].list)];
    // (the state thread may look half-way through a growth: never past what the buffer holds yet)
    if (i.words.byteLength > 0) this.words = new Int32Array(i.words, 0, Math.min(4 * n, i.words.byteLength >>> 2));
  }

  /** packet side, at the first word key: the words buffer takes the table's capacity (and grows with it from then on) */
  useWords(): Int32Array {
    if (this.init.words.byteLength === 0) {
      (this.init.words as GrowableSab).grow(16 * this.capacity);
      this.words = new Int32Array(this.init.words, 0, 4 * this.capacity);
    }
    return this.words;
  }

  /** capacity in slots */
  get capacity(): number {
    return this.present.length;
  }

  /** grow every buffer to hold at least `slots` (packet side, on a new key only), then rebuild views */
  grow(slots: number): boolean {
    const max = (this.init.present as GrowableSab).maxByteLength;
    if (slots > max) return false;
    const n = Math.min(max, Math.max(slots, Math.ceil(this.capacity * GROWTH)));
    const i = this.init;
    const all: [SharedArrayBuffer, number][] = [[i.value, 8], [i.present, 1]];
    if (i.words.byteLength > 0) all.push([i.words, 16]);
    const d = addsDeltas(i.type) ? 8 : 0;
    for (const b of i.bufs) all.push([b.delta, d], [b.abs, 8], [b.flag, 1], [b.list, 4]);
    for (const [s, w] of all) (s as GrowableSab).grow(n * w);
    Atomics.store(this.ctrl, C_CAP, n);
    this.refresh();
    return true;
  }
}
