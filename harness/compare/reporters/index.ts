// The registry of report formats (--format).
import { jsonReporter } from './json.js';
import { junitReporter } from './junit.js';
import { markdownReporter } from './markdown.js';
import type { Reporter } from './reporter.js';
import { textReporter } from './text.js';

export const REPORTERS = {
  text: textReporter,
  markdown: markdownReporter,
  junit: junitReporter,
  json: jsonReporter,
} as const satisfies Record<string, Reporter>;
export type ReportFormat = keyof typeof REPORTERS;
export const REPORT_FORMATS = Object.keys(REPORTERS) as ReportFormat[];
