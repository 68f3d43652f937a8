// What the end-host tests share: the end hosts around node2 with a flexbench NF there, made and swept
// away again (withEndHosts); a flexbench NF in a namespace (ready at its first rate line, stopped with
// SIGTERM for its JSON totals), tshark capturing inside a namespace, and live processes by name.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalHost } from '../../../harness/hosts/local.js';
import type { HostProcess } from '../../../harness/hosts/host.js';
import { planEndpoints, createEndpoints, type Endpoints } from '../../../harness/netns/endpoints.js';
import { sweepStale } from '../../../harness/netns/emulation.js';
import type { EndHosts } from '../../../harness/tools/endpoint-tests.js';
import { parseNfRunOutput, type NfRunResult } from '../../../runtime/nf-process/result.js';
import { CLI } from '../../runtime/packet/helpers.js';

const local = new LocalHost('test');

export interface EndHostsRun {
  ep: Endpoints;
  /** the flexbench NF on node2's end-host port, forwarding */
  nf: NfInNamespace;
  hosts: EndHosts;
  /** a scratch folder (captures), removed after */
  dir: string;
  signal: AbortSignal;
  /** what the end-host tests logged: printed when the body fails */
  log(s: string): void;
}

/**
 * The end hosts of emulation `id` (slot `slot`) with `flexbench nf run … nfArgs` on node2's end-host
 * port, once it forwards; then the NF stopped, the end hosts and every namespace of `id` swept away.
 */
export async function withEndHosts(id: string, slot: number, nfArgs: (ep: Endpoints) => string[], body: (r: EndHostsRun) => Promise<void>): Promise<void> {
  await sweepStale('fbn', id);
  await local.exec(['ip', 'netns', 'add', `${id}-node2`]);
  const dir = mkdtempSync(join(tmpdir(), `endpoints-${id}-`));
  const ep = await createEndpoints(planEndpoints(id, slot)).catch(async (e) => {
    await sweepStale('fbn', id);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  const nf = nfInNamespace(`${id}-node2`, nfArgs(ep));
  const ac = new AbortController();
  let log = '';
  try {
    await nf.ready;
    const hosts: EndHosts = { host: local, inClient: ep.inClient, inServer: ep.inServer, serverAddress: ep.server.address, clientAddress: ep.client.address, flexbench: [process.execPath, CLI] };
    await body({ ep, nf, hosts, dir, signal: ac.signal, log: (s) => (log += s) });
  } catch (e) {
    process.stderr.write(log.slice(-4000));
    throw e;
  } finally {
    await nf.stop().catch(() => undefined);
    await ep.destroy();
    await sweepStale('fbn', id);
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface NfInNamespace {
  proc: HostProcess;
  ready: Promise<void>;
  /** SIGTERM, then the `--json` result */
  stop(): Promise<NfRunResult>;
}

export function nfInNamespace(ns: string, args: string[], seconds = 200): NfInNamespace {
  let err = '';
  let resolveReady!: () => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => ((resolveReady = res), (rejectReady = rej)));
  // nsenter keeps /sys (and the BPF filesystem AF_XDP needs) as it is; ip netns exec remounts it
  const proc = local.spawn(['nsenter', `--net=/run/netns/${ns}`, process.execPath, CLI, 'nf', 'run', '--cores', '1', '--duration', String(seconds), '--json', ...args], {
    onStderr: (c) => {
      err += c;
      if (/t=[\d.]+s rx/.test(err)) resolveReady();
    },
  });
  void proc.done.then((r) => rejectReady(new Error(`nf run exited before its first rate line (${r.code}): ${err.slice(-1000)}`)));
  let result: Promise<NfRunResult> | null = null;
  return {
    proc,
    ready,
    stop: () =>
      (result ??= proc.kill(5000).then((r) => {
        try {
          return parseNfRunOutput(r.stdout);
        } catch (e) {
          throw new Error(`${(e as Error).message} (exit ${r.code}): ${err.slice(-1000)}`);
        }
      })),
  };
}

export interface Capture {
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** tshark writing `iface` inside a namespace to `file` until stopped. */
export function capture(inNs: (argv: string[]) => string[], iface: string, file: string): Capture {
  let err = '';
  let resolveReady!: () => void;
  const ready = new Promise<void>((res) => (resolveReady = res));
  const proc = local.spawn(inNs(['tshark', '-n', '-q', '-i', iface, '-w', file]), {
    onStderr: (c) => {
      err += c;
      if (/Capturing on/.test(err)) resolveReady();
    },
  });
  void proc.done.then(() => resolveReady());
  return {
    ready,
    stop: async () => {
      // tshark flushes its file on SIGINT
      await new Promise((r) => setTimeout(r, 300));
      await proc.kill(5000, 'INT');
    },
  };
}

/** Live (not zombie) processes with this command name. */
export async function running(comm: string): Promise<number[]> {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const m = /^\d+ \((.*)\) (\S)/.exec(stat);
      if (m && m[1] === comm && m[2] !== 'Z') out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** A captured packet's checksum fields as tshark reports them (ip.proto, ip/tcp/udp.checksum.status, tcp.checksum, tcp.checksum_calculated). */
export interface ChecksumRow {
  proto: string;
  ip: string;
  tcp: string;
  udp: string;
  tcpSum: string;
  tcpCalculated: string;
}

/**
 * Why a captured packet's checksums are not valid, or null. tshark's status decides (1 = good), with one
 * exception for what an end host's own kernel sent (`sentHere`): Linux's software checksum (skb_checksum_help,
 * used because the end hosts' tx offload is off) writes a checksum that computes to 0x0000 as 0xFFFF
 * (CSUM_MANGLED_0, UDP's rule, applied to TCP too). Both are one's-complement zero, every receiver's sum
 * verifies, but tshark calls the TCP one bad ("should be 0x0000, see RFC 1624"): about one pure ACK in
 * 65,536. What the NAT sent gets no exception: RFC 1624's eq. 3 never yields 0xFFFF
 * (test/nfs/nat-checksum.test.ts), so the same segment arrives translated with the exact value.
 */
export function checksumProblem(r: ChecksumRow, sentHere: boolean): string | null {
  if (r.ip !== '1') return `IPv4 header checksum status ${r.ip || 'missing'}`;
  const status = r.proto === '6' ? r.tcp : r.udp;
  if (status === '1') return null;
  const what = `${r.proto === '6' ? 'TCP' : 'UDP'} checksum status ${status || 'missing'}`;
  if (r.proto === '6' && sentHere && Number(r.tcpSum) === 0xffff && r.tcpCalculated !== '' && Number(r.tcpCalculated) === 0) return null;
  return r.proto === '6' ? `${what} (${r.tcpSum}, computed ${r.tcpCalculated}${sentHere ? '' : ', not sent by this end host'})` : what;
}
