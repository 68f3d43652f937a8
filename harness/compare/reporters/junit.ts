// JUnit XML for CI test reporters: one testcase per cell; a regression is a failure, an undecided cell is skipped (a failure under --strict).
import { cellLabel, type CellKey } from '../cell.js';
import type { Comparison } from '../compare.js';
import { changeInterval, moreText, pairedText, percent, sideSummary, type Reporter } from './reporter.js';

function xml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    // XML 1.0 forbids most control characters even escaped.
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '');
}

function classname(k: CellKey): string {
  return `flexbench.${k.nf}.${k.store}.${k.location}.${k.mode}`;
}

interface Case {
  classname: string;
  name: string;
  body: string;
  failure: boolean;
  skipped: boolean;
}

export const junitReporter: Reporter = {
  format: 'junit',
  render(c: Comparison): string {
    const cases: Case[] = [];
    for (const x of c.cells) {
      const details = `change ${percent(x.change)}, CI ${changeInterval(x)}\nbaseline: ${sideSummary(x.baseline, c.metric)}\ncurrent: ${sideSummary(x.current, c.metric)}\n${x.reason}${x.more ? `\n${moreText(x)}` : ''}${x.paired ? `\n${pairedText(x)}` : ''}`;
      const name = `cores=${x.key.cores} frame=${x.key.frame_size} testbed=${x.key.testbed}${x.key.load !== undefined ? ` load=${x.key.load}` : ''}`;
      let body = `<system-out>${xml(details)}</system-out>`;
      let failure = false;
      let skipped = false;
      if (x.verdict === 'regressed') {
        failure = true;
        body = `<failure type="regression" message="${xml(`${x.label}: ${percent(x.change)} (${x.reason})`)}">${xml(details)}</failure>`;
      } else if (x.verdict === 'inconclusive') {
        if (c.strict) {
          failure = true;
          body = `<failure type="inconclusive" message="${xml(`${x.label}: ${x.reason}`)}">${xml(details)}</failure>`;
        } else {
          skipped = true;
          body = `<skipped message="${xml(`inconclusive: ${x.reason}`)}"/>` + body;
        }
      }
      cases.push({ classname: classname(x.key), name, body, failure, skipped });
    }
    for (const k of c.missing) {
      const msg = `${cellLabel(k)} is in the baseline but was not measured`;
      const strict = c.strict;
      cases.push({
        classname: classname(k),
        name: `cores=${k.cores} frame=${k.frame_size} testbed=${k.testbed}`,
        body: strict ? `<failure type="missing" message="${xml(msg)}"/>` : `<skipped message="${xml(`missing: ${msg}`)}"/>`,
        failure: strict,
        skipped: !strict,
      });
    }
    for (const k of c.added) {
      cases.push({
        classname: classname(k),
        name: `cores=${k.cores} frame=${k.frame_size} testbed=${k.testbed}`,
        body: `<skipped message="${xml(`new: ${cellLabel(k)} has no baseline yet`)}"/>`,
        failure: false,
        skipped: true,
      });
    }
    const failures = cases.filter((x) => x.failure).length;
    const skipped = cases.filter((x) => x.skipped).length;
    const suiteName = `flexbench ${c.ab ? 'ab' : 'compare'} ${c.metric} (${c.baseline.name} vs ${c.current.name})`;
    const lines = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<testsuites name="flexbench" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}">`,
      `  <testsuite name="${xml(suiteName)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}">`,
      '    <properties>',
      `      <property name="metric" value="${xml(c.metric)}"/>`,
      `      <property name="tolerance" value="${c.tolerance}"/>`,
      `      <property name="confidence" value="${c.confidence}"/>`,
      `      <property name="strict" value="${c.strict}"/>`,
      `      <property name="baseline" value="${xml(c.baseline.path)}"/>`,
      `      <property name="current" value="${xml(c.current.path)}"/>`,
      ...(c.ab ? [`      <property name="seed" value="${c.ab.seed}"/>`, `      <property name="rounds" value="${c.ab.rounds}"/>`] : []),
      '    </properties>',
      ...cases.map((x) => `    <testcase classname="${xml(x.classname)}" name="${xml(x.name)}">${x.body}</testcase>`),
      `    <system-out>${xml(c.headline)}</system-out>`,
      '  </testsuite>',
      '</testsuites>',
    ];
    return lines.join('\n') + '\n';
  },
};
