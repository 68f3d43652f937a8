// A paced session on a two-node testbed: one `nf run --samples-on-stdin` on node2 and one `flexbench gen
// --trials-on-stdin` on node1, both started once and kept up across the trials of a search (FD.io CSIT keeps its
// DUT and TRex up the same way); each trial lets the NF settle (its counters stop moving), samples it, asks the
// generator for one trial (warm-up, measured phase and drains, counted per phase), and samples the NF again: the NF's
// counts are the difference of two samples. A process that dies fails the trial it was in (and every later one)
// with its exit and the last lines it wrote, never an ok that measured nothing. The NF half (NodeResidentNf) also
// stands alone: a cell's end-host tests run on one (endpoint-trial.ts's EndpointNfSession).
import type { WriteStream } from 'node:fs';
import { FlexbenchError, EXIT } from '../../exit-codes.js';
import { shellJoin, type Host, type HostProcess } from '../../hosts/host.js';
import type { Inventory } from '../../inventory/schema.js';
import { nfRunFlags, nfRunStats, parseNfRunOn } from '../../tools/nf-run.js';
import { NfSampleChannel, exitWords, windowBetween } from '../resident.js';
import type { PacedSession, PacedSessionEnd, TrialMeasurement } from '../testbed.js';
import { parseGenLine, type GenTrialRequest, type RoundTripResult } from '../../../runtime/packet/roundtrip-result.js';
import type { NfSample } from '../../../runtime/nf-process/result.js';
import { roundTripCounts, roundTripFlags } from './window.js';
import { KILL_GRACE_MS } from './trial.js';
import { nodeLog } from './trial-log.js';
import { sleep } from '../../../common/processes.js';

/** How long the NF may keep forwarding a backlog after a trial before the next one starts anyway. */
const SETTLE_MAX_MS = 2000;
/** Two samples this far apart with the same counts: the NF is idle. */
const SETTLE_STEP_MS = 30;

export interface ResidentEnv {
  inv: Inventory;
  node1: Host;
  node2: Host;
  nfArgv: string[];
  genArgv: string[];
  log: WriteStream;
  signal: AbortSignal;
  /** what the trial's path is called in latency_path ("veth" on netns) */
  link: string;
}

/** Lines of a chunked stream, each handed over once complete. */
function lines(each: (l: string) => void): (c: string) => void {
  let tail = '';
  return (c) => {
    const parts = (tail + c).split('\n');
    tail = parts.pop() ?? '';
    for (const l of parts) each(l);
  };
}

/** The resident `nf run --samples-on-stdin` on node2: its samples, its pid as it reports itself, and its exit in words. */
export class NodeResidentNf {
  private readonly proc: HostProcess;
  readonly channel: NfSampleChannel;
  private readonly tail: string[] = [];
  /** stop() began: an exit from here on is the stop, not a death */
  private stopping = false;
  /** it died by itself: its exit and last lines */
  private died: string | null = null;
  pid: number | null = null;

  constructor(private readonly env: Pick<ResidentEnv, 'node2' | 'nfArgv' | 'log' | 'signal'>, onExit: (why: string) => void = () => undefined) {
    const write = nodeLog(env.log);
    env.log.write(`# ${new Date().toISOString()} node2$ ${shellJoin(env.nfArgv)}\n`);
    this.proc = env.node2.spawn(env.nfArgv, {
      signal: env.signal, stdin: 'pipe',
      onStdout: lines((l) => {
        if (!this.channel.take(l) && l.trim()) write('node2')(`${l}\n`);
      }),
      onStderr: (c) => {
        write('node2')(c);
        for (const l of c.split('\n')) if (!/^\[\w+\] t=/.test(l)) keepTail(this.tail, l);
      },
    });
    this.channel = new NfSampleChannel((l) => void this.proc.write(l), () => this.who());
    void this.proc.done.then((r) => {
      const why = exitWords(this.who(), r, this.tail);
      if (!this.stopping) this.died = why;
      this.channel.gone(why);
      onExit(why);
    });
  }

  private who(): string {
    return `the resident nf run on node2${this.pid ? ` (pid ${this.pid})` : ''}`;
  }

  /** Up: its first sample answered (its cores run), within the start timeout; its pid from it. */
  async up(startTimeoutS: number): Promise<void> {
    // a line written before the session's channel is open is lost: its process group reported first
    await Promise.race([this.proc.pgid.catch(() => undefined), this.proc.done]);
    const first = await this.channel.sample(startTimeoutS * 1000, this.env.signal);
    this.pid = first.pid ?? null;
  }

