// A long-lived `nf run --samples-on-stdin` that a caller pauses (SIGSTOP) and resumes (SIGCONT) and measures in
// windows: each window is the difference of two samples the process takes of its own counters and threads' times
// (runtime/nf-process/result.ts, nfSampleSchema), so it is exact over the time between them, whatever the process
// start, the pause or the resume cost. flexbench ab alternates two of them, one per build (docs/regression-gate.md).
// Owned from its first instant (ownedExeca: own group, parent-death signal, killed on exit); stop() resumes it
// before SIGTERM, so a paused process is never left waiting for a signal it cannot take.
import { createInterface } from 'node:readline';
import { parseNfSample, type NfSample } from '../../runtime/nf-process/result.js';
import { settlesWithin, signalGroup, sleep, terminate, DEFAULT_KILL_GRACE_MS } from '../../common/processes.js';
import { EXIT, FlexbenchError } from '../exit-codes.js';
import { ownRates, type OwnRates } from '../results/own-time.js';
import { ownedExeca } from './owned.js';
import type { TrialMeasurement } from './testbed.js';

/** What one window measured: packets and rates over exactly its length, per core, and the own-time rates. */
export type WindowMeasurement = Pick<TrialMeasurement, 'rx_packets' | 'tx_packets' | 'dropped' | 'duration_s' | 'rx_pps' | 'tx_pps' | 'per_core'> & { own: OwnRates | null };

/** The window between two samples of one process (pure: the arithmetic ab records). */
export function windowBetween(a: NfSample, b: NfSample): WindowMeasurement {
  const dt = b.t_s - a.t_s;
  const per = b.cores.map((c, i) => {
    const p = a.cores[i];
    const wait = c.wait_s !== null && p?.wait_s !== null && p !== undefined ? c.wait_s - p.wait_s! : null;
    return { core: c.core, rx_packets: c.rx_packets - (p?.rx_packets ?? 0), tx_packets: c.tx_packets - (p?.tx_packets ?? 0), duration_s: dt, wait_s: wait };
  });
  const rx = per.reduce((s, c) => s + c.rx_packets, 0);
  const tx = per.reduce((s, c) => s + c.tx_packets, 0);
  return {
    rx_packets: rx,
    tx_packets: tx,
    dropped: rx - tx,
    duration_s: dt,
    rx_pps: dt > 0 ? rx / dt : 0,
    tx_pps: dt > 0 ? tx / dt : 0,
    per_core: per.map((c) => ({ core: c.core, rx_packets: c.rx_packets, tx_packets: c.tx_packets })),
    own: ownRates(per),
  };
}

/**
 * A resident process's exit in words, with the last lines it wrote, the same wherever it ran (here or on a node):
 * "was killed by SIGKILL" (a signal SIG-prefixed whatever the carrier reports) or "exited with N".
 */
export function exitWords(who: string, exit: { code?: number | null; signal?: string | null }, tail: readonly string[]): string {
  const how = exit.signal ? `was killed by ${exit.signal.startsWith('SIG') ? exit.signal : `SIG${exit.signal}`}` : `exited with ${exit.code}`;
  return `${who} ${how}${tail.length ? `: ${tail.join(' | ')}` : ''}`;
}

/** How long a process may take to answer a sample: a paused-and-resumed NF's main thread answers within milliseconds. */
const SAMPLE_TIMEOUT_MS = 10_000;
/** How long a starting process may take to read its pcap and start its cores before its first sample. */
const START_TIMEOUT_MS = 120_000;

/**
 * The sample protocol of `nf run --samples-on-stdin` over any pipe (this machine's child, or one on a node over SSH):
 * a line asked with an id is answered with one sample line carrying it; once the process is gone every wait ends with
 * why. What carries the lines is the owner's: it hands each stdout line to `take` and says `gone(why)` at the exit.
 */
export class NfSampleChannel {
  private readonly waiting = new Map<string, { resolve: (s: NfSample) => void; reject: (e: Error) => void }>();
  private seq = 0;
  /** why it is gone, once it is (null while it runs) */
  exited: string | null = null;

  constructor(private readonly write: (line: string) => void, private readonly what: () => string) {}

  /** A stdout line: true when it answered a sample (the owner logs the others). */
  take(line: string): boolean {
    const s = parseNfSample(line);
    const w = s ? this.waiting.get(s.nf_sample) : undefined;
    if (!s || !w) return false;
    this.waiting.delete(s.nf_sample);
    w.resolve(s);
    return true;
  }

