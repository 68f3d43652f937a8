// The harness's own machine as a Host: execa with a detached process group per command, owned from
// the first instant (parent-death signal, killed on exit) and ended by common/processes' terminate().
import { execa } from 'execa';
import { copyFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { type Host, type HostProcess, type SpawnOptions, type ExecResult, type StopSignal, ProcessSet, checkArgv, failure } from './host.js';
import { DEFAULT_KILL_GRACE_MS, dieWithParent, ownUntilExit, settlesWithin, signalGroup, terminate } from '../../common/processes.js';

export class LocalHost implements Host {
  readonly name: string;
  private readonly procs = new ProcessSet();

  constructor(name = 'local') {
    this.name = name;
  }

  spawn(argv: string[], opts: SpawnOptions = {}): HostProcess {
    checkArgv(argv);
    const buffer = opts.buffer ?? true;
    // detached: its own process group, so a kill reaches the children it forks too; dies with us
    const full = dieWithParent(argv);
    const sub = execa(full[0], full.slice(1), {
      detached: true,
      reject: false,
      buffer: false,
      stdin: opts.stdin === 'pipe' ? 'pipe' : 'ignore',
      env: opts.env,
      extendEnv: true,
      cwd: opts.cwd,
    });
    let stdout = '';
    let stderr = '';
    sub.stdout?.setEncoding('utf8');
    sub.stderr?.setEncoding('utf8');
    sub.stdout?.on('data', (c: string) => {
      if (buffer) stdout += c;
      opts.onStdout?.(c);
    });
    sub.stderr?.on('data', (c: string) => {
      if (buffer) stderr += c;
      opts.onStderr?.(c);
    });
    const pid = sub.pid;
    const release = pid === undefined ? () => undefined : ownUntilExit(pid);
    let timer: NodeJS.Timeout | undefined;
    let exited = false;
    const done: Promise<ExecResult> = sub.then(
      (r) => {
        // a command that could not start at all (ENOENT) has no exit code: report it like a shell would
        const notStarted = r.exitCode === undefined && !r.signal;
        return { code: notStarted ? 127 : (r.exitCode ?? null), signal: r.signal ?? null, stdout, stderr: notStarted ? `${stderr}${r.shortMessage ?? r.message}` : stderr };
      },
      (e: unknown) => ({ code: null, signal: null, stdout, stderr: stderr + String((e as Error)?.message ?? e) }),
    ).finally(() => {
      exited = true;
      release();
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    });
    const kill = async (graceMs = DEFAULT_KILL_GRACE_MS, first: StopSignal = 'TERM'): Promise<ExecResult> => {
      if (pid !== undefined && !exited) {
        await terminate({ signal: (s) => signalGroup(pid, s), waitExit: (ms) => settlesWithin(done, ms) }, { first: `SIG${first}`, graceMs });
      }
      return done;
    };
    const onAbort = (): void => void kill();
    if (opts.signal?.aborted) queueMicrotask(onAbort);
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.timeoutMs) timer = setTimeout(() => void kill(), opts.timeoutMs);
    sub.stdin?.on('error', () => undefined);
    const write = (data: string): boolean => {
      if (exited || !sub.stdin || sub.stdin.destroyed) return false;
      sub.stdin.write(data);
      return true;
    };
    const proc: HostProcess = {
      pgid: pid === undefined ? Promise.reject(new Error(`could not start ${argv[0]}`)) : Promise.resolve(pid),
      done,
      kill,
      write,
    };
    proc.pgid.catch(() => undefined);
    return this.procs.add(proc);
  }

  async exec(argv: string[], opts: SpawnOptions & { allowFailure?: boolean } = {}): Promise<ExecResult> {
    const r = await this.spawn(argv, opts).done;
    if (!opts.allowFailure && r.code !== 0) throw failure(this.name, argv, r);
    return r;
  }

  async putFile(localPath: string, remotePath: string): Promise<void> {
    await mkdir(dirname(remotePath), { recursive: true });
    await copyFile(localPath, remotePath);
  }

  async getFile(remotePath: string, localPath: string): Promise<void> {
    await mkdir(dirname(localPath), { recursive: true });
    await copyFile(remotePath, localPath);
  }

  async writeFile(remotePath: string, content: string | Buffer): Promise<void> {
    await mkdir(dirname(remotePath), { recursive: true });
    await writeFile(remotePath, content);
  }

  connectTcp(host: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port });
      s.once('connect', () => resolve(s));
      s.once('error', (e) => reject(new FlexbenchError(`cannot connect to ${host}:${port}: ${e.message}`, EXIT.environment)));
    });
  }

  killAll(): Promise<void> {
    return this.procs.killAll();
  }

  async close(): Promise<void> {
    await this.killAll();
  }
}
