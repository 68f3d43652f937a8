// The `nf run` process from its flags to its result: the NF's state configuration (from the registry's
// facts), the NF's own options, the engine, and the result on stdout (the --json contract of
// result.ts). harness/commands/nf.ts only declares the flags.
import { availableParallelism } from 'node:os';
import { FlexbenchError, EXIT } from '../../common/errors.js';
import { NF_NAMES, NF_REGISTRY, allowedModes, type NfEntry, type NfName } from '../../nfs/registry.js';
import { runNf } from './engine.js';
import { nfRunResultSchema, type NfRunResult } from './result.js';
import { parseIPv4, parseIpRange as inetIpRange, parseMac, parsePortRange as inetPortRange } from '../packet/inet.js';
import { prefixesOverlap } from '../../nfs/nat.js';
import { resolveFlusher, stateConfigFromFlags } from '../state/config.js';
import { stateLossMessage } from '../state/collector.js';
import type { StateConfig } from '../state/api.js';
import { redactDeep, redactSecrets } from '../../common/secrets.js';

/** The flags of `nf run`, as the CLI parsed them. */
export interface NfRunArgs {
  nf: NfName;
  cores: number;
  input?: string;
  port: string;
  rate: number;
  'ring-size': number;
  config?: string;
  'state-config'?: string;
  store?: string;
  'nf-id'?: string;
  instance?: string;
  mode?: string;
  'flush-ms'?: number;
  'on-state-loss'?: string;
  flusher?: string;
  duration?: number;
  warmup?: number;
  packets?: number;
  output?: string;
  json: boolean;
  burst: number;
  progress: number;
  'nat-ips': string;
  'nat-ports': string;
  'nat-inside'?: string;
  'nat-timeout'?: number;
  'nat-other'?: string;
  'nat-inside-mac'?: string;
  'nat-outside-mac'?: string;
  'lb-backends': string;
  'latency-every'?: number;
  standby?: boolean;
  'samples-on-stdin'?: boolean;
  'nat-share'?: string;
  'nat-block'?: number;
  'limit-pps'?: number;
  'limit-noise'?: number;
  seed?: number;
}

/** a flag's value through inet.ts's parser: its message, prefixed by the flag, as a usage error */
function flagValue<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new FlexbenchError(`${flag}: ${(err as Error).message}`);
  }
}

/** "A.B.C.D/N" or "A.B.C.D" -> first address and count. */
export function parseIpRange(s: string, flag: string): { first: number; count: number } {
  return flagValue(flag, () => inetIpRange(s));
}

function parseMacFlag(s: string | undefined, flag: string): number[] | null {
  if (s === undefined) return null;
  try {
    return [...parseMac(s)];
  } catch (err) {
    throw new FlexbenchError(`${flag}: ${(err as Error).message}`);
  }
}

/** The NAT's direction and rules from its flags, checked before anything starts. */
function natOptions(a: NfRunArgs, pool: { first: number; count: number }) {
  const inside = a['nat-inside'] === undefined ? null : parseIpRange(a['nat-inside'], '--nat-inside');
  if (inside && prefixesOverlap(inside, pool)) throw new FlexbenchError(`--nat-inside ${a['nat-inside']} and --nat-ips ${a['nat-ips']} overlap: a reply to the pool would look like inside traffic`);
  const timeout = a['nat-timeout'] ?? 300;
  if (!(timeout > 0) || timeout > 86400 * 24) throw new FlexbenchError(`--nat-timeout must be above 0 and at most 24 days in seconds (got ${a['nat-timeout']})`);
  const other = a['nat-other'] ?? 'pass';
  if (other !== 'drop' && other !== 'pass') throw new FlexbenchError(`--nat-other must be drop or pass (got ${other})`);
  return { natInside: inside, natTimeoutS: timeout, natOther: other as 'drop' | 'pass', natInsideMac: parseMacFlag(a['nat-inside-mac'], '--nat-inside-mac'), natOutsideMac: parseMacFlag(a['nat-outside-mac'], '--nat-outside-mac') };
}

function parsePortRange(s: string, flag: string): { lo: number; hi: number } {
  return flagValue(flag, () => inetPortRange(s));
}

/** "I/N": share I (1-based) of N, as several NAT instances split one pool */
function parseShare(s: string, flag: string): { index: number; of: number } {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i < 1 || i > n) throw new FlexbenchError(`${flag}: want I/N with 1 <= I <= N (got "${s}")`);
  return { index: i - 1, of: n };
}

/** --nat-block: pairs per block the cores lend each other, 0 = none */
function parseBlock(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 1 << 24) throw new FlexbenchError(`--nat-block: want a whole number of pairs, 0 (no rebalancing) to ${1 << 24} (got ${n})`);
  return n;
}

