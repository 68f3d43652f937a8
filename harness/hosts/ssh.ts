// A node reached over SSH (ssh2): key or agent auth, known_hosts checked by default, keepalive,
// timeouts; every command runs in its own session/process group so it can be killed with its children.
import { Client, type ConnectConfig, type SFTPWrapper, type ClientChannel } from 'ssh2';
import { readFileSync, existsSync } from 'node:fs';
import { homedir, constants as osConstants } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { type Host, type HostProcess, type SpawnOptions, type ExecResult, type StopSignal, ProcessSet, checkArgv, failure, shellJoin } from './host.js';
import { DEFAULT_KILL_GRACE_MS, settlesWithin, terminate } from '../../common/processes.js';
import { checkHostKey } from './known-hosts.js';

/** How long a `kill` sent over a session of its own may take to open and end. */
const SIGNAL_SESSION_MS = 5000;

const sshTargetSchema = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1).default('root'),
  /** private key file; without it the agent at $SSH_AUTH_SOCK is used */
  key: z.string().optional(),
  /** use the SSH agent (default: when no key is given) */
  agent: z.boolean().optional(),
  /** known_hosts files (default ~/.ssh/known_hosts) */
  knownHosts: z.array(z.string()).optional(),
  /** host key checking is on unless turned off explicitly */
  strictHostKeyChecking: z.boolean().default(true),
  connectTimeoutMs: z.number().int().positive().default(10000),
  keepaliveIntervalMs: z.number().int().positive().default(5000),
});
type SshTarget = z.input<typeof sshTargetSchema>;

// Marker the wrapper prints on stderr before exec'ing the command: the pid of the new session
// leader, which is also the process group id to kill.
const PGID_MARK = '__FBPGID__ ';
// A command that is not there is reported as a shell would ("NAME: not found", exit 127), without the
// wrapper's own name; $0 is the command itself, so any other shell message names it too.
const WRAPPER = `printf '${PGID_MARK}%s\\n' $$ >&2; command -v -- "$1" >/dev/null 2>&1 || { printf '%s: not found\\n' "$1" >&2; exit 127; }; exec "$@"`;

/** The remote shell line for argv: quoted, in a new session via setsid (-w: wait and pass the exit code). */
function remoteCommandLine(argv: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): string {
  const envArgs = Object.entries(opts.env ?? {}).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new FlexbenchError(`bad environment variable name "${k}"`, EXIT.usage);
    return `${k}=${v}`;
  });
  const full = envArgs.length ? ['env', ...envArgs, ...argv] : argv;
  const line = `exec setsid -w sh -c ${shellJoin([WRAPPER])} ${shellJoin([full[0]!, ...full])}`;
  return opts.cwd ? `cd ${shellJoin([opts.cwd])} && ${line}` : line;
}

function describeConnectError(label: string, e: Error & { code?: string; level?: string }, t: z.output<typeof sshTargetSchema>, hostKeyProblem?: string): FlexbenchError {
  const where = `${label} (${t.user}@${t.host}:${t.port})`;
  if (hostKeyProblem) return new FlexbenchError(`SSH host key check failed for ${where}: ${hostKeyProblem}`, EXIT.environment, { cause: e });
  const msg = e.message ?? String(e);
  if (e.code === 'ECONNREFUSED') return new FlexbenchError(`cannot reach ${where}: connection refused (is sshd running and listening on port ${t.port}?)`, EXIT.environment, { cause: e });
  if (e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH' || e.code === 'ETIMEDOUT' || /Timed out while waiting for handshake/.test(msg)) {
    return new FlexbenchError(`cannot reach ${where}: host down or unreachable (${e.code ?? 'no SSH handshake'} within ${t.connectTimeoutMs} ms)`, EXIT.environment, { cause: e });
  }
  if (/Connection lost before handshake/.test(msg)) return new FlexbenchError(`cannot reach ${where}: the connection closed before the SSH handshake (host down, or not an SSH server on port ${t.port})`, EXIT.environment, { cause: e });
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return new FlexbenchError(`cannot resolve the address of ${where}`, EXIT.environment, { cause: e });
  if (e.level === 'client-authentication' || /authentication methods failed/.test(msg)) {
    const how = t.key ? `key ${t.key}` : 'the SSH agent';
    return new FlexbenchError(`SSH authentication failed for ${where} with ${how}: is its public key in ~${t.user}/.ssh/authorized_keys?`, EXIT.environment, { cause: e });
  }
  return new FlexbenchError(`SSH connection to ${where} failed: ${msg}`, EXIT.environment, { cause: e });
}

export class SshHost implements Host {
  readonly name: string;
  private readonly procs = new ProcessSet();
  private sftpP: Promise<SFTPWrapper> | null = null;
  private closed = false;

  private constructor(private readonly conn: Client, readonly target: z.output<typeof sshTargetSchema>, label: string) {
    this.name = `${label} (${target.user}@${target.host}:${target.port})`;
    conn.on('close', () => (this.closed = true));
  }

