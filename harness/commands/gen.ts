// `flexbench gen`: the round-trip generator (runtime/packet/roundtrip.ts) on an interface: paces a capture
// out, stamps a sample, receives what comes back. What node1 of the netns and lab testbeds runs
// (inventory generator: flexbench); the flags only, the loop lives in the runtime.
import type { CommandModule, Argv } from 'yargs';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import type { SenderPort } from '../../runtime/packet/port.js';

interface GenArgs {
  port: string;
  input: string;
  rate?: string;
  warmup: number;
  duration?: number;
  'latency-every': number;
  'drain-ms': number;
  burst: number;
  json: boolean;
  'trials-on-stdin': boolean;
}

export const command: CommandModule<object, GenArgs> = {
  command: 'gen',
  describe: 'round-trip generator on an interface: send a pcap at a rate, stamp every Nth packet, receive what comes back (loss, latency)',
  builder: (y: Argv) =>
    y
      .example('sudo $0 gen --port port1 --input p.pcap --rate 200000 --warmup 1 --duration 5 --latency-every 100 --json', 'offered 200 kpps, latency of every 100th packet over the round trip')
      .option('port', { type: 'string', demandOption: true, describe: '[xdp:|packet:]IFACE (AF_XDP, AF_PACKET fallback), one queue' })
      .option('input', { type: 'string', demandOption: true, describe: 'pcap to send (Ethernet, classic pcap), looped' })
      .option('rate', { type: 'string', describe: 'packets per second, or "max" (unpaced: as fast as the port takes them); required unless --trials-on-stdin' })
      .option('warmup', { type: 'number', default: 0, describe: 'seconds sent before the measured phase (counted apart)' })
      .option('duration', { type: 'number', describe: 'seconds of the measured phase; required unless --trials-on-stdin' })
      .option('latency-every', { type: 'number', default: 0, describe: 'stamp every Nth packet of the measured phase and report its round-trip latency (0: off)' })
      .option('burst', { type: 'number', default: 1, describe: 'paced: send once this many packets are due, back to back (1: each when due)' })
      .option('drain-ms', { type: 'number', default: 200, describe: 'after each phase, ms to keep receiving what is still on its way back' })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as one JSON object on the last stdout line' })
      .option('trials-on-stdin', { type: 'boolean', default: false, describe: 'stay up with the port open: print {"gen_ready": PORT}, then run one trial per JSON line on stdin ({"gen_trial": ID, "rate", "warmup_s", "duration_s", "latency_every"}) and answer each with one JSON line carrying its id; a line `end` or stdin\'s end stops it (how a search keeps its generator up across its trials)' }),
  handler: async (a) => {
    if (a['trials-on-stdin']) return resident(a);
    if (a.rate === undefined) throw new FlexbenchError('gen needs --rate (packets per second or "max"), or --trials-on-stdin', EXIT.usage);
    if (a.duration === undefined) throw new FlexbenchError('gen needs --duration (seconds of the measured phase), or --trials-on-stdin', EXIT.usage);
    const rate = a.rate === 'max' ? 'max' : Number(a.rate);
    if (rate !== 'max' && !(rate > 0 && Number.isFinite(rate))) throw new FlexbenchError(`--rate must be positive packets per second or "max" (got ${a.rate})`, EXIT.usage);
    checkDrain(a);
    const { runRoundTrip, loadRoundTripCapture } = await import('../../runtime/packet/roundtrip.js');
    const o = { input: a.input, rate, warmupS: a.warmup, durationS: a.duration, latencyEvery: a['latency-every'], drainMs: a['drain-ms'], burst: a.burst } as const;
    // the capture and the options first: a bad one is exit 2 before any socket or XDP program exists
    const capture = loadRoundTripCapture(o);
    const { port, close } = await openPort(a);
    try {
      const r = runRoundTrip(port, o, capture);
      if (a.json) process.stdout.write(JSON.stringify(r) + '\n');
      else {
        const l = r.latency;
        process.stdout.write(
          `${r.port}: ${r.paced ? `offered ${r.rate_pps} pps` : 'unpaced (max)'} for ${r.seconds.toFixed(3)} s: sent ${r.sent_packets}, received ${r.received_packets}, lost ${r.lost_packets} (${(r.loss_ratio * 100).toFixed(3)} %)\n` +
            (l ? `round-trip latency (${l.samples} samples), us: min ${l.min_us} mean ${l.mean_us} p50 ${l.p50_us} p90 ${l.p90_us} p99 ${l.p99_us} p99.9 ${l.p999_us} max ${l.max_us} jitter ${l.jitter_us}\n` : ''),
        );
      }
    } finally {
      await close();
    }
  },
};

