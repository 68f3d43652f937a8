// One two-node trial in its phases: the NF on node2 until it is ready, the generator on node1 until it
// reports, the measured window on the generator's clock, the stop (generator first, so the NF sees its
// last packets, then the NF, which prints its totals), and the measurement read from both.
import { mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { FlexbenchError, EXIT } from '../../exit-codes.js';
import { shellJoin, type Host, type HostProcess, type ExecResult } from '../../hosts/host.js';
import type { Inventory } from '../../inventory/schema.js';
import { TestpmdStatsParser, TestpmdClock, type TestpmdSnapshot } from '../../tools/testpmd.js';
import { PktgenLua, pktgenConsoleArgv, ratePercent } from '../../tools/pktgen.js';
import { PktgenProcess } from '../../tools/pktgen-process.js';
import { nodeLog } from './trial-log.js';
import { readRate, type CommandTarget } from '../../tools/command.js';
import { parseNfProgress, nfRunFlags, parseNfRunOn, nfRunPerCore, nfRunStats } from '../../tools/nf-run.js';
import type { TrialMeasurement, TrialRequest } from '../testbed.js';
import { type ArgvContext, type NfKind, type GenLoad, nfKind, lineBuffered, filePrefix, testpmdNfArgv, testpmdGenArgv, pktgenGenArgv, flexbenchNfArgv, commandNfArgv, flexbenchGenArgv } from './argv.js';
import { parseRoundTripOutput, type RoundTripResult } from '../../../runtime/packet/roundtrip-result.js';
import { type Sample, clockOffset, alignedWindow, windowOf, askedPps, generatorFlags, roundTripCounts, roundTripFlags } from './window.js';
import { sleep } from '../../../common/processes.js';

export const KILL_GRACE_MS = 5000;


/**
 * The NF's state config with the store's credentials, written on node2 in a file only its owner reads
 * (never on a command line or in a log): its path for `nf run --state-config`; none without credentials.
 */
export async function writeStateConfig(node2: Host, secretsDir: string, t: TrialRequest['trial'], store: TrialRequest['store']): Promise<string | undefined> {
  const driver = store?.driverOptions;
  if (!driver || !store.url) return undefined;
  const file = `${secretsDir}/state-${t.index}.json`;
  await node2.exec(['mkdir', '-p', '-m', '700', secretsDir]);
  await node2.exec(['sh', '-c', 'umask 077 && : > "$1"', 'sh', file]);
  await node2.writeFile(file, JSON.stringify({ nf: t.nf, instance: 'ins1', store: store.url, driver }));
  return file;
}
/** testpmd's --stats-period (the default of testpmdArgv) */
const STATS_PERIOD_S = 1;

/** What a two-node trial records beyond the rates (written next to the trial's log). */
interface TwoNodeExtras {
  generator: { tool: string; tx_packets: number; rx_packets: number; tx_pps: number; rx_pps: number; asked_pps: number | null };
  nf: { tool: string; rx_packets: number | null; tx_packets: number | null; rx_pps: number | null; tx_pps: number | null; final: unknown };
  /** e.g. generator_shortfall */
  flags: string[];
}

/** What a trial needs of its testbed. */
interface TrialEnv {
  argv: ArgvContext;
  inv: Inventory;
  commands: Record<string, CommandTarget>;
  node1: Host;
  node2: Host;
  /** where the trial's pcap is on the nodes */
  remotePcap: string;
  /** upper bound of an NF's run (the harness stops it earlier) */
  maxSeconds: number;
  /** a private directory on node2 for the store's credentials */
  secretsDir: string;
}

export const now = (): number => performance.now() / 1000;

const interrupted = () => new FlexbenchError('interrupted', EXIT.interrupted);

/** The state a trial's phases share. */
interface Run {
  env: TrialEnv;
  req: TrialRequest;
  signal: AbortSignal;
  log: WriteStream;
  started: HostProcess[];
  kind: NfKind;
  write: (who: string) => (c: string) => void;
}

interface RunningNf {
  proc: HostProcess;
  argv: string[];
  samples: Sample[];
  parser: TestpmdStatsParser | null;
  target: CommandTarget | null;
  /** when the NF had to be ready by (the generator's start-up is bounded from there) */
  readyBy: number;
  exited: () => boolean;
}

interface RunningGen {
  proc: HostProcess;
  argv: string[];
  samples: Sample[];
  lua: PktgenLua | null;
  /** Pktgen (ended through its console) */
  pktgen: PktgenProcess | null;
  poller: Promise<void>;
  stopPolling: () => void;
  asked: number | null;
  exited: () => boolean;
}

export async function runTwoNodeTrial(env: TrialEnv, req: TrialRequest, signal: AbortSignal, log: WriteStream, started: HostProcess[]): Promise<TrialMeasurement> {
  const run: Run = { env, req, signal, log, started, kind: nfKind(env.commands, req.trial.nf), write: nodeLog(log) };
  if (req.load && env.inv.generator !== 'flexbench') {
    // pacing and stamping as a paced trial needs them: refused before anything starts
    const why = unpacedReason(env.inv.generator, (req.load.latency_every ?? 0) > 0);
    if (why) throw new FlexbenchError(why, EXIT.usage);
  }
  const nf = await startNf(run);
  if (env.inv.generator === 'flexbench') {
    const gen = await runRoundTripGenerator(run, nf);
    const nfResult = await stopNf(run, nf);
    return measureRoundTrip(run, nf, gen, nfResult);
  }
  const gen = await startGenerator(run, nf);
  const window = await awaitWindow(run, nf, gen);
  const nfResult = await stopBoth(run, nf, gen);
  return measure(run, nf, gen, window, nfResult);
}

/** 1. the NF on node2, sampled as it runs, until it is ready to forward */
async function startNf(run: Run): Promise<RunningNf> {
  const { env, req, signal, log, kind } = run;
  const t = req.trial;
  const storeUrl = req.store?.url ?? null;
  const samples: Sample[] = [];
  let ready = false;
  let argv: string[];
  let parser: TestpmdStatsParser | null = null;
  let errTail = '';
  if (kind === 'testpmd') {
    argv = testpmdNfArgv(env.argv, t);
    const clock = new TestpmdClock(STATS_PERIOD_S);
    parser = new TestpmdStatsParser((s) => {
      const at = clock.next(s);
      const p = s.ports.find((x) => x.port === 0);
      if (p) samples.push({ at, arr: now(), rx: p.rxPackets, tx: p.txPackets });
      ready = true;
    });
  } else if (kind === 'flexbench') {
    const stateConfig = await writeStateConfig(env.node2, env.secretsDir, t, req.store);
    argv = flexbenchNfArgv(env.argv, t, storeUrl, env.maxSeconds, stateConfig);
  }
  else argv = commandNfArgv(env.argv, t, storeUrl, env.maxSeconds, env.remotePcap);
  const target = kind === 'command' ? env.commands[t.nf] : null;
  // a command target is ready at its ready line, or start_wait_s after launch if it has none
  const readyRe = target?.ready ? new RegExp(target.ready.regex) : null;
  let readyTail = '';
  const watchReady = (stream: 'stdout' | 'stderr', c: string) => {
    if (!readyRe || ready || target!.ready!.stream !== stream) return;
    const lines = (readyTail + c).split('\n');
    readyTail = (lines.pop() ?? '').slice(-4096);
    if (lines.some((l) => readyRe.test(l)) || readyRe.test(readyTail)) ready = true;
  };
  log.write(`# ${new Date().toISOString()} node2$ ${shellJoin(argv)}\n`);
  const proc = env.node2.spawn(kind === 'testpmd' ? lineBuffered(argv) : argv, {
    signal,
    onStdout: (c) => {
      run.write('node2')(c);
      parser?.push(c);
      watchReady('stdout', c);
    },
    onStderr: (c) => {
      run.write('node2')(c);
      watchReady('stderr', c);
      if (kind !== 'flexbench') return;
      errTail += c;
      const lines = errTail.split('\n');
      errTail = lines.pop() ?? '';
      for (const l of lines) {
        const p = parseNfProgress(l);
        if (p) {
          samples.push({ at: p.t, arr: now(), rx: p.rx_total, tx: p.rx_total });
          ready = true;
        }
      }
    },
  });
  run.started.push(proc);
  let exited = false;
  void proc.done.then(() => (exited = true));
  const startTimeout = env.inv.start_timeout_s;
  const readyBy = now() + startTimeout;
  const settledAt = target && !readyRe ? now() + target.start_wait_s : Infinity;
  while (!ready) {
    if (signal.aborted) throw interrupted();
    if (exited) {
      const r = await proc.done;
      throw new FlexbenchError(`the NF on node2 exited before forwarding (${r.signal ?? `code ${r.code}`}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`, EXIT.trialsFailed);
    }
    if (now() >= settledAt) break;
    if (now() > readyBy) {
      throw new FlexbenchError(readyRe ? `the NF on node2 printed no line matching ${JSON.stringify(target!.ready!.regex)} on ${target!.ready!.stream} within ${startTimeout} s` : `the NF on node2 showed no statistics within ${startTimeout} s`, EXIT.trialsFailed);
    }
    await sleep(50, signal);
  }
  log.write(`# ${new Date().toISOString()} NF ready\n`);
  return { proc, argv, samples, parser, target, readyBy, exited: () => exited };
}

/** 2. the generator on node1: what it sends, and what comes back (the paper's rate), until its first sample */
async function startGenerator(run: Run, nf: RunningNf): Promise<RunningGen> {
  const { env, req, signal, log } = run;
  const t = req.trial;
  const tr = req.traffic;
  const inv = env.inv;
  const samples: Sample[] = [];
  let argv: string[];
  let proc: HostProcess;
  let lua: PktgenLua | null = null;
  let pktgen: PktgenProcess | null = null;
  const linkGbps = inv.nodes.node1.data_ports[0]!.speed_gbps;
  // a paced trial (NDR/PDR search) asks its own load
  const rate = req.load?.rate_pps ?? tr.rate;
  const asked = askedPps(rate, inv.generator, t.frame_size, linkGbps, inv.pktgen_max_rate_percent);
  let polling = true;
  let poller: Promise<void> = Promise.resolve();
  if (inv.generator === 'pktgen') {
    argv = pktgenGenArgv(env.argv, t, env.remotePcap);
    // under a pty (Pktgen needs a terminal); its full-screen console goes to the log as text (nodeLog)
    log.write(`# ${new Date().toISOString()} node1$ ${shellJoin(pktgenConsoleArgv(argv))}\n`);
    pktgen = await PktgenProcess.start(env.node1, {
      argv,
      filePrefix: filePrefix(env.argv, 'pg', t.index),
      startTimeoutMs: Math.max(1, nf.readyBy + inv.start_timeout_s - now()) * 1000,
      signal,
      onOutput: run.write('node1'),
      graceMs: KILL_GRACE_MS,
    });
    proc = pktgen.proc;
    run.started.push(proc);
    lua = pktgen.lua;
    const pct = rate === 'max' ? inv.pktgen_max_rate_percent : ratePercent(rate, t.frame_size, linkGbps);
    await lua.setup(0, pct);
    // a pcap shorter than a burst (default 32) makes Pktgen send nothing
    if (req.pcap.flows !== null && req.pcap.flows < 32) await lua.set(0, 'burst', Math.max(1, req.pcap.flows));
    log.write(`# ${new Date().toISOString()} pktgen: pcap on, rate ${pct} % of ${linkGbps} Gb/s, start\n`);
    await lua.start(0);
    const l = lua;
    // Pktgen's portStats is a snapshot its timer refreshes once a second (prev_stats in 24.07), so a
    // sample read at a fixed second could be up to a second old: poll 5 times a second and keep a sample
    // when the snapshot changed (timed within 0.2 s of its refresh), or after 1.5 s without change
    poller = (async () => {
      let last: Sample | null = null;
      while (polling && !signal.aborted) {
        const c = await l.counters(0);
        const at = now();
        if (!last || c.ipackets !== last.rx || c.opackets !== last.tx || at - last.at > 1.5) {
          last = { at, arr: at, rx: c.ipackets, tx: c.opackets };
          samples.push(last);
        }
        await sleep(200, signal);
      }
    })();
  } else {
    const g = testpmdGenArgv(env.argv, t, env.remotePcap);
    argv = g.argv;
    const clock = new TestpmdClock(STATS_PERIOD_S);
    const parser = new TestpmdStatsParser((s: TestpmdSnapshot) => {
      const at = clock.next(s);
      const p = s.ports.find((x) => x.port === g.dataPort);
      if (p) samples.push({ at, arr: now(), rx: p.rxPackets, tx: p.txPackets });
    });
    log.write(`# ${new Date().toISOString()} node1$ ${shellJoin(argv)}\n`);
    proc = env.node1.spawn(lineBuffered(argv), {
      signal,
      buffer: false,
      onStdout: (c) => {
        run.write('node1')(c);
        parser.push(c);
      },
      onStderr: run.write('node1'),
    });
    run.started.push(proc);
  }
  let exited = false;
  void proc.done.then(() => (exited = true));
  // the clock starts at the generator's first sample (start-up takes seconds and varies)
  const genBy = now() + inv.start_timeout_s;
  while (samples.length === 0) {
    if (signal.aborted) throw interrupted();
    if (exited) {
      const r = await proc.done;
      throw new FlexbenchError(`the generator on node1 exited at start (${r.signal ?? `code ${r.code}`}); see the trial log`, EXIT.trialsFailed);
    }
    if (nf.exited()) throw new FlexbenchError('the NF on node2 exited while the generator was starting; see the trial log', EXIT.trialsFailed);
    if (now() > genBy) throw new FlexbenchError(`the generator on node1 showed no statistics within ${inv.start_timeout_s} s`, EXIT.trialsFailed);
    await sleep(50, signal);
  }
  return { proc, argv, samples, lua, pktgen, poller, stopPolling: () => (polling = false), asked, exited: () => exited };
}

/** 3. the measured window, on the generator's own clock: warm-up from its first sample, then duration_s */
async function awaitWindow(run: Run, nf: RunningNf, gen: RunningGen): Promise<{ from: number; to: number }> {
  const tr = run.req.traffic;
  const s = gen.samples;
  const duration = run.req.load?.duration_s ?? tr.duration_s;
  const warmup = run.req.load?.warmup_s ?? tr.warmup_s;
  const from = s[0].at + warmup;
  const to = from + duration;
  const deadline = s[0].arr + warmup + duration + 30;
  while (!(s.length > 0 && s[s.length - 1].at >= to - 0.05)) {
    if (run.signal.aborted) throw interrupted();
    if (gen.exited()) throw new FlexbenchError('the generator on node1 stopped during the measured window; see the trial log', EXIT.trialsFailed);
    if (nf.exited()) throw new FlexbenchError('the NF on node2 stopped during the measured window; see the trial log', EXIT.trialsFailed);
    if (now() > deadline) throw new FlexbenchError('the generator stopped reporting statistics during the measured window', EXIT.trialsFailed);
    await sleep(50, run.signal);
  }
  // the NF's counters must reach past the window's end too (a starved testpmd prints every 1-2 s, late):
  // its last sample, placed as measure() places it, at or after the window's end on the harness clock.
  // Waited for up to twice the longest gap between the NF's samples so far.
  const n = nf.samples;
  if (n.length > 0) {
    const end = s[s.length - 1].at + clockOffset(s);
    let gap = 1;
    for (let i = 1; i < n.length; i++) gap = Math.max(gap, n[i].arr - n[i - 1].arr);
    const by = now() + 2 * gap;
    while (n[n.length - 1].at + clockOffset(n, s) < end && now() < by && !nf.exited() && !gen.exited()) await sleep(50, run.signal);
  }
  return { from, to };
}

/**
 * Why a two-node generator cannot offer a paced load (latency: stamp and receive it too), or null.
 * testpmd replays the pcap at full speed; Pktgen paces in percent of line rate but flexbench does not
 * read its latency; `flexbench gen` (generator: flexbench) does both.
 */
export function unpacedReason(generator: Inventory['generator'], latency: boolean): string | null {
  if (generator === 'flexbench') return null;
  if (generator === 'testpmd') return 'the generator testpmd replays the pcap as fast as it can and cannot pace a load: NDR/PDR and latency need a paced generator (inventory generator: flexbench, which paces, stamps and receives on node1; or pktgen for NDR/PDR)';
  if (latency) return 'the generator pktgen paces but flexbench does not read its latency: latency needs inventory generator: flexbench (flexbench gen stamps on node1 and receives what the NF sends back)';
  return null;
}

/** 2'. `flexbench gen` on node1: warm-up, measured phase and drains, to completion; its JSON result */
async function runRoundTripGenerator(run: Run, nf: RunningNf): Promise<{ argv: string[]; result: RoundTripResult }> {
  const { env, req, signal, log } = run;
  const tr = req.traffic;
  const load: GenLoad = {
    rate: req.load?.rate_pps ?? tr.rate,
    warmup_s: req.load?.warmup_s ?? tr.warmup_s,
    duration_s: req.load?.duration_s ?? tr.duration_s,
    latency_every: req.load?.latency_every ?? 0,
  };
  const argv = flexbenchGenArgv(env.argv, env.remotePcap, load);
  log.write(`# ${new Date().toISOString()} node1$ ${shellJoin(argv)}\n`);
  const proc = env.node1.spawn(argv, { signal, onStderr: run.write('node1') });
  run.started.push(proc);
  // bounded: start-up, warm-up, the phase, two drains and a margin
  const limitMs = (env.inv.start_timeout_s + load.warmup_s + load.duration_s + 10) * 1000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), limitMs)));
  const nfDied = (async () => {
    while (!nf.exited()) await sleep(100, signal).catch(() => undefined);
    return 'nf' as const;
  })();
  const first = await Promise.race([proc.done, timedOut, nfDied]);
  clearTimeout(timer);
  if (signal.aborted) throw interrupted();
  if (first === 'timeout') throw new FlexbenchError(`flexbench gen on node1 did not finish within ${Math.round(limitMs / 1000)} s; see the trial log`, EXIT.trialsFailed);
  if (first === 'nf') throw new FlexbenchError('the NF on node2 exited while the generator was sending; see the trial log', EXIT.trialsFailed);
  if (first.code !== 0) throw new FlexbenchError(`flexbench gen on node1 failed (${first.signal ?? `code ${first.code}`}): ${(first.stderr || first.stdout).trim().split('\n').slice(-2).join(' | ')}`, EXIT.trialsFailed);
  const result = parseRoundTripOutput(first.stdout);
  log.write(`[node1] ${JSON.stringify({ ...result, latency: result.latency ? { ...result.latency, hdr: '…' } : null })}\n`);
  return { argv, result };
}

