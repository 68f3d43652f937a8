// One interface for running things on a node: a command is an argv array, never a pasted shell line.
import type { Duplex } from 'node:stream';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { DEFAULT_KILL_GRACE_MS } from '../../common/processes.js';

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  /** aborting it kills the process group (SIGTERM, then SIGKILL after `killGraceMs`) */
  signal?: AbortSignal;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  env?: Record<string, string>;
  cwd?: string;
  /** kill the process group after this long (ms) */
  timeoutMs?: number;
  /** keep stdout/stderr in the result (default true; off for long-running chatty tools) */
  buffer?: boolean;
  /** 'pipe': stdin stays open for `write` (a console such as Pktgen's); default: no input */
  stdin?: 'pipe';
}

/** the signal that asks a process to stop (SIGKILL follows after a grace period) */
export type StopSignal = 'TERM' | 'INT';

export interface HostProcess {
  /** the process group id on its host (== pid of the group leader) once known */
  readonly pgid: Promise<number>;
  /** settles when the process exits (never rejects for a non-zero exit) */
  readonly done: Promise<ExecResult>;
  /**
   * `first` (default TERM; INT for tools that print their totals on Ctrl-C) to the whole group,
   * SIGKILL after the grace period; resolves when it has exited
   */
  kill(graceMs?: number, first?: StopSignal): Promise<ExecResult>;
  /** type into its stdin (spawned with stdin: 'pipe'); false when it has none or has exited */
  write(data: string): boolean;
}

export interface Host {
  /** a label for messages: "local", "node1 (root@198.18.0.2)" */
  readonly name: string;
  /** start a command in its own process group */
  spawn(argv: string[], opts?: SpawnOptions): HostProcess;
  /** run to completion; throws a FlexbenchError naming the command on non-zero exit unless allowFailure */
  exec(argv: string[], opts?: SpawnOptions & { allowFailure?: boolean }): Promise<ExecResult>;
  putFile(localPath: string, remotePath: string): Promise<void>;
  getFile(remotePath: string, localPath: string): Promise<void>;
  writeFile(remotePath: string, content: string | Buffer): Promise<void>;
  /** a TCP stream to host:port as the node sees it (over SSH: a forwarded channel) */
  connectTcp(host: string, port: number): Promise<Duplex>;
  /** kill every process this host started and is still running */
  killAll(): Promise<void>;
  close(): Promise<void>;
}

export { DEFAULT_KILL_GRACE_MS };

/** POSIX single-quote one argument so a remote shell passes it through unchanged. */
export function shellQuote(arg: string): string {
  if (arg === '') return "''";
  if (/^[A-Za-z0-9_\/.,:=@%+-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}

export function checkArgv(argv: string[]): void {
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== 'string')) {
    throw new FlexbenchError(`a command must be a non-empty array of strings, got ${JSON.stringify(argv)}`, EXIT.usage);
  }
  if (argv.some((a) => a.includes('\0'))) throw new FlexbenchError(`command argument contains a NUL byte: ${JSON.stringify(argv)}`, EXIT.usage);
}

export function failure(host: string, argv: string[], r: ExecResult): FlexbenchError {
  const tail = (r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n');
  const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
  return new FlexbenchError(`on ${host}: \`${shellJoin(argv)}\` ${how}${tail ? `:\n${tail}` : ''}`, EXIT.environment);
}

/** Collects the processes a host started so killAll can reach the ones still running. */
export class ProcessSet {
  private readonly live = new Set<HostProcess>();
  add(p: HostProcess): HostProcess {
    this.live.add(p);
    void p.done.finally(() => this.live.delete(p));
    return p;
  }
  async killAll(graceMs = DEFAULT_KILL_GRACE_MS): Promise<void> {
    await Promise.all([...this.live].map((p) => p.kill(graceMs).catch(() => undefined)));
  }
  get size(): number {
    return this.live.size;
  }
}