  /** Connect and authenticate; errors name the host and what to do. */
  static async connect(targetIn: SshTarget, label = 'host'): Promise<SshHost> {
    const parsed = sshTargetSchema.safeParse(targetIn);
    if (!parsed.success) throw new FlexbenchError(`bad SSH settings for ${label}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, EXIT.usage);
    // inventories say ~/.ssh/…: expand it as ssh would
    const home = (p: string) => (p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p);
    const t = { ...parsed.data, key: parsed.data.key && home(parsed.data.key), knownHosts: parsed.data.knownHosts?.map(home) };
    const cfg: ConnectConfig = {
      host: t.host,
      port: t.port,
      username: t.user,
      readyTimeout: t.connectTimeoutMs,
      keepaliveInterval: t.keepaliveIntervalMs,
      keepaliveCountMax: 3,
    };
    if (t.key) {
      if (!existsSync(t.key)) throw new FlexbenchError(`SSH key for ${label} not found: ${t.key}`, EXIT.usage);
      cfg.privateKey = readFileSync(t.key);
    }
    if (t.agent || !t.key) {
      if (!process.env.SSH_AUTH_SOCK && !t.key) throw new FlexbenchError(`no SSH key given for ${label} and no agent ($SSH_AUTH_SOCK is not set)`, EXIT.usage);
      if (process.env.SSH_AUTH_SOCK) cfg.agent = process.env.SSH_AUTH_SOCK;
    }
    let hostKeyProblem: string | undefined;
    const files = t.knownHosts ?? [join(homedir(), '.ssh', 'known_hosts')];
    cfg.hostVerifier = (key: Buffer): boolean => {
      const v = checkHostKey(files, t.host, t.port, key);
      // relaxed checking accepts an unknown key, never a changed or revoked one
      if (v.ok || (!t.strictHostKeyChecking && v.reason === 'unknown')) return true;
      hostKeyProblem = v.detail;
      return false;
    };
    const conn = new Client();
    await new Promise<void>((resolve, reject) => {
      conn.once('ready', () => resolve());
      conn.once('error', (e) => {
        conn.end();
        reject(describeConnectError(label, e, t, hostKeyProblem));
      });
      conn.connect(cfg);
    });
    // later errors (keepalive timeout, reset) end the connection; commands then fail with their own messages
    conn.on('error', () => undefined);
    return new SshHost(conn, t, label);
  }

  private channel(cmd: string): Promise<ClientChannel> {
    if (this.closed) return Promise.reject(new FlexbenchError(`SSH connection to ${this.name} is closed`, EXIT.environment));
    return new Promise((resolve, reject) => {
      this.conn.exec(cmd, (err, ch) => (err ? reject(new FlexbenchError(`on ${this.name}: cannot open a session: ${err.message}`, EXIT.environment, { cause: err })) : resolve(ch)));
    });
  }

  spawn(argv: string[], opts: SpawnOptions = {}): HostProcess {
    checkArgv(argv);
    const buffer = opts.buffer ?? true;
    const line = remoteCommandLine(argv, { cwd: opts.cwd, env: opts.env });
    let resolvePgid!: (n: number) => void;
    let rejectPgid!: (e: unknown) => void;
    const pgid = new Promise<number>((a, b) => ((resolvePgid = a), (rejectPgid = b)));
    pgid.catch(() => undefined);
    let exited = false;
    let knownPgid: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    // the session's channel is the command's stdin (open until the channel closes)
    let chRef: ClientChannel | null = null;
    const done = (async (): Promise<ExecResult> => {
      let ch: ClientChannel;
      try {
        ch = await this.channel(line);
        chRef = ch;
      } catch (e) {
        rejectPgid(e);
        return { code: null, signal: null, stdout: '', stderr: String((e as Error).message) };
      }
      let stdout = '';
      let stderr = '';
      let errHead = '';
      let headDone = false;
      ch.setEncoding('utf8');
      ch.stderr.setEncoding('utf8');
      ch.on('data', (c: string) => {
        if (buffer) stdout += c;
        opts.onStdout?.(c);
      });
      ch.stderr.on('data', (c: string) => {
        if (!headDone) {
          // the wrapper's first stderr line carries the pgid; everything after is the command's
          errHead += c;
          const nl = errHead.indexOf('\n');
          if (nl < 0) return;
          const first = errHead.slice(0, nl);
          c = errHead.slice(nl + 1);
          headDone = true;
          if (first.startsWith(PGID_MARK)) {
            knownPgid = Number(first.slice(PGID_MARK.length));
            resolvePgid(knownPgid);
          } else {
            c = errHead;
            rejectPgid(new Error('no process group reported'));
          }
          if (!c) return;
        }
        if (buffer) stderr += c;
        opts.onStderr?.(c);
      });
      return new Promise<ExecResult>((resolve) => {
        ch.on('close', (code: number | null, signal?: string) => {
          if (!headDone && errHead) {
            stderr += errHead;
            opts.onStderr?.(errHead);
          }
          rejectPgid(new Error('exited before reporting its process group'));
          // setsid -w reports a child killed by a signal on stderr and exits with the signal number
          const m = stderr.match(/setsid: child \d+ did not exit normally[^\n]*\n?/);
          if (m && typeof code === 'number' && !signal) {
            stderr = stderr.replace(m[0], '');
            const name = Object.entries(osConstants.signals).find(([, n]) => n === code)?.[0];
            resolve({ code: null, signal: name ?? `signal ${code}`, stdout, stderr });
            return;
          }
          resolve({ code: typeof code === 'number' ? code : null, signal: signal ?? null, stdout, stderr });
        });
      });
    })().finally(() => {
      exited = true;
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    });

    // the group lives on the node: `kill` there, over a session of its own
    const signalGroup = async (sig: NodeJS.Signals): Promise<void> => {
      if (knownPgid === undefined || this.closed) return;
      const sent = (async () => {
        const ch = await this.channel(`kill -${sig.replace(/^SIG/, '')} -- -${knownPgid} 2>/dev/null; true`).catch(() => null);
        if (ch) await new Promise<void>((r) => { ch.on('close', () => r()); ch.resume(); ch.stderr.resume(); });
      })();
      // a kill session that does not open or end is given up on (seen once beside a busy loop): kill() then closes the channel
      await settlesWithin(sent, SIGNAL_SESSION_MS);
    };
    const kill = async (graceMs = DEFAULT_KILL_GRACE_MS, first: StopSignal = 'TERM'): Promise<ExecResult> => {
      if (!exited) {
        if (knownPgid === undefined) await Promise.race([pgid.catch(() => undefined), done]);
        const gone = await terminate({ signal: signalGroup, waitExit: (ms) => settlesWithin(done, ms) }, { first: `SIG${first}`, graceMs, killWaitMs: Math.max(graceMs, SIGNAL_SESSION_MS) });
        // the signals did not end it: close its session, so its stdin ends (nf run --samples-on-stdin stops then) and the wait with it
        if (!gone && !exited) {
          opts.onStderr?.(`flexbench: ${argv[0]} on ${this.name} (process group ${knownPgid}) did not end on SIG${first} and SIGKILL; its session is closed\n`);
          chRef?.close();
        }
      }
      return done;
    };
    const onAbort = (): void => void kill();
    if (opts.signal?.aborted) queueMicrotask(onAbort);
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.timeoutMs) timer = setTimeout(() => void kill(), opts.timeoutMs);
    const write = (data: string): boolean => {
      if (exited || !chRef || opts.stdin !== 'pipe') return false;
      chRef.write(data);
      return true;
    };
    return this.procs.add({ pgid, done, kill, write });
  }

  async exec(argv: string[], opts: SpawnOptions & { allowFailure?: boolean } = {}): Promise<ExecResult> {
    const r = await this.spawn(argv, opts).done;
    if (!opts.allowFailure && r.code !== 0) throw failure(this.name, argv, r);
    return r;
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpP ??= new Promise((resolve, reject) =>
      this.conn.sftp((err, s) => (err ? reject(new FlexbenchError(`on ${this.name}: SFTP unavailable (${err.message}); enable the sftp subsystem in sshd`, EXIT.environment)) : resolve(s))),
    );
    return this.sftpP;
  }

  private async mkdirp(remoteDir: string): Promise<void> {
    await this.exec(['mkdir', '-p', remoteDir]);
  }

  async putFile(localPath: string, remotePath: string): Promise<void> {
    await this.mkdirp(remotePath.replace(/\/[^/]*$/, '') || '/');
    const s = await this.sftp();
    await new Promise<void>((res, rej) => s.fastPut(localPath, remotePath, (e) => (e ? rej(new FlexbenchError(`copy ${localPath} to ${this.name}:${remotePath} failed: ${e.message}`, EXIT.environment)) : res())));
  }

  async getFile(remotePath: string, localPath: string): Promise<void> {
    const s = await this.sftp();
    await new Promise<void>((res, rej) => s.fastGet(remotePath, localPath, (e) => (e ? rej(new FlexbenchError(`copy ${this.name}:${remotePath} to ${localPath} failed: ${e.message}`, EXIT.environment)) : res())));
  }

  async writeFile(remotePath: string, content: string | Buffer): Promise<void> {
    await this.mkdirp(remotePath.replace(/\/[^/]*$/, '') || '/');
    const s = await this.sftp();
    await new Promise<void>((res, rej) => s.writeFile(remotePath, content, (e) => (e ? rej(new FlexbenchError(`write ${this.name}:${remotePath} failed: ${e.message}`, EXIT.environment)) : res())));
  }

  /** A TCP stream to host:port as seen from the node (e.g. Pktgen's Lua socket on its localhost). */
  connectTcp(host: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) =>
      this.conn.forwardOut('127.0.0.1', 0, host, port, (err, ch) => (err ? reject(new FlexbenchError(`on ${this.name}: cannot open a tunnel to ${host}:${port}: ${err.message}`, EXIT.environment)) : resolve(ch))),
    );
  }

  killAll(): Promise<void> {
    return this.procs.killAll();
  }

  async close(): Promise<void> {
    await this.killAll();
    this.conn.end();
  }
}
