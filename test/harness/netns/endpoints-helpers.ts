// What the end-host tests share: a flexbench NF in a namespace (ready at its first rate line, stopped
// with SIGTERM for its JSON totals), tshark capturing inside a namespace, and live processes by name.
import { readFileSync, readdirSync } from 'node:fs';
import { LocalHost } from '../../../harness/hosts/local.js';
import type { HostProcess } from '../../../harness/hosts/host.js';
import { CLI } from '../../runtime/packet/helpers.js';

const local = new LocalHost('test');

export interface NfInNamespace {
  proc: HostProcess;
  ready: Promise<void>;
  /** SIGTERM, then the `--json` result */
  stop(): Promise<Record<string, any>>;
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
  let result: Promise<Record<string, any>> | null = null;
  return {
    proc,
    ready,
    stop: () =>
      (result ??= proc.kill(5000).then((r) => {
        const last = r.stdout.trim().split('\n').pop() ?? '';
        try {
          return JSON.parse(last);
        } catch {
          throw new Error(`nf run printed no JSON (${r.code}): ${err.slice(-1000)}`);
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
