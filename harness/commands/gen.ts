// `flexbench gen`: the round-trip generator (runtime/packet/roundtrip.ts) on an interface: paces a capture
// out, stamps a sample, receives what comes back. What node1 of the netns and lab testbeds runs
// (inventory generator: flexbench); the flags only, the loop lives in the runtime.
import type { CommandModule, Argv } from 'yargs';
import { FlexbenchError, EXIT } from '../exit-codes.js';

interface GenArgs {
  port: string;
  input: string;
  rate: string;
  warmup: number;
  duration: number;
  'latency-every': number;
  'drain-ms': number;
  burst: number;
  json: boolean;
}

export const command: CommandModule<object, GenArgs> = {
  command: 'gen',
  describe: 'round-trip generator on an interface: send a pcap at a rate, stamp every Nth packet, receive what comes back (loss, latency)',
  builder: (y: Argv) =>
    y
      .example('sudo $0 gen --port port1 --input p.pcap --rate 200000 --warmup 1 --duration 5 --latency-every 100 --json', 'offered 200 kpps, latency of every 100th packet over the round trip')
      .option('port', { type: 'string', demandOption: true, describe: '[xdp:|packet:]IFACE (AF_XDP, AF_PACKET fallback), one queue' })
      .option('input', { type: 'string', demandOption: true, describe: 'pcap to send (Ethernet, classic pcap), looped' })
      .option('rate', { type: 'string', demandOption: true, describe: 'packets per second, or "max" (unpaced: as fast as the port takes them)' })
      .option('warmup', { type: 'number', default: 0, describe: 'seconds sent before the measured phase (counted apart)' })
      .option('duration', { type: 'number', demandOption: true, describe: 'seconds of the measured phase' })
      .option('latency-every', { type: 'number', default: 0, describe: 'stamp every Nth packet of the measured phase and report its round-trip latency (0: off)' })
      .option('burst', { type: 'number', default: 1, describe: 'paced: send once this many packets are due, back to back (1: each when due)' })
      .option('drain-ms', { type: 'number', default: 200, describe: 'after each phase, ms to keep receiving what is still on its way back' })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as one JSON object on the last stdout line' }),
  handler: async (a) => {
    const rate = a.rate === 'max' ? 'max' : Number(a.rate);
    if (rate !== 'max' && !(rate > 0 && Number.isFinite(rate))) throw new FlexbenchError(`--rate must be positive packets per second or "max" (got ${a.rate})`, EXIT.usage);
    if (!(a['drain-ms'] >= 0 && a['drain-ms'] <= 60_000)) throw new FlexbenchError(`--drain-ms must be between 0 and 60000 (got ${a['drain-ms']})`, EXIT.usage);
    const { runRoundTrip, loadRoundTripCapture } = await import('../../runtime/packet/roundtrip.js');
    const o = { input: a.input, rate, warmupS: a.warmup, durationS: a.duration, latencyEvery: a['latency-every'], drainMs: a['drain-ms'], burst: a.burst } as const;
    // the capture and the options first: a bad one is exit 2 before any socket or XDP program exists
    const capture = loadRoundTripCapture(o);
    const iface = await import('../../runtime/packet/iface/index.js');
    const p = await iface.prepareIface({ iface: a.port, queues: 1, packet: { retireMs: 1 } });
    const port = await iface.openIfacePort({ iface: a.port, queue: 0, queues: 1, burstSize: 64, shared: p.shared });
    try {
      const r = runRoundTrip(port as import('../../runtime/packet/port.js').SenderPort, o, capture);
      if (a.json) process.stdout.write(JSON.stringify(r) + '\n');
      else {
        const l = r.latency;
        process.stdout.write(
          `${r.port}: ${r.paced ? `offered ${r.rate_pps} pps` : 'unpaced (max)'} for ${r.seconds.toFixed(3)} s: sent ${r.sent_packets}, received ${r.received_packets}, lost ${r.lost_packets} (${(r.loss_ratio * 100).toFixed(3)} %)\n` +
            (l ? `round-trip latency (${l.samples} samples), us: min ${l.min_us} mean ${l.mean_us} p50 ${l.p50_us} p90 ${l.p90_us} p99 ${l.p99_us} p99.9 ${l.p999_us} max ${l.max_us} jitter ${l.jitter_us}\n` : ''),
        );
      }
    } finally {
      await port.close();
      await p.cleanup();
    }
  },
};
