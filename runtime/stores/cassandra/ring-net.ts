// The network of a Cassandra ring on this machine: each node a network namespace of its own
// (`fbc<N>-node<i>`), joined by a bridge in the root namespace (`fbc<N>-br`), on the benchmarking block:
// 198.18.(250+N).0/24, the bridge .1 (where the NF and the harness reach the nodes from), node i at .(10+i).
// 198.18.250-255 lies clear of the netns testbed's emulation (198.18.200-249) and end hosts (198.18.100-199).
// A ring's network is claimed by an owner file ($TMPDIR/flexbench-stores/cassandra-ring-nets/fbc<N>.json):
// one whose owner died is swept (processes, namespaces, bridge, files) by the next start or start-up check.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { FlexbenchError, EXIT } from '../../../common/errors.js';
import { pidAlive } from '../../../common/processes.js';
import { deleteLink, linkNames, listNetns, removeNetns } from '../../../common/netns.js';

const run = promisify(execFile);
const PREFIX = 'fbc';
/** rings that can exist at once on one machine (198.18.250-255) */
export const MAX_RINGS = 6;

export interface RingNode {
  /** 1-based */
  index: number;
  name: string;
  netns: string;
  address: string;
  /** root-namespace end of its veth */
  rootIface: string;
}

export interface RingNet {
  id: string;
  bridge: string;
  /** the bridge's address: where the root namespace meets the ring */
  gateway: string;
  nodes: RingNode[];
  /** the directory every node's files live below (removed by destroy) */
  dir: string;
  destroy(): Promise<void>;
}

/** Names and addresses of ring `n` of `count` nodes (pure; pinned by a test). */
export function planRing(n: number, count: number): Omit<RingNet, 'dir' | 'destroy'> {
  const id = `${PREFIX}${n}`;
  const net = `198.18.${250 + n}`;
  return {
    id,
    bridge: `${id}-br`,
    gateway: `${net}.1`,
    nodes: Array.from({ length: count }, (_, k) => ({ index: k + 1, name: `node${k + 1}`, netns: `${id}-node${k + 1}`, address: `${net}.${11 + k}`, rootIface: `${id}-n${k + 1}` })),
  };
}

const ownersDir = () => path.join(os.tmpdir(), 'flexbench-stores', 'cassandra-ring-nets');
const ownerFile = (id: string) => path.join(ownersDir(), `${id}.json`);

async function ip(args: string[]): Promise<void> {
  try {
    await run('ip', args, { timeout: 10_000 });
  } catch (err) {
    const e = err as { stderr?: string; code?: string; message: string };
    if (e.code === 'ENOENT') throw new FlexbenchError('`ip` (iproute2) not found: a Cassandra ring runs its nodes in network namespaces', EXIT.environment);
    throw new FlexbenchError(`cassandra ring: ip ${args.join(' ')} failed: ${(e.stderr ?? e.message).trim()}`, EXIT.environment);
  }
}

/** Everything of ring `id` that exists now: its namespaces, root links, owner file (for the sweep and the tests' leftover checks). */
export async function ringLeftovers(id?: string): Promise<string[]> {
  const mine = (s: string) => (id ? s.startsWith(`${id}-`) : new RegExp(`^${PREFIX}\\d+-`).test(s));
  const out: string[] = [];
  for (const ns of await listNetns()) if (mine(ns)) out.push(`netns ${ns}`);
  for (const name of await linkNames()) if (mine(name)) out.push(`link ${name}`);
  if (existsSync(ownersDir())) for (const f of readdirSync(ownersDir())) if (mine(f.replace(/\.json$/, '-'))) out.push(`owner file ${f}`);
  return out;
}

