// Plain text for a terminal: one block per cell, worst first.
import { cellLabel } from '../cell.js';
import type { Comparison } from '../compare.js';
import { abText, changeInterval, directionText, confidenceText, moreText, pairedText, percent, sideSummary, type Reporter } from './reporter.js';

const ORDER = { regressed: 0, inconclusive: 1, improved: 2, unchanged: 3 } as const;

export const textReporter: Reporter = {
  format: 'text',
  render(c: Comparison): string {
    const lines: string[] = [];
    lines.push(`flexbench ${c.ab ? 'ab' : 'compare'}: ${c.metric}${directionText(c.metric)}, tolerance ±${percent(c.tolerance, false)}, confidence ${confidenceText(c)}${c.strict ? ', strict' : ''}`);
    lines.push(`  baseline: ${c.baseline.name} (${c.baseline.kind} ${c.baseline.path}${c.baseline.commit ? `, commit ${c.baseline.commit}` : ''})`);
    lines.push(`  current:  ${c.current.name} (${c.current.kind} ${c.current.path}${c.current.commit ? `, commit ${c.current.commit}` : ''})`);
    if (c.ab) lines.push(`  ${abText(c)}`);
    for (const w of c.warnings) lines.push(`  WARNING: ${w}`);
    lines.push('');
    const cells = [...c.cells].sort((a, b) => ORDER[a.verdict] - ORDER[b.verdict]);
    for (const x of cells) {
      lines.push(`${x.verdict.toUpperCase().padEnd(12)} ${x.label}`);
      lines.push(`  change ${percent(x.change)} (median ${percent(x.medianChange)}), CI ${changeInterval(x)}`);
      lines.push(`  baseline: ${sideSummary(x.baseline, c.metric)}`);
      lines.push(`  current:  ${sideSummary(x.current, c.metric)}`);
      lines.push(`  ${x.reason}`);
      if (x.paired) lines.push(`  ${pairedText(x)}`);
      const more = moreText(x);
      if (more) lines.push(`  ${more}`);
    }
    for (const k of c.missing) lines.push(`MISSING      ${cellLabel(k)} (in the baseline, not in the current run)`);
    for (const k of c.added) lines.push(`NEW          ${cellLabel(k)} (not in the baseline)`);
    lines.push('');
    lines.push(c.headline);
    return lines.join('\n') + '\n';
  },
};