  /** Why it is gone, once it is (null while it runs). */
  get exited(): string | null {
    return this.channel.exited;
  }

  /** The NF once its counters stopped moving (a backlog of the last trial forwarded), or after SETTLE_MAX_MS. */
  async settled(): Promise<NfSample> {
    let a = await this.channel.sample(undefined, this.env.signal);
    const by = Date.now() + SETTLE_MAX_MS;
    for (;;) {
      await sleep(SETTLE_STEP_MS, this.env.signal);
      const b = await this.channel.sample(undefined, this.env.signal, true);
      const moved = b.cores.some((c, i) => c.rx_packets !== a.cores[i]?.rx_packets || c.tx_packets !== a.cores[i]?.tx_packets);
      if (!moved || Date.now() > by) return b;
      a = b;
    }
  }

  /** Stopped with SIGTERM: its --json's statistics and flags, or why it has none (it died by itself, or said nothing). */
  async stop(trials: number): Promise<PacedSessionEnd> {
    this.stopping = true;
    const r = await this.proc.kill(KILL_GRACE_MS * 2, 'TERM');
    this.env.log.write(`# ${new Date().toISOString()} resident NF stopped (${r.signal ?? `code ${r.code}`}) after ${trials} trial(s)\n`);
    const pids = { nf_pid: this.pid, gen_pid: null };
    if (this.died) return { nf_stats: null, flags: [], died: this.died, ...pids };
    try {
      const j = parseNfRunOn('node2', r);
      return { nf_stats: nfRunStats(j), flags: nfRunFlags(j), died: null, ...pids };
    } catch (e) {
      return { nf_stats: null, flags: [], died: (e as Error).message, ...pids };
    }
  }
}

/** Keeps the last three non-empty lines of a process's output. */
function keepTail(tail: string[], l: string): void {
  if (!l.trim()) return;
  tail.push(l);
  if (tail.length > 3) tail.shift();
}

export class ResidentPair implements PacedSession {
  private readonly nf: NodeResidentNf;
  private readonly gen: HostProcess;
  private readonly answers = new Map<string, (a: { result: RoundTripResult } | { error: string }) => void>();
  private genGone: string | null = null;
  private genReady: { port: string; pid: number | null } | null = null;
  private readonly genTail: string[] = [];
  private n = 0;

  get nfPid(): number | null {
    return this.nf.pid;
  }

  private constructor(private readonly env: ResidentEnv) {
    const write = nodeLog(env.log);
    this.nf = new NodeResidentNf(env, (why) => {
      // the NF dying mid-trial ends the trial's wait at once, with its reason
      for (const w of this.answers.values()) w({ error: why });
      this.answers.clear();
    });
    env.log.write(`# ${new Date().toISOString()} node1$ ${shellJoin(env.genArgv)}\n`);
    this.gen = env.node1.spawn(env.genArgv, {
      signal: env.signal, stdin: 'pipe', buffer: false,
      onStdout: lines((l) => {
        const a = parseGenLine(l);
        if (a && 'ready' in a) this.genReady = { port: a.ready, pid: a.pid };
        else if (a) {
          this.answers.get(a.id)?.(a);
          this.answers.delete(a.id);
        } else if (l.trim()) write('node1')(`${l}\n`);
      }),
      onStderr: (c) => {
        write('node1')(c);
        for (const l of c.split('\n')) keepTail(this.genTail, l);
      },
    });
    void this.gen.done.then((r) => {
      this.genGone = exitWords(`the resident flexbench gen on node1${this.genReady?.pid ? ` (pid ${this.genReady.pid})` : ''}`, r, this.genTail);
      for (const w of this.answers.values()) w({ error: this.genGone });
      this.answers.clear();
    });
  }

