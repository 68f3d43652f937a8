// The FlexState configuration: which NF/instance this is, which store, which update mode. Switching
// store changes only this (one YAML file or the equivalent CLI flags).
import { readInputFile } from '../../common/input-file.js';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { FlexbenchError, EXIT } from '../../common/errors.js';
import { parseStoreUrl } from '../drivers/registry.js';

export const FLUSHERS = ['auto', 'worker', 'thread'] as const;

/**
 * `auto`: a state thread where the process may run on more CPUs than it has packet cores; where it
 * may not (pinned to as many CPUs as packet cores, or fewer) the state thread would share a
 * packet core and cost it a wake-up and two context switches per flush, more than the flush itself
 * (docs/performance.md), so the packet thread flushes between bursts. `cpus`: the CPUs this process
 * may run on (os.availableParallelism() reads the affinity mask).
 */
export function resolveFlusher(flusher: (typeof FLUSHERS)[number], packetCores: number, cpus: number): 'worker' | 'thread' {
  if (flusher !== 'auto') return flusher;
  return cpus > packetCores ? 'worker' : 'thread';
}

// '@' separates key fields and '{}' are Redis Cluster hash tags: ids must not contain them.
const idPart = z.string().min(1).regex(/^[^@{}\s]+$/, 'must be non-empty without "@", "{", "}" or spaces');

/**
 * The state modes (docs/runtime.md, "State modes"): FlexState's `sync` (every call to the store,
 * awaited) and `async` (a local cache flushed every flushMs by a state thread), and StatelessNF's
 * `cache` (reads from a local copy, every write sent to the store at once and not waited on) and
 * `stateless-async` (a store request per packet, not waited on: reads go out pipelined, writes in
 * order). Without a store (`nf run --store none`) an NF is Native.
 */
export const STATE_MODES = ['sync', 'async', 'cache', 'stateless-async'] as const;
export type StateMode = (typeof STATE_MODES)[number];

const stateConfigSchema = z
  .object({
    /** NF id, first field of every store key (`nf1`) */
    nf: idPart,
    /** instance id (`ins1`); a new instance started with a dead one's id recovers its state */
    instance: idPart,
    /** store URL: `hashmap:`, `hashmap:name`, `redis://host:port`, `redis+cluster://h:p,h:p`, `cassandra://host:port` */
    store: z.string().min(1).refine((s) => { try { parseStoreUrl(s); return true; } catch { return false; } }, 'must look like label:address, e.g. redis://127.0.0.1:6379'),
    /** sync: every call goes to the store and is awaited; async: per-core local cache flushed every flushMs; cache, stateless-async: StatelessNF's (STATE_MODES) */
    mode: z.enum(STATE_MODES).default('async'),
    /** async flush period in ms (the paper uses 1) */
    flushMs: z.number().positive().max(60_000).default(1),
    /**
     * async: `worker` = a dedicated state thread per core (the paper's design); `thread` = flush on
     * the packet thread between bursts; `auto` = a state thread only where a CPU is free for it
     * (resolveFlusher)
     */
    flusher: z.enum(FLUSHERS).default('auto'),
    /** most keys one map/countermap may hold per core (shared-memory reservation) */
    maxSlots: z.number().int().positive().max(1 << 26).default(1 << 21),
    /**
     * async: a flush found the store without this partition's last acknowledged flush (restarted
     * empty or older): `fail` = report it and write nothing more (flush() rejects, nf run exits 5),
     * `warn` = report it and continue on top of what the store kept, `reload` = report it and write
     * the acknowledged state back first (keeps a mirror of it on the state thread)
     */
    onStateLoss: z.enum(['fail', 'warn', 'reload']).default('fail'),
    /** how long close() waits for the final flush to be acknowledged before giving up */
    closeTimeoutMs: z.number().int().positive().default(10_000),
    /** options passed to the driver as-is (e.g. connectTimeoutMs) */
    driver: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type StateConfig = z.infer<typeof stateConfigSchema>;
export type StateConfigInput = z.input<typeof stateConfigSchema>;

function invalid(where: string, err: z.ZodError): FlexbenchError {
  const lines = err.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
  return new FlexbenchError(`${where}: invalid FlexState config\n${lines}`, EXIT.usage);
}

/** Validate a config object (defaults filled in). */
export function parseStateConfig(input: unknown, where = 'state config'): StateConfig {
  const r = stateConfigSchema.safeParse(input);
  if (!r.success) throw invalid(where, r.error);
  return r.data;
}

/** Load the YAML config file. */
export function loadStateConfig(path: string): StateConfig {
  let text: string;
  try {
    text = readInputFile(path, 2 ** 20, 'FlexState config').toString('utf8');
  } catch (err) {
    throw new FlexbenchError(`${path}: cannot read FlexState config: ${(err as Error).message}`, EXIT.usage);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new FlexbenchError(`${path}: not valid YAML: ${(err as Error).message}`, EXIT.usage);
  }
  return parseStateConfig(doc, path);
}

/** The CLI flags that mirror the config file (`--store URL --nf-id ID --instance ID --mode M --flush-ms T`). */
interface StateFlags {
  stateConfig?: string;
  store?: string;
  nfId?: string;
  instance?: string;
  mode?: string;
  flushMs?: number;
  flusher?: string;
  onStateLoss?: string;
}

/** yargs option definitions for the flags above, for commands that open state. */
export const stateFlagOptions = {
  'state-config': { type: 'string', describe: 'FlexState config file (YAML); flags below override its fields' },
  store: { type: 'string', describe: 'store URL: hashmap:, redis://host:port, redis+cluster://h:p,h:p, cassandra://host:port' },
  'nf-id': { type: 'string', describe: 'NF id (first field of store keys)' },
  instance: { type: 'string', describe: 'NF instance id' },
  mode: { type: 'string', choices: STATE_MODES, describe: 'state mode: sync (FlexState: every call awaited), async (FlexState: local cache flushed every --flush-ms), cache (StatelessNF: local reads, writes sent at once, not awaited), stateless-async (StatelessNF: a store request per packet, not awaited)' },
  'flush-ms': { type: 'number', describe: 'async flush period in ms (default 1)' },
  flusher: { type: 'string', choices: FLUSHERS, describe: 'async flusher: a dedicated state thread per core (worker), the packet thread between bursts (thread), or worker only where the process may use more CPUs than it has packet cores (auto, default)' },
  'on-state-loss': { type: 'string', choices: ['fail', 'warn', 'reload'], describe: 'a store that came back without acknowledged state: stop (fail, default), report and continue (warn), write it back (reload)' },
} as const;

/** Map CLI flags (optionally on top of a config file) to the same StateConfig the file gives. */
export function stateConfigFromFlags(flags: StateFlags, defaults: Partial<StateConfigInput> = {}): StateConfig {
  const base: Record<string, unknown> = { ...defaults };
  if (flags.stateConfig) Object.assign(base, loadStateConfig(flags.stateConfig));
  const over: Record<string, unknown> = {
    store: flags.store,
    nf: flags.nfId,
    instance: flags.instance,
    mode: flags.mode,
    flushMs: flags.flushMs,
    flusher: flags.flusher,
    onStateLoss: flags.onStateLoss,
  };
  for (const [k, v] of Object.entries(over)) if (v !== undefined) base[k] = v;
  return parseStateConfig(base, flags.stateConfig ? `${flags.stateConfig} + flags` : 'state flags (--store, --nf-id, --instance, --mode, --flush-ms, --on-state-loss)');
}
