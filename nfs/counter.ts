// The paper's counter NFs: count every packet in counter `pktCounter`, then send it back (MAC swap).
// counter-sync awaits the store on every packet; counter-async adds to the local cache (addNoWait)
// and the state thread flushes every T ms.
import type { CounterHandle } from '../runtime/state/api.js';
import type { Burst, NetworkFunction, NfModule } from './types.js';
import { swapMacs } from './macswap.js';

const COUNTER_ID = 'pktCounter';

class CounterAsync implements NetworkFunction {
  constructor(private readonly c: CounterHandle) {}

  process(b: Burst): number {
    const c = this.c;
    for (let i = 0, n = b.count; i < n; i++) c.addNoWait(1);
    swapMacs(b);
    return b.count;
  }
}

class CounterSync implements NetworkFunction {
  constructor(private readonly c: CounterHandle) {}

  process(): number {
    throw new Error('counter-sync processes asynchronously');
  }

  async processAsync(b: Burst): Promise<number> {
    const c = this.c;
    for (let i = 0, n = b.count; i < n; i++) await c.add(1); // the paper's slow baseline: one store round trip per packet
    swapMacs(b);
    return b.count;
  }
}

function need<T>(ctx: T | null): T {
  if (ctx === null) throw new Error('counter NFs need a state context');
  return ctx;
}

export const counterAsync: NfModule = {
  async createNf(ctx) {
    return new CounterAsync(need(ctx).counter(COUNTER_ID));
  },
};

export const counterSync: NfModule = {
  async createNf(ctx) {
    return new CounterSync(need(ctx).counter(COUNTER_ID));
  },
};
