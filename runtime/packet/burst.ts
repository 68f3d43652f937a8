// The burst: up to 32 packets in shared memory that a port fills, an NF rewrites in place and a port sends.

/** Packets per burst, as DPDK's default. */
export const BURST_SIZE = 32;
/**
 * Frames start 2 bytes past a 4-byte boundary (Linux's NET_IP_ALIGN) so that the IPv4 header,
 * addresses and L4 ports of untagged frames are 32-bit aligned for the word views below.
 */
export const IP_ALIGN = 2;

/**
 * One burst. Frame i is `u8[off[i] .. off[i] + len[i])`, i < count. The views u16/u32 cover the
 * same memory in the machine's (little-endian) order (i32 too): an NF may compare or copy words through
 * them, and may compute Internet checksums over byte-swapped 16-bit words (RFC 1071 is
 * byte-order independent). An NF drops packet i by setting `len[i] = 0`.
 */
export interface Burst {
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  /**
   * 32-bit words as signed ints: what hot loops should read (they stay small integers in V8, never
   * boxed). Optional for ports that predate it; `int32Words(b)` in nfs/packet.ts derives it.
   */
  readonly i32?: Int32Array;
  /** byte offset of each frame; always `% 4 === IP_ALIGN` */
  readonly off: Int32Array;
  /** frame lengths (0 = dropped by the NF) */
  readonly len: Int32Array;
  /** slots in this burst */
  readonly capacity: number;
  /** bytes available to each frame */
  readonly slotBytes: number;
  /** packets received into this burst */
  count: number;
}

/** Rounds a frame size up to a slot stride that keeps every slot 64-byte aligned. */
export function slotStride(maxFrame: number): number {
  return Math.ceil((maxFrame + IP_ALIGN) / 64) * 64;
}

/**
 * A burst whose slots live at `base + i * stride` of `buffer` (shared, so that other threads
 * (an offered-load generator, an interface poller) can write packets straight into it).
 */
export function burstOver(buffer: SharedArrayBuffer | ArrayBuffer, base: number, stride: number, capacity = BURST_SIZE): Burst {
  if (base % 4 !== 0 || stride % 4 !== 0) throw new Error(`burst base ${base} and stride ${stride} must be multiples of 4`);
  if (base + capacity * stride > buffer.byteLength) throw new Error('burst does not fit its buffer');
  const off = new Int32Array(capacity);
  for (let i = 0; i < capacity; i++) off[i] = base + i * stride + IP_ALIGN;
  return {
    u8: new Uint8Array(buffer),
    u16: new Uint16Array(buffer, 0, buffer.byteLength >> 1),
    u32: new Uint32Array(buffer, 0, buffer.byteLength >> 2),
    i32: new Int32Array(buffer, 0, buffer.byteLength >> 2),
    off,
    len: new Int32Array(capacity),
    capacity,
    slotBytes: stride - IP_ALIGN,
    count: 0,
  };
}

/** A burst with its own shared memory. */
export function createBurst(maxFrame = 1514, capacity = BURST_SIZE): Burst {
  const stride = slotStride(maxFrame);
  return burstOver(new SharedArrayBuffer(stride * capacity), 0, stride, capacity);
}