  /** Both processes up: the NF answering samples, the generator's port open. A failure ends both and says why. */
  static async open(env: ResidentEnv): Promise<ResidentPair> {
    const p = new ResidentPair(env);
    try {
      await p.nf.up(env.inv.start_timeout_s);
      const by = Date.now() + env.inv.start_timeout_s * 1000;
      while (!p.genReady) {
        if (env.signal.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);
        if (p.genGone) throw new FlexbenchError(p.genGone, EXIT.trialsFailed);
        if (p.nf.exited) throw new FlexbenchError(p.nf.exited, EXIT.trialsFailed);
        if (Date.now() > by) throw new FlexbenchError(`the resident flexbench gen on node1 did not open its port within ${env.inv.start_timeout_s} s`, EXIT.trialsFailed);
        await sleep(20, env.signal);
      }
      env.log.write(`# ${new Date().toISOString()} resident NF (pid ${p.nfPid}) and generator (pid ${p.genReady.pid}, ${p.genReady.port}) up\n`);
      return p;
    } catch (e) {
      await p.close().catch(() => undefined);
      throw e;
    }
  }

  private alive(): void {
    if (this.nf.exited) throw new FlexbenchError(this.nf.exited, EXIT.trialsFailed);
    if (this.genGone) throw new FlexbenchError(this.genGone, EXIT.trialsFailed);
  }

  async run(load: Parameters<PacedSession['run']>[0]): Promise<TrialMeasurement> {
    this.alive();
    const id = `t${++this.n}`;
    const a = await this.nf.settled();
    const req: GenTrialRequest = { gen_trial: id, rate: load.rate_pps, warmup_s: load.warmup_s, duration_s: load.duration_s, latency_every: load.latency_every ?? 0 };
    this.env.log.write(`# ${new Date().toISOString()} trial ${this.n}: node1 < ${JSON.stringify(req)}\n`);
    const limitMs = (this.env.inv.start_timeout_s + load.warmup_s + load.duration_s + 10) * 1000;
    let timer: NodeJS.Timeout | undefined;
    const answer = await new Promise<{ result: RoundTripResult } | { error: string }>((resolve) => {
      this.answers.set(id, resolve);
      timer = setTimeout(() => resolve({ error: `the resident flexbench gen on node1 did not answer trial ${this.n} within ${Math.round(limitMs / 1000)} s` }), limitMs);
      if (this.nf.exited) resolve({ error: this.nf.exited });
      else if (this.genGone) resolve({ error: this.genGone });
      else this.gen.write(`${JSON.stringify(req)}\n`);
    });
    clearTimeout(timer);
    this.answers.delete(id);
    if (this.env.signal.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);
    // a dead NF is the reason, whatever the generator then saw
    const b = await this.nf.channel.sample(undefined, this.env.signal, true);
    if ('error' in answer) throw new FlexbenchError(answer.error, EXIT.trialsFailed);
    const g = answer.result;
    this.env.log.write(`[node1] ${JSON.stringify({ ...g, latency: g.latency ? { ...g.latency, hdr: '…' } : null })}\n`);
    const w = windowBetween(a, b);
    if (g.sent_packets > 0 && g.received_packets === 0) throw new FlexbenchError(`nothing came back: flexbench gen sent ${g.sent_packets} packets in ${g.seconds.toFixed(1)} s and node1 received none (the resident NF, pid ${this.nfPid}, forwarded ${w.tx_packets} in the trial)`, EXIT.trialsFailed);
    const flags = roundTripFlags(g, this.env.inv.shortfall_tolerance);
    return {
      ...roundTripCounts(g, this.env.link),
      // the NF's own counts over the whole trial (warm-up and drains included), as the difference of two samples
      per_core: w.per_core,
      commands: [`node2$ ${shellJoin(this.env.nfArgv)}`, `node1$ ${shellJoin(this.env.genArgv)} < ${JSON.stringify(req)}`],
      flags,
      // the NF's own statistics at the trial's end, over its life so far (the search's trials before this one too)
      ...(b.nf ? { nf_stats: b.nf } : {}),
      resident: { nf_pid: this.nfPid ?? -1, gen_pid: this.genReady?.pid ?? null, trial: this.n },
    };
  }

  /** The generator told to end (its port closed and its program detached), then the NF stopped: its totals and flags. Idempotent. */
  async close(): Promise<PacedSessionEnd> {
    this.gen.write('end\n');
    const g = (await Promise.race([this.gen.done, sleep(3000).then(() => null)])) ?? (await this.gen.kill(KILL_GRACE_MS));
    this.env.log.write(`# ${new Date().toISOString()} generator stopped (${g.signal ?? `code ${g.code}`})\n`);
    return { ...(await this.nf.stop(this.n)), gen_pid: this.genReady?.pid ?? null };
  }
}
