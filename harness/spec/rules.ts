// Stage 3 of spec validation: rules across fields that a schema cannot say.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseDocument, LineCounter } from 'yaml';
import { readInputFile } from '../../common/input-file.js';
import type { Spec } from './schema.js';
import type { SpecIssue, PathSeg } from './errors.js';
import { formatPath, didYouMean } from './errors.js';
import { loadTestbedModule } from '../testbeds/index.js';
import { zodIssues } from './zod-issues.js';
import { Positions } from './positions.js';
import { traitsOf } from '../plan/nfs.js';
import { boundIssues } from './bounds.js';
import { elasticIssues } from './elastic.js';
import { devargsPathProblem } from '../tools/testpmd.js';
import { readPcap } from '../../runtime/packet/pcap.js';
import type { z } from 'zod';
import { goalOf, minStampedFrame, needsPacing } from './measure.js';
import { goalProblem } from '../search/goal.js';
import { STAMP_BYTES, stampProblem } from '../../runtime/packet/stamp.js';

type Locate = (path: readonly PathSeg[], key: boolean) => { file: string; line: number; col: number; prefix: string };

/**
 * Fields the rules below read that the schema defaults: when one of them is refused, the rules would
 * judge its default instead of what was written, so they do not run (see withoutBadFields in load.ts).
 */
export const RULES_READ_DEFAULTED: readonly (readonly PathSeg[])[] = [['matrix', 'stores'], ['matrix', 'locations'], ['matrix', 'modes'], ['testbed']];

/**
 * The path DPDK will be given for a pcap, or null when nothing replays it through DPDK: the local
 * testbed's testpmd trials replay it where it is; two-node testbeds copy it into their own directory
 * on node1 under its file name, where the generator (testpmd or Pktgen) replays it.
 */
export function replayedPcapPath(spec: Spec, path: string): string | null {
  if (spec.testbed !== 'local') return basename(path);
  return spec.matrix.nfs.includes('testpmd') ? path : null;
}

