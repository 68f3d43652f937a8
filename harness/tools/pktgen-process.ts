// A running Pktgen-DPDK on a host (node1 over SSH, or this machine in tests): started under a pty,
// reached on its Lua socket, ended through its console and cleaned up after. One code path for the lab,
// the emulated testbed and the adapter's tests.
import type { Host, HostProcess, ExecResult } from '../hosts/host.js';
import { FlexbenchError, EXIT, type ExitCode } from '../exit-codes.js';
import { settlesWithin, sleep } from '../../common/processes.js';
import { PktgenLua, pktgenConsoleArgv, PKTGEN_QUIT, PKTGEN_LUA_PORT } from './pktgen.js';

/** DPDK's runtime directory of a --file-prefix (root's; Pktgen runs as root). */
export const dpdkRuntimeDir = (filePrefix: string): string => `/var/run/dpdk/${filePrefix}`;

/** Pktgen's console is a full-screen terminal UI: drop escape sequences so a log or an error reads as text. */
export function consoleText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(ESCAPE, '').replace(/\x1b|\r/g, ''); // a stray ESC of a sequence not listed goes too
}
// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[78()][0-9A-Za-z]?|\x1b[=>]/g;
// eslint-disable-next-line no-control-regex
const WHOLE_ESCAPE_AT_START = /^(?:\x1b\[[0-9;?]*[A-Za-z]|\x1b[78()][0-9A-Za-z]?|\x1b[=>])/;

/**
 * consoleText for output that arrives in chunks: a sequence split between two chunks (`ESC[12` then `;22H`,
 * as a loaded machine delivers them) is held back until it is whole, so no half of it reaches the text.
 */
export function consoleTextStream(): (chunk: string) => string {
  let held = '';
  return (chunk) => {
    let s = held + chunk;
    held = '';
    const esc = s.lastIndexOf('\x1b');
    // a screen-control sequence is a few bytes: a longer unfinished tail is not one, and is let through
    if (esc >= 0 && s.length - esc <= 32 && !WHOLE_ESCAPE_AT_START.test(s.slice(esc))) {
      held = s.slice(esc);
      s = s.slice(0, esc);
    }
    return consoleText(s);
  };
}

interface PktgenStart {
  /** pktgen's own argv (pktgenArgv); it is wrapped in a pty here */
  argv: string[];
  filePrefix: string;
  luaPort?: number;
  /** how long Pktgen may take to open its Lua socket */
  startTimeoutMs: number;
  signal?: AbortSignal;
  /** console output as it comes (raw, with escape sequences) */
  onOutput?: (chunk: string) => void;
  /** ms between the console quit and signals, and between SIGTERM and SIGKILL */
  graceMs?: number;
}

export class PktgenProcess {
  private ended: Promise<ExecResult> | null = null;

  private constructor(
    private readonly host: Host,
    readonly proc: HostProcess,
    readonly lua: PktgenLua,
    private readonly o: PktgenStart,
    /** the last lines Pktgen printed, as text */
    readonly consoleTail: () => string,
  ) {}

  /**
   * Starts Pktgen and connects to its Lua socket (retried while it starts). A Pktgen that exits, does not
   * open its socket in time, or is interrupted is ended and its runtime directory removed before this throws.
   */
  static async start(host: Host, o: PktgenStart): Promise<PktgenProcess> {
    let out = '';
    const proc = host.spawn(pktgenConsoleArgv(o.argv), {
      signal: o.signal,
      stdin: 'pipe',
      buffer: false,
      onStdout: (c) => {
        out = (out + c).slice(-16_384);
        o.onOutput?.(c);
      },
      onStderr: (c) => {
        out = (out + c).slice(-16_384);
        o.onOutput?.(c);
      },
    });
    let exited: ExecResult | null = null;
    void proc.done.then((r) => (exited = r));
    const port = o.luaPort ?? PKTGEN_LUA_PORT;
    const until = Date.now() + o.startTimeoutMs;
    let last: unknown = null;
    const tailOf = () => consoleText(out).trim().split('\n').slice(-6).join(' | ');
    const fail = async (msg: string, code: ExitCode): Promise<never> => {
      await endProcess(host, proc, o.filePrefix, o.graceMs);
      throw new FlexbenchError(msg, code);
    };
    while (true) {
      if (o.signal?.aborted) return fail('interrupted while pktgen was starting', EXIT.interrupted);
      if (exited) {
        const r = exited as ExecResult;
        return fail(`pktgen exited at start (${r.signal ?? `code ${r.code}`}): ${tailOf() || 'no output'}`, EXIT.trialsFailed);
      }
      if (Date.now() > until) return fail(`pktgen's Lua socket (127.0.0.1:${port} on ${host.name}) did not open within ${o.startTimeoutMs} ms: ${(last as Error)?.message ?? ''}; console: ${tailOf() || 'no output'}`, EXIT.trialsFailed);
      try {
        const sock = await host.connectTcp('127.0.0.1', port);
        const lua = new PktgenLua(sock);
        // the socket accepts before Pktgen's REPL answers on some starts: one round trip proves it
        try {
          await lua.eval('');
        } catch (e) {
          lua.close();
          throw e;
        }
        return new PktgenProcess(host, proc, lua, o, tailOf);
      } catch (e) {
        last = e;
        await sleep(300, o.signal);
      }
    }
  }

  /**
   * Ends Pktgen: `quit` on its console, then SIGTERM/SIGKILL to its process group if it does not exit
   * within the grace period; then removes its DPDK runtime directory. Idempotent.
   */
  quit(): Promise<ExecResult> {
    this.ended ??= (async () => {
      this.lua.close();
      return endProcess(this.host, this.proc, this.o.filePrefix, this.o.graceMs);
    })();
    return this.ended;
  }
}

/** console quit, then the host's escalation (common/processes terminate(): SIGTERM, SIGKILL), then the runtime directory */
async function endProcess(host: Host, proc: HostProcess, filePrefix: string, graceMs = 5000): Promise<ExecResult> {
  if (!(await settlesWithin(proc.done, 0))) {
    proc.write(PKTGEN_QUIT);
    if (!(await settlesWithin(proc.done, graceMs))) await proc.kill(graceMs);
  }
  const r = await proc.done;
  await host.exec(['rm', '-rf', dpdkRuntimeDir(filePrefix)], { allowFailure: true }).catch(() => undefined);
  return r;
}
