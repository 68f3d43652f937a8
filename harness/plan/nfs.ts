// What each NF needs from the plan: whether it keeps FlexState (needs a store) and whether its update mode is fixed.
import type { NfName } from '../spec/schema.js';

export interface NfTraits {
  /** keeps state through FlexState, so it runs once per store and location */
  stateful: boolean;
  /** the update mode is part of the NF (the paper's Sync/Async Counter); null = the modes axis applies */
  fixedMode: 'sync' | 'async' | 'none' | null;
}

export const NF_TRAITS: Record<NfName, NfTraits> = {
  testpmd: { stateful: false, fixedMode: 'none' },
  macswap: { stateful: false, fixedMode: 'none' },
  nat: { stateful: true, fixedMode: null },
  lb: { stateful: true, fixedMode: null },
  'counter-sync': { stateful: true, fixedMode: 'sync' },
  'counter-async': { stateful: true, fixedMode: 'async' },
};

export function traitsOf(nf: string): NfTraits {
  return NF_TRAITS[nf as NfName] ?? { stateful: true, fixedMode: null };
}
