// testpmd's macswap forwarding: swap source and destination MAC, no state: the baseline NF.
import type { Burst, NetworkFunction, NfModule } from './types.js';

/** Swaps the two MACs of every packet of the burst through 16-bit words (frames are 2-byte aligned). */
export function swapMacs(b: Burst): void {
  const u16 = b.u16;
  const off = b.off;
  for (let i = 0, n = b.count; i < n; i++) {
    const o = off[i];
    if ((o & 1) !== 0) throw new Error(`frame ${i} of the burst starts at odd byte ${o}: the burst contract wants off % 4 === 2`);
    const w = o >> 1;
    const a0 = u16[w], a1 = u16[w + 1], a2 = u16[w + 2];
    u16[w] = u16[w + 3];
    u16[w + 1] = u16[w + 4];
    u16[w + 2] = u16[w + 5];
    u16[w + 3] = a0;
    u16[w + 4] = a1;
    u16[w + 5] = a2;
  }
}

class MacSwap implements NetworkFunction {
  process(b: Burst): number {
    swapMacs(b);
    return b.count;
  }
}

export const nf: NfModule = {
  async createNf() {
    return new MacSwap();
  },
};
