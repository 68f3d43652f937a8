// The project's own Cassandra configuration: a single small node on loopback, or a ring's node on its own
// address with its token and seeds (cassandra-cluster.ts); every directory inside one data directory, JVM
// flags for Java 17 taken from Cassandra's conf/jvm17-server.options.
import path from 'node:path';
import { stringify } from 'yaml';

export interface NodeLayout {
  /** everything the node writes lives below this directory */
  dir: string;
  host: string;
  nativePort: number;
  storagePort: number;
  /** a node of a ring (runtime/stores/cassandra-cluster.ts): its seeds (host:storagePort) and its one token; absent: a single node owning the ring */
  ring?: { seeds: string[]; token: string; phiConvictThreshold?: number };
}

export const dirsOf = (dir: string) => ({
  data: path.join(dir, 'data'),
  commitlog: path.join(dir, 'commitlog'),
  savedCaches: path.join(dir, 'saved_caches'),
  hints: path.join(dir, 'hints'),
  cdcRaw: path.join(dir, 'cdc_raw'),
  logs: path.join(dir, 'logs'),
  conf: path.join(dir, 'conf'),
  // the JVM's temp files (snappy's and lz4's native libraries, unpacked at every start): a node is
  // stopped with SIGKILL, so no delete-on-exit runs; here they go with the node's directory
  tmp: path.join(dir, 'tmp'),
});

export function cassandraYaml(n: NodeLayout): string {
  const d = dirsOf(n.dir);
  return stringify({
    cluster_name: 'flexbench',
    // One token and no vnodes: a single node owns the ring, nothing to allocate at start-up; a ring's
    // nodes are given evenly spaced tokens (ringTokens), so every node starts at once with no bootstrap.
    num_tokens: 1,
    initial_token: n.ring ? n.ring.token : 0,
    partitioner: 'org.apache.cassandra.dht.Murmur3Partitioner',
    auto_bootstrap: false,
    authenticator: 'AllowAllAuthenticator',
    authorizer: 'AllowAllAuthorizer',
    role_manager: 'CassandraRoleManager',
    network_authorizer: 'AllowAllNetworkAuthorizer',
    data_file_directories: [d.data],
    commitlog_directory: d.commitlog,
    saved_caches_directory: d.savedCaches,
    hints_directory: d.hints,
    cdc_raw_directory: d.cdcRaw,
    // Batch sync: a write is acknowledged only once its commit log segment is synced, so a killed
    // Cassandra keeps every write it acknowledged. Measured here: periodic sync (default or mmap access)
    // lost 4-6 of 20 writes acknowledged just before SIGKILL; counters could then never end exact.
    commitlog_sync: 'batch',
    seed_provider: [{ class_name: 'org.apache.cassandra.locator.SimpleSeedProvider', parameters: [{ seeds: n.ring ? n.ring.seeds.join(',') : `${n.host}:${n.storagePort}` }] }],
    listen_address: n.host,
    rpc_address: n.host,
    storage_port: n.storagePort,
    native_transport_port: n.nativePort,
    start_native_transport: true,
    endpoint_snitch: 'SimpleSnitch',
    // how long a ring's peers take to convict a silent node (~phi x 2.3 gossip seconds): until then a
    // counter write whose leader is the dead node times out (cassandra-cluster.ts; docs/elasticity.md)
    ...(n.ring?.phiConvictThreshold !== undefined ? { phi_convict_threshold: n.ring.phiConvictThreshold } : {}),
    dynamic_snitch: false,
    hinted_handoff_enabled: false,
    // A 2-core machine shared with the NF under test: few threads.
    concurrent_reads: 4,
    concurrent_writes: 8,
    concurrent_counter_writes: 8,
    concurrent_compactors: 1,
    disk_access_mode: 'mmap_index_only',
    // Memtables take heap as their data grows, not a 1 MiB slab each (heap_buffers): one keyspace of
    // nine tables per partition (nf, instance, core), so a node that ran many trials or the contract
    // suite holds hundreds of nearly empty tables, and 1 MiB each ran a 1 GiB heap out (OutOfMemoryError).
    memtable_allocation_type: 'unslabbed_heap_buffers',
    // Batch and frame limits stay Cassandra's own: the driver caps batches (`batch` entries), so a
    // lab's stock cassandra.yaml takes the same flushes as this one.
    write_request_timeout: '5000ms',
    counter_write_request_timeout: '5000ms',
    read_request_timeout: '5000ms',
    range_request_timeout: '10000ms',
    // Trials create and drop keyspaces often; no snapshot on drop/truncate keeps that fast and the disk clean.
    auto_snapshot: false,
  });
}

