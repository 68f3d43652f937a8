// dpdk-testpmd: command lines (baseline MAC swap, pcap generator) and the parser of its statistics output.
import { FlexbenchError, EXIT } from '../exit-codes.js';

/** One port in one periodic "Port statistics" block (`--stats-period`). */
interface TestpmdPortStats {
  port: number;
  rxPackets: number;
  rxMissed: number;
  rxBytes: number;
  rxErrors: number;
  rxNombuf: number;
  txPackets: number;
  txErrors: number;
  txBytes: number;
  /** "Throughput (since last show)"; bps is absent in older releases */
  rxPps: number;
  txPps: number;
  rxBps?: number;
  txBps?: number;
}

/** One "Forward statistics for port N" block printed when testpmd stops. */
interface TestpmdForwardStats {
  port: number;
  rxPackets: number;
  rxDropped: number;
  rxTotal: number;
  txPackets: number;
  txDropped: number;
  txTotal: number;
}

export interface TestpmdSnapshot {
  /** 0-based index of the periodic block */
  index: number;
  ports: TestpmdPortStats[];
}

interface TestpmdFinal {
  ports: TestpmdForwardStats[];
  accumulated?: Omit<TestpmdForwardStats, 'port'>;
  /** "Done." seen after the forward statistics: testpmd stopped cleanly */
  done: boolean;
}

interface TestpmdParsed {
  snapshots: TestpmdSnapshot[];
  final: TestpmdFinal | null;
}

// testpmd clears the screen before each block; the escape sequences must not break line matching.
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const num = (s: string | undefined): number => (s === undefined ? 0 : Number(s));

type Section = 'none' | 'nic' | 'fwd' | 'acc';

/**
 * Streaming parser: feed stdout chunks as they arrive; complete periodic blocks are reported through
 * `onSnapshot` so a trial can watch the rate while testpmd forwards.
 */
export class TestpmdStatsParser {
  readonly snapshots: TestpmdSnapshot[] = [];
  final: TestpmdFinal | null = null;
  private rest = '';
  private section: Section = 'none';
  private cur: TestpmdSnapshot | null = null;
  private port: Partial<TestpmdPortStats> | null = null;
  private fwd: Partial<TestpmdForwardStats> | null = null;
  private sawForward = false;

  constructor(private readonly onSnapshot?: (s: TestpmdSnapshot) => void) {}

  push(chunk: string): void {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    for (const l of lines) this.line(l.replace(ANSI, '').replace(/\r$/, ''));
  }

  /** Flush the last partial line and close open blocks; returns everything parsed. */
  end(): TestpmdParsed {
    if (this.rest) this.line(this.rest.replace(ANSI, ''));
    this.rest = '';
    this.closeSnapshot();
    return { snapshots: this.snapshots, final: this.final };
  }

  private closePort(): void {
    if (this.port && this.cur && this.port.port !== undefined) this.cur.ports.push(this.port as TestpmdPortStats);
    this.port = null;
  }

  private closeSnapshot(): void {
    this.closePort();
    if (this.cur && this.cur.ports.length > 0) {
      this.snapshots.push(this.cur);
      this.onSnapshot?.(this.cur);
    }
    this.cur = null;
  }