/** Remove ring `id` whole: processes (SIGKILL: the files go too), namespaces, bridge and veths, its files and owner file. Idempotent. */
async function removeRing(id: string, dir: string | null): Promise<void> {
  for (const ns of await listNetns()) if (ns.startsWith(`${id}-`)) await removeNetns(ns, { first: 'SIGKILL', killWaitMs: 5000 });
  for (const name of await linkNames()) if (name.startsWith(`${id}-`)) await deleteLink(name);
  if (dir) rmSync(dir, { recursive: true, force: true });
  rmSync(ownerFile(id), { force: true });
}

/** Rings whose owner died (kill -9 of flexbench: the nodes died with it, the network did not); what was removed. */
export async function sweepOrphanRings(): Promise<string[]> {
  const out: string[] = [];
  const left = await ringLeftovers();
  for (let n = 0; n < MAX_RINGS; n++) {
    const id = `${PREFIX}${n}`;
    const mine = left.filter((l) => l.split(' ').pop()!.startsWith(`${id}-`) || l === `owner file ${id}.json`);
    if (mine.length === 0) continue;
    const owner = readOwner(id);
    if (owner && (owner.ownerPid === process.pid || pidAlive(owner.ownerPid))) continue;
    await removeRing(id, owner?.dir || null);
    out.push(`cassandra ring ${id} (${mine.length} leftovers${owner ? `, left by pid ${owner.ownerPid}` : ''})`);
  }
  return out;
}

function readOwner(id: string): { ownerPid: number; dir: string } | null {
  try {
    return JSON.parse(readFileSync(ownerFile(id), 'utf8')) as { ownerPid: number; dir: string };
  } catch {
    return null;
  }
}

/** Claim a free ring slot and build its network: bridge, one namespace and veth per node. Throws after undoing what it made. */
export async function createRingNet(count: number): Promise<RingNet> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new FlexbenchError('store cassandra-cluster needs root: each node runs in a network namespace of its own', EXIT.environment);
  }
  await sweepOrphanRings();
  mkdirSync(ownersDir(), { recursive: true });
  for (let n = 0; n < MAX_RINGS; n++) {
    const plan = planRing(n, count);
    // the owner file is the claim: created exclusively, so two runs never take one slot
    try {
      writeFileSync(ownerFile(plan.id), JSON.stringify({ ownerPid: process.pid, dir: '' }), { flag: 'wx' });
    } catch {
      continue;
    }
    if ((await ringLeftovers(plan.id)).some((l) => !l.startsWith('owner file'))) {
      rmSync(ownerFile(plan.id), { force: true });
      continue; // someone else's, or not ours to remove
    }
    const dir = path.join(os.tmpdir(), `flexbench-cassandra-ring-${plan.id}-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(ownerFile(plan.id), JSON.stringify({ ownerPid: process.pid, dir }));
    const net: RingNet = { ...plan, dir, destroy: () => removeRing(plan.id, dir) };
    try {
      await ip(['link', 'add', plan.bridge, 'type', 'bridge']);
      await ip(['addr', 'add', `${plan.gateway}/24`, 'dev', plan.bridge]);
      await ip(['link', 'set', plan.bridge, 'up']);
      for (const node of plan.nodes) {
        await ip(['netns', 'add', node.netns]);
        await ip(['-n', node.netns, 'link', 'set', 'lo', 'up']);
        await ip(['link', 'add', node.rootIface, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.netns]);
        await ip(['link', 'set', node.rootIface, 'master', plan.bridge]);
        await ip(['link', 'set', node.rootIface, 'up']);
        await ip(['-n', node.netns, 'addr', 'add', `${node.address}/24`, 'dev', 'eth0']);
        await ip(['-n', node.netns, 'link', 'set', 'eth0', 'up']);
        await ip(['-n', node.netns, 'route', 'add', 'default', 'via', plan.gateway]);
      }
    } catch (err) {
      await net.destroy();
      throw err;
    }
    return net;
  }
  throw new FlexbenchError(`cassandra ring: all ${MAX_RINGS} ring networks (198.18.250-255.0/24) are in use on this machine`, EXIT.environment);
}