/** --drain-ms in its range (both ways gen runs check it before anything opens). */
function checkDrain(a: GenArgs): void {
  if (!(a['drain-ms'] >= 0 && a['drain-ms'] <= 60_000)) throw new FlexbenchError(`--drain-ms must be between 0 and 60000 (got ${a['drain-ms']})`, EXIT.usage);
}

/** --port opened on one queue, as both ways gen runs use it; `close` closes the port, then the interface's preparation. */
async function openPort(a: GenArgs): Promise<{ port: SenderPort; close(): Promise<void> }> {
  const iface = await import('../../runtime/packet/iface/index.js');
  const p = await iface.prepareIface({ iface: a.port, queues: 1, packet: { retireMs: 1 } });
  const port = (await iface.openIfacePort({ iface: a.port, queue: 0, queues: 1, burstSize: 64, shared: p.shared })) as SenderPort;
  return {
    port,
    close: async () => {
      await port.close();
      await p.cleanup();
    },
  };
}

/** --trials-on-stdin: the port opened once, a trial per request line, each answered on one line with its id. */
async function resident(a: GenArgs): Promise<void> {
  checkDrain(a);
  const { runRoundTrip, loadRoundTripCapture, checkRoundTripOptions, discardReceived } = await import('../../runtime/packet/roundtrip.js');
  const { genTrialRequestSchema } = await import('../../runtime/packet/roundtrip-result.js');
  const { createInterface } = await import('node:readline');
  const base = { input: a.input, rate: 'max', warmupS: 0, durationS: 1, latencyEvery: 0, drainMs: a['drain-ms'], burst: a.burst } as const;
  const capture = loadRoundTripCapture(base);
  const { port, close } = await openPort(a);
  const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
  // SIGTERM (the harness ending it early) ends the loop, so the port is closed and its program detached
  const onTerm = () => process.stdin.destroy();
  process.once('SIGTERM', onTerm);
  try {
    say({ gen_ready: port.kind, pid: process.pid });
    // one line at a time: a trial blocks the thread (busy-polling), the next line waits in the stream
    for await (const line of createInterface({ input: process.stdin })) {
      if (!line.trim()) continue;
      if (line.trim() === 'end') break;
      let id = '?';
      try {
        const j = JSON.parse(line) as { gen_trial?: unknown };
        if (typeof j?.gen_trial === 'string') id = j.gen_trial;
        const q = genTrialRequestSchema.safeParse(j);
        if (!q.success) throw new FlexbenchError(`a trial request must be {"gen_trial", "rate", "warmup_s", "duration_s", "latency_every"}: ${q.error.issues.map((i) => `${i.path.join('.') || '(line)'}: ${i.message}`).join('; ')}`, EXIT.usage);
        const o = { ...base, rate: q.data.rate, warmupS: q.data.warmup_s, durationS: q.data.duration_s, latencyEvery: q.data.latency_every };
        checkRoundTripOptions(o, capture.frames);
        // what came back after the last trial's drain is not this trial's
        discardReceived(port, 1000);
        say({ gen_trial: id, ...runRoundTrip(port, o, capture) });
      } catch (e) {
        say({ gen_trial: id, error: (e as Error).message });
      }
    }
  } finally {
    process.off('SIGTERM', onTerm);
    // an open stdin would keep the process up after the loop
    process.stdin.destroy();
    await close();
  }
}
