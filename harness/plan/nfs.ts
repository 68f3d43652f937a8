// What each NF needs from the plan: whether it keeps FlexState (needs a store) and whether its update
// mode is fixed. flexbench's NFs say it in nfs/registry.ts; testpmd is DPDK's and keeps no state.
import type { NfName, MODES } from '../spec/schema.js';

type Mode = (typeof MODES)[number];
import { NF_NAMES, NF_REGISTRY, allowedModes } from '../../nfs/registry.js';

interface NfTraits {
  /** keeps state through FlexState, so it runs once per store and location */
  stateful: boolean;
  /** the update mode is part of the NF (the paper's Sync/Async Counter); null = the modes axis applies */
  fixedMode: Mode | 'none' | null;
  /** the modes it runs in (nfs/registry.ts allowedModes); the plan skips the others of the modes axis */
  modes: readonly string[];
  /** runs with store none too, its state only in its own tables (StatelessNF's Native): one store-less cell */
  native: boolean;
}

const NF_TRAITS: Record<NfName, NfTraits> = {
  testpmd: { stateful: false, fixedMode: 'none', modes: [], native: false },
  ...(Object.fromEntries(
    NF_NAMES.map((n) => {
      const e = NF_REGISTRY[n];
      const t: NfTraits = { stateful: e.stateful, fixedMode: e.stateful ? e.fixedMode : 'none', modes: allowedModes(e), native: e.stateful && 'native' in e && e.native === true };
      return [n, t];
    }),
  ) as Record<(typeof NF_NAMES)[number], NfTraits>),
};

export function traitsOf(nf: string): NfTraits {
  return NF_TRAITS[nf as NfName] ?? { stateful: true, fixedMode: null, modes: ['sync', 'async'], native: false };
}
