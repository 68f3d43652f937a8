// Owning and ending child processes, written once for every host, store server and emulation:
// liveness by pid, SIGTERM -> grace -> SIGKILL of a process group (execa's lib/terminate style),
// a parent-death signal from the first instant, and a last-resort kill of owned children on exit.
// A leaf: node built-ins only, so runtime/ and harness/ can both use it.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

/** Grace between the first signal and SIGKILL when a caller names none. */
export const DEFAULT_KILL_GRACE_MS = 3000;

/** exists, zombies included: a multi-threaded zombie leader may still hold its sockets while its threads exit */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** exists and has not exited: a zombie (exited, its reaper slow or gone) counts as gone */
export function pidRunning(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (not Linux): kill() said it exists
  }
}

/** Signal the process group `pid` leads; a process that leads none gets the signal itself. */
export function signalGroup(pid: number, sig: NodeJS.Signals): void {
  if (!(pid > 0)) return;
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (callers check the signal themselves). */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise<void>((res) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      res();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * true once `pid` is no longer running, false if it still is after `ms` (Infinity: wait for ever).
 * `reaped`: wait until the pid is gone altogether (a zombie JVM may still hold its ports).
 */
export async function waitGone(pid: number, ms: number, o: { pollMs?: number; reaped?: boolean } = {}): Promise<boolean> {
  const end = Date.now() + ms;
  const there = o.reaped ? pidAlive : pidRunning;
  while (there(pid)) {
    if (Date.now() >= end) return false;
    await sleep(o.pollMs ?? 20);
  }
  return true;
}

/** Something that can be signalled and watched: a local process group, a remote one, a namespace's pids. */
interface Terminable {
  signal(sig: NodeJS.Signals): void | Promise<void>;
  /** true once it has exited, false if it still runs after `ms` (Infinity: wait for ever) */
  waitExit(ms: number): Promise<boolean>;
}

export interface TerminateOptions {
  /** first signal (default SIGTERM; SIGINT for tools that print totals on Ctrl-C; SIGKILL for no grace) */
  first?: NodeJS.Signals;
  /** how long the first signal has before SIGKILL (default DEFAULT_KILL_GRACE_MS) */
  graceMs?: number;
  /** how long to wait after SIGKILL (default: for ever) */
  killWaitMs?: number;
}

/**
 * The one escalation: the first signal, SIGKILL after the grace, then SIGKILL once more to the group
 * so no child of an exited leader stays. Resolves true once it has exited (false: still there after
 * `killWaitMs` past SIGKILL).
 */
export async function terminate(t: Terminable, o: TerminateOptions = {}): Promise<boolean> {
  const first = o.first ?? 'SIGTERM';
  const killWait = o.killWaitMs ?? Infinity;
  await t.signal(first);
  if (first !== 'SIGKILL' && (await t.waitExit(o.graceMs ?? DEFAULT_KILL_GRACE_MS))) {
    await t.signal('SIGKILL'); // the leader is gone: nothing of its group may stay behind
    return true;
  }
  if (first !== 'SIGKILL') await t.signal('SIGKILL');
  return t.waitExit(killWait);
}

/** terminate() a process group known only by its leader's pid (e.g. one another process started). */
export function terminatePid(pid: number, o: TerminateOptions & { reaped?: boolean } = {}): Promise<boolean> {
  disown(pid);
  if (!(o.reaped ? pidAlive : pidRunning)(pid)) return Promise.resolve(true);
  return terminate({ signal: (s) => signalGroup(pid, s), waitExit: (ms) => waitGone(pid, ms, { pollMs: 50, reaped: o.reaped }) }, o);
}

/** Settles with true when `p` settles, false after `ms` (Infinity: never times out). */
export function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  const done = p.then(() => true, () => true);
  if (ms === Infinity) return done;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), Math.max(0, ms))));
  return Promise.race([done, late]).finally(() => clearTimeout(timer));
}

let setprivPath: string | null | undefined;
/** util-linux setpriv, if it can set a parent-death signal here */
function setpriv(): string | null {
  if (setprivPath === undefined) {
    const r = spawnSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' });
    const p = r.stdout?.trim() ?? '';
    setprivPath = p && /--pdeathsig/.test(spawnSync(p, ['--help'], { encoding: 'utf8' }).stdout ?? '') ? p : null;
  }
  return setprivPath;
}

/**
 * argv that dies with this process: the kernel sends SIGKILL to it when flexbench dies, even by
 * SIGKILL (prctl PR_SET_PDEATHSIG via `setpriv`, which then execs argv: same pid, no extra process).
 * Not for servers meant to outlive us (`store start`). Without setpriv the exit hook still covers
 * every exit but SIGKILL.
 */
export function dieWithParent(argv: string[]): string[] {
  const sp = setpriv();
  return sp ? [sp, '--pdeathsig', 'KILL', '--', ...argv] : argv;
}

// Process groups this process owns: SIGKILLed on exit (a forced second Ctrl-C, process.exit, an
// uncaught error), where no teardown runs; then the scratch directories still held are removed.
// SIGKILL of us is the parent-death signal's case (the next run's records prune those files).
const owned = new Set<number>();
/** scratch directory -> the processes that may still write into it (a cluster's root has several) */
const scratch = new Map<string, Set<number>>();
let exitHook = false;

/** Blocks the thread (an exit hook cannot await). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** How long the exit hook waits for the writers of scratch directories before it removes them. */
const EXIT_REMOVE_WAIT_MS = 2000;

function onExit(): void {
  for (const p of owned) signalGroup(p, 'SIGKILL');
  if (scratch.size === 0) return;
  // a dying server (killed above, or mid-stop and already disowned) may still write into its directory
  const writers = [...scratch.values()].flatMap((w) => [...w]);
  const end = Date.now() + EXIT_REMOVE_WAIT_MS;
  while (writers.some(pidRunning) && Date.now() < end) sleepSync(5);
  for (const dir of scratch.keys()) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      /* the exit goes on; the next run's records prune it */
    }
  }
}

function hookExit(): void {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', onExit);
  }
}

/** Kill group `pid` when this process exits; returns the release to call once it was stopped. */
export function ownUntilExit(pid: number): () => void {
  if (!(pid > 0)) return () => undefined;
  hookExit();
  owned.add(pid);
  return () => disown(pid);
}

/**
 * Remove `dir` (a directory made for this process's servers, e.g. a store server's temp dir, written
 * by `pid`) when this process exits, until releaseScratch(dir): its teardown removed it or handed it on.
 */
export function scratchUntilExit(dir: string, pid: number): void {
  hookExit();
  const w = scratch.get(dir) ?? new Set<number>();
  if (pid > 0) w.add(pid);
  scratch.set(dir, w);
}

/** `pid` no longer writes into `dir` (it was stopped or killed); the directory stays held. */
export function scratchWriterGone(dir: string, pid: number): void {
  scratch.get(dir)?.delete(pid);
}

/** Whether this process holds `dir` as scratch (a restart on it keeps holding it). */
export function holdsScratch(dir: string): boolean {
  return scratch.has(dir);
}

export function releaseScratch(dir: string): void {
  scratch.delete(dir);
}

/** It was stopped (or handed over): no longer killed on exit. */
function disown(pid: number): void {
  owned.delete(pid);
}
