// Reading and writing a run directory; every write is atomic (temporary file + rename), so an interrupt never leaves half a file.
import { writeFileSync, renameSync, existsSync, mkdirSync } from 'node:fs';
import { readInputFile, MAX_RESULT_FILE_BYTES } from '../../common/input-file.js';
import { join, dirname, basename } from 'node:path';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { redactDeep } from '../../common/secrets.js';
import {
  runJsonSchema, trialRecordSchema, summaryRowSchema, SUMMARY_COLUMNS, RATIO_COLUMNS,
  isCellTrial, type RunJson, type TrialRecord, type SummaryRow, type RatioRow,
} from './format.js';

const RUN_JSON = 'run.json';
const TRIALS_JSONL = 'trials.jsonl';
const SUMMARY_CSV = 'summary.csv';
const RATIOS_CSV = 'ratios.csv';

export function writeAtomic(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function writeRunJson(dir: string, run: RunJson): void {
  // passwords (store URLs in an inventory, commands) are masked: results get shared
  writeAtomic(join(dir, RUN_JSON), `${JSON.stringify(redactDeep(runJsonSchema.parse(run)), null, 2)}\n`);
}

export function readRunJson(dir: string): RunJson {
  const p = join(dir, RUN_JSON);
  if (!existsSync(p)) throw new FlexbenchError(`${dir} is not a run directory: ${RUN_JSON} is missing`, EXIT.usage);
  let raw: unknown;
  const text = readInputFile(p, MAX_RESULT_FILE_BYTES, 'run file').toString('utf8');
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new FlexbenchError(`${p}: not valid JSON (${(e as Error).message})`, EXIT.usage);
  }
  const r = runJsonSchema.safeParse(raw);
  if (!r.success) throw new FlexbenchError(`${p}: not a flexbench run.json: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, EXIT.usage);
  return r.data;
}

/** The whole trials file rewritten atomically: small (one line per trial), and never torn. */
export function writeTrials(dir: string, records: readonly TrialRecord[]): void {
  writeAtomic(join(dir, TRIALS_JSONL), records.map((r) => JSON.stringify(redactDeep(trialRecordSchema.parse(r)))).join('\n') + (records.length ? '\n' : ''));
}

/**
 * The trial records of a run: by default the plan trials' own (throughput) records, one per plan trial,
 * what statistics, compare and figures take as samples; `{ sub: true }` also returns the sub-records
 * of measure: ndr_pdr and latency (every search trial, latency and calibration trial; see isCellTrial).
 */
export function readTrials(dir: string, opts: { sub?: boolean } = {}): TrialRecord[] {
  const p = join(dir, TRIALS_JSONL);
  if (!existsSync(p)) return [];
  const out: TrialRecord[] = [];
  readInputFile(p, MAX_RESULT_FILE_BYTES, 'trials file').toString('utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      throw new FlexbenchError(`${p}:${i + 1}: not valid JSON (${(e as Error).message})`, EXIT.usage);
    }
    const r = trialRecordSchema.safeParse(raw);
    if (!r.success) throw new FlexbenchError(`${p}:${i + 1}: not a trial record: ${r.error.issues.slice(0, 3).map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`, EXIT.usage);
    if (opts.sub || isCellTrial(r.data)) out.push(r.data);
  });
  return out;
}

function csvField(v: unknown): string {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatSummaryCsv(rows: readonly SummaryRow[]): string {
  const lines = [SUMMARY_COLUMNS.join(',')];
  for (const r of rows) lines.push(SUMMARY_COLUMNS.map((c) => csvField(r[c])).join(','));
  return `${lines.join('\n')}\n`;
}

export function writeSummary(dir: string, rows: readonly SummaryRow[]): void {
  writeAtomic(join(dir, SUMMARY_CSV), formatSummaryCsv(rows));
}

export function writeRatios(dir: string, rows: readonly RatioRow[]): void {
  const lines = [RATIO_COLUMNS.join(',')];
  for (const r of rows) lines.push(RATIO_COLUMNS.map((c) => csvField(r[c])).join(','));
  writeAtomic(join(dir, RATIOS_CSV), `${lines.join('\n')}\n`);
}

/** Parse summary.csv (empty fields are null). */
export function parseSummaryCsv(text: string, where = SUMMARY_CSV): SummaryRow[] {
  const lines = text.split('\n').filter((l) => l.trim());
  if (!lines.length) return [];
  const header = lines[0].split(',');
  return lines.slice(1).map((line, i) => {
    const cells = splitCsv(line);
    const obj: Record<string, unknown> = {};
    header.forEach((h, j) => (obj[h] = cells[j] === '' || cells[j] === undefined ? null : cells[j]));
    const r = summaryRowSchema.safeParse(obj);
    if (!r.success) throw new FlexbenchError(`${where}:${i + 2}: not a summary row: ${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message}`, EXIT.usage);
    return r.data;
  });
}

function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') { out.push(cur); cur = ''; }
    else cur += c;
  }
  out.push(cur);
  return out;
}

export function readSummary(dir: string): SummaryRow[] {
  const p = join(dir, SUMMARY_CSV);
  if (!existsSync(p)) return [];
  return parseSummaryCsv(readInputFile(p, MAX_RESULT_FILE_BYTES, 'summary').toString('utf8'), p);
}