function parseBackends(s: string, flag: string): number[] {
  const list = s.split(',').map((x) => x.trim()).filter(Boolean);
  if (list.length === 0) throw new FlexbenchError(`${flag}: give at least one backend address`);
  const ips = list.map((x) => {
    try {
      return parseIPv4(x);
    } catch (err) {
      throw new FlexbenchError(`${flag}: ${(err as Error).message}`);
    }
  });
  if (new Set(ips).size !== ips.length) throw new FlexbenchError(`${flag}: backends must be distinct`);
  return ips;
}

/** Run the NF as `flexbench nf run` does and print its result (one JSON line with --json). */
export async function nfRunMain(a: NfRunArgs): Promise<NfRunResult> {
  const entry: NfEntry = NF_REGISTRY[a.nf];
  let state: StateConfig | null = null;
  if (entry.stateful && a.store === 'none') {
    // StatelessNF's Native: the NF's own tables only, no store opened
    if (!entry.native) throw new FlexbenchError(`--store none: --nf ${a.nf} keeps its state in a store (only ${NF_NAMES.filter((n) => (NF_REGISTRY[n] as NfEntry).native).join(', ')} run without one)`);
    if (a.mode !== undefined) throw new FlexbenchError(`--mode ${a.mode} needs a store (--store none runs the NF Native, with no state mode)`);
  } else if (entry.stateful) {
    state = stateConfigFromFlags(
      {
        stateConfig: a.config ?? a['state-config'], store: a.store, nfId: a['nf-id'], instance: a.instance,
        mode: a.mode, flushMs: a['flush-ms'], flusher: a.flusher, onStateLoss: a['on-state-loss'],
      },
      { store: 'hashmap:', nf: a.nf, instance: 'ins1', ...(entry.fixedMode ? { mode: entry.fixedMode } : {}) },
    );
    if (entry.fixedMode && state.mode !== entry.fixedMode) {
      throw new FlexbenchError(`--nf ${a.nf} runs in ${entry.fixedMode} mode (got --mode ${state.mode})`);
    }
    // with its packet core count: one state thread per core only where a CPU is free for it
    state = { ...state, flusher: resolveFlusher(state.flusher, a.cores, availableParallelism()) };
    const modes = allowedModes(entry);
    if (!modes.includes(state.mode)) throw new FlexbenchError(`--nf ${a.nf} runs in mode ${modes.join(' or ')} (got --mode ${state.mode})`);
  }
  const pool = parseIpRange(a['nat-ips'], '--nat-ips');
  if (!Number.isInteger(a.burst) || a.burst < 1 || a.burst > 1024) throw new FlexbenchError(`--burst must be 1..1024 (got ${a.burst})`);
  const result = await runNf({
    nf: a.nf,
    cores: a.cores,
    input: a.input,
    port: a.port,
    rate: a.rate,
    ringSize: a['ring-size'],
    state,
    nfOptions: {
      natIps: pool,
      ...natOptions(a, pool),
      natPorts: parsePortRange(a['nat-ports'], '--nat-ports'),
      ...(a['nat-share'] !== undefined ? { natShare: parseShare(a['nat-share'], '--nat-share') } : {}),
      ...(a['nat-block'] !== undefined ? { natBlock: parseBlock(a['nat-block']) } : {}),
      lbBackends: parseBackends(a['lb-backends'], '--lb-backends'),
      limitPps: a['limit-pps'],
      limitNoise: a['limit-noise'],
      seed: a.seed,
    },
    duration: a.duration,
    warmup: a.warmup,
    packets: a.packets,
    output: a.output,
    burstSize: a.burst,
    progressEvery: a.progress,
    latencyEvery: a['latency-every'],
    instance: state?.instance ?? a.instance,
    standby: a.standby,
    samplesOnStdin: a['samples-on-stdin'],
  });
  // the writer holds itself to the contract its readers parse with
  // the store URL may carry a password: shown masked
  if (a.json) process.stdout.write(JSON.stringify(redactDeep(nfRunResultSchema.parse(result))) + '\n');
  else {
    process.stdout.write(
      `${result.nf} on ${result.cores} core(s), ${result.port}${result.store ? `, store ${redactSecrets(result.store)} (${result.mode})` : ''}: ` +
        `rx ${result.rx_packets} tx ${result.tx_packets} dropped ${result.dropped} in ${result.duration_s.toFixed(3)} s = ` +
        `${result.rx_mpps.toFixed(3)} Mpps rx, ${result.tx_mpps.toFixed(3)} Mpps tx\n`,
    );
  }
  for (const w of result.warnings) process.stderr.write(`flexbench: warning: ${w}\n`);
  // --on-state-loss fail: the result is printed (state_lost, state_loss), then the run fails
  const fatal = result.state_loss.find((l) => l.action === 'fail');
  if (fatal) throw new FlexbenchError(`nf run stopped: core ${fatal.core}: ${stateLossMessage(fatal)}`, EXIT.environment);
  return result;
}
