// Passwords never leave flexbench in clear: URLs and server options are masked in messages, logs and results.

/** What a masked secret reads as. */
export const MASK = '***';

// scheme://user:password@host -> scheme://user:***@host (the user name stays: it says which account)
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*):([^\s/?#@]*)@/gi;
// redis-server's own options, on a command line or in a config file
const OPTION_PASSWORD = /(^|[\s"'])(--?(?:requirepass|masterauth)|requirepass|masterauth)(\s+|=)("[^"]*"|'[^']*'|\S+)/gi;

/** The text with every password it holds masked. */
export function redactSecrets(text: string): string {
  // a placeholder such as <password> in a hint is no secret
  return text.replace(URL_PASSWORD, (all: string, scheme: string, user: string, pass: string) => (/^<[a-z ]+>$/i.test(pass) ? all : `${scheme}${user}:${MASK}@`)).replace(OPTION_PASSWORD, (_, pre: string, opt: string, sep: string) => `${pre}${opt}${sep}${MASK}`);
}

/** A copy of a JSON-like value with every string masked (run.json, trial records). */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}
