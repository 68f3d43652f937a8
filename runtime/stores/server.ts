// Lifecycle of a local store *server* (a real redis-server, a real Cassandra), used by
// `flexbench store start|stop`, by tests and by the harness.
import { FlexbenchError, EXIT } from '../../common/errors.js';

export interface StartOptions {
  /** TCP port on 127.0.0.1; omitted = a free ephemeral port */
  port?: number;
  /** where the server keeps its files; omitted = a fresh temp dir removed on stop */
  dataDir?: string;
  /** keep the server running after this process exits (own process group, not killed on exit) */
  detached?: boolean;
  /** server-specific extras (e.g. redis `persist: true` = appendonly + fsync always) */
  extra?: Record<string, unknown>;
}

export interface RunningStore {
  /** store URL for the FlexState config, e.g. redis://127.0.0.1:40123 */
  url: string;
  pid: number;
  port: number;
  dataDir: string;
  /** the version the running server reports (Cassandra's release_version), when known */
  readonly version?: string;
  /** stop it (kills its process group, removes its temp dir unless dataDir was given) */
  stop(): Promise<void>;
}

/**
 * A store made of nodes (redis-cluster, cassandra-cluster): a node a spec names is killed mid-trial
 * (harness/testbeds/elastic.ts) and started again before the next trial (heal).
 */
export interface ClusteredStore extends RunningStore {
  /** its processes now (a healed node is a new process) */
  readonly nodes: readonly { readonly pid: number }[];
  /**
   * a node by the spec's name (masterK, replicaK, master-of-INSTANCE of NF `nf`; a ring's nodeK), with the
   * slot whose master it is (a replica: its master's; a ring's node, role `node`, takes over nothing: slot 0)
   */
  resolve(name: string, nf?: string): Promise<{ host?: string; port: number; role: 'master' | 'replica' | 'node'; slot: number }>;
  /** SIGKILL the node at `port` (`host`: where nodes share a port, a ring's); epoch ms of the signal */
  kill(port: number, host?: string): Promise<{ pid: number; at: number }>;
  /**
   * a store whose replicas take over a dead master (redis-cluster): a live node other than `deadPort` seen
   * serving `slot` as a master (epoch ms), or null after the store's own bound; a ring promotes nothing
   */
  waitPromoted?(slot: number, deadPort: number): Promise<{ at: number; port: number } | null>;
  /** start killed nodes again and wait until the store is whole */
  heal(timeoutMs?: number): Promise<void>;
}

/** Whether a started store is made of nodes a spec's store node kill acts on. */
export function isClustered(s: RunningStore): s is ClusteredStore {
  return typeof (s as Partial<ClusteredStore>).heal === 'function';
}

export interface StoreServer {
  readonly label: string;
  start(opts?: StartOptions): Promise<RunningStore>;
  /** empty the store at `url` between trials */
  /** `options`: driver options a locked server needs (credentials) */
  reset(url: string, options?: Record<string, unknown>): Promise<void>;
  /**
   * optional: stop a server that `start({detached: true})` left running, from another process
   * (`flexbench store stop`); without it the CLI kills the recorded pid's process group.
   */
  stopDetached?(rec: { url: string; pid: number; port: number; dataDir: string }): Promise<void>;
  /** optional: stop servers of this label recorded by the server module itself (not by the CLI) */
  stopRecorded?(): Promise<string[]>;
  /** stop servers a dead flexbench started without `detached` (the start-up check); what was stopped */
  stopOrphans?(): Promise<string[]>;
}

/** Stores without a server: `none` keeps no state, `hashmap` lives inside the NF process. */
const IN_PROCESS_STORES = ['none', 'hashmap'] as const;

/** The one test of whether a store runs as a server (started, reset, stopped, placed local or remote). */
export function needsServer(store: string): boolean {
  return !(IN_PROCESS_STORES as readonly string[]).includes(store);
}

/** Store servers with a module here (runtime/stores/<label>.ts). */
const STORE_SERVERS = ['redis', 'cassandra', 'cassandra-cluster'] as const;

/**
 * The start-up check: end the store servers an earlier flexbench left running when it died without
 * its teardown (kill -9, a forced Ctrl-C, a crash). Returns one line per server it stopped.
 */
export async function stopOrphanServers(): Promise<string[]> {
  const out: string[] = [];
  for (const label of STORE_SERVERS) {
    const s = await resolveStoreServer(label);
    if (s.stopOrphans) out.push(...(await s.stopOrphans()));
  }
  return out;
}

/** Resolve a store server by label via dynamic import of ./<label>.js exporting `server`. */
export async function resolveStoreServer(label: string): Promise<StoreServer> {
  if (!/^[a-z][a-z0-9-]*$/.test(label)) throw new FlexbenchError(`store "${label}": not a store label`, EXIT.usage);
  let mod: { server?: StoreServer };
  try {
    mod = (await import(`./${label}.js`)) as typeof mod;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(`/${label}.js`)) {
      throw new FlexbenchError(`store "${label}": unknown store server (no runtime/stores/${label}.ts)`, EXIT.usage);
    }
    throw err;
  }
  if (!mod.server) throw new FlexbenchError(`store "${label}": runtime/stores/${label}.js exports no \`server\``, EXIT.usage);
  return mod.server;
}
