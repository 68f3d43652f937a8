// `flexbench nf run`: lay the capture out per core, start one worker per core (and a pacing generator
// in offered-load mode), run for a duration or an exact packet count, and sum up what happened.
import { Worker } from 'node:worker_threads';
import v8 from 'node:v8';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createInterface, type Interface } from 'node:readline';
import { FlexbenchError, EXIT } from '../../common/errors.js';
import { MAX_TIMER_MS, setLongTimeout, type LongTimer } from '../../common/timers.js';
import type { StateConfig, StateLoss } from '../state/api.js';
import { stateLossMessage } from '../state/collector.js';
import { NF_REGISTRY, type NfName } from '../../nfs/registry.js';
import type { NfOptions } from '../../nfs/types.js';
import { readPcap, PcapWriter } from '../packet/pcap.js';
import { layoutRings, splitQuota, type Layout } from '../packet/layout.js';
import { createOfferedQueues, line, warmMissedIndex, type OfferedQueues } from '../packet/replay-port.js';
import { stampProblem } from '../packet/stamp.js';
import { mergeLatency } from '../packet/latency.js';
import type { GeneratorData } from '../packet/generator.js';
import type { CoreMessage, CoreWorkerData, PortSpec } from './worker.js';
import type { IfaceModule, IfacePrepared } from '../packet/port.js';
import { BURST_SIZE } from '../packet/burst.js';
import { CONTROL, CONTROL_WORDS, MAX_SHARED_BUDGET, STATS_WORDS } from '../packet/shared.js';
import { NF_V8_FLAGS, stateEventLine, type NfRunResult } from './result.js';
import { sampleCores } from './samples.js';
import { redactSecrets } from '../../common/secrets.js';

export type { NfRunResult };

interface NfRunOptions {
  nf: NfName;
  cores: number;
  /** pcap to replay (replay and offered modes) */
  input?: string;
  /** `replay` (default), `offered`, or an interface name handled by runtime/packet/iface */
  port: string;
  /** offered mode: packets per second */
  rate: number;
  /** offered mode: descriptors per queue */
  ringSize: number;
  state: StateConfig | null;
  nfOptions: Omit<NfOptions, 'core' | 'cores'>;
  duration?: number;
  /** seconds before the measured window: run warmup + duration, report the window only */
  warmup?: number;
  packets?: number;
  output?: string;
  burstSize?: number;
  /** seconds between rate lines on stderr (0 = none) */
  progressEvery?: number;
  /** offered mode: stamp every Nth packet the generator sends and measure its latency (0 = off) */
  latencyEvery?: number;
  /** link port: this process's instance id (what it tells the front-end) */
  instance?: string;
  /** link port: wait for the front-end to assign an instance id (a standby) */
  standby?: boolean;
  /** answer each stdin line with a sample of every core's counters and thread times (result.ts, nfSampleSchema); stdin's end stops the run */
  samplesOnStdin?: boolean;
  log?: (line: string) => void;
}


const isRingPort = (p: string) => p === 'replay' || p === 'offered';
/** How long a sample asking for the NF's statistics waits for every core's answer (a core yields every millisecond between chunks). */
const NF_STATS_WAIT_MS = 2000;

