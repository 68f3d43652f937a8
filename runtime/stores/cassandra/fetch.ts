// Fetches Apache Cassandra (cassandra-all and its runtime dependencies) from Maven Central once,
// into a per-version cache; later starts only read the cache.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FlexbenchError, EXIT } from '../../../common/errors.js';

/** The 5.0 line is the first that runs on Java 17; 5.0.9 was the newest 5.0.x on Maven Central when written. */
const DEFAULT_CASSANDRA_VERSION = '5.0.9';

interface CassandraArtifacts {
  version: string;
  /** absolute paths of every jar on the classpath */
  jars: string[];
  /** the jamm jar, loaded as -javaagent (Cassandra measures object sizes with it) */
  jamm: string;
  /** seconds spent fetching (0 when the cache already had it) */
  fetchSeconds: number;
}

export function cassandraVersion(): string {
  return process.env.FLEXBENCH_CASSANDRA_VERSION ?? DEFAULT_CASSANDRA_VERSION;
}

export function cacheRoot(): string {
  return process.env.FLEXBENCH_CACHE ?? path.join(os.homedir(), '.cache', 'flexbench');
}

/** A pom of the project's own: its only dependency is cassandra-all, so Maven resolves exactly its runtime closure. */
function pom(version: string): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>flexbench</groupId>
  <artifactId>cassandra-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.cassandra</groupId>
      <artifactId>cassandra-all</artifactId>
      <version>${version}</version>
    </dependency>
  </dependencies>
</project>
`;
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(new FlexbenchError(`\`${cmd}\` not found: Cassandra is fetched with Maven (apt-get install maven openjdk-17-jre-headless, or run scripts/setup.sh)`, EXIT.environment));
      } else reject(err);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

function listJars(libDir: string): CassandraArtifacts['jars'] {
  return readdirSync(libDir).filter((f) => f.endsWith('.jar')).sort().map((f) => path.join(libDir, f));
}

/** Returns the cached artifacts of `version`, fetching them with Maven first if the cache lacks them. */
export async function ensureCassandra(version = cassandraVersion()): Promise<CassandraArtifacts> {
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw new FlexbenchError(`Cassandra version "${version}" is not of the form X.Y.Z (FLEXBENCH_CASSANDRA_VERSION)`, EXIT.usage);
  }
  const dir = path.join(cacheRoot(), 'cassandra', version);
  const libDir = path.join(dir, 'lib');
  const done = path.join(dir, 'complete');
  let fetchSeconds = 0;
  if (!existsSync(done)) {
    const t0 = performance.now();
    mkdirSync(dir, { recursive: true });
    // Fetch into a private directory and rename at the end, so concurrent starts never see half a cache.
    const work = path.join(dir, `fetch-${process.pid}-${Date.now()}`);
    mkdirSync(work);
    try {
      writeFileSync(path.join(work, 'pom.xml'), pom(version));
      const { code, output } = await run('mvn', ['-q', '-B', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${path.join(work, 'lib')}`], work);
      if (code !== 0) {
        throw new FlexbenchError(`fetching org.apache.cassandra:cassandra-all:${version} from Maven Central failed (mvn exit ${code}):\n${output.trim().split('\n').slice(-15).join('\n')}`, EXIT.environment);
      }
      if (!existsSync(done)) {
        rmSync(libDir, { recursive: true, force: true });
        renameSync(path.join(work, 'lib'), libDir);
        writeFileSync(done, `${new Date().toISOString()}\n`);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    fetchSeconds = (performance.now() - t0) / 1000;
  }
  const jars = listJars(libDir);
  const jamm = jars.find((j) => /\/jamm-[\d.]+\.jar$/.test(j));
  if (!jars.some((j) => j.includes(`cassandra-all-${version}.jar`)) || !jamm) {
    throw new FlexbenchError(`the Cassandra cache ${libDir} is incomplete (no cassandra-all or jamm jar): delete ${dir} and start again`, EXIT.environment);
  }
  return { version, jars, jamm, fetchSeconds };
}
