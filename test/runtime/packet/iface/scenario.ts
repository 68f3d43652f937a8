// One trial on a veth pair: start something that serves the NF-side interface, capture on the
// sender side with tshark, replay a pcap with tcpreplay, stop everything, return what was seen.
// Every process started here is stopped here, also on failure.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePcap } from '../../../../runtime/packet/pcap.js';
import type { VethPair } from '../../../../bench/lib/veth-pair.js';
import { flowFrames } from './frames.js';

export interface CapturedFrame {
  ethSrc: string;
  ethDst: string;
  ipSrc: string;
  ipDst: string;
  ipId: number;
  sport: number;
  dport: number;
  ipCsumOk: boolean;
  udpCsumOk: boolean;
}
export interface Trial {
  sent: number;
  /** everything tshark saw on the sender's interface (both directions) */
  frames: CapturedFrame[];
  /** the NF side's stdout and stderr */
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, ms: number, p?: ChildProcess, output?: () => string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (p && p.exitCode !== null) throw new Error(`${what}: process exited (${p.exitCode}) before it was ready: ${output?.() ?? ''}`);
    if (Date.now() - t0 > ms) throw new Error(`${what}: not ready after ${ms} ms`);
    await sleep(50);
  }
}

function stopChild(p: ChildProcess | null, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => p.kill('SIGKILL'), 10_000);
    p.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    p.kill(signal);
  });
}

const PROBE_IP = '198.18.255.254';

/** A UDP frame to PROBE_IP that only says "tshark is capturing". */
function probeFrame(pair: VethPair): Uint8Array {
  const f = flowFrames({ flows: 1, perFlow: 1, srcMac: pair.genMac, dstMac: pair.nfMac })[0];
  f.set([198, 18, 255, 254], 14 + 16);
  return f;
}

/** The last "total rx N" of an NF's rate lines. */
const lastRxTotal = (text: string): number | null => {
  const all = [...text.matchAll(/total rx (\d+)/g)];
  return all.length ? Number(all[all.length - 1]![1]) : null;
};

/**
 * Wait for a child to exit while it makes progress: a bound derived from what it reports (its rx total still
 * growing between two looks three rate periods apart), not a fixed time. Returns when it exited or stalled.
 */
async function whileProgressing(p: ChildProcess, output: () => string, periodMs = 1000): Promise<void> {
  let last = lastRxTotal(output());
  for (;;) {
    const exited = await new Promise<boolean>((res) => {
      if (p.exitCode !== null || p.signalCode !== null) return res(true);
      const t = setTimeout(() => { p.off('exit', on); res(false); }, 3 * periodMs);
      const on = () => { clearTimeout(t); res(true); };
      p.once('exit', on);
    });
    if (exited) return;
    const now = lastRxTotal(output());
    if (now === null || now === last) return; // stalled: the caller stops it and its assertions say so
    last = now;
  }
}

export async function runTrial(o: {
  pair: VethPair;
  frames: Uint8Array[];
  /** argv run inside the NF namespace */
  nfArgv: string[];
  /** stdout/stderr text that says the NF side is serving */
  ready: RegExp;
  pps?: number;
  /**
   * the NF ends by itself (--packets N): wait for its exit as long as its rate lines show it still
   * receiving, instead of a fixed second (a busy 2-core host can take longer to drain the rings)
   */
  endsItself?: boolean;
}): Promise<Trial> {
  const dir = mkdtempSync(join(tmpdir(), 'fbx-iface-'));
  const pcap = join(dir, 'in.pcap');
  const probePcap = join(dir, 'probe.pcap');
  writeFileSync(pcap, encodePcap(o.frames));
  writeFileSync(probePcap, encodePcap([probeFrame(o.pair)]));
  let nf: ChildProcess | null = null;
  let cap: ChildProcess | null = null;
  try {
    // tshark first, dissecting live; it is capturing once it shows a probe frame (sent before the
    // NF side exists, so the probes never reach a port)
    const fields = ['eth.src', 'eth.dst', 'ip.src', 'ip.dst', 'ip.id', 'udp.srcport', 'udp.dstport', 'ip.checksum.status', 'udp.checksum.status'];
    cap = spawn('ip', ['netns', 'exec', o.pair.genNs, 'tshark', '-i', o.pair.genIf, '-l', '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { stdio: ['ignore', 'pipe', 'ignore'] });
    let capOut = '';
    cap.stdout!.on('data', (d) => (capOut += d));
    const replay = (file: string, pps: number) => execFileSync('ip', ['netns', 'exec', o.pair.genNs, 'tcpreplay', '-i', o.pair.genIf, '--pps', String(pps), file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const t0 = Date.now();
    while (!capOut.includes(PROBE_IP)) {
      if (cap.exitCode !== null) throw new Error(`tshark exited (${cap.exitCode})`);
      if (Date.now() - t0 > 30_000) throw new Error('tshark did not start capturing within 30 s');
      replay(probePcap, 100);
      await sleep(200);
    }
    nf = spawn('nsenter', [`--net=/run/netns/${o.pair.nfNs}`, ...o.nfArgv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    nf.stdout!.on('data', (d) => (stdout += d));
    nf.stderr!.on('data', (d) => (stderr += d));
    await waitFor('NF side', () => o.ready.test(stdout) || o.ready.test(stderr), 30_000, nf, () => stdout + stderr);
    const m = /Successful packets:\s+(\d+)/.exec(replay(pcap, o.pps ?? 2000));
    if (!m) throw new Error('tcpreplay did not report its successful packets');
    await sleep(1000); // the last bursts come back
    if (o.endsItself) await whileProgressing(nf, () => stderr);
    await stopChild(nf);
    const exitCode = nf.exitCode;
    nf = null;
    await sleep(300);
    await stopChild(cap, 'SIGINT');
    cap = null;
    const frames = capOut.split('\n').filter((l) => l.trim() && !l.includes(PROBE_IP)).map((l) => {
      const c = l.split('\t');
      return { ethSrc: c[0], ethDst: c[1], ipSrc: c[2], ipDst: c[3], ipId: Number(c[4]), sport: Number(c[5]), dport: Number(c[6]), ipCsumOk: c[7] === '1', udpCsumOk: c[8] === '1' };
    });
    return { sent: Number(m[1]), frames, stdout, stderr, exitCode };
  } finally {
    await stopChild(cap, 'SIGINT');
    await stopChild(nf);
    rmSync(dir, { recursive: true, force: true });
  }
}
