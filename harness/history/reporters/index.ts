// The registry of `flexbench history` report formats (--format).
import { jsonReporter } from './json.js';
import { markdownReporter } from './markdown.js';
import type { HistoryReporter } from './reporter.js';
import { textReporter } from './text.js';

export const HISTORY_REPORTERS = { text: textReporter, markdown: markdownReporter, json: jsonReporter } as const satisfies Record<string, HistoryReporter>;
export type HistoryFormat = keyof typeof HISTORY_REPORTERS;
export const HISTORY_FORMATS = Object.keys(HISTORY_REPORTERS) as HistoryFormat[];
