// `flexbench store start|stop|reset|list`: local store servers (a real redis-server; Cassandra joins
// through runtime/stores/<label>.ts). `start` leaves the server running detached and prints its URL
// as the last line of stdout; its pid and data dir are recorded under .cache/stores/.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv, CommandModule } from 'yargs';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { resolveStoreServer, type StoreServer } from '../../runtime/stores/server.js';
import { stopPid } from '../../runtime/stores/redis.js';
import { parseStoreUrl } from '../../runtime/drivers/registry.js';
import { pidAlive } from '../../common/processes.js';
import { readRecords } from '../../runtime/stores/records.js';

interface Record_ {
  label: string;
  url: string;
  pid: number;
  port: number;
  dataDir: string;
  tempDir: boolean;
  startedAt: string;
}

/** where running stores are recorded: $FLEXBENCH_STORES_DIR or <repo>/.cache/stores */
function storesDir(): string {
  return process.env.FLEXBENCH_STORES_DIR ?? fileURLToPath(new URL('../../../.cache/stores/', import.meta.url));
}

function records(label?: string): { file: string; rec: Record_ }[] {
  const dir = storesDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && (!label || f.startsWith(`${label}-`)))
    .map((f) => ({ file: path.join(dir, f), rec: JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Record_ }));
}

async function stopRecord(file: string, rec: Record_, server: StoreServer | null): Promise<void> {
  if (server?.stopDetached) await server.stopDetached(rec);
  else await stopPid(rec.pid);
  // only a temp dir this command created is removed; a --data-dir the user gave stays
  if (rec.tempDir && rec.dataDir.startsWith(os.tmpdir())) rmSync(rec.dataDir, { recursive: true, force: true });
  rmSync(file, { force: true });
  readRecords(rec.label); // the runtime's own record of the server (runtime/stores/records.ts): pruned now that its process is gone
}

const label = (y: Argv) => y.positional('label', { type: 'string', describe: 'store server: redis or cassandra', demandOption: true });

export const command: CommandModule = {
  command: 'store <action>',
  describe: 'start/stop/reset local store servers (a real redis-server or Apache Cassandra on 127.0.0.1)',
  builder: (y: Argv) =>
    y
      .command({
        command: 'start <label>',
        describe: 'start a store server detached; the last stdout line is its URL',
        builder: (b: Argv) => label(b)
          .option('port', { type: 'number', describe: 'TCP port on 127.0.0.1 (default: a free one)' })
          .option('data-dir', { type: 'string', describe: 'keep the server files here (default: a temp dir removed on stop)' })
          .option('persist', { type: 'boolean', default: false, describe: 'redis: appendonly, fsync always (survives kill -9)' })
          .option('set', { type: 'string', array: true, default: [], describe: 'server-specific option key=value (e.g. cassandra heap=1g); repeatable' })
          .example('$0 store start redis', 'a redis-server on a free loopback port; its URL is the last stdout line')
          .example('$0 store start cassandra --port 9142 --set heap=1g', 'Apache Cassandra (fetched from Maven Central once, then cached)'),
        handler: async (a) => {
          const server = await resolveStoreServer(String(a.label));
          const port = a.port as number | undefined;
          if (port !== undefined && records(server.label).some((r) => r.rec.port === port && pidAlive(r.rec.pid))) {
            throw new FlexbenchError(`${server.label} on port ${port} is already running (flexbench store stop ${server.label} --port ${port})`, EXIT.usage);
          }
          const extra: Record<string, unknown> = { persist: a.persist };
          for (const kv of a.set as string[]) {
            const i = kv.indexOf('=');
            if (i <= 0) throw new FlexbenchError(`--set ${kv}: expected key=value`, EXIT.usage);
            extra[kv.slice(0, i)] = kv.slice(i + 1);
          }
          const s = await server.start({ port, dataDir: a['data-dir'] as string | undefined, detached: true, extra });
          const dir = storesDir();
          mkdirSync(dir, { recursive: true });
          const rec: Record_ = { label: server.label, url: s.url, pid: s.pid, port: s.port, dataDir: s.dataDir, tempDir: !a['data-dir'], startedAt: new Date().toISOString() };
          writeFileSync(path.join(dir, `${server.label}-${s.port}.json`), JSON.stringify(rec, null, 2));
          process.stdout.write(`started ${server.label} pid ${s.pid} data ${s.dataDir}\nstop with: flexbench store stop ${server.label} --port ${s.port}\n${s.url}\n`);
        },
      })
      .command({
        command: 'stop <label>',
        describe: 'stop a store server started by `store start`',
        builder: (b: Argv) => label(b)
          .option('port', { type: 'number', describe: 'which one (needed when several run)' })
          .option('all', { type: 'boolean', default: false, describe: 'stop every recorded server of this label' })
          .example('$0 store stop cassandra', 'stop it and remove its data'),
        handler: async (a) => {
          const l = String(a.label);
          const server = await resolveStoreServer(l).catch(() => null);
          let rs = records(l);
          if (a.port !== undefined) rs = rs.filter((r) => r.rec.port === a.port);
          if (rs.length === 0 && a.port === undefined && server?.stopRecorded) {
            // servers the module recorded itself (e.g. started by the harness)
            const urls = await server.stopRecorded();
            if (urls.length) {
              for (const u of urls) process.stdout.write(`stopped ${l} ${u}\n`);
              return;
            }
          }
          if (rs.length === 0) throw new FlexbenchError(`no running ${l} store recorded${a.port !== undefined ? ` on port ${a.port}` : ''} (in ${storesDir()})`, EXIT.usage);
          if (rs.length > 1 && !a.all) throw new FlexbenchError(`${rs.length} ${l} stores are recorded (ports ${rs.map((r) => r.rec.port).join(', ')}): name one with --port, or --all`, EXIT.usage);
          for (const r of rs) {
            await stopRecord(r.file, r.rec, server);
            process.stdout.write(`stopped ${r.rec.label} ${r.rec.url} (pid ${r.rec.pid})\n`);
          }
        },
      })
      .command({
        command: 'reset <url>',
        describe: 'empty the store at URL (between trials)',
        builder: (b: Argv) => b.positional('url', { type: 'string', demandOption: true }),
        handler: async (a) => {
          const { folder } = parseStoreUrl(String(a.url));
          await (await resolveStoreServer(folder)).reset(String(a.url));
          process.stdout.write(`reset ${a.url}\n`);
        },
      })
      .command({
        command: 'list',
        describe: 'list recorded store servers',
        handler: () => {
          for (const { rec } of records()) process.stdout.write(`${rec.label}\t${rec.url}\tpid ${rec.pid}\t${pidAlive(rec.pid) ? 'running' : 'dead'}\n`);
        },
      })
      .demandCommand(1, 'name an action: start, stop, reset, list'),
  handler: () => {},
};
