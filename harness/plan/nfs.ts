// What each NF needs from the plan: whether it keeps FlexState (needs a store) and whether its update
// mode is fixed. flexbench's NFs say it in nfs/registry.ts; testpmd is DPDK's and keeps no state.
import type { NfName } from '../spec/schema.js';
import { NF_NAMES, NF_REGISTRY } from '../../nfs/registry.js';

interface NfTraits {
  /** keeps state through FlexState, so it runs once per store and location */
  stateful: boolean;
  /** the update mode is part of the NF (the paper's Sync/Async Counter); null = the modes axis applies */
  fixedMode: 'sync' | 'async' | 'none' | null;
}

const NF_TRAITS: Record<NfName, NfTraits> = {
  testpmd: { stateful: false, fixedMode: 'none' },
  ...(Object.fromEntries(
    NF_NAMES.map((n) => {
      const e = NF_REGISTRY[n];
      return [n, { stateful: e.stateful, fixedMode: e.stateful ? e.fixedMode : 'none' }];
    }),
  ) as Record<(typeof NF_NAMES)[number], NfTraits>),
};

export function traitsOf(nf: string): NfTraits {
  return NF_TRAITS[nf as NfName] ?? { stateful: true, fixedMode: null };
}
