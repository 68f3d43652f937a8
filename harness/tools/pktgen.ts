// Pktgen-DPDK on node1, driven through its Lua socket (`-G`, localhost:22022) over an SSH tunnel.
// Not through a start-up script (-f): that runs on the main thread and blocks the statistics timer.
// Rates come from counter deltas over a measured window, so both statistics APIs give the same figures:
// up to 25.08 `pktgen.portStats(p, "port")` returns flat counters per port; from 26.02
// `pktgen.portStats(p)` returns { curr = {…}, sizes, qstats } per port.
// The socket is a Lua REPL read line by line (a `local` does not outlive its line); only `io.write` comes
// back over it (`print` and Lua errors go to Pktgen's console), so every call is one line that loads the
// chunk, runs it under pcall and writes its own begin/end markers with the outcome.
import type { Duplex } from 'node:stream';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { linePps } from '../spec/schema.js';
import { shellJoin } from '../hosts/host.js';

export const PKTGEN_LUA_PORT = 22022;

interface PktgenCounters {
  ipackets: number;
  opackets: number;
  ibytes: number;
  obytes: number;
  ierrors: number;
  oerrors: number;
  imissed: number;
}

/** argv of pktgen: lcore map, pcap per port, Lua socket on localhost, promiscuous, no colours. */
export function pktgenArgv(o: { binary: string; lcores: number[]; filePrefix: string; pci?: string[]; vdevs?: string[]; noHuge?: boolean; memoryMb?: number; port: number; rxCore: number; txCore: number; pcap: string; extraEal?: string[]; luaPort?: number }): string[] {
  if (o.lcores.length < 2) throw new FlexbenchError('pktgen needs a main lcore and at least one port lcore', EXIT.usage);
  // the first of lcores is Pktgen's main lcore (DPDK would take the lowest): stated, not implied
  const eal = ['-l', o.lcores.join(','), '--main-lcore', String(o.lcores[0]), '--file-prefix', o.filePrefix];
  // without hugepages there is no shared config to keep either (--in-memory cannot go with --no-huge)
  if (o.noHuge) eal.push('--no-huge', '-m', String(o.memoryMb ?? 1024), '--no-shconf');
  for (const a of o.pci ?? []) eal.push('-a', a);
  for (const v of o.vdevs ?? []) eal.push('--vdev', v);
  eal.push(...(o.extraEal ?? []));
  const lua = o.luaPort === undefined || o.luaPort === PKTGEN_LUA_PORT ? ['-G'] : ['-g', `127.0.0.1:${o.luaPort}`];
  // one lcore for both directions is "N.P": "[N:N].P" makes N an rx lcore, then re-maps it tx-only ("lcore
  // already in use") and nothing is received (seen on 24.07, app/l2p.c)
  const map = o.rxCore === o.txCore ? `${o.rxCore}.${o.port}` : `[${o.rxCore}:${o.txCore}].${o.port}`;
  return [o.binary, ...eal, '--', '-T', '-P', ...lua, '-m', map, '-s', `${o.port}:${o.pcap}`];
}

/**
 * Pktgen exits at once without a terminal ("tcgetattr failed"): run it under a pty that `script`
 * holds, whose stdin (kept open by the caller) is Pktgen's console. `-e` passes its exit code on.
 */
export function pktgenConsoleArgv(argv: string[]): string[] {
  return ['script', '-qfec', shellJoin(argv), '/dev/null'];
}

/** Typed on Pktgen's console to end it cleanly (`pktgen.quit()` over the Lua socket crashes it). */
export const PKTGEN_QUIT = 'quit\r';

/** Lua source as one Lua string literal on a single line (the socket's REPL reads line by line). */
export function luaString(src: string): string {
  return `"${src.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\0/g, '\\000')}"`;
}

/** One socket line: load the chunk, run it under pcall, write FB-BEGIN/FB-END markers with the outcome (ok, or error and its message). */
export function wrapChunk(lua: string, tag: string): string {
  return `do io.write("FB-BEGIN ${tag}\\n") local f, e = load(${luaString(lua)}, "=flexbench") local ok = f ~= nil if ok then ok, e = pcall(f) end io.write("\\nFB-END ${tag} ", ok and "ok" or ("error " .. string.gsub(tostring(e), "\\n", " ")), "\\n") io.flush() end\n`;
}

// Serialises whatever portStats returns as "path=value" lines between markers: the TypeScript side then
// copes with either table shape, and a double can replay recorded dumps of both.
const DUMP = `local function fbdump(t, pre) for k, v in pairs(t) do if type(v) == "table" then fbdump(v, pre .. tostring(k) .. ".") else io.write(pre, tostring(k), "=", tostring(v), "\\n") end end end`;

export function statsScript(port: number, api: 'auto' | 'legacy' | 'table'): string {
  const legacy = `pktgen.portStats("${port}", "port")`;
  const table = `pktgen.portStats("${port}")`;
  // auto: the two-argument form first; if this Pktgen rejects it, the one-argument form of 26.02+
  const call = api === 'legacy' ? `local s = ${legacy}` : api === 'table' ? `local s = ${table}` : `local ok, s = pcall(pktgen.portStats, "${port}", "port")\nif not ok or s == nil then s = ${table} end`;
  return `${DUMP}\n${call}\nfbdump(s, "")\n`;
}

/** Parse "a.b.c=v" lines into nested objects. */
export function parseDump(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    const eq = l.indexOf('=');
    if (eq <= 0) continue;
    const path = l.slice(0, eq).split('.');
    const val = l.slice(eq + 1);
    let o = root;
    for (const k of path.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
    o[path[path.length - 1]] = /^-?\d+(\.\d+)?$/.test(val) ? Number(val) : val;
  }
  return root;
}

