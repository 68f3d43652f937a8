// `flexbench pcap generate|info`: the paper's traffic as classic pcap files, and a quick look at a capture.
import type { CommandModule, Argv } from 'yargs';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { generatePcaps, GenerateOptions } from '../../runtime/packet/generate.js';
import { readPcap } from '../../runtime/packet/pcap.js';
import { Toeplitz, defaultReta, frameRssHash, queueOf } from '../../runtime/packet/toeplitz.js';

interface GenerateArgs {
  out: string;
  flows: number;
  files: number;
  'frame-size': number;
  seed: number;
  proto: 'udp' | 'tcp';
  'src-mac': string;
  'dst-mac': string;
  prefix: string;
}

const generate: CommandModule<object, GenerateArgs> = {
  command: 'generate',
  describe: 'write pcaps of 64-byte frames, one packet per random 5-tuple (deterministic from --seed)',
  builder: (y: Argv) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'directory to write the files into' })
      .option('flows', { type: 'number', default: 50_000, describe: 'distinct 5-tuples (= packets) per file' })
      .option('files', { type: 'number', default: 10, describe: 'number of files (each from its own stream of the seed)' })
      .option('frame-size', { type: 'number', default: 64, describe: 'frame size on the wire incl. the 4-byte FCS (the file holds 4 bytes less)' })
      .option('seed', { type: 'number', default: 1, describe: 'PRNG seed: same seed, byte-identical files' })
      .option('proto', { type: 'string', choices: ['udp', 'tcp'] as const, default: 'udp' as const })
      .option('src-mac', { type: 'string', default: '02:00:00:00:00:01', describe: 'source MAC (node1, the generator)' })
      .option('dst-mac', { type: 'string', default: '02:00:00:00:00:02', describe: 'destination MAC (node2, the NF)' })
      .option('prefix', { type: 'string', default: 'flows', describe: 'file name prefix: PREFIX-N.pcap' })
      .example('$0 pcap generate --out pcaps/paper', "the paper's traffic: 10 files of 50,000 flows, 64-byte frames")
      .example('$0 pcap generate --out /tmp/p --flows 2000 --files 2 --proto tcp --seed 7', 'small TCP captures, reproducible from seed 7') as unknown as Argv<GenerateArgs>,
  handler: (a) => {
    const r = GenerateOptions.safeParse({
      out: a.out, flows: a.flows, files: a.files, frameSize: a['frame-size'], seed: a.seed, proto: a.proto,
      srcMac: a['src-mac'], dstMac: a['dst-mac'], prefix: a.prefix,
    });
    if (!r.success) {
      const flag = (k: string) => ({ frameSize: '--frame-size', srcMac: '--src-mac', dstMac: '--dst-mac' } as Record<string, string>)[k] ?? `--${k}`;
      throw new FlexbenchError(`pcap generate: ${r.error.issues.map((i) => `${flag(String(i.path[0]))}: ${i.message}`).join('; ')}`, EXIT.usage);
    }
    const paths = generatePcaps(r.data);
    for (const p of paths) process.stdout.write(p + '\n');
  },
};

interface InfoArgs {
  file: string;
  cores: number;
  json: boolean;
}

const info: CommandModule<object, InfoArgs> = {
  command: 'info <file>',
  describe: 'read a pcap as `nf run` would: packets, sizes, distinct flows, RSS spread over --cores',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', demandOption: true })
      .option('cores', { type: 'number', default: 1 })
      .option('json', { type: 'boolean', default: false })
      .example('$0 pcap info pcaps/flows-0.pcap --cores 4', 'packets, flows and how RSS spreads them over 4 cores') as unknown as Argv<InfoArgs>,
  handler: (a) => {
    const f = readPcap(a.file);
    const rss = new Toeplitz();
    const reta = defaultReta(Math.max(1, a.cores));
    const perCore = new Array<number>(Math.max(1, a.cores)).fill(0);
    const flows = new Set<string>();
    let bytes = 0;
    for (let i = 0; i < f.count; i++) {
      const off = f.offsets[i];
      bytes += f.lengths[i];
      perCore[queueOf(reta, frameRssHash(rss, f.bytes, off, f.lengths[i]))]++;
      // 5-tuple as text: fine here, this command is not the packet path
      flows.add(flowOf(f.bytes, off, f.lengths[i]));
    }
    const res = { file: a.file, packets: f.count, bytes, max_frame: f.maxLength, flows: flows.size, rss_per_core: perCore };
    process.stdout.write(a.json ? JSON.stringify(res) + '\n' : Object.entries(res).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' ') : v}`).join('\n') + '\n');
  },
};

/**
 * A frame's flow as text: protocol, addresses and (TCP/UDP, unfragmented) ports of IPv4; anything
 * else by its bytes after the MACs. Not the header bytes around them: the IPv4 identification and
 * checksum change per packet, and counting them made every packet its own flow.
 */
function flowOf(f: Uint8Array, off: number, len: number): string {
  const hex = (a: number, b: number) => Buffer.from(f.subarray(a, b)).toString('hex');
  if (len < 34 || f[off + 12] !== 0x08 || f[off + 13] !== 0x00 || f[off + 14] >> 4 !== 4) return `raw:${hex(off + 12, off + len)}`;
  const ip = off + 14;
  const ihl = (f[ip] & 0x0f) * 4;
  const proto = f[ip + 9]!;
  const fragmented = (((f[ip + 6]! << 8) | f[ip + 7]!) & 0x3fff) !== 0;
  const ports = !fragmented && (proto === 6 || proto === 17) && len >= 14 + ihl + 4 ? hex(ip + ihl, ip + ihl + 4) : '';
  return `${proto}:${hex(ip + 12, ip + 20)}:${ports}`;
}

export const command: CommandModule = {
  command: 'pcap <command>',
  describe: 'generate and inspect traffic captures',
  builder: (y: Argv) => y.command(generate).command(info).demandCommand(1, 'name a subcommand: generate or info'),
  handler: () => undefined,
};
