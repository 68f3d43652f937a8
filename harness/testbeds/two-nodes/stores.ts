// Store servers of a two-node run: Redis started on node2's loopback (local) or on node1's store address
// (remote) through runtime/stores/redis.ts over the node's Host, or a server the inventory names as
// already running. The harness never speaks a store's protocol itself.
import { FlexbenchError, EXIT } from '../../exit-codes.js';
import type { Host } from '../../hosts/host.js';
import type { Inventory } from '../../inventory/schema.js';
import { startRedisOnHost, resetRedisOn } from '../../../runtime/stores/redis.js';
import { resolveStoreServer } from '../../../runtime/stores/server.js';
import type { StoreHandle } from '../testbed.js';
import type { NodeName } from './argv.js';
import { needsServer } from '../../../runtime/stores/server.js';

const STORE_PORT_BASE = 16390;

export class TwoNodeStores {
  private readonly live: StoreHandle[] = [];
  private seq = 0;

  constructor(
    private readonly inv: () => Inventory,
    private readonly host: (n: NodeName) => Host,
    private readonly remoteDir: string,
  ) {}

  async start(store: string, location: string, signal: AbortSignal): Promise<StoreHandle | null> {
    if (!needsServer(store)) return null;
    const inv = this.inv();
    const loc = location as 'local' | 'remote';
    const node: NodeName = loc === 'local' ? 'node2' : 'node1';
    const h = this.host(node);
    const pre = inv.stores[store]?.[loc];
    if (pre) {
      return {
        store,
        location,
        url: pre.url,
        reset: async () => {
          if (store === 'redis') {
            // reached from the node that hosts it, as the NF would
            const u = new URL(pre.url);
            await resetRedisOn(h, u.hostname, Number(u.port || 6379));
          } else await (await resolveStoreServer(store)).reset(pre.url);
        },
        stop: async () => undefined, // not ours to stop
      };
    }
    if (store !== 'redis') throw new FlexbenchError(`store ${store}: no running server in the inventory (stores.${store}.${loc}.url)`, EXIT.environment);
    // local: node2's loopback; remote: node1's store port, where node2 connects over the second link
    const bind = loc === 'local' ? '127.0.0.1' : inv.nodes.node1.store_port?.address;
    if (!bind) throw new FlexbenchError('a remote store needs node1.store_port.address in the inventory', EXIT.usage);
    const port = STORE_PORT_BASE + this.seq++;
    const server = await startRedisOnHost(h, { binary: inv.nodes[node].tools.redis_server, bind, port, dir: `${this.remoteDir}/redis-${loc}-${port}`, signal });
    let stopped = false;
    const handle: StoreHandle = {
      store,
      location,
      url: server.url,
      reset: () => server.reset(),
      stop: async () => {
        if (stopped) return;
        stopped = true;
        const i = this.live.indexOf(handle);
        if (i >= 0) this.live.splice(i, 1);
        await server.stop();
      },
    };
    this.live.push(handle);
    return handle;
  }

  /** Stop every server started here, newest first; never throws. */
  async stopAll(): Promise<void> {
    for (const s of [...this.live].reverse()) await s.stop().catch(() => undefined);
  }
}
