// What an NF is and needs, in one place: its name, what it does, whether it keeps state through
// FlexState (and so opens a store), the state mode it fixes, and how its module is loaded (on demand,
// in each core's worker). `nf run --nf`, the spec schema's list of NFs and the plan's traits all derive
// from this table; the NF modules themselves only build the per-core NF.
import type { NfModule } from './types.js';
import type { StateMode } from '../runtime/state/api.js';

export interface NfEntry {
  /** one line for --help and the docs */
  readonly summary: string;
  /** keeps state through FlexState: opens a store, runs once per store and location in a plan */
  readonly stateful: boolean;
  /** the state mode is part of the NF (the paper's Sync/Async Counter); null: any mode, the modes axis applies */
  readonly fixedMode: StateMode | null;
  /** the modes it runs in when none is fixed (default FlexState's sync and async) */
  readonly modes?: readonly StateMode[];
  /** runs without a store too (`nf run --store none`: StatelessNF's Native), its state kept only in its own tables */
  readonly native?: boolean;
  /** the FlexState counter in which the NF counts every packet it handles (its merged total is checked against the packets forwarded) */
  readonly packetCounter?: string;
  load(): Promise<NfModule>;
}

export const NF_REGISTRY = {
  macswap: {
    summary: 'swap source and destination MAC: the packet path alone, no state',
    stateful: false,
    fixedMode: null,
    load: async () => (await import('./macswap.js')).nf,
  },
  nat: {
    summary: 'NAT (NAPT) both ways: inside flows get a pool (address, port), replies go back; mappings kept in FlexState, expire when idle',
    stateful: true,
    fixedMode: null,
    modes: ['sync', 'async', 'cache', 'stateless-async'],
    native: true,
    load: async () => (await import('./nat.js')).nf,
  },
  lb: {
    summary: 'load balancer: flows pinned to backends, per-backend counts in FlexState',
    stateful: true,
    fixedMode: null,
    load: async () => (await import('./lb.js')).nf,
  },
  'counter-sync': {
    summary: "the paper's Sync Counter: one store round trip per packet",
    stateful: true,
    fixedMode: 'sync',
    packetCounter: 'pktCounter', // nfs/counter.ts COUNTER_ID
    load: async () => (await import('./counter.js')).counterSync,
  },
  'counter-async': {
    summary: "the paper's Async Counter: counts in the local cache, flushed in batches",
    stateful: true,
    fixedMode: 'async',
    packetCounter: 'pktCounter', // nfs/counter.ts COUNTER_ID
    load: async () => (await import('./counter.js')).counterAsync,
  },
  wire: {
    summary: 'test NF: a wire, packets leave as they came (the latency calibration)',
    stateful: false,
    fixedMode: null,
    load: async () => (await import('./wire.js')).nf,
  },
  ratelimit: {
    summary: 'test NF: forwards at most --limit-pps packets/s, the excess is missed in its queue (a known capacity for the NDR search)',
    stateful: false,
    fixedMode: null,
    load: async () => (await import('./ratelimit.js')).nf,
  },
} as const satisfies Record<string, NfEntry>;

export type NfName = keyof typeof NF_REGISTRY;
export const NF_NAMES = Object.keys(NF_REGISTRY) as [NfName, ...NfName[]];

/** The state modes an NF may run in ([] for an NF without state). */
export function allowedModes(e: NfEntry): StateMode[] {
  if (!e.stateful) return [];
  return e.fixedMode ? [e.fixedMode] : [...(e.modes ?? ['sync', 'async'])];
}
