// `flexbench nf run`: one NF on N cores over the embedded packet path; with --json the last stdout line is the result.
import type { CommandModule, Argv } from 'yargs';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { NF_NAMES, loadNf, type NfName } from '../../nfs/index.js';
import { runNf } from '../../runtime/packet/engine.js';
import { parseIPv4 } from '../../runtime/packet/inet.js';
import { stateFlagOptions, stateConfigFromFlags } from '../../runtime/state/config.js';
import { stateLossMessage } from '../../runtime/state/collector.js';
import type { StateConfig } from '../../runtime/state/api.js';

type IfaceIndex = typeof import('../../runtime/packet/iface/index.js');

interface RunArgs {
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
  'lb-backends': string;
}

/** "A.B.C.D/N" or "A.B.C.D" -> first address and count. */
export function parseIpRange(s: string, flag: string): { first: number; count: number } {
  const [ip, bits] = s.split('/');
  let first: number;
  try {
    first = parseIPv4(ip);
  } catch (err) {
    throw new FlexbenchError(`${flag}: ${(err as Error).message}`);
  }
  if (bits === undefined) return { first, count: 1 };
  const n = Number(bits);
  if (!Number.isInteger(n) || n < 8 || n > 32) throw new FlexbenchError(`${flag}: prefix length must be 8..32 (got "${bits}")`);
  const count = 2 ** (32 - n);
  return { first: first - (first % count), count };
}

export function parsePortRange(s: string, flag: string): { lo: number; hi: number } {
  const m = /^(\d+)-(\d+)$/.exec(s);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2]) : NaN;
  if (!m || lo < 1 || hi > 65535 || lo > hi) throw new FlexbenchError(`${flag}: want LO-HI within 1-65535 (got "${s}")`);
  return { lo, hi };
}

export function parseBackends(s: string, flag: string): number[] {
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

const run: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: 'run one NF on N cores: replay a pcap (capacity), offer it at a rate, or serve an interface',
  builder: (y: Argv) =>
    y
      .example('$0 nf run --nf nat --cores 2 --input pcaps/flows-0.pcap --duration 5 --store redis://127.0.0.1:6379 --mode async', 'NAT capacity on 2 cores, state in Redis')
      .example('$0 nf run --nf counter-sync --input p.pcap --packets 100000 --store redis://127.0.0.1:6379 --json', 'exactly 100,000 packets, the result as JSON')
      .example('$0 nf run --nf macswap --port offered --rate 14.88e6 --input p.pcap --duration 10', 'offered at 10 GbE line rate, drops counted')
      .example('sudo $0 nf run --nf nat --cores 4 --port ens2f0 --store hashmap: --duration 30', 'on a NIC (AF_XDP, AF_PACKET fallback)')
      .option('nf', { type: 'string', choices: NF_NAMES, demandOption: true, describe: 'network function' })
      .option('cores', { type: 'number', default: 1, describe: 'worker threads, one RSS queue each' })
      .option('input', { type: 'string', describe: 'pcap to replay (Ethernet, classic pcap)' })
      .option('port', { type: 'string', default: 'replay', describe: 'replay (loop the pcap as fast as the NF goes), offered (pace at --rate), or an interface name' })
      .option('rate', { type: 'number', default: 14.88e6, describe: 'offered load in packets/s (default: 10 GbE line rate for 64 B)' })
      .option('ring-size', { type: 'number', default: 1024, describe: 'offered mode: rx descriptors per queue' })
      .option('config', { type: 'string', describe: 'FlexState config file (YAML); same as --state-config' })
      .options(stateFlagOptions)
      .option('duration', { type: 'number', describe: 'seconds to run (after --warmup)' })
      .option('warmup', { type: 'number', describe: 'seconds to run before the measured window; every count reported is the window\'s (needs --duration)' })
      .option('packets', { type: 'number', describe: 'process exactly N packets in total, then stop (final flush included)' })
      .option('output', { type: 'string', describe: 'write transmitted packets to this pcap (needs --packets)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as one JSON object on the last stdout line' })
      .option('burst', { type: 'number', default: 32, describe: 'packets per burst' })
      .option('progress', { type: 'number', default: 1, describe: 'seconds between rate lines on stderr (0: none)' })
      .option('nat-ips', { type: 'string', default: '198.19.0.0/28', describe: 'NAT pool addresses (A.B.C.D/N)' })
      .option('nat-ports', { type: 'string', default: '1024-65535', describe: 'NAT pool ports (LO-HI)' })
      .option('lb-backends', { type: 'string', default: '198.19.1.1,198.19.1.2,198.19.1.3,198.19.1.4,198.19.1.5,198.19.1.6,198.19.1.7,198.19.1.8', describe: 'LB backend addresses, comma-separated' })
      .check((a) => {
        if (a.duration === undefined && a.packets === undefined) throw new FlexbenchError('nf run: give --duration S or --packets N');
        if (a.duration !== undefined && a.packets !== undefined) throw new FlexbenchError('nf run: give --duration or --packets, not both');
        if (a.warmup !== undefined && (a.duration === undefined || !(a.warmup >= 0))) throw new FlexbenchError('nf run: --warmup S needs --duration and S >= 0 (a --packets run is measured whole)');
        return true;
      }) as unknown as Argv<RunArgs>,
  handler: async (a) => {
    const mod = await loadNf(a.nf);
    let state: StateConfig | null = null;
    if (!mod.stateless) {
      state = stateConfigFromFlags(
        {
          stateConfig: a.config ?? a['state-config'], store: a.store, nfId: a['nf-id'], instance: a.instance,
          mode: a.mode, flushMs: a['flush-ms'], flusher: a.flusher, onStateLoss: a['on-state-loss'],
        },
        { store: 'hashmap:', nf: a.nf, instance: 'ins1', ...(mod.requiredMode ? { mode: mod.requiredMode } : {}) },
      );
      if (mod.requiredMode && state.mode !== mod.requiredMode) {
        throw new FlexbenchError(`--nf ${a.nf} runs in ${mod.requiredMode} mode (got --mode ${state.mode})`);
      }
    }
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
        natIps: parseIpRange(a['nat-ips'], '--nat-ips'),
        natPorts: parsePortRange(a['nat-ports'], '--nat-ports'),
        lbBackends: parseBackends(a['lb-backends'], '--lb-backends'),
      },
      duration: a.duration,
      warmup: a.warmup,
      packets: a.packets,
      output: a.output,
      burstSize: a.burst,
      progressEvery: a.progress,
    });
    if (a.json) process.stdout.write(JSON.stringify(result) + '\n');
    else {
      process.stdout.write(
        `${result.nf} on ${result.cores} core(s), ${result.port}${result.store ? `, store ${result.store} (${result.mode})` : ''}: ` +
          `rx ${result.rx_packets} tx ${result.tx_packets} dropped ${result.dropped} in ${result.duration_s.toFixed(3)} s = ` +
          `${result.rx_mpps.toFixed(3)} Mpps rx, ${result.tx_mpps.toFixed(3)} Mpps tx\n`,
      );
    }
    // --on-state-loss fail: the result is printed (state_lost, state_loss), then the run fails
    const fatal = result.state_loss.find((l) => l.action === 'fail');
    if (fatal) throw new FlexbenchError(`nf run stopped: core ${fatal.core}: ${stateLossMessage(fatal)}`, EXIT.environment);
  },
};

