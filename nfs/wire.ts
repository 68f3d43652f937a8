// A wire: every packet leaves as it came (no rewrite, no state). Latency through it is the method's own
// bias (generator -> queue -> core -> port), measured beside every latency result as its calibration.
import type { Burst, NetworkFunction, NfModule } from './types.js';

class Wire implements NetworkFunction {
  process(b: Burst): number {
    return b.count;
  }
}

export const nf: NfModule = {
  async createNf() {
    return new Wire();
  },
};
