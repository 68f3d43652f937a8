// `flexbench echo serve|probe`: the UDP echo that measures round trips through an NF (harness/tools/udp-echo.ts).
// The harness runs `serve` in the server's namespace and `probe` in the client's; a user can too.
import type { CommandModule, Argv } from 'yargs';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { serveEcho, probeEcho, MIN_UDP_PAYLOAD } from '../tools/udp-echo.js';
import { summarizeRtt } from '../tools/rtt.js';

interface ServeArgs {
  bind: string;
  port: number;
  duration: number;
}

const serve: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'send every UDP datagram back to its sender until stopped (SIGTERM) or --duration',
  builder: (y: Argv) =>
    y
      .option('bind', { type: 'string', default: '0.0.0.0', describe: 'address to listen on' })
      .option('port', { type: 'number', default: 7007, describe: 'UDP port' })
      .option('duration', { type: 'number', default: 3600, describe: 'seconds after which it exits on its own (an upper bound)' }) as unknown as Argv<ServeArgs>,
  handler: async (a) => {
    const s = await serveEcho(a.bind, a.port);
    // the line a caller waits for before it probes
    process.stderr.write(`echo: listening on ${a.bind}:${s.port}\n`);
    await new Promise<void>((res) => {
      const t = setTimeout(res, a.duration * 1000);
      const stop = () => (clearTimeout(t), res());
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    await s.close();
    process.stdout.write(JSON.stringify({ echoed: s.echoed() }) + '\n');
  },
};

interface ProbeArgs {
  to: string;
  port: number;
  count: number;
  rate: number;
  size: number;
  drain: number;
  bind?: string;
  json: boolean;
  samples: boolean;
}

const probe: CommandModule<object, ProbeArgs> = {
  command: 'probe',
  describe: 'stream --count UDP datagrams at --rate to an echo server and time each round trip',
  builder: (y: Argv) =>
    y
      .option('to', { type: 'string', demandOption: true, describe: 'echo server address' })
      .option('port', { type: 'number', default: 7007 })
      .option('count', { type: 'number', default: 10_000, describe: 'datagrams (StatelessNF: 10,000)' })
      .option('rate', { type: 'number', default: 2000, describe: 'datagrams per second' })
      .option('size', { type: 'number', default: MIN_UDP_PAYLOAD, describe: `UDP payload bytes (${MIN_UDP_PAYLOAD}: a minimum-size 64-byte frame)` })
      .option('drain', { type: 'number', default: 1000, describe: 'ms to wait for the last replies' })
      .option('bind', { type: 'string', describe: 'source address' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON line: sent, received, min/avg/p50/p99/max µs' })
      .option('samples', { type: 'boolean', default: false, describe: 'with --json: every round trip too (µs, null for a lost one)' })
      .example('$0 echo probe --to 198.18.150.2 --count 10000 --json', "StatelessNF's Table 3 probe") as unknown as Argv<ProbeArgs>,
  handler: async (a) => {
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const r = await probeEcho({ to: a.to, port: a.port, count: a.count, rate: a.rate, size: a.size, drainMs: a.drain, bind: a.bind, signal: ac.signal });
    const s = summarizeRtt('udp_echo', r.sent, r.rtt_us);
    if (a.json) {
      const out = { ...s, duplicates: r.duplicates, size: a.size, rate: a.rate, ...(a.samples ? { samples_us: Array.from(r.rtt_us, (x) => (Number.isNaN(x) ? null : Math.round(x * 10) / 10)) } : {}) };
      process.stdout.write(JSON.stringify(out) + '\n');
    } else {
      process.stdout.write(`${s.received}/${s.sent} back; rtt µs min ${s.min_us} avg ${s.avg_us} p50 ${s.p50_us} p99 ${s.p99_us} max ${s.max_us}\n`);
    }
    if (s.received === 0) throw new FlexbenchError(`echo probe: none of ${r.sent} datagrams came back from ${a.to}:${a.port}`, EXIT.trialsFailed);
  },
};

export const command: CommandModule = {
  command: 'echo <command>',
  describe: 'UDP echo server and round-trip probe (RTT through an NF)',
  builder: (y: Argv) => y.command(serve).command(probe).demandCommand(1, 'name a subcommand: serve or probe'),
  handler: () => undefined,
};