/** `remap`: paths in `spec` -> paths in the document, when `spec` is the document less some refused items. */
export async function semanticIssues(spec: Spec, locate: Locate, remap: (p: readonly PathSeg[]) => readonly PathSeg[] = (p) => p): Promise<SpecIssue[]> {
  const out: SpecIssue[] = [];
  const issue = (at: PathSeg[], message: string, key = false) => {
    const path = remap(at);
    const l = locate(path, key);
    out.push({ file: l.file, line: l.line, col: l.col, path: formatPath(path), message: l.prefix + message });
  };
  const m = spec.matrix;

  // "none" means no FlexState store at all: only testpmd and macswap run without one.
  // (an NF that runs Native, e.g. nat, takes store none as its Native cell beside its stores)
  const stateful = m.nfs.filter((n) => traitsOf(n).stateful && !traitsOf(n).native);
  const noneAt = m.stores.indexOf('none');
  const onlyNone = m.stores.every((x) => x === 'none');
  if (noneAt >= 0 && stateful.length > 0 && !onlyNone) {
    issue(['matrix', 'stores', noneAt], `store "none" runs without FlexState, but ${stateful.join(', ')} need${stateful.length === 1 ? 's' : ''} a store (hashmap, redis or cassandra)`);
  }
  if (stateful.length > 0 && onlyNone) {
    issue(['matrix', 'stores'], `expected at least one FlexState store for ${stateful.join(', ')}, found only "none"`);
  }

  // Real traffic between end hosts needs the namespaces netns builds beside its NF node.
  if (spec.endpoints && spec.testbed !== 'netns') issue(['endpoints'], `iperf and RTT trials run between the end hosts of testbed netns (client and server namespaces beside the NF); this spec's testbed is ${spec.testbed}`, true);

  // Figures draw from the matrix: a filter value the matrix never produces draws an empty figure.
  const ids = new Map<string, number>();
  spec.figures.forEach((f, i) => {
    if (ids.has(f.id)) issue(['figures', i, 'id'], `figure id "${f.id}" is already used by figures[${remap(['figures', ids.get(f.id)!])[1]}]`);
    else ids.set(f.id, i);
    const axes: Record<string, readonly string[]> = { nf: m.nfs, store: m.stores, location: m.locations, mode: m.modes };
    for (const [field, want] of Object.entries(f.filter)) {
      if (want === undefined) continue;
      const values = Array.isArray(want) ? want : [want];
      values.forEach((v, j) => {
        const axis = axes[field] ?? [];
        // store-less NFs run with store none / location local / mode none; counter-sync/-async fix their mode
        const storeless = m.nfs.some((n) => !traitsOf(n).stateful);
        const fixedModes: string[] = m.nfs.map((n) => traitsOf(n).fixedMode).filter((x) => x !== null);
        const implicit = (storeless && ((field === 'store' && v === 'none') || (field === 'location' && v === 'local'))) || (field === 'mode' && fixedModes.includes(v));
        if (!axis.includes(v) && !implicit) {
          const hint = didYouMean(v, axis);
          issue(['figures', i, 'filter', field, ...(Array.isArray(want) ? [j] : [])],
            `expected a value of matrix.${field === 'nf' ? 'nfs' : `${field}s`} (${axis.join(', ')}), found "${v}"${hint ? `; did you mean "${hint}"?` : ''}`);
        }
      });
    }
    if (f.metric === 'ratio' && !f.baseline && !spec.baseline) issue(['figures', i, 'metric'], 'expected a baseline for metric "ratio" (figures[].baseline or the top-level baseline, e.g. { store: hashmap }), found none');
  });

  // Several instances and their events (kill, add, remove).
  elasticIssues(spec, issue);
  // the NAT's pool reaches nf run on the local testbed; a two-node testbed's NAT has the emulation's pool
  if (spec.nf_options.nat_pool !== undefined && spec.testbed !== 'local') issue(['nf_options', 'nat_pool'], `the NAT pool options are given to nf run on the local testbed; on testbed ${spec.testbed} the NAT's pool is the one its nodes' addresses make`, true);
  if (spec.nf_options.nat_pool !== undefined && !m.nfs.includes('nat')) issue(['nf_options', 'nat_pool'], 'nat_pool is for the NAT: matrix.nfs has no nat', true);

  measureIssues(spec, issue);
  if (needsPacing(spec)) {
    const where: PathSeg[] = spec.measure.ndr_pdr !== undefined ? ['measure', 'ndr_pdr'] : ['measure', 'latency'];
    // what only a built testbed knows (a two-node generator) it says before the first trial (Testbed.unpaced)
    if (spec.instances !== undefined) issue(where, 'the search and latency offer a paced load to one NF instance; several instances (instances:) run behind their own front-end: measure them in a spec without instances', true);
    const mod = await loadTestbedModule(spec.testbed).catch(() => null);
    if (mod?.pacingProblem) {
      m.nfs.forEach((nf, i) => {
        const p = mod.pacingProblem!(nf);
        if (p) issue(['matrix', 'nfs', i], `${p}; measure.${where[1]} needs a generator that paces the load`);
      });
    }
  }

  // Sizes: trials in the plan, bytes of the pcaps to generate.
  boundIssues(spec, issue);

  // Given pcaps must exist before anything starts, at a path DPDK can replay where it will replay it.
  spec.traffic.pcaps?.forEach((p, i) => {
    if (!existsSync(p)) issue(['traffic', 'pcaps', i], `expected an existing pcap file, found no file at ${p}`);
    else {
      // read as `nf run` reads it: what it would refuse, validate refuses
      try {
        readPcap(p);
      } catch (e) {
        issue(['traffic', 'pcaps', i], (e as Error).message);
      }
    }
    const replayed = replayedPcapPath(spec, p);
    const problem = replayed === null ? null : devargsPathProblem(replayed);
    if (problem) issue(['traffic', 'pcaps', i], problem);
  });

  // The inventory belongs to the testbed: its module checks its shape.
  if (spec.testbed === 'local') {
    if (spec.inventory !== undefined) issue(['inventory'], 'the local testbed takes no inventory (inventories are for testbed: netns or lab)', true);
  } else {
    const mod = await loadTestbedModule(spec.testbed).catch((e: Error) => e);
    if (mod instanceof Error) issue(['testbed'], mod.message);
    else if (mod.inventorySchema) {
      for (const i of inventoryIssues(spec.inventory, mod.inventorySchema as z.ZodType, locate)) out.push(i);
    }
  }
  return out;
}

