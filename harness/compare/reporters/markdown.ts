// GitHub-flavoured Markdown for a job summary or PR comment: a headline, one table row per cell, then the lists.
import { cellLabel } from '../cell.js';
import type { Comparison } from '../compare.js';
import { abText, changeInterval, confidenceText, directionText, moreText, pairedText, percent, value, type Reporter } from './reporter.js';
import type { Metric } from '../samples.js';

const ICON = { regressed: '🔴', inconclusive: '🟡', improved: '🟢', unchanged: '⚪' } as const;
const ORDER = { regressed: 0, inconclusive: 1, improved: 2, unchanged: 3 } as const;

/** Table cells must not break the table. */
function esc(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function ciCell(s: { ci: { low: number; high: number } | null }, metric: Metric): string {
  return s.ci ? `${value(s.ci.low, metric)} … ${value(s.ci.high, metric)}` : '–';
}

export const markdownReporter: Reporter = {
  format: 'markdown',
  render(c: Comparison): string {
    const out: string[] = [];
    out.push(`### flexbench regression gate: ${esc(c.headline)}`);
    out.push('');
    out.push(
      `Metric \`${c.metric}\`${directionText(c.metric)}, tolerance ±${percent(c.tolerance, false)}, confidence ${confidenceText(c)}${c.strict ? ', strict' : ''}. ` +
        `Baseline \`${esc(c.baseline.name)}\`${c.baseline.commit ? ` (${c.baseline.commit.slice(0, 12)})` : ''} vs current \`${esc(c.current.name)}\`${c.current.commit ? ` (${c.current.commit.slice(0, 12)})` : ''}.`,
    );
    if (c.ab) out.push('', esc(abText(c)));
    for (const w of c.warnings) {
      out.push('');
      out.push(`> ⚠️ **${esc(w)}**`);
    }
    out.push('');
    const header = [
      '| verdict | cell | baseline median | baseline CI | current median | current CI | change | change CI | n (b/c) | note |',
      '|---|---|--:|---|--:|---|--:|---|---|---|',
    ];
    const row = (x: Comparison['cells'][number]) => {
      const note = [x.verdict === 'inconclusive' ? `${x.reason}. ${moreText(x)}` : '', pairedText(x)].filter(Boolean).join(' ');
      return `| ${ICON[x.verdict]} ${x.verdict} | ${esc(x.label)} | ${value(x.baseline.median, c.metric)} | ${ciCell(x.baseline, c.metric)} | ${value(x.current.median, c.metric)} | ${ciCell(x.current, c.metric)} | ${percent(x.change)} | ${changeInterval(x)} | ${x.baseline.n}/${x.current.n} | ${esc(note)} |`;
    };
    const cells = [...c.cells].sort((a, b) => ORDER[a.verdict] - ORDER[b.verdict]);
    const notable = cells.filter((x) => x.verdict !== 'unchanged');
    const unchanged = cells.filter((x) => x.verdict === 'unchanged');
    if (notable.length > 0) out.push(...header, ...notable.map(row));
    // Unchanged cells folded away: the reader of a PR comment wants what moved.
    if (unchanged.length > 0) {
      out.push('');
      out.push(`<details><summary>${unchanged.length} unchanged cell${unchanged.length === 1 ? '' : 's'}</summary>`);
      out.push('');
      out.push(...header, ...unchanged.map(row));
      out.push('');
      out.push('</details>');
    }
    if (c.missing.length > 0) {
      out.push('');
      out.push(`**Missing cells** (in the baseline, not measured now): ${c.missing.length}`);
      for (const k of c.missing) out.push(`- ${esc(cellLabel(k))}`);
    }
    if (c.added.length > 0) {
      out.push('');
      out.push(`**New cells** (no baseline yet): ${c.added.length}`);
      for (const k of c.added) out.push(`- ${esc(cellLabel(k))}`);
    }
    out.push('');
    if (c.ab) out.push(`<sub>Verdict rule: both builds measured in every round, in a seeded random order; t-interval of the mean per-round log ratio head/base${c.cells.some((x) => x.paired?.epochs) ? ' over epochs (one sample per epoch, its rounds\' mean; each epoch a new pair of resident processes)' : ''}, converted back to a relative change; regressed iff the whole interval is below −tolerance, improved iff above +tolerance, unchanged iff inside ±tolerance, else inconclusive. See docs/regression-gate.md.</sub>`);
    else out.push('<sub>Verdict rule: Welch t-interval of (current − baseline) / baseline mean; regressed iff the whole interval is below −tolerance, improved iff above +tolerance, unchanged iff inside ±tolerance, else inconclusive. See docs/regression-gate.md.</sub>');
    return out.join('\n') + '\n';
  },
};
