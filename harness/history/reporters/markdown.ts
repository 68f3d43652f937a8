// GitHub-flavoured Markdown for a job summary: the change points of every cell, regressed cells first.
import type { History } from '../series.js';
import { mpps, signedPercent, type HistoryReporter } from './reporter.js';

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export const markdownReporter: HistoryReporter = {
  format: 'markdown',
  render(h: History): string {
    const out: string[] = [];
    out.push(`### flexbench history: ${esc(h.headline)}`);
    out.push('');
    out.push(`Metric \`${h.metric}\` over ${h.runs.length} runs, oldest \`${esc(h.runs[0]?.name ?? '')}\`, newest \`${esc(h.runs[h.runs.length - 1]?.name ?? '')}\`. Change points by MDL grouping (docs/regression-gate.md).`);
    for (const w of h.warnings) out.push('', `> ⚠️ **${esc(w)}**`);
    out.push('');
    const changed = h.cells.filter((c) => c.changes.length > 0).sort((a, b) => Number(b.regressed) - Number(a.regressed));
    if (changed.length > 0) {
      out.push('| | cell | change at run | commit | change | from | to |', '|---|---|---|---|--:|--:|--:|');
      for (const c of changed) {
        c.changes.forEach((x, i) => {
          const icon = c.regressed && i === c.changes.length - 1 ? '🔴' : x.kind === 'regression' ? '🟠' : '🟢';
          out.push(`| ${icon} | ${esc(c.label)} | ${x.run + 1} \`${esc(x.name)}\` | ${x.commit ? `\`${x.commit.slice(0, 12)}\`` : '–'} | ${signedPercent(x.change)} | ${mpps(x.from)} | ${mpps(x.to)} |`);
        });
      }
    }
    const steady = h.cells.length - changed.length;
    if (steady > 0) out.push('', `${steady} cell${steady === 1 ? '' : 's'} without a change point.`);
    return `${out.join('\n')}\n`;
  },
};