  private line(l: string): void {
    let m: RegExpMatchArray | null;
    if (/^\s*Port statistics =+/.test(l)) {
      this.closeSnapshot();
      this.cur = { index: this.snapshots.length, ports: [] };
      this.section = 'nic';
      return;
    }
    if ((m = l.match(/#+ NIC statistics for port (\d+)/))) {
      if (!this.cur) this.cur = { index: this.snapshots.length, ports: [] };
      this.closePort();
      this.section = 'nic';
      this.port = { port: Number(m[1]), rxPackets: 0, rxMissed: 0, rxBytes: 0, rxErrors: 0, rxNombuf: 0, txPackets: 0, txErrors: 0, txBytes: 0, rxPps: 0, txPps: 0 };
      return;
    }
    if ((m = l.match(/-+ Forward statistics for port (\d+)/))) {
      this.closeSnapshot();
      this.sawForward = true;
      this.section = 'fwd';
      this.final ??= { ports: [], done: false };
      this.fwd = { port: Number(m[1]) };
      return;
    }
    if (/\++ Accumulated forward statistics for all ports/.test(l)) {
      this.closeSnapshot();
      this.section = 'acc';
      this.final ??= { ports: [], done: false };
      this.fwd = {};
      return;
    }
    if (/^\s*Done\.\s*$/.test(l) && this.sawForward && this.final) {
      this.final.done = true;
      return;
    }
    if (this.section === 'nic' && this.port) {
      const p = this.port;
      if ((m = l.match(/RX-packets:\s*(\d+)\s+RX-missed:\s*(\d+)\s+RX-bytes:\s*(\d+)/))) {
        p.rxPackets = num(m[1]); p.rxMissed = num(m[2]); p.rxBytes = num(m[3]);
      } else if ((m = l.match(/RX-errors:\s*(\d+)/))) p.rxErrors = num(m[1]);
      else if ((m = l.match(/RX-nombuf:\s*(\d+)/))) p.rxNombuf = num(m[1]);
      else if ((m = l.match(/TX-packets:\s*(\d+)\s+TX-errors:\s*(\d+)\s+TX-bytes:\s*(\d+)/))) {
        p.txPackets = num(m[1]); p.txErrors = num(m[2]); p.txBytes = num(m[3]);
      } else if ((m = l.match(/Rx-pps:\s*(\d+)(?:\s+Rx-bps:\s*(\d+))?/))) {
        p.rxPps = num(m[1]);
        if (m[2] !== undefined) p.rxBps = num(m[2]);
      } else if ((m = l.match(/Tx-pps:\s*(\d+)(?:\s+Tx-bps:\s*(\d+))?/))) {
        p.txPps = num(m[1]);
        if (m[2] !== undefined) p.txBps = num(m[2]);
      } else if (/^\s*#{20,}\s*$/.test(l)) this.closePort();
      return;
    }
    if ((this.section === 'fwd' || this.section === 'acc') && this.fwd && this.final) {
      if ((m = l.match(/RX-packets:\s*(\d+)\s+RX-dropped:\s*(\d+)\s+RX-total:\s*(\d+)/))) {
        Object.assign(this.fwd, { rxPackets: num(m[1]), rxDropped: num(m[2]), rxTotal: num(m[3]) });
      } else if ((m = l.match(/TX-packets:\s*(\d+)\s+TX-dropped:\s*(\d+)\s+TX-total:\s*(\d+)/))) {
        Object.assign(this.fwd, { txPackets: num(m[1]), txDropped: num(m[2]), txTotal: num(m[3]) });
        if (this.section === 'fwd') this.final.ports.push(this.fwd as TestpmdForwardStats);
        else this.final.accumulated = this.fwd as Omit<TestpmdForwardStats, 'port'>;
        this.fwd = null;
        this.section = 'none';
      }
    }
  }
}

/** Parse a whole captured testpmd stdout. */
export function parseTestpmdOutput(text: string): TestpmdParsed {
  const p = new TestpmdStatsParser();
  p.push(text);
  return p.end();
}

/**
 * Rates of one port between two snapshots from counter deltas, independent of testpmd's own
 * "since last show" figures (which cover an interval we do not control exactly).
 */
export function rateBetween(a: TestpmdPortStats, b: TestpmdPortStats, seconds: number): { rxPps: number; txPps: number } {
  if (!(seconds > 0)) throw new FlexbenchError(`rate window must be > 0 s, got ${seconds}`, EXIT.usage);
  return { rxPps: (b.rxPackets - a.rxPackets) / seconds, txPps: (b.txPackets - a.txPackets) / seconds };
}

/** Steady-state rate of one port: mean of the periodic Rx/Tx-pps after dropping the first `warmup` blocks. */
export function steadyRate(snapshots: TestpmdSnapshot[], port: number, warmup = 1): { rxPps: number; txPps: number; samples: number } {
  const use = snapshots.slice(Math.min(warmup, Math.max(0, snapshots.length - 1)));
  let rx = 0, tx = 0, n = 0;
  for (const s of use) {
    const p = s.ports.find((q) => q.port === port);
    if (!p) continue;
    rx += p.rxPps; tx += p.txPps; n++;
  }
  return n === 0 ? { rxPps: 0, txPps: 0, samples: 0 } : { rxPps: rx / n, txPps: tx / n, samples: n };
}

// ---------------------------------------------------------------------------------------------
// Command lines

interface TestpmdOptions {
  /** path of the binary on the host running it */
  binary?: string;
  /** lcores: the first is testpmd's main lcore, the rest forward */
  lcores: number[];
  /** forwarding cores (default lcores.length - 1, at least 1) */
  nbCores?: number;
  /** unique per concurrent DPDK process */
  filePrefix: string;
  /** `--vdev` arguments, e.g. af_packet or pcap devices */
  vdevs?: string[];
  /** PCI addresses to allow (`-a`); when empty with vdevs, `--no-pci` */
  pci?: string[];
  noHuge?: boolean;
  /** memory in MB (with --no-huge) */
  memoryMb?: number;
  forwardMode?: 'macswap' | 'io' | 'mac' | 'rxonly' | 'txonly';
  /** queues per port; >1 turns on RSS over IP/UDP */
  queues?: number;
  statsPeriod?: number;
  totalNumMbufs?: number;
  /** extra EAL args / testpmd args from the inventory */
  extraEal?: string[];
  extraApp?: string[];
}

/** The argv (binary first) of a non-interactive testpmd that forwards until SIGINT/SIGTERM. */
export function testpmdArgv(o: TestpmdOptions): string[] {
  if (o.lcores.length < 2) throw new FlexbenchError(`testpmd needs a main lcore plus at least one forwarding lcore, got lcores [${o.lcores.join(',')}]`, EXIT.usage);
  if (!/^[A-Za-z0-9_-]+$/.test(o.filePrefix)) throw new FlexbenchError(`testpmd file prefix "${o.filePrefix}" may only hold letters, digits, _ and -`, EXIT.usage);
  const nbCores = o.nbCores ?? o.lcores.length - 1;
  const queues = o.queues ?? 1;
  // DPDK's main lcore is the lowest of -l unless named: the first of lcores is stated as main
  const eal = ['-l', o.lcores.join(','), '--main-lcore', String(o.lcores[0]), '--file-prefix', o.filePrefix];
  if (o.noHuge ?? true) eal.push('--no-huge', '-m', String(o.memoryMb ?? 512));
  for (const v of o.vdevs ?? []) eal.push('--vdev', v);
  if (o.pci && o.pci.length > 0) for (const a of o.pci) eal.push('-a', a);
  else eal.push('--no-pci');
  eal.push(...(o.extraEal ?? []));
  // Without --stats-period a non-interactive testpmd reads stdin and exits at EOF (at once over SSH).
  const app = [
    `--nb-cores=${nbCores}`,
    `--forward-mode=${o.forwardMode ?? 'macswap'}`,
    `--stats-period=${o.statsPeriod ?? 1}`,
    `--total-num-mbufs=${o.totalNumMbufs ?? 16384}`,
  ];
  if (queues > 1) app.push(`--rxq=${queues}`, `--txq=${queues}`, '--rss-udp');
  app.push(...(o.extraApp ?? []));
  return [o.binary ?? 'dpdk-testpmd', ...eal, '--', ...app];
}

/** An af_packet vdev on a kernel interface (a veth in the emulated testbed). */
export function afPacketVdev(index: number, iface: string, qpairs = 1): string {
  if (!/^[A-Za-z0-9_.@-]+$/.test(iface)) throw new FlexbenchError(`bad interface name "${iface}"`, EXIT.usage);
  return `net_af_packet${index},iface=${iface},blocksz=4096,framesz=2048,framecnt=4096,qpairs=${qpairs}`;
}

/** Why DPDK cannot take this path in a device argument (`rx_pcap=PATH,…`), or null; `validate` and the run ask the same. */
export function devargsPathProblem(path: string): string | null {
  return /[,\s]/.test(path) ? `pcap path "${path}" may not contain commas or spaces (DPDK reads it inside a comma-separated device argument)` : null;
}

/** A pcap vdev replaying FILE in a loop: testpmd as a software traffic generator. */
export function pcapReplayVdev(index: number, pcapPath: string): string {
  const problem = devargsPathProblem(pcapPath);
  if (problem) throw new FlexbenchError(problem, EXIT.usage);
  return `net_pcap${index},rx_pcap=${pcapPath},infinite_rx=1`;
}

/**
 * testpmd's own clock for its statistics blocks. A block is printed "every --stats-period seconds" only
 * as far as its main lcore gets to run; on a busy machine blocks stretch. The "since last show" rates are
 * computed from TSC cycles, so the true interval between two blocks is Δpackets / pps of any port that
 * moved; only when nothing moved does the nominal period stand in.
 */
export class TestpmdClock {
  private prev: TestpmdSnapshot | null = null;
  private t = 0;
  constructor(private readonly periodS = 1) {}

  /** seconds since the first block, for this block */
  next(s: TestpmdSnapshot): number {
    const p = this.prev;
    this.prev = s;
    if (!p) return (this.t = 0);
    let dt = NaN;
    for (const q of s.ports) {
      const o = p.ports.find((x) => x.port === q.port);
      if (!o) continue;
      const drx = q.rxPackets - o.rxPackets;
      const dtx = q.txPackets - o.txPackets;
      // needs enough packets for the integer pps to carry the interval precisely
      if (q.rxPps > 0 && drx > 1000) {
        dt = drx / q.rxPps;
        break;
      }
      if (q.txPps > 0 && dtx > 1000) {
        dt = dtx / q.txPps;
        break;
      }
    }
    this.t += Number.isFinite(dt) && dt > 0 ? dt : this.periodS;
    return this.t;
  }
}