/** measure: goals RFC 9971 allows, one way to name them, loads in order, frames that carry a latency stamp. */
function measureIssues(spec: Spec, issue: (at: PathSeg[], message: string, key?: boolean) => void): void {
  const nd = spec.measure.ndr_pdr;
  if (nd !== undefined && typeof nd !== 'string') {
    if (nd.preset !== undefined && nd.goals !== undefined) issue(['measure', 'ndr_pdr', 'goals'], `give either preset (${nd.preset}) or goals, not both`, true);
    const seen = new Set<string>();
    nd.goals?.forEach((g, i) => {
      if (seen.has(g.name)) issue(['measure', 'ndr_pdr', 'goals', i, 'name'], `goal name "${g.name}" is already used`);
      seen.add(g.name);
      const problem = goalProblem(goalOf(g));
      if (problem) issue(['measure', 'ndr_pdr', 'goals', i], problem);
    });
    if (typeof nd.min_load_pps === 'number' && typeof nd.max_load_pps === 'number' && nd.min_load_pps >= nd.max_load_pps) {
      issue(['measure', 'ndr_pdr', 'min_load_pps'], `expected a minimum load below max_load_pps (${nd.max_load_pps}), found ${nd.min_load_pps}`);
    }
  }
  if (spec.matrix.frame_sizes && spec.traffic.pcaps) issue(['matrix', 'frame_sizes'], 'given pcaps (traffic.pcaps) have their own frame size: frame_sizes needs generated pcaps', true);
  const mr = spec.measure.repetitions;
  if (mr !== undefined) {
    // it splits a cell's repetitions between the generator's trials and the end-host tests
    if (!spec.endpoints) issue(['measure', 'repetitions'], 'measure.repetitions says how many repetitions also run the generator\'s trials beside the end-host tests (endpoints:); without endpoints every trial is the generator\'s: lower matrix.repetitions instead', true);
    else if (!needsPacing(spec)) issue(['measure', 'repetitions'], 'measure.repetitions counts the repetitions that run the generator\'s search or latency trials: give measure.ndr_pdr or measure.latency', true);
    else if (spec.matrix.repetitions === 'auto') issue(['measure', 'repetitions'], 'measure.repetitions needs a fixed matrix.repetitions (auto decides the rounds as it runs)', true);
    else if (mr > spec.matrix.repetitions) issue(['measure', 'repetitions'], `expected at most matrix.repetitions (${spec.matrix.repetitions}), found ${mr}`);
  }
  if (spec.measure.latency === undefined) return;
  // the stamp takes the frame's last 12 bytes: they must be L4 payload, never a header the NF reads
  const need = minStampedFrame(spec.traffic.proto);
  const small = `too small for a latency stamp: ${spec.traffic.proto.toUpperCase()} frames need at least ${need} B (headers, ${STAMP_BYTES} B of stamp, FCS)`;
  if (spec.matrix.frame_sizes) spec.matrix.frame_sizes.forEach((f, i) => f < need && issue(['matrix', 'frame_sizes', i], `frame size ${f} is ${small}`));
  else if (!spec.traffic.pcaps && spec.traffic.frame_size < need) issue(['traffic', 'frame_size'], `frame size ${spec.traffic.frame_size} is ${small}`);
  spec.traffic.pcaps?.forEach((p, i) => {
    if (!existsSync(p)) return;
    try {
      // the same check nf run and flexbench gen make before they stamp
      const why = stampProblem(readPcap(p), p);
      if (why) issue(['traffic', 'pcaps', i], why);
    } catch {
      /* reported above */
    }
  });
}

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The inventory's problems, each at its place: in the inventory's own file (file:line:col) when it is
 * `inventory: { file: PATH }`, in the spec for keys written there; a missing inventory at `testbed:`.
 */
export function inventoryIssues(inv: unknown, schema: z.ZodType, locate: Locate): SpecIssue[] {
  const r = schema.safeParse(inv);
  if (r.success) return [];
  let data: unknown = inv;
  let where: Locate = (p, key) => (inv === undefined ? locate(['testbed'], false) : locate(['inventory', ...p], key));
  if (isMapping(inv) && typeof inv.file === 'string' && existsSync(resolve(inv.file))) {
    const file = resolve(inv.file);
    const lines = new LineCounter();
    // the schema reads it too and reports a file too big or unreadable; here only its positions are wanted
    let text: string;
    try {
      text = readInputFile(file, 2 ** 20, 'inventory file').toString('utf8');
    } catch {
      return zodIssues(r.error, data, where, schema).map((i) => ({ ...i, path: i.path ? `inventory${i.path.startsWith('[') ? '' : '.'}${i.path}` : 'inventory' }));
    }
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length) return doc.errors.map((e) => ({ file, ...lines.linePos(e.pos[0]), path: '', message: `YAML: ${e.message.split('\n')[0]}` }));
    const pos = new Positions(doc, lines, file);
    const js = doc.toJS() as unknown;
    // the file holds the inventory itself, or a document with an `inventory:` key
    const wrapped = isMapping(js) && 'inventory' in js;
    const { file: _f, ...rest } = inv;
    data = { ...((wrapped ? (js as Record<string, unknown>).inventory : js) as Record<string, unknown>), ...rest };
    where = (p, key) => (p.length > 0 && String(p[0]) in rest ? locate(['inventory', ...p], key) : { file, ...pos.at(wrapped ? ['inventory', ...p] : p, key), prefix: '' });
  }
  return zodIssues(r.error, data, where, schema).map((i) => ({ ...i, path: i.path ? `inventory${i.path.startsWith('[') ? '' : '.'}${i.path}` : 'inventory' }));
}