/** 4'. the NF alone (the generator finished by itself) */
async function stopNf(run: Run, nf: RunningNf): Promise<ExecResult> {
  const stopWith = nf.target?.stop_signal ?? 'TERM';
  run.log.write(`# ${new Date().toISOString()} generator done; stopping the NF with SIG${stopWith}\n`);
  const r = await nf.proc.kill(KILL_GRACE_MS * 2, stopWith);
  run.log.write(`# ${new Date().toISOString()} NF stopped (${r.signal ?? `code ${r.code}`})\n`);
  if (run.signal.aborted) throw interrupted();
  return r;
}

/** 5'. a round-trip trial: counts and latency from the generator, exact per phase; the NF's totals for the log */
function measureRoundTrip(run: Run, nf: RunningNf, gen: { argv: string[]; result: RoundTripResult }, nfResult: ExecResult): TrialMeasurement {
  const { env, req, kind, log } = run;
  const t = req.trial;
  const g = gen.result;
  if (g.sent_packets > 0 && g.received_packets === 0) throw new FlexbenchError(`nothing came back: flexbench gen sent ${g.sent_packets} packets in ${g.seconds.toFixed(1)} s and node1 received none (see the NF's counters in the trial log)`, EXIT.trialsFailed);
  let nfFinal: unknown = null;
  let nfFlags: string[] = [];
  let perCore: { core: number; rx_packets: number; tx_packets: number }[] = [];
  let nfStats: Record<string, number> | undefined;
  if (kind === 'flexbench') {
    const j = parseNfRunOn('node2', nfResult);
    nfFinal = j;
    nfFlags = nfRunFlags(j);
    perCore = nfRunPerCore(j);
    nfStats = nfRunStats(j);
  } else if (kind === 'testpmd') {
    nf.parser?.end();
    nfFinal = nf.parser?.final ?? null;
  }
  const flags = roundTripFlags(g, env.inv.shortfall_tolerance);
  flags.push(...nfFlags);
  const extras: TwoNodeExtras = {
    generator: { tool: 'flexbench gen', tx_packets: g.sent_packets, rx_packets: g.received_packets, tx_pps: g.sent_pps, rx_pps: g.received_pps, asked_pps: g.rate_pps },
    nf: { tool: kind === 'flexbench' ? 'flexbench nf run' : kind, rx_packets: null, tx_packets: null, rx_pps: null, tx_pps: null, final: nfFinal },
    flags,
  };
  const dir = join(req.runDir, 'two-nodes');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${String(t.index).padStart(4, '0')}.json`), JSON.stringify({ trial_id: t.trial_id, window_s: g.seconds, round_trip: { ...g, latency: g.latency ? { ...g.latency, hdr: undefined } : null }, ...extras }, null, 2) + '\n');
  for (const f of flags) log.write(`FLAG ${f}\n`);
  return Object.assign(
    {
      ...roundTripCounts(g, env.argv.kind === 'netns' ? 'veth' : 'link'),
      per_core: perCore,
      commands: [`node2$ ${shellJoin(nf.argv)}`, `node1$ ${shellJoin(gen.argv)}`],
      flags,
      ...(nfStats ? { nf_stats: nfStats } : {}),
    },
    { two_nodes: extras },
  );
}

/** 4. stop: generator first (so the NF sees its last packets), then the NF, which prints its totals */
async function stopBoth(run: Run, nf: RunningNf, gen: RunningGen): Promise<ExecResult> {
  const { log } = run;
  log.write(`# ${new Date().toISOString()} window measured, stopping\n`);
  gen.stopPolling();
  await gen.poller.catch(() => undefined);
  if (gen.lua) await gen.lua.stop(0).catch(() => undefined);
  // Pktgen: `quit` on its console (signals only if it does not exit), runtime directory removed
  const g = gen.pktgen ? await gen.pktgen.quit() : await gen.proc.kill(KILL_GRACE_MS);
  log.write(`# ${new Date().toISOString()} generator stopped (${g.signal ?? `code ${g.code}`})\n`);
  const stopWith = nf.target?.stop_signal ?? 'TERM';
  log.write(`# ${new Date().toISOString()} stopping the NF with SIG${stopWith}\n`);
  const r = await nf.proc.kill(KILL_GRACE_MS * 2, stopWith);
  log.write(`# ${new Date().toISOString()} NF stopped (${r.signal ?? `code ${r.code}`})\n`);
  if (run.signal.aborted) throw interrupted();
  return r;
}

