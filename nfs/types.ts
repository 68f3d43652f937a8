// What an NF is to the packet path: an object that rewrites bursts in place, built on one core's state context.
import type { Burst } from '../runtime/packet/burst.js';
import type { StateContext } from '../runtime/state/api.js';

export type { Burst };

/** Per-core NF. `process` handles one burst and returns how many packets remain to send. */
export interface NetworkFunction {
  process(b: Burst): number;
  /** NFs that must await the store per packet (counter-sync) implement this instead of relying on process. */
  processAsync?(b: Burst): Promise<number>;
  /** figures for the JSON result (e.g. flows seen, pool left) */
  stats?(): Record<string, number>;
  /** sentences for the result's `warnings` (e.g. a NAT pool exhausted): what the figures alone do not say */
  messages?(): string[];
  /**
   * Scale-out/in: take over the flows another instance kept (`from`: that instance's partition of
   * this core, read-only). Returns how many entries were taken; NFs without per-flow state omit it.
   */
  adopt?(from: StateContext): Promise<number>;
  /** called once after the last burst, before the state is flushed and closed */
  close?(): Promise<void> | void;
}

/** Options every NF gets; NF-specific ones come from `nf run` flags. */
export interface NfOptions {
  core: number;
  cores: number;
  /** NAT pool: first address, count of addresses, port range */
  natIps: { first: number; count: number };
  natPorts: { lo: number; hi: number };
  /** several NAT instances over one pool: this instance takes share `index` (0-based) of `of` */
  natShare?: { index: number; of: number };
  /** NAT pool rebalancing: pairs per block the cores lend each other (default 256; 0 = none, each core keeps its chunk) */
  natBlock?: number;
  /** what the cores of this process share, zeroed, sized by the module's `sharedBytes` (the NAT's block table) */
  shared?: SharedArrayBuffer;
  /**
   * NAT direction and rules (nfs/nat.ts): `natInside` = the inside prefix (null: every packet not sent
   * to the pool is inside -> outside); idle timeout of a mapping in seconds; what becomes of packets
   * that are neither (non-IPv4, not TCP/UDP, fragments, outside -> outside); the next-hop MACs each
   * direction is sent to (6 bytes; null: source and destination MAC swapped, back where it came from)
   */
  natInside?: { first: number; count: number } | null;
  natTimeoutS?: number;
  natOther?: 'pass' | 'drop';
  natInsideMac?: number[] | null;
  natOutsideMac?: number[] | null;
  /** LB backends as IPv4 numbers */
  lbBackends: number[];
  /** ratelimit (a test NF): packets/s forwarded at most over all cores, the refill noise (0..1) and its seed */
  limitPps?: number;
  limitNoise?: number;
  seed?: number;
}

/** An NF's module: builds the per-core NF (what it needs is said once, in nfs/registry.ts). */
export interface NfModule {
  createNf(ctx: StateContext | null, opts: NfOptions): Promise<NetworkFunction>;
  /** bytes of memory the cores share (0 or absent: none); made once per process, handed to every core as `opts.shared` */
  sharedBytes?(opts: Omit<NfOptions, 'core'>): number;
}