interface CheckPortArgs {
  port: string;
  cores: number;
  json: boolean;
}

// What a preflight runs on the NF's node: open the interface port as `nf run --port` would for
// --cores N (capabilities, bpffs, memlock, queues, a trial AF_XDP socket) and say which mode it gets.
const checkPort: CommandModule<object, CheckPortArgs> = {
  command: 'check-port',
  describe: 'check that nf run could open --port IFACE on --cores N here, and with which socket (nothing is forwarded)',
  builder: (y) =>
    y
      .option('port', { type: 'string', demandOption: true, describe: 'IFACE, xdp:IFACE or packet:IFACE, as for nf run' })
      .option('cores', { type: 'number', default: 1, describe: 'cores (one queue each)' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON line: {ok, port, mode, reason, warnings}' })
      .example('$0 nf check-port --port ens2f0 --cores 4', 'exit 0 and the socket it would use; 5 with what to fix') as unknown as Argv<CheckPortArgs>,
  handler: async (a) => {
    if (!Number.isInteger(a.cores) || a.cores < 1) throw new FlexbenchError(`--cores must be a positive integer (got ${a.cores})`);
    if (a.port === 'replay' || a.port === 'offered') throw new FlexbenchError(`--port ${a.port} needs no check: it is the embedded packet path`);
    let mod: IfaceIndex;
    try {
      // loaded at run time: a flexbench without the native addon still runs everything else
      mod = (await import('../../runtime/packet/iface/index.js' as string)) as IfaceIndex;
    } catch (err) {
      throw new FlexbenchError(`no interface port is built into this flexbench: ${(err as Error).message}`, EXIT.environment);
    }
    const warnings: string[] = [];
    const p = await mod.prepareIface({ iface: a.port, queues: a.cores, log: (l: string) => { if (/warning:/.test(l)) warnings.push(l.replace(/^flexbench: warning: /, '')); } });
    await p.cleanup();
    const res = { ok: true, port: a.port, cores: a.cores, mode: p.shared.mode, reason: p.shared.reason, warnings };
    process.stdout.write(a.json ? `${JSON.stringify(res)}\n` : `${a.port} on ${a.cores} core(s): ${res.reason}${warnings.map((w) => `\nwarning: ${w}`).join('')}\n`);
  },
};

export const command: CommandModule = {
  command: 'nf <command>',
  describe: 'run a network function on the embedded packet path',
  builder: (y: Argv) => y.command(run).command(checkPort).demandCommand(1, 'name a subcommand: run or check-port'),
  handler: () => {
    throw new FlexbenchError('name a subcommand: run or check-port', EXIT.usage);
  },
};
