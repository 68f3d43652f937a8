// The store address of a Cassandra cluster: cassandra://host[:port][,host[:port]…][/][?option=value&…]
import { FlexbenchError, EXIT } from '../../../common/errors.js';

export const CONSISTENCY_LEVELS = ['ANY', 'ONE', 'TWO', 'THREE', 'QUORUM', 'ALL', 'LOCAL_QUORUM', 'EACH_QUORUM', 'LOCAL_ONE'] as const;
type ConsistencyName = (typeof CONSISTENCY_LEVELS)[number];

export interface CassandraUrl {
  /** host:port contact points */
  contactPoints: string[];
  /** consistency level of every write and read (default LOCAL_ONE) */
  consistency: ConsistencyName;
  /** data center of the contact points (default datacenter1, Cassandra's own default) */
  localDataCenter: string;
  /** replication factor of the keyspaces the driver creates (default 1) */
  replication: number;
  /** statements in flight at once per driver (default 32) */
  concurrency: number;
  /** entries per batch: a structure with more dirty entries goes out as several single-partition batches (default 4096) */
  batch: number;
  /** ms to wait for the cluster before giving up (default 30000) */
  timeoutMs: number;
}

const DEFAULT_PORT = 9042;

function positiveInt(name: string, v: string, url: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new FlexbenchError(`store URL ${url}: ${name}=${v} is not a positive integer`, EXIT.usage);
  return n;
}

/**
 * Parse the URL; `options` (the config file's `driver:` map) take the same names as the query and
 * give defaults that the URL's query overrides.
 */
export function parseCassandraUrl(url: string, options: Record<string, unknown> = {}): CassandraUrl {
  const m = /^cassandra:\/\/([^/?#]+)\/?(?:\?([^#]*))?$/.exec(url.trim());
  if (!m) throw new FlexbenchError(`store URL "${url}" is not of the form cassandra://host[:port][,host[:port]…][?consistency=LOCAL_ONE]`, EXIT.usage);
  const contactPoints = m[1].split(',').map((hp) => {
    const hm = /^(\[[0-9a-fA-F:]+\]|[^:]+)(?::(\d+))?$/.exec(hp);
    if (!hm) throw new FlexbenchError(`store URL ${url}: "${hp}" is not host[:port]`, EXIT.usage);
    const port = hm[2] === undefined ? DEFAULT_PORT : Number(hm[2]);
    if (!(port > 0 && port < 65536)) throw new FlexbenchError(`store URL ${url}: port ${hm[2]} is out of range`, EXIT.usage);
    return `${hm[1]}:${port}`;
  });
  const out: CassandraUrl = { contactPoints, consistency: 'LOCAL_ONE', localDataCenter: 'datacenter1', replication: 1, concurrency: 32, batch: 4096, timeoutMs: 30_000 };
  // credentials are driver options only (a config file readable by its owner), never URL query: the URL is logged
  const given: [string, string][] = Object.entries(options).filter(([k]) => k !== 'username' && k !== 'password').map(([k, v]) => [k, String(v)]);
  for (const [k, v] of [...given, ...new URLSearchParams(m[2] ?? '')]) {
    switch (k) {
      case 'consistency': {
        const c = v.toUpperCase();
        if (!(CONSISTENCY_LEVELS as readonly string[]).includes(c)) {
          throw new FlexbenchError(`store URL ${url}: consistency=${v} is not one of ${CONSISTENCY_LEVELS.join(', ')}`, EXIT.usage);
        }
        out.consistency = c as ConsistencyName;
        break;
      }
      case 'dc': out.localDataCenter = v; break;
      case 'replication': out.replication = positiveInt(k, v, url); break;
      case 'concurrency': out.concurrency = positiveInt(k, v, url); break;
      case 'batch': out.batch = positiveInt(k, v, url); break;
      case 'timeout_ms': out.timeoutMs = positiveInt(k, v, url); break;
      default: throw new FlexbenchError(`store URL ${url}: unknown option "${k}"${Object.hasOwn(options, k) ? ' (in the driver options)' : ''} (known: consistency, dc, replication, concurrency, batch, timeout_ms; username and password as driver options)`, EXIT.usage);
    }
  }
  return out;
}