/** Counters of one port from either API's table (legacy flat or 26.02 `curr`). */
export function countersFromStats(stats: Record<string, unknown>, port: number): PktgenCounters {
  const p = stats[String(port)] as Record<string, unknown> | undefined;
  if (!p || typeof p !== 'object') throw new FlexbenchError(`pktgen statistics have no port ${port} (got keys ${Object.keys(stats).join(', ') || 'none'})`, EXIT.environment);
  const c = (typeof p.curr === 'object' && p.curr !== null ? p.curr : p) as Record<string, unknown>;
  const n = (k: string): number => (typeof c[k] === 'number' ? (c[k] as number) : 0);
  if (typeof c.ipackets !== 'number' || typeof c.opackets !== 'number') {
    throw new FlexbenchError(`pktgen statistics of port ${port} lack ipackets/opackets (keys: ${Object.keys(c).join(', ')})`, EXIT.environment);
  }
  return { ipackets: n('ipackets'), opackets: n('opackets'), ibytes: n('ibytes'), obytes: n('obytes'), ierrors: n('ierrors'), oerrors: n('oerrors'), imissed: n('imissed') };
}

interface PktgenSample {
  /** harness clock, seconds */
  at: number;
  counters: PktgenCounters;
}

/** Rates over a window from two samples (counter deltas; independent of Pktgen's own once-a-second rate fields). */
export function windowRates(a: PktgenSample, b: PktgenSample): { seconds: number; rx_packets: number; tx_packets: number; rx_pps: number; tx_pps: number } {
  const seconds = b.at - a.at;
  if (!(seconds > 0)) throw new FlexbenchError('pktgen: the measured window is empty', EXIT.environment);
  const rx = b.counters.ipackets - a.counters.ipackets;
  const tx = b.counters.opackets - a.counters.opackets;
  return { seconds, rx_packets: rx, tx_packets: tx, rx_pps: rx / seconds, tx_pps: tx / seconds };
}

/** A session on Pktgen's Lua socket: each call sends one chunk and reads the output up to its end marker. */
export class PktgenLua {
  private buf = '';
  private waiters: (() => void)[] = [];
  private seq = 0;
  private closed = false;

  constructor(private readonly sock: Duplex, private readonly timeoutMs = 10_000) {
    sock.setEncoding?.('utf8');
    sock.on('data', (d: string | Buffer) => {
      this.buf += d.toString();
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('error', () => undefined);
  }

  /** Run a Lua chunk and return what it wrote with io.write; a Lua error in it is thrown, naming the chunk. */
  async eval(lua: string): Promise<string> {
    const tag = `fb${++this.seq}`;
    this.sock.write(wrapChunk(lua, tag));
    const begin = `FB-BEGIN ${tag}\n`;
    const end = new RegExp(`\\nFB-END ${tag} ([^\\n]*)\\n`);
    const deadline = Date.now() + this.timeoutMs;
    let m: RegExpExecArray | null;
    while (!(m = end.exec(this.buf))) {
      if (this.closed) throw new FlexbenchError(`pktgen closed its Lua socket while running: ${lua.split('\n')[0]}`, EXIT.environment);
      const left = deadline - Date.now();
      if (left <= 0) throw new FlexbenchError(`pktgen did not answer on its Lua socket within ${this.timeoutMs} ms`, EXIT.environment);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    const start = this.buf.lastIndexOf(begin, m.index);
    const out = this.buf.slice(start >= 0 ? start + begin.length : 0, m.index);
    this.buf = this.buf.slice(m.index + m[0].length);
    const outcome = m[1];
    if (outcome !== 'ok') throw new FlexbenchError(`pktgen's Lua failed (${outcome.replace(/^error /, '')}) running: ${lua.split('\n').slice(-2).join(' ').slice(0, 200)}`, EXIT.environment);
    return out;
  }

  /**
   * The screen off (its once-a-second redraw would fill the trial log with escape sequences), pcap mode on
   * (loading a pcap with -s is not enough) and the rate in percent of line rate.
   */
  async setup(port: number, ratePercent: number): Promise<void> {
    if (!(ratePercent >= 0.01 && ratePercent <= 100)) throw new FlexbenchError(`pktgen rate must be 0.01..100 % of line rate, got ${ratePercent}`, EXIT.usage);
    await this.eval(`pktgen.screen("off")\npktgen.pcap("${port}", "on")\npktgen.set("${port}", "rate", ${ratePercent})`);
  }

  /** pktgen.set: rate (percent), count (packets, 0 = forever), burst, size */
  async set(port: number, what: 'rate' | 'count' | 'burst' | 'size', value: number): Promise<void> {
    await this.eval(`pktgen.set("${port}", "${what}", ${value})`);
  }

  start(port: number): Promise<string> {
    return this.eval(`pktgen.start("${port}")`);
  }

  stop(port: number): Promise<string> {
    return this.eval(`pktgen.stop("${port}")`);
  }

  async counters(port: number, api: 'auto' | 'legacy' | 'table' = 'auto'): Promise<PktgenCounters> {
    const out = await this.eval(statsScript(port, api));
    return countersFromStats(parseDump(out), port);
  }

  close(): void {
    this.sock.end();
  }
}

/** Percent of line rate for a packet rate (Pktgen takes percent, not pps). Frame + 20 B preamble/IFG. */
export function ratePercent(pps: number, frameSize: number, linkGbps: number): number {
  return Math.min(100, Math.max(0.01, (pps / linePps(frameSize, linkGbps)) * 100));
}
