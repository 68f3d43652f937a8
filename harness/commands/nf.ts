// `flexbench nf run` and `nf check-port`: the flags only; the NF process itself is runtime/nf-process/
// (entry.ts runs it, result.ts is the --json contract).
import type { CommandModule, Argv } from 'yargs';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { NF_NAMES, NF_REGISTRY } from '../../nfs/registry.js';
import { nfRunMain, type NfRunArgs } from '../../runtime/nf-process/entry.js';
import { stateFlagOptions } from '../../runtime/state/config.js';

type IfaceIndex = typeof import('../../runtime/packet/iface/index.js');

const run: CommandModule<object, NfRunArgs> = {
  command: 'run',
  describe: 'run one NF on N cores: replay a pcap (capacity), offer it at a rate, or serve an interface',
  builder: (y: Argv) =>
    y
      .example('$0 nf run --nf nat --cores 2 --input pcaps/flows-0.pcap --duration 5 --store redis://127.0.0.1:6379 --mode async', 'NAT capacity on 2 cores, state in Redis')
      .example('$0 nf run --nf counter-sync --input p.pcap --packets 100000 --store redis://127.0.0.1:6379 --json', 'exactly 100,000 packets, the result as JSON')
      .example('$0 nf run --nf macswap --port offered --rate 14.88e6 --input p.pcap --duration 10', 'offered at 10 GbE line rate, drops counted')
      .example('sudo $0 nf run --nf nat --cores 4 --port ens2f0 --store hashmap: --duration 30', 'on a NIC (AF_XDP, AF_PACKET fallback)')
      .option('nf', { type: 'string', choices: NF_NAMES, demandOption: true, describe: `network function: ${NF_NAMES.map((n) => `${n} (${NF_REGISTRY[n].summary})`).join('; ')}` })
      .option('cores', { type: 'number', default: 1, describe: 'worker threads, one RSS queue each' })
      .option('input', { type: 'string', describe: 'pcap to replay (Ethernet, classic pcap)' })
      .option('port', { type: 'string', default: 'replay', describe: 'replay (loop the pcap as fast as the NF goes), offered (pace at --rate), an interface name, or link:PATH (a front-end in front of several instances sends the bursts; runs until it ends the link)' })
      .option('standby', { type: 'boolean', default: false, describe: 'with --port link:PATH: a standby that opens no state until the front-end assigns it an instance (a dead one\'s id: its partitions are recovered)' })
      .option('nat-share', { type: 'string', describe: 'NAT: I/N, this instance takes share I of N of the pool (several instances, one pool, no pair handed out twice)' })
      .option('nat-block', { type: 'number', describe: 'NAT: pairs per block a core whose chunk of the pool ran out borrows from the others (default 256; 0 = each core keeps its own chunk, the paper\'s partitioning)' })
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
      .option('samples-on-stdin', { type: 'boolean', default: false, describe: 'answer each line on stdin with one JSON line on stdout: every core\'s cumulative packets and its thread\'s CPU and wait time at one instant of a monotonic clock (what flexbench ab\'s windows read from a paused and resumed process); stdin\'s end stops the run' })
      .option('nat-ips', { type: 'string', default: '198.19.0.0/28', describe: 'NAT pool addresses (A.B.C.D/N)' })
      .option('nat-ports', { type: 'string', default: '1024-65535', describe: 'NAT pool ports (LO-HI)' })
      .option('nat-inside', { type: 'string', describe: 'NAT inside prefix (A.B.C.D/N): packets from it leave translated, replies to the pool come back; without it every packet not sent to the pool is from the inside' })
      .option('nat-timeout', { type: 'number', default: 300, describe: 'NAT: seconds a mapping may stay idle before it expires and its pair returns to the pool' })
      .option('nat-other', { type: 'string', choices: ['pass', 'drop'], default: 'pass', describe: 'NAT: packets it cannot translate (non-IPv4, not TCP/UDP, fragments, neither from the inside nor to the pool): forwarded untouched (MACs swapped), or dropped (what a NAT between two hosts on an interface wants: the kernel keeps its own copy of ARP); counted either way' })
      .option('nat-inside-mac', { type: 'string', describe: 'NAT: next-hop MAC of packets going in (default: back to the sender, MACs swapped)' })
      .option('nat-outside-mac', { type: 'string', describe: 'NAT: next-hop MAC of packets going out (default: back to the sender, MACs swapped)' })
      .option('latency-every', { type: 'number', default: 0, describe: 'offered mode: stamp every Nth packet at the generator and report its latency where it leaves (0: off)' })
      .option('limit-pps', { type: 'number', default: 1_000_000, describe: 'ratelimit (test NF): forward at most this many packets/s; the excess waits in its queue and is missed there' })
      .option('limit-noise', { type: 'number', default: 0, describe: 'ratelimit: each millisecond\'s capacity is R x (1 - N x u), u seeded uniform in [0, 1)' })
      .option('seed', { type: 'number', default: 1, describe: 'seed of the ratelimit noise' })
      .option('lb-backends', { type: 'string', default: '198.19.1.1,198.19.1.2,198.19.1.3,198.19.1.4,198.19.1.5,198.19.1.6,198.19.1.7,198.19.1.8', describe: 'LB backend addresses, comma-separated' })
      .check((a) => {
        if (a.duration === undefined && a.packets === undefined && !String(a.port).startsWith('link:')) throw new FlexbenchError('nf run: give --duration S or --packets N');
        if (a.duration !== undefined && a.packets !== undefined) throw new FlexbenchError('nf run: give --duration or --packets, not both');
        if (a.warmup !== undefined && (a.duration === undefined || !(a.warmup >= 0))) throw new FlexbenchError('nf run: --warmup S needs --duration and S >= 0 (a --packets run is measured whole)');
        return true;
      }) as unknown as Argv<NfRunArgs>,
  handler: async (a) => {
    await nfRunMain(a);
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