export async function runNf(o: NfRunOptions): Promise<NfRunResult> {
  // lines name the store (its URL may carry a password: masked)
  const log = o.log ?? ((s: string) => process.stderr.write(redactSecrets(s) + '\n'));
  const burstSize = o.burstSize ?? BURST_SIZE;
  if (!Number.isInteger(o.cores) || o.cores < 1) throw new FlexbenchError(`--cores must be a positive integer (got ${o.cores})`);
  if (o.packets !== undefined && (!Number.isInteger(o.packets) || o.packets < 1)) throw new FlexbenchError(`--packets must be a positive integer (got ${o.packets})`);
  if (o.duration !== undefined && !(o.duration > 0 && Number.isFinite(o.duration))) throw new FlexbenchError(`--duration must be positive seconds (got ${o.duration})`);
  if (o.warmup !== undefined && !(o.warmup >= 0 && Number.isFinite(o.warmup))) throw new FlexbenchError(`--warmup must be seconds >= 0 (got ${o.warmup})`);
  // a rate line further apart than setInterval's limit would come every millisecond instead
  if (o.progressEvery !== undefined && !(o.progressEvery >= 0 && o.progressEvery * 1000 <= MAX_TIMER_MS)) {
    throw new FlexbenchError(`--progress must be seconds between 0 and ${Math.floor(MAX_TIMER_MS / 1000)} (got ${o.progressEvery})`);
  }
  if (o.output && o.packets === undefined) throw new FlexbenchError('--output needs --packets N (a bounded run)');
  if (isRingPort(o.port) && !o.input) throw new FlexbenchError(`--input PCAP is required with --port ${o.port}`);
  if (o.port === 'offered' && !(o.rate > 0)) throw new FlexbenchError(`--rate must be positive packets per second (got ${o.rate})`);
  const latencyEvery = o.latencyEvery ?? 0;
  if (latencyEvery !== 0 && !(Number.isInteger(latencyEvery) && latencyEvery > 0)) throw new FlexbenchError(`--latency-every must be a positive integer (got ${latencyEvery})`);
  if (latencyEvery > 0 && o.port !== 'offered') throw new FlexbenchError(`--latency-every needs --port offered: the paced generator stamps the packets (got --port ${o.port})`);

  let layout: Layout | null = null;
  let quotas = new Array<number>(o.cores).fill(0);
  let sharedBudget = false;
  let offered: OfferedQueues | null = null;
  let iface: IfacePrepared | null = null;
  const portSpecs: PortSpec[] = [];
  if (isRingPort(o.port)) {
    const frames = readPcap(o.input!);
    const why = latencyEvery > 0 ? stampProblem(frames, o.input!) : null;
    if (why !== null) throw new FlexbenchError(why);
    layout = layoutRings(frames, o.cores, burstSize);
    const empty = layout.rings.filter((r) => r.count === 0).map((r) => r.core);
    if (empty.length > 0) {
      throw new FlexbenchError(`${o.input}: RSS gave cores ${empty.join(', ')} no packets (${frames.count} packets over ${o.cores} cores); use fewer cores or more flows`);
    }
    if (o.port === 'offered') {
      if (!Number.isInteger(o.ringSize) || o.ringSize < 32) throw new FlexbenchError(`--ring-size must be an integer >= 32 (got ${o.ringSize})`);
      offered = createOfferedQueues(o.cores, o.ringSize, latencyEvery > 0);
    } else if (o.packets !== undefined) {
      quotas = splitQuota(o.packets, layout.rings);
    }
    for (const ring of layout.rings) portSpecs.push({ kind: 'ring', ring, offered: offered ?? undefined });
  } else if (o.port.startsWith('link:')) {
    // a front-end in front of several instances sends this process its bursts (runtime/packet/link.ts)
    const path = o.port.slice('link:'.length);
    if (!path) throw new FlexbenchError('--port link:PATH needs the front-end\'s socket path');
    if (o.packets !== undefined || o.duration !== undefined) throw new FlexbenchError('--port link: runs until the front-end ends the link (no --packets or --duration)');
    if (burstSize < BURST_SIZE) throw new FlexbenchError(`--port link: needs --burst >= ${BURST_SIZE} (the front-end sends bursts of up to ${BURST_SIZE})`);
    for (let c = 0; c < o.cores; c++) portSpecs.push({ kind: 'link', path, instance: o.standby ? null : (o.instance ?? 'ins1') });
  } else {
    if (o.standby) throw new FlexbenchError('--standby needs --port link:PATH (a front-end assigns the standby its instance)');
    let mod: IfaceModule;
    try {
      mod = (await import('../packet/iface/index.js' as string)) as IfaceModule;
    } catch (err) {
      throw new FlexbenchError(`--port ${o.port}: no interface port is built into this flexbench (runtime/packet/iface/index.js: ${(err as Error).message}); use --port replay or --port offered`, EXIT.environment);
    }
    iface = (await mod.prepareIface?.({ iface: o.port, queues: o.cores })) ?? {};
    for (let c = 0; c < o.cores; c++) portSpecs.push({ kind: 'iface', iface: o.port, shared: iface.shared });
    if (o.packets !== undefined) {
      if (o.packets > MAX_SHARED_BUDGET) throw new FlexbenchError(`--packets ${o.packets} on an interface: at most ${MAX_SHARED_BUDGET} (use --duration for longer runs)`);
      sharedBudget = true;
    }
  }

  // a replayed capture may hold more flows per core than maxSlots' default (2,097,152): room for all
  // of them (a map holds at most one key per packet), so 10,000,000 flows need no extra setting
  let state = o.state;
  // and a heap for them: a flow's key lives as JavaScript strings and Map entries (several hundred
  // bytes) and V8's default of 4 GB per worker ends at about 8,000,000 flows
  let resourceLimits: { maxOldGenerationSizeMb: number } | undefined;
  if (state && layout) {
    const most = Math.max(...layout.rings.map((r) => r.count));
    if (most > state.maxSlots) {
      state = { ...state, maxSlots: Math.min(1 << 26, 2 ** Math.ceil(Math.log2(most))) };
      const share = Math.floor((os.totalmem() / 2 ** 20) * 0.75 / o.cores);
      resourceLimits = { maxOldGenerationSizeMb: Math.max(4096, Math.min(share, Math.ceil(most / 1e6) * 1024)) };
    }
  }

  // The optimising compiler runs on the core it measures, before the window, not on a background thread racing the
  // packet loop: with it in the background, when the optimised code arrived and which type feedback it saw differed
  // from process to process, and so did the rate (NAT, 1 core, idle host: CV 12 % between runs; 1.5 % without).
  // Set before the workers' isolates exist, so each of them compiles this way.
  for (const f of NF_V8_FLAGS) v8.setFlagsFromString(f);
  const control = new SharedArrayBuffer(4 * CONTROL_WORDS);
  const ctl = new Int32Array(control);
  if (sharedBudget) Atomics.store(ctl, CONTROL.budget, o.packets!);
  const stats = new SharedArrayBuffer(8 * STATS_WORDS * o.cores);
  const statsView = new Float64Array(stats);
  // what the NF's cores share (the NAT's pool blocks): one zeroed buffer for all of them
  const nfBytes = (await NF_REGISTRY[o.nf].load()).sharedBytes?.({ ...o.nfOptions, cores: o.cores }) ?? 0;
  const nfShared = nfBytes > 0 ? new SharedArrayBuffer(nfBytes) : undefined;
  const workers: Worker[] = [];
  // each core thread's kernel id, from its ready message: its CPU and wait times are read from the main thread for a sample
  const tids: (number | null)[] = new Array<number | null>(o.cores).fill(null);
  let generator: Worker | null = null;
  let generatorExit: Promise<void> = Promise.resolve();
  const genReport = new Float64Array(new SharedArrayBuffer(32));
  const done: (Extract<CoreMessage, { type: 'done' }> | undefined)[] = new Array(o.cores);
  let failure: FlexbenchError | null = null;
  const losses: (StateLoss & { core: number })[] = [];
  let stoppedBy = (o.packets !== undefined ? 'packets' : 'duration') as NfRunResult['stopped_by'];
  const stop = () => Atomics.store(ctl, CONTROL.stop, 1);
  const onSignal = () => {
    stoppedBy = 'signal';
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let timer: LongTimer | null = null;
  let warmTimer: LongTimer | null = null;
  let ticker: NodeJS.Timeout | null = null;
  let samples: Interface | null = null;
  // asks for the NF's statistics in flight (--samples-on-stdin, a line `ID nf`): each core's answer by ask id
  const statsAsked = new Map<string, (stats: Record<string, number>) => void>();
  let asks = 0;
  /** Every core's NF statistics summed, or null when a core did not answer within NF_STATS_WAIT_MS (a store-bound chunk). */
  const nfStatsNow = (id: string): Promise<Record<string, number> | null> =>
    new Promise((resolve) => {
      const key = `${id}#${++asks}`;
      const sum: Record<string, number> = {};
      let left = workers.length;
      const timer = setTimeout(() => finish(null), NF_STATS_WAIT_MS);
      const finish = (r: Record<string, number> | null) => {
        clearTimeout(timer);
        statsAsked.delete(key);
        resolve(r);
      };
      statsAsked.set(key, (st) => {
        for (const [k, v] of Object.entries(st)) sum[k] = (sum[k] ?? 0) + v;
        if (--left === 0) finish(sum);
      });
      if (left === 0) finish(sum);
      for (const w of workers) w.postMessage({ type: 'nf-stats', id: key });
    });

  const exits: Promise<void>[] = [];
  const readies: Promise<void>[] = [];
  try {
    for (let c = 0; c < o.cores; c++) {
      const data: CoreWorkerData = {
        core: c, cores: o.cores, nf: o.nf, nfOptions: o.nfOptions, state, port: portSpecs[c], burstSize,
        quota: quotas[c], sharedBudget, total: o.packets ?? 0, warmup: (o.warmup ?? 0) > 0, control, stats, capture: Boolean(o.output),
        ...(nfShared ? { nfShared } : {}),
        ...(o.samplesOnStdin ? { samples: true } : {}),
      };
      const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: data, resourceLimits });
      workers.push(w);
      let readyResolve!: () => void;
      readies.push(new Promise<void>((r) => (readyResolve = r)));
      exits.push(
        new Promise<void>((resolve) => {
          w.on('message', (m: CoreMessage) => {
            if (m.type === 'ready') {
              tids[c] = m.tid;
              readyResolve();
            }
            else if (m.type === 'done') done[m.core] = m;
            else if (m.type === 'nf-stats') statsAsked.get(m.id)?.(m.stats);
            else if (m.type === 'state-loss') {
              losses.push({ core: m.core, ...m.loss });
              log(`nf run: core ${m.core}: ${stateLossMessage(m.loss)}`);
              log(stateEventLine({ core: m.core, kind: 'state loss', loss: { core: m.core, ...m.loss } }));
              if (m.loss.action === 'fail') {
                stoppedBy = 'state-loss';
                stop();
              }
            }
            else if (m.type === 'store-outage') log(stateEventLine({ core: m.core, kind: 'store outage', outage: m.outage }));
            else if (m.type === 'error') {
              failure ??= new FlexbenchError(`core ${m.core}: ${m.message}`, (m.exitCode as typeof EXIT.usage) ?? EXIT.environment);
              stop();
              readyResolve();
            }
          });
          w.on('error', (err) => {
            failure ??= new FlexbenchError(`core ${c} worker crashed: ${err.stack ?? err.message}`, EXIT.environment);
            stop();
            readyResolve();
          });
          w.on('exit', () => {
            readyResolve();
            resolve();
          });
        }),
      );
    }
    await Promise.all(readies);
    if (failure) throw failure;

    if (offered && layout) {
      const g: GeneratorData = {
        queues: offered, queueOfPacket: layout.queueOfPacket, packets: layout.packets, cores: o.cores, rate: o.rate,
        total: o.packets ?? 0, control, report: genReport.buffer as SharedArrayBuffer,
        warmupMs: (o.warmup ?? 0) * 1000, stampEvery: latencyEvery,
        stopAfterMs: o.duration !== undefined ? ((o.warmup ?? 0) + o.duration) * 1000 : 0,
      };
      generator = new Worker(new URL('../packet/generator.js', import.meta.url), { workerData: g });
      const gen = generator;
      generatorExit = new Promise<void>((r) => gen.on('exit', () => r()));
      generator.on('error', (err) => {
        failure ??= new FlexbenchError(`offered-load generator crashed: ${err.message}`, EXIT.environment);
        stop();
      });
    }

    const t0 = performance.now();
    Atomics.store(ctl, CONTROL.go, 1);
    Atomics.notify(ctl, CONTROL.go);
    if (o.duration !== undefined) {
      const end = ((o.warmup ?? 0) + o.duration) * 1000;
      // offered load: the generator stops itself after W + D by its own clock (it starts a little after
      // this one) and the cores drain their queues, so nothing it sent is lost by stopping; this timer
      // only stops a generator that overslept, and 5 s later a core that cannot drain
      if (offered) {
        timer = setLongTimeout(() => {
          Atomics.store(ctl, CONTROL.genStop, 1);
          Atomics.notify(ctl, CONTROL.genStop);
          timer = setLongTimeout(stop, 5000);
        }, end + 1000);
      } else timer = setLongTimeout(stop, end);
    }
    // the warm-up ends for every core at once: a control word each checks per burst
    // (offered load: the generator marks the boundary itself, packet-exactly, per queue)
    if (o.warmup && !offered) warmTimer = setLongTimeout(() => Atomics.store(ctl, CONTROL.warm, 1), o.warmup * 1000);
    if (o.samplesOnStdin) {
      samples = createInterface({ input: process.stdin });
      samples.on('line', (l) => {
        // `ID nf`: the NF's statistics too, asked of every core after the counters were read
        const m = /^(.*) nf$/.exec(l.trim());
        const s = sampleCores(m ? m[1]! : l.trim(), o.cores, statsView, tids);
        if (!m) process.stdout.write(`${JSON.stringify(s)}\n`);
        else void nfStatsNow(s.nf_sample).then((nf) => process.stdout.write(`${JSON.stringify({ ...s, nf })}\n`));
      });
      // stdin's end: whoever asked for samples is done, or gone
      samples.on('close', onSignal);
    }
    if ((o.progressEvery ?? 1) > 0) {
      let lastT = t0;
      let lastRx = 0;
      let lastTx = 0;
      ticker = setInterval(() => {
        const now = performance.now();
        let rx = 0;
        let tx = 0;
        for (let c = 0; c < o.cores; c++) {
          rx += statsView[c * STATS_WORDS];
          tx += statsView[c * STATS_WORDS + 1];
        }
        const dt = (now - lastT) / 1000;
        log(`[${o.nf}] t=${((now - t0) / 1000).toFixed(1)}s rx ${((rx - lastRx) / dt / 1e6).toFixed(3)} Mpps tx ${((tx - lastTx) / dt / 1e6).toFixed(3)} Mpps (total rx ${rx})`);
        lastT = now;
        lastRx = rx;
        lastTx = tx;
      }, (o.progressEvery ?? 1) * 1000);
    }
    await Promise.all(exits);
    stop();
    await generatorExit; // it sees the stop word within one pacing step; its missed counts are final after this
  } finally {
    stop();
    timer?.clear();
    warmTimer?.clear();
    if (ticker) clearInterval(ticker);
    if (samples) {
      samples.off('close', onSignal);
      samples.close();
      process.stdin.destroy();
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await Promise.all(workers.map((w) => w.terminate().catch(() => undefined)));
    if (generator) await generator.terminate().catch(() => undefined);
    await iface?.cleanup?.();
  }
  if (failure) throw failure;
  const missing = done.map((d, c) => (d ? -1 : c)).filter((c) => c >= 0);
  if (missing.length) throw new FlexbenchError(`cores ${missing.join(', ')} ended without reporting`, EXIT.environment);
  const per = done as Extract<CoreMessage, { type: 'done' }>[];
  if (offered) {
    const m = new Float64Array(offered.counters);
    for (const d of per) d.missed = m[line(d.core, 2) / 2];
  }

  let output: string | null = null;
  if (o.output) {
    const w = new PcapWriter(o.output);
    for (const d of per) {
      let pos = 0;
      for (let i = 0; i < d.capture!.lens.length; i++) {
        w.add(d.capture!.bytes, pos, d.capture!.lens[i]);
        pos += d.capture!.lens[i];
      }
    }
    w.close();
    output = o.output;
  }
  if (o.warmup) {
    // report the measured window only: every count from the warm-up's end (a core that stopped before it has none)
    const lost = losses.find((l) => l.action === 'fail');
    if (lost && per.some((d) => d.warm === null)) throw new FlexbenchError(`nf run stopped during its warm-up: core ${lost.core}: ${stateLossMessage(lost)}`, EXIT.environment);
    if (per.some((d) => d.warm === null)) throw new FlexbenchError(`the run ended within its ${o.warmup} s warm-up: nothing measured (longer --duration, or no --warmup)`);
    for (const d of per) {
      const w = d.warm!;
      d.times.start = w.times;
      const missedAtWarm = offered ? new Float64Array(offered.counters)[warmMissedIndex(d.core)] : w.missed;
      d.rx -= w.rx;
      d.tx -= w.tx;
      d.txDropped -= w.txDropped;
      d.missed = Math.max(0, d.missed - missedAtWarm);
      d.seconds -= w.at;
    }
  }
  const rx = per.reduce((s, d) => s + d.rx, 0);
  const tx = per.reduce((s, d) => s + d.tx, 0);
  const missed = per.reduce((s, d) => s + d.missed, 0);
  const txDropped = per.reduce((s, d) => s + d.txDropped, 0);
  const r6 = (x: number) => Math.round(x * 1e6) / 1e6;
  const duration = Math.max(...per.map((d) => d.seconds));
  // each core's window on its thread's clocks (the warm-up's share was cut above)
  const spent = per.map((d) => (d.times.start && d.times.end ? { cpu: d.times.end.cpu - d.times.start.cpu, wait: d.times.end.wait - d.times.start.wait } : null));
  const sumOf = (k: 'cpu' | 'wait') => (spent.every((x) => x !== null) ? r6(spent.reduce((a, x) => a + x![k], 0)) : null);
  if (offered && stoppedBy !== 'signal' && o.packets !== undefined) stoppedBy = 'input';
  if (o.port.startsWith('link:') && stoppedBy !== 'signal' && stoppedBy !== 'state-loss') stoppedBy = 'input';
  return {
    nf: o.nf,
    store: o.state?.store ?? null,
    mode: o.state?.mode ?? null,
    port: o.port,
    cores: o.cores,
    cores_available: os.availableParallelism(),
    burst: burstSize,
    input: o.input ?? null,
    packets_in_capture: layout?.packets ?? null,
    rx_packets: rx,
    tx_packets: tx,
    dropped: missed + (rx - tx),
    missed,
    nf_dropped: rx - tx - txDropped,
    tx_dropped: txDropped,
    duration_s: r6(duration),
    rx_mpps: r6(duration > 0 ? rx / duration / 1e6 : 0),
    cpu_s: sumOf('cpu'),
    wait_s: sumOf('wait'),
    tx_mpps: r6(duration > 0 ? tx / duration / 1e6 : 0),
    offered_mpps: offered && genReport[1] > 0 ? r6((genReport[0] - genReport[2]) / (genReport[1] - genReport[3]) / 1e6) : null,
    offered_packets: offered ? genReport[0] - genReport[2] : null,
    intended_packets: offered ? Math.max(genReport[0] - genReport[2], Math.round(o.rate * (genReport[1] - genReport[3]))) : null,
    latency: latencyEvery > 0 ? mergeLatency(per.map((d) => d.latency).filter((x) => x !== null)) : null,
    stopped_by: stoppedBy,
    state_lost: losses.length > 0,
    state_loss: losses,
    warmup_s: o.warmup ?? 0,
    warnings: per.flatMap((d) => (d.nfMessages ?? []).map((m) => `core ${d.core}: ${m}`)),
    // what a core received and did not send back, the port did not refuse: the NF dropped it
    per_core: per.map((d) => ({
      core: d.core, rx_packets: d.rx, tx_packets: d.tx, dropped: d.missed + d.rx - d.tx, missed: d.missed, nf_dropped: d.rx - d.tx - d.txDropped, tx_dropped: d.txDropped,
      duration_s: r6(d.seconds), rx_mpps: r6(d.seconds > 0 ? d.rx / d.seconds / 1e6 : 0), nf: d.nfStats,
      cpu_s: spent[d.core] ? r6(spent[d.core]!.cpu) : null, wait_s: spent[d.core] ? r6(spent[d.core]!.wait) : null,
      ...(d.state ? { state: d.state } : {}),
    })),
    output,
  };
}