/** Evenly spaced Murmur3 tokens for a ring of `n` nodes (pure; pinned by a test). */
export function ringTokens(n: number): string[] {
  const span = 2n ** 64n;
  return Array.from({ length: n }, (_, i) => String(-(2n ** 63n) + (span * BigInt(i)) / BigInt(n)));
}

/** Quiet logging: everything to logs/system.log (shown on a failed start), nothing to the console. */
export function logbackXml(n: NodeLayout): string {
  return `<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>${path.join(dirsOf(n.dir).logs, 'system.log')}</file>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
`;
}

/** Module access Cassandra needs on Java 17 (the JPMS section of conf/jvm17-server.options, 5.0 branch). */
const JAVA17_MODULE_FLAGS = [
  ...[
    'java.base/jdk.internal.misc', 'java.management.rmi/com.sun.jmx.remote.internal.rmi', 'java.rmi/sun.rmi.registry',
    'java.rmi/sun.rmi.server', 'java.sql/java.sql', 'java.base/java.lang.ref', 'jdk.unsupported/sun.misc',
    'jdk.compiler/com.sun.tools.javac.file', 'jdk.attach/sun.tools.attach',
  ].flatMap((m) => ['--add-exports', `${m}=ALL-UNNAMED`]),
  ...[
    'java.base/java.lang.module', 'java.base/jdk.internal.loader', 'java.base/jdk.internal.ref', 'java.base/jdk.internal.reflect',
    'java.base/jdk.internal.math', 'java.base/jdk.internal.module', 'java.base/jdk.internal.util.jar',
    'jdk.management/com.sun.management.internal', 'java.base/sun.nio.ch', 'java.base/java.io', 'java.base/java.lang.reflect',
    'jdk.compiler/com.sun.tools.javac', 'java.base/java.lang', 'java.base/java.util',
  ].flatMap((m) => ['--add-opens', `${m}=ALL-UNNAMED`]),
];

interface JvmOptions {
  jars: string[];
  jamm: string;
  heap: string;
}

export function javaArgs(n: NodeLayout, o: JvmOptions): string[] {
  const d = dirsOf(n.dir);
  return [
    `-Xms${o.heap}`, `-Xmx${o.heap}`,
    '-XX:+UseG1GC', '-XX:+ParallelRefProcEnabled', '-XX:MaxTenuringThreshold=1', '-XX:MaxGCPauseMillis=300',
    '-XX:+ExitOnOutOfMemoryError', '-Xss256k', '-XX:TieredStopAtLevel=4',
    // no /tmp/hsperfdata_<user>/<pid> file, which a SIGKILLed JVM leaves behind
    '-XX:+PerfDisableSharedMem',
    `-Djava.io.tmpdir=${d.tmp}`,
    `-javaagent:${o.jamm}`,
    '-Djdk.attach.allowAttachSelf=true',
    ...JAVA17_MODULE_FLAGS,
    '-Dio.netty.tryReflectionSetAccessible=true',
    '-Dio.netty.allocator.useCacheForAllThreads=true',
    '-Dio.netty.allocator.maxOrder=11',
    '-Djava.net.preferIPv4Stack=true',
    `-Dcassandra.config=file://${path.join(d.conf, 'cassandra.yaml')}`,
    `-Dlogback.configurationFile=file://${path.join(d.conf, 'logback.xml')}`,
    '-Dcassandra-foreground=yes',
    `-Dcassandra.storagedir=${n.dir}`,
    `-Dcassandra.logdir=${d.logs}`,
    // A single node has nobody to gossip with: do not wait for gossip to settle, nor for a superuser setup.
    // A ring's nodes start together with tokens of their own and no bootstrap: nothing to wait for
    // either; the ring is waited for by what it does (cassandra-cluster.ts: every node sees every other NORMAL).
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    '-Dcassandra.superuser_setup_delay_ms=0',
    '-Dcassandra.ring_delay_ms=0',
    // No JMX port: one less port to collide with other nodes on the machine.
    '-cp', o.jars.join(':'),
    'org.apache.cassandra.service.CassandraDaemon',
  ];
}
