// The NFs `flexbench nf run --nf NAME` knows, loaded on demand in each core's worker.
import type { NfModule } from './types.js';

export const NF_NAMES = ['macswap', 'counter-sync', 'counter-async', 'nat', 'lb'] as const;
export type NfName = (typeof NF_NAMES)[number];

export async function loadNf(name: NfName): Promise<NfModule> {
  switch (name) {
    case 'macswap':
      return (await import('./macswap.js')).nf;
    case 'counter-sync':
      return (await import('./counter.js')).counterSync;
    case 'counter-async':
      return (await import('./counter.js')).counterAsync;
    case 'nat':
      return (await import('./nat.js')).nf;
    case 'lb':
      return (await import('./lb.js')).nf;
  }
}
