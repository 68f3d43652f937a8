// Loads the native addon (runtime/native, built by runtime/native/build.sh) and types its calls.
// The addon only opens, maps, binds and kicks; every packet is handled in TypeScript.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FlexbenchError, EXIT } from '../../../common/errors.js';

/** One AF_XDP ring: byte offsets into `buffer` (the kernel's mapping of the ring). */
export interface XskRing {
  buffer: ArrayBuffer;
  producer: number;
  consumer: number;
  flags: number;
  desc: number;
  size: number;
}
export interface XskSocket {
  handle: unknown;
  fd: number;
  queue: number;
  /** where the page-aligned UMEM starts inside the view passed to xskOpen */
  umemOffset: number;
  frameSize: number;
  frameCount: number;
  copyMode: 'zerocopy' | 'copy';
  xdpMode: 'native' | 'generic';
  /** why the faster attempts failed ('' when the first one worked) */
  fallbacks: string;
  fill: XskRing;
  comp: XskRing;
  rx: XskRing;
  tx: XskRing;
}
export interface XskOptions {
  frameSize?: number;
  frameCount?: number;
  ringSize?: number;
  headroom?: number;
  zeroCopy?: 'auto' | 'zerocopy' | 'copy';
  xdpMode?: 'auto' | 'native' | 'generic';
}
export interface XskStats {
  rxDropped: number;
  rxInvalidDescs: number;
  txInvalidDescs: number;
  rxRingFull: number;
  rxFillRingEmpty: number;
  txRingEmpty: number;
}
export interface PacketSocket {
  handle: unknown;
  fd: number;
  /** RX blocks then TX frames, one mapping */
  buffer: ArrayBuffer;
  blockSize: number;
  blockCount: number;
  txOffset: number;
  txBlockSize: number;
  txFrameSize: number;
  txFramesPerBlock: number;
  txFrameCount: number;
  txDataOffset: number;
}
export interface PacketOptions {
  blockSize?: number;
  blockCount?: number;
  retireMs?: number;
  txFrameSize?: number;
  txFrameCount?: number;
  fanoutGroup?: number;
  fanout?: 'hash' | 'cpu' | 'lb' | 'qm';
  qdiscBypass?: number;
}
export interface NativeAddon {
  xskOpen(ifname: string, queue: number, umem: Uint8Array, opts: XskOptions): XskSocket;
  xskKick(h: unknown): number;
  xskWakeupRx(h: unknown): number;
  xskPoll(h: unknown, timeoutMs: number): number;
  xskStats(h: unknown): XskStats;
  xskClose(h: unknown): void;
  packetOpen(ifname: string, opts: PacketOptions): PacketSocket;
  packetKick(h: unknown): number;
  packetPoll(h: unknown, timeoutMs: number): number;
  /** counters since the previous call (the kernel resets them on read) */
  packetStats(h: unknown): { packets: number; drops: number; freezeQueue: number };
  packetClose(h: unknown): void;
  raiseMemlock(): { cur: number; max: number };
}

const ADDON_PATH =
  process.env.FLEXBENCH_NATIVE_ADDON ?? fileURLToPath(new URL('../../../../runtime/native/build/Release/flexbench_iface.node', import.meta.url));
const BUILD_HINT = 'build it with `sh runtime/native/build.sh` (needs gcc, make, python3, libxdp-dev, libbpf-dev)';

let cached: NativeAddon | null = null;
let failure: string | null = null;

/** Why the addon cannot be used, or null when it loads. */
export function nativeUnavailable(): string | null {
  if (cached) return null;
  if (failure) return failure;
  if (!existsSync(ADDON_PATH)) {
    failure = `the native addon is not built (${ADDON_PATH} missing); ${BUILD_HINT}`;
    return failure;
  }
  try {
    cached = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
    return null;
  } catch (err) {
    failure = `the native addon ${ADDON_PATH} does not load: ${(err as Error).message}; rebuild it with \`sh runtime/native/build.sh\` (apt-get install libxdp1 libbpf1 if a shared library is missing)`;
    return failure;
  }
}

/** The addon, or a FlexbenchError (exit code "environment") saying why the interface port is unavailable. */
export function loadNative(): NativeAddon {
  const why = nativeUnavailable();
  if (why) throw new FlexbenchError(`interface port unavailable: ${why}`, EXIT.environment);
  return cached!;
}
