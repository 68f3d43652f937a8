// The port: where a core's packets come from and go to (one queue per core, like a NIC queue pair).
//
// A port lives in the core's worker thread and owns the burst it fills. The worker loop is:
//   n = port.rx(max)         receive up to max packets into port.burst (0 = none right now)
//   nf.process(port.burst)   rewrite in place; len[i] = 0 drops packet i
//   port.tx()                send every packet i < burst.count whose len[i] > 0
// Implementations: the pcap replay port and the offered-load port (replay-port.ts), and the
// interface port (AF_XDP/AF_PACKET) in runtime/packet/iface/ (module contract below).
import type { Burst } from './burst.js';

export interface Port {
  /** what the JSON result calls this port (`replay`, `offered`, an interface name) */
  readonly kind: string;
  /** the burst rx() fills and tx() sends; the same object for the port's whole life */
  readonly burst: Burst;
  /** Receives up to `max` (<= burst.capacity) packets; returns how many (0 = none now; -1 = input ended for good). */
  rx(max: number): number;
  /** Sends the packets of the current burst whose len > 0; returns how many were sent. */
  tx(): number;
  /** Packets that reached this queue but found no room (a NIC's imissed), cumulative. */
  missed(): number;
  /** Of missed(), the packets still waiting in the receive ring (received later if the run goes on). */
  pending?(): number;
  /** Packets tx() could not send (a full TX ring), cumulative; ports that never refuse have none. */
  txDropped?(): number;
  close(): Promise<void> | void;
}

/** Options a worker passes when it opens its core's port. */
export interface PortOpenOptions {
  /** queue index == core index (0-based) */
  queue: number;
  /** number of queues (cores) in this run */
  queues: number;
  /** burst capacity (32 by default) */
  burstSize: number;
}

/**
 * Contract of `runtime/packet/iface/index.js`, loaded on `flexbench nf run --port IFACE`:
 * - `prepareIface(opts: { iface: string; queues: number }): Promise<IfacePrepared>` runs once on
 *   the main thread (set up sockets/XDP program, RSS queues); its `shared` value must be
 *   structured-cloneable (SharedArrayBuffers welcome) and reaches every worker.
 * - `openIfacePort(opts: PortOpenOptions & { iface: string; shared: unknown }): Promise<Port>`
 *   runs in each core's worker thread and returns that queue's port.
 */
export interface IfacePrepared {
  shared?: unknown;
  /** undo what prepareIface did (main thread, after all workers ended) */
  cleanup?(): Promise<void>;
}
export interface IfaceModule {
  prepareIface?(opts: { iface: string; queues: number }): Promise<IfacePrepared>;
  openIfacePort(opts: PortOpenOptions & { iface: string; shared: unknown }): Promise<Port>;
}

/**
 * A port a generator can send from without receiving first (runtime/packet/roundtrip.ts): both interface
 * ports implement it. txReserve() returns the offset in `burst.u8` where the next frame is written (room
 * for `burst.slotBytes`), or -1 when the TX ring is full; txCommit(len) queues it; txFlush() sends.
 */
export interface SenderPort extends Port {
  txReserve(): number;
  txCommit(len: number): void;
  txFlush(): void;
  /** false: rx() busy-polls, never sleeping in poll(2) (packets are timed as they arrive) */
  idleSleep: boolean;
}