  /** The process is gone: every wait, and every later sample, fails with `why`. */
  gone(why: string): void {
    this.exited ??= why;
    for (const w of this.waiting.values()) w.reject(new FlexbenchError(this.exited, EXIT.trialsFailed));
    this.waiting.clear();
  }

  /** The process's counters now (`nf`: and the NF's statistics); it must be running (a paused process answers only once resumed). */
  sample(timeoutMs = SAMPLE_TIMEOUT_MS, signal?: AbortSignal, nf = false): Promise<NfSample> {
    if (this.exited) return Promise.reject(new FlexbenchError(this.exited, EXIT.trialsFailed));
    const id = `s${++this.seq}`;
    return new Promise<NfSample>((resolve, reject) => {
      const fail = (e: Error) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiting.delete(id);
        reject(e);
      };
      const timer = setTimeout(() => fail(new FlexbenchError(`${this.what()} did not answer a sample within ${timeoutMs / 1000} s`, EXIT.trialsFailed)), timeoutMs);
      const onAbort = () => fail(new FlexbenchError('interrupted', EXIT.interrupted));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(id, {
        resolve: (s) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(s);
        },
        reject: fail,
      });
      this.write(nf ? `${id} nf\n` : `${id}\n`);
    });
  }
}

export class ResidentNf {
  private readonly child: ReturnType<typeof ownedExeca>;
  private readonly channel: NfSampleChannel;
  private readonly stderrTail: string[] = [];
  private paused = false;
  readonly pid: number;

  /** why it is gone, once it is (null while it runs) */
  get exited(): string | null {
    return this.channel.exited;
  }

  private constructor(argv: string[], cwd: string, private readonly name: string, log: (s: string) => void, onExit?: () => void) {
    this.child = ownedExeca(argv, { reject: false, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', buffer: false, cwd });
    this.pid = this.child.pid ?? -1;
    this.channel = new NfSampleChannel((l) => void this.child.stdin!.write(l), () => `the resident nf run (${this.name}, pid ${this.pid})`);
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      if (!this.channel.take(l) && l.trim()) log(l);
    });
    createInterface({ input: this.child.stderr! }).on('line', (l) => {
      log(l);
      this.stderrTail.push(l);
      if (this.stderrTail.length > 3) this.stderrTail.shift();
    });
    this.child.stdin?.on('error', () => undefined); // a write after it died: its exit says why
    void this.child.then((r: { exitCode?: number; signal?: string }) => {
      this.channel.gone(exitWords(`the resident nf run (${this.name}, pid ${this.pid})`, { code: r.exitCode, signal: r.signal }, this.stderrTail));
      onExit?.();
    });
  }

  /**
   * Start `argv` (an `nf run … --samples-on-stdin`), wait until its cores run (its first sample), let it run
   * `warmupS`, and pause it. A process that dies or does not answer in time is ended and the error names why.
   */
  static async start(o: { argv: string[]; cwd: string; name: string; warmupS: number; log: (s: string) => void; onExit?: () => void; signal: AbortSignal }): Promise<ResidentNf> {
    const p = new ResidentNf(o.argv, o.cwd, o.name, o.log, o.onExit);
    try {
      await p.sample(START_TIMEOUT_MS, o.signal);
      await sleep(o.warmupS * 1000, o.signal);
      if (o.signal.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);
      p.pause();
      return p;
    } catch (e) {
      await p.stop();
      throw e;
    }
  }

  /** The process's counters now; it must be running (a paused process answers only once resumed). */
  sample(timeoutMs = SAMPLE_TIMEOUT_MS, signal?: AbortSignal, nf = false): Promise<NfSample> {
    return this.channel.sample(timeoutMs, signal, nf);
  }

  pause(): void {
    if (this.exited) return;
    signalGroup(this.pid, 'SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (this.exited) return;
    signalGroup(this.pid, 'SIGCONT');
    this.paused = false;
  }

  /** Resumed first (a stopped process cannot act on SIGTERM), then SIGTERM, SIGKILL after the grace; idempotent. */
  async stop(): Promise<void> {
    if (this.exited) return;
    if (this.paused) this.resume();
    this.child.stdin?.end(); // its end alone stops nf run; the escalation is for one that does not
    await terminate({ signal: (s) => signalGroup(this.pid, s), waitExit: (ms) => settlesWithin(this.child, ms) }, { graceMs: DEFAULT_KILL_GRACE_MS });
  }
}
