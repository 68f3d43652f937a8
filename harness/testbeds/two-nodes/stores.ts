// Store servers of a two-node run: Redis started on node2's loopback (local) or on node1's store address
// (remote) through runtime/stores/redis.ts over the node's Host, or a server the inventory names as
// already running. The harness never speaks a store's protocol itself.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';
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
  /** the run directory (set at prepare): a generated password is kept in its secrets/ */
  runDir: string | null = null;
  private generated: string | null = null;

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
    const cfg = inv.stores[store];
    const pre = cfg?.[loc];
    if (pre) {
      const password = cfg?.password_file ? this.readSecret(cfg.password_file, store) : undefined;
      const driverOptions = password ? { password, ...(cfg?.username ? { username: cfg.username } : {}) } : undefined;
      return {
        store,
        location,
        url: pre.url,
        driverOptions,
        reset: async () => {
          if (store === 'redis') {
            // reached from the node that hosts it, as the NF would
            const u = new URL(pre.url);
            await resetRedisOn(h, u.hostname, Number(u.port || 6379), password);
          } else await (await resolveStoreServer(store)).reset(pre.url, driverOptions);
        },
        stop: async () => undefined, // not ours to stop
      };
    }
    if (store !== 'redis') throw new FlexbenchError(`store ${store}: no running server in the inventory (stores.${store}.${loc}.url)`, EXIT.environment);
    // local: node2's loopback; remote: node1's store port, where node2 connects over the second link
    const bind = loc === 'local' ? '127.0.0.1' : inv.nodes.node1.store_port?.address;
    if (!bind) throw new FlexbenchError('a remote store needs node1.store_port.address in the inventory', EXIT.usage);
    const port = STORE_PORT_BASE + this.seq++;
    // locked by default: a password (the inventory's, or one generated for the run) and protected mode
    const password = cfg?.password_file ? this.readSecret(cfg.password_file, store) : this.generatedPassword();
    const server = await startRedisOnHost(h, { binary: inv.nodes[node].tools.redis_server, bind, port, dir: `${this.remoteDir}/redis-${loc}-${port}`, password, signal });
    let stopped = false;
    const handle: StoreHandle = {
      store,
      location,
      url: server.url,
      driverOptions: { password },
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

  private readSecret(file: string, store: string): string {
    const path = file === '~' || file.startsWith('~/') ? join(homedir(), file.slice(1)) : resolve(file);
    if (!existsSync(path)) throw new FlexbenchError(`inventory stores.${store}.password_file: ${path} does not exist`, EXIT.usage);
    const s = readFileSync(path, 'utf8').trim();
    if (!s) throw new FlexbenchError(`inventory stores.${store}.password_file: ${path} is empty`, EXIT.usage);
    return s;
  }

  /** One password for the run's Redis servers, kept on this host in <run>/secrets/redis.password (0600), never printed. */
  private generatedPassword(): string {
    if (this.generated) return this.generated;
    this.generated = randomBytes(24).toString('base64url');
    if (this.runDir) {
      const dir = join(this.runDir, 'secrets');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(join(dir, 'redis.password'), `${this.generated}\n`, { mode: 0o600 });
    }
    return this.generated;
  }

  /** Stop every server started here, newest first; never throws. */
  async stopAll(): Promise<void> {
    for (const s of [...this.live].reverse()) await s.stop().catch(() => undefined);
  }
}