/** 5. the measurement: returned rate from the generator's window, the NF's own counters over the same interval */
function measure(run: Run, nf: RunningNf, gen: RunningGen, win: { from: number; to: number }, nfResult: ExecResult): TrialMeasurement {
  const { env, req, kind, log } = run;
  const t = req.trial;
  const gw = windowOf(gen.samples, win.from, win.to);
  if (!gw) throw new FlexbenchError('the generator gave fewer than two samples in the measured window', EXIT.trialsFailed);
  // the shared floor says nothing measured is not ok; here it has a cause worth naming
  if (gw.tx > 0 && gw.rx <= 0) throw new FlexbenchError(`nothing came back: the generator sent ${Math.round(gw.tx)} packets in the ${gw.seconds.toFixed(1)} s window and node1 received none (see the NF's counters in the trial log)`, EXIT.trialsFailed);
  const returnedPps = gw.rx / gw.seconds;
  // the generator's window on the harness clock, to read the NF's counters over the same interval
  const genOff = clockOffset(gen.samples);
  const genFrom = gw.a.at + genOff;
  const genTo = gw.b.at + genOff;
  const sentPps = gw.tx / gw.seconds;

  let nfFinal: unknown = null;
  let nfFlags: string[] = [];
  let nfRx: number | null = null;
  let nfTx: number | null = null;
  // per-core counts where the NF gives them (flexbench nf run); testpmd's and a command's are per port only
  let perCore: { core: number; rx_packets: number; tx_packets: number }[] = [];
  if (kind === 'testpmd') {
    nf.parser?.end();
    const w = alignedWindow(nf.samples, genFrom, genTo, gen.samples);
    if (w) {
      nfRx = w.rx / w.seconds;
      nfTx = w.tx / w.seconds;
    }
    nfFinal = nf.parser?.final ?? null;
  } else if (kind === 'flexbench') {
    const j = parseNfRunOn('node2', nfResult);
    nfFinal = j;
    nfFlags = nfRunFlags(j);
    const w = alignedWindow(nf.samples, genFrom, genTo, gen.samples);
    if (w) {
      nfRx = w.rx / w.seconds;
      // the rate lines carry rx totals; tx follows the final tx/rx ratio
      nfTx = j.rx_packets > 0 ? nfRx * (j.tx_packets / j.rx_packets) : 0;
    }
    perCore = nfRunPerCore(j);
  } else {
    nfRx = readRate(env.commands[t.nf], nfResult.stdout, nfResult.stderr);
    nfFinal = { rate_pps: nfRx };
  }

  // frames came back but the NF says it forwarded none: they are the nodes' own (IPv6 neighbour discovery, LLDP)
  if (nfTx === 0) throw new FlexbenchError(`nothing the NF forwarded came back: the generator sent ${Math.round(gw.tx)} packets in the ${gw.seconds.toFixed(1)} s window; node1 received ${Math.round(gw.rx)} frames, but the NF's own counters say it sent none (frames of the nodes' own, such as IPv6 neighbour discovery)`, EXIT.trialsFailed);
  const flags = generatorFlags(sentPps, gen.asked, env.inv.shortfall_tolerance);
  flags.push(...nfFlags);
  const extras: TwoNodeExtras = {
    generator: { tool: env.inv.generator, tx_packets: gw.tx, rx_packets: gw.rx, tx_pps: sentPps, rx_pps: returnedPps, asked_pps: gen.asked },
    nf: { tool: kind === 'flexbench' ? 'flexbench nf run' : kind, rx_packets: nfRx === null ? null : Math.round(nfRx * gw.seconds), tx_packets: nfTx === null ? null : Math.round(nfTx * gw.seconds), rx_pps: nfRx, tx_pps: nfTx, final: nfFinal },
    flags,
  };
  const dir = join(req.runDir, 'two-nodes');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${String(t.index).padStart(4, '0')}.json`), JSON.stringify({ trial_id: t.trial_id, window_s: gw.seconds, ...extras }, null, 2) + '\n');
  for (const f of flags) log.write(`FLAG ${f}\n`);

  const rxPps = nfRx ?? sentPps;
  return Object.assign(
    {
      // tx: packets returned to node1 per second, where the paper measures; rx: what the NF received
      rx_packets: Math.round(rxPps * gw.seconds),
      tx_packets: gw.rx,
      dropped: Math.max(0, gw.tx - gw.rx),
      duration_s: gw.seconds,
      rx_pps: rxPps,
      tx_pps: returnedPps,
      per_core: perCore,
      commands: [`node2$ ${shellJoin(nf.argv)}`, `node1$ ${shellJoin(gen.argv)}`],
      flags,
      // Pktgen's counters sampled over the window: not packet-exact like flexbench gen's phases
      ...(req.load && gen.asked !== null ? { offered: { intended_packets: Math.round(gen.asked * gw.seconds), offered_packets: Math.round(gw.tx), forwarded_packets: Math.round(gw.rx) } } : {}),
    },
    { two_nodes: extras },
  );
}
