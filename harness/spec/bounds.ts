// Stage 3, sizes: what a spec asks for must fit in memory, on disk and in one run; counted arithmetically, never by expanding.
import { plannedRepetitions, type Spec } from './schema.js';
import type { PathSeg } from './errors.js';
import { countTrials, MAX_TRIALS, pcapCount } from '../plan/plan.js';
import { frameSizesOf } from './measure.js';
import { pcapBytesProblem } from '../../runtime/packet/generate.js';

type Issue = (at: PathSeg[], message: string, key?: boolean) => void;

const n = (x: number) => x.toLocaleString('en-US');

export function boundIssues(spec: Spec, issue: Issue): void {
  const m = spec.matrix;
  const trials = countTrials(spec);
  if (trials > MAX_TRIALS) {
    const reps = plannedRepetitions(m);
    const sizes = frameSizesOf(spec).length;
    const perCell = m.cores.length * sizes * pcapCount(spec) * reps;
    issue(['matrix'], `expands to ${n(trials)} trials (${n(trials / perCell)} NF/store/location/mode cells x ${m.cores.length} core counts${sizes > 1 ? ` x ${sizes} frame sizes` : ''} x ${pcapCount(spec)} pcaps x ${reps} ${m.repetitions === 'auto' ? 'repetitions at most (auto)' : 'repetitions'}), more than the ${n(MAX_TRIALS)} one run may hold; split it over several specs or use fewer values`, true);
  }
  if (!spec.traffic.pcaps) {
    const t = spec.traffic;
    const p = pcapBytesProblem(t.flows, t.files, Math.max(...frameSizesOf(spec)));
    if (p) issue(['traffic', p.per === 'file' ? 'flows' : 'files'], p.message);
  }
}
