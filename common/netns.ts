// Network namespaces on this machine through iproute2, written once for everything that runs nodes in
// them (the netns testbed's emulated nodes, harness/netns/emulation.ts; a Cassandra ring's nodes,
// runtime/stores/cassandra/ring-net.ts): the namespaces and root links there are, the processes inside
// one, and a namespace removed with everything running in it (the one escalation of processes.ts).
// A leaf: node built-ins and processes.ts only.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pidRunning, signalGroup, sleep, terminate, type TerminateOptions } from './processes.js';

const run = promisify(execFile);

/** `ip args`'s stdout; '' when it fails (a listing finds nothing). */
async function ipQuiet(args: string[]): Promise<string> {
  try {
    return String((await run('ip', args, { timeout: 10_000 })).stdout);
  } catch {
    return '';
  }
}

/**
 * The command that turns IPv6 off in namespace `ns`, for the links made in it from then on too: a kernel's own
 * IPv6 frames (DAD, MLD reports, router solicitations) would otherwise cross a test's links among its packets.
 */
export function ipv6OffArgv(ns: string): string[] {
  return ['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'];
}

/** The network namespaces' names. */
export async function listNetns(): Promise<string[]> {
  return (await ipQuiet(['-o', 'netns', 'list'])).split('\n').map((l) => l.trim().split(/\s+/)[0]!).filter(Boolean);
}

/** The root namespace's links by name (a veth's `name@peer` is `name`). */
export async function linkNames(): Promise<string[]> {
  return [...(await ipQuiet(['-o', 'link', 'show'])).matchAll(/^\d+:\s+([^:@\s]+)/gm)].map((m) => m[1]!);
}

/** Remove a root namespace link (a veth takes its peer with it); nothing when it is gone already. */
export async function deleteLink(name: string): Promise<void> {
  await ipQuiet(['link', 'del', name]);
}

/** The pids of the processes in namespace `ns`. */
export async function netnsPids(ns: string): Promise<number[]> {
  return (await ipQuiet(['netns', 'pids', ns])).split(/\s+/).filter((p) => /^\d+$/.test(p)).map(Number);
}

/** End every process in `ns` (each one's group) by the one escalation, then delete the namespace. Idempotent. */
export async function removeNetns(ns: string, o: TerminateOptions): Promise<void> {
  await terminate(
    {
      signal: async (sig) => {
        for (const pid of await netnsPids(ns)) signalGroup(pid, sig);
      },
      waitExit: async (ms) => {
        const end = Date.now() + ms;
        for (;;) {
          if ((await netnsPids(ns)).every((p) => !pidRunning(p))) return true;
          if (Date.now() >= end) return false;
          await sleep(50);
        }
      },
    },
    o,
  );
  await ipQuiet(['netns', 'del', ns]);
}
