// The `command` target: any NF the lab brings (the paper's C++ NFs, their own), as an argv template plus
// how to read its rate from what it prints. Placeholders are substituted inside argv elements, never
// through a shell.
import { z } from 'zod';
import { FlexbenchError, EXIT } from '../exit-codes.js';

function isRegex(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

export const commandTargetSchema = z.strictObject({
  /** argv template, e.g. ["/opt/nfs/nat", "-l", "{corelist}", "--", "--iface", "{iface}", "--store", "{store}"] */
  argv: z.array(z.string()).min(1),
  /** how to read the NF's rate (packets per second) from its output */
  rate: z.union([
    z.strictObject({
      regex: z.string().min(1),
      /** unit of the captured number */
      unit: z.enum(['pps', 'kpps', 'mpps']).default('pps'),
      stream: z.enum(['stdout', 'stderr']).default('stdout'),
      /** take the mean of every match after the first (warm-up), or the last match */
      take: z.enum(['mean', 'last']).default('mean'),
    }),
    z.strictObject({
      /** dot path in the last JSON line of stdout, e.g. "tx_mpps" or "stats.rx_pps" */
      json_path: z.string().min(1),
      unit: z.enum(['pps', 'kpps', 'mpps']).default('pps'),
    }),
  ]),
  /** signal that makes it print its totals and exit (INT for tools that report on Ctrl-C); SIGKILL follows after a grace period */
  stop_signal: z.enum(['TERM', 'INT']).default('TERM'),
  /** when it is ready for traffic: the first output line matching regex; without it, start_wait_s after launch */
  ready: z.strictObject({ regex: z.string().min(1).refine(isRegex, 'a valid regular expression'), stream: z.enum(['stdout', 'stderr']).default('stdout') }).optional(),
  start_wait_s: z.number().min(0).max(600).default(2),
});
export type CommandTarget = z.output<typeof commandTargetSchema>;

interface CommandVars {
  iface: string;
  pci: string;
  cores: number;
  corelist: string;
  duration: number;
  store: string;
  pcap: string;
  [k: string]: string | number;
}

/** Substitute {name} in each element; unknown names are an error naming the placeholder. */
export function expandArgv(template: string[], vars: CommandVars): string[] {
  return template.map((el) =>
    el.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
      if (!(name in vars)) throw new FlexbenchError(`command target: unknown placeholder {${name}} in "${el}" (known: ${Object.keys(vars).map((k) => `{${k}}`).join(' ')})`, EXIT.usage);
      return String(vars[name]);
    }),
  );
}

const scale = { pps: 1, kpps: 1e3, mpps: 1e6 } as const;

/** The NF's rate in pps from its captured output, or an error saying what was not found. */
export function readRate(target: CommandTarget, stdout: string, stderr: string): number {
  const r = target.rate;
  if ('json_path' in r) {
    const last = stdout.trim().split('\n').pop() ?? '';
    let v: unknown;
    try {
      v = JSON.parse(last);
    } catch {
      throw new FlexbenchError(`command target: last stdout line is not JSON: ${JSON.stringify(last.slice(0, 200))}`, EXIT.trialsFailed);
    }
    for (const k of r.json_path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new FlexbenchError(`command target: JSON path "${r.json_path}" is not a number in ${JSON.stringify(last.slice(0, 200))}`, EXIT.trialsFailed);
    return v * scale[r.unit];
  }
  let re: RegExp;
  try {
    re = new RegExp(r.regex, 'g');
  } catch (e) {
    throw new FlexbenchError(`command target: bad rate regex ${JSON.stringify(r.regex)}: ${(e as Error).message}`, EXIT.usage);
  }
  const text = r.stream === 'stdout' ? stdout : stderr;
  const vals = [...text.matchAll(re)].map((m) => Number(m[1] ?? m[0])).filter((n) => Number.isFinite(n));
  if (vals.length === 0) throw new FlexbenchError(`command target: rate regex ${JSON.stringify(r.regex)} matched nothing on ${r.stream}`, EXIT.trialsFailed);
  if (r.take === 'last') return vals[vals.length - 1] * scale[r.unit];
  const use = vals.length > 1 ? vals.slice(1) : vals;
  return (use.reduce((a, b) => a + b, 0) / use.length) * scale[r.unit];
}
