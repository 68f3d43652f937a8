// Plain text: per cell its groups and change points, regressed cells first.
import type { History } from '../series.js';
import { mpps, signedPercent, type HistoryReporter } from './reporter.js';

export const textReporter: HistoryReporter = {
  format: 'text',
  render(h: History): string {
    const out: string[] = [];
    out.push(`flexbench history: ${h.metric}, ${h.runs.length} runs (oldest first), change points by MDL grouping${h.tolerance > 0 ? `, tolerance ${(h.tolerance * 100).toFixed(2)}%` : ''}`);
    for (const w of h.warnings) out.push(`  WARNING: ${w}`);
    out.push('');
    const cells = [...h.cells].sort((a, b) => Number(b.regressed) - Number(a.regressed) || b.changes.length - a.changes.length);
    for (const c of cells) {
      const tag = c.regressed ? 'REGRESSED' : c.changes.length > 0 ? 'CHANGED' : 'STEADY';
      out.push(`${tag.padEnd(10)} ${c.label}  (${c.points.length} points, noise ${mpps(c.noise)})`);
      for (const g of c.groups) {
        out.push(`  runs ${g.firstRun + 1}–${g.lastRun + 1} (${h.runs[g.firstRun].name} … ${h.runs[g.lastRun].name}): mean ${mpps(g.mean)}, sd ${mpps(g.sd)}, n ${g.n}`);
      }
      for (const x of c.changes) {
        out.push(`  change at run ${x.run + 1} ${x.name}${x.commit ? ` (${x.commit.slice(0, 12)})` : ''}: ${signedPercent(x.change)} ${x.kind} (${mpps(x.from)} -> ${mpps(x.to)})`);
      }
      if (c.gaps.length > 0) out.push(`  no successful trial in run(s) ${c.gaps.map((g) => g + 1).join(', ')}`);
    }
    out.push('');
    out.push(h.headline);
    return `${out.join('\n')}\n`;
  },
};
