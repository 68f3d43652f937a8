// Orderings of paired ratios across runs: each run's re-derived from its spec and trials (as the run derives them at
// its end, by this flexbench's rule), and their agreement written for people (`flexbench orderings`).
import { readRunJson, readTrials } from '../results/files.js';
import type { GroupAgreement, Ordering, PairRelation } from '../results/ordering.js';
import { specOrderings, specRatios } from '../orchestrate/auto.js';
import { specOfRun } from '../spec/load.js';

/** A run's orderings from its spec and trials (as the run itself derives them at its end). */
export function runOrderings(dir: string): Ordering[] {
  const spec = specOfRun(readRunJson(dir).spec_resolved, dir);
  const records = readTrials(dir);
  return specOrderings(spec, records, specRatios(spec, records));
}

const num = (x: number | null) => (x === null ? '?' : x.toFixed(3));
/** what a run said of a pair (compareOrderings' stance) and the interval it said it on */
const pairText = (says: string | null, p: PairRelation | null) => (p ? `${says} (${p.hi}/${p.lo} ${num(p.ratio)} [${num(p.low)}, ${num(p.high)}])` : 'absent');
const groupName = (g: Pick<Ordering, 'figure' | 'baseline' | 'metric' | 'group'>) => `${g.figure ? `${g.figure}, ` : ''}${g.group} (${g.metric === 'tx_mpps_own' ? 'own-time' : 'forwarded'} rate over ${g.baseline})`;

export function agreementText(names: readonly string[], groups: readonly GroupAgreement[]): string {
  const lines: string[] = [];
  for (const g of groups) {
    lines.push(`${groupName(g)}: ${g.agreement}`);
    names.forEach((n, i) => lines.push(`  ${n}: ${g.orders[i] ?? '(no such group)'}`));
    for (const d of g.differing) {
      lines.push(`  ${d.pair}${d.contradicts ? ' CONTRADICTS' : ''}: ${names.map((n, i) => `${n} ${pairText(d.says[i]!, d.of[i]!)}`).join('; ')}`);
    }
  }
  const count = (a: GroupAgreement['agreement']) => groups.filter((g) => g.agreement === a).length;
  lines.push(`${groups.length} group(s): ${count('same')} the same, ${count('consistent')} differing only where a run left a pair unresolved, ${count('contradicts')} contradicting, ${count('missing')} not in every run`);
  return `${lines.join('\n')}\n`;
}

