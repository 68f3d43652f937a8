// A two-node trial's log file: the harness's own lines and each node's output, every node line tagged
// `[who] `, as text. A node leaves a line open (Pktgen's prompt, a chunk cut mid-line on a loaded
// machine); whatever comes next from anyone else starts on a line of its own, so no line mixes sources.
import { createWriteStream, type WriteStream } from 'node:fs';
import { redactSecrets } from '../../../common/secrets.js';
import { consoleTextStream } from '../../tools/pktgen-process.js';

interface LineState {
  /** the stream's own write, under the harness's lines and the nodes' writers */
  raw: (s: string) => boolean;
  /** who left the last line open, if anyone did */
  open: string | null;
  /** per node: its escape sequences dropped, one split across chunks held until whole */
  text: Map<string, (chunk: string) => string>;
}

const states = new WeakMap<WriteStream, LineState>();

function stateOf(log: WriteStream): LineState {
  let s = states.get(log);
  if (!s) {
    s = { raw: log.write.bind(log) as (c: string) => boolean, open: null, text: new Map() };
    states.set(log, s);
  }
  return s;
}

/**
 * The trial's log at `path`. Passwords in store URLs and redis-server options never reach it, and a write
 * of the harness's own (`log.write('# …\n')`) ends a node's open line first.
 */
export function openTrialLog(path: string): WriteStream {
  const stream = createWriteStream(path);
  const write = stream.write.bind(stream) as (c: unknown, ...rest: unknown[]) => boolean;
  const s: LineState = { raw: (c) => write(redactSecrets(c)), open: null, text: new Map() };
  states.set(stream, s);
  stream.write = ((c: unknown, ...rest: unknown[]) => {
    if (s.open !== null) {
      s.open = null;
      write('\n');
    }
    return write(typeof c === 'string' ? redactSecrets(c) : c, ...rest);
  }) as typeof stream.write;
  return stream;
}

/** A writer of a node's output into the trial log: each line tagged `[who] `, escape sequences dropped. */
export const nodeLog = (log: WriteStream) => (who: string) => (chunk: string): void => {
  const s = stateOf(log);
  let text = s.text.get(who);
  if (!text) s.text.set(who, (text = consoleTextStream()));
  const c = text(chunk);
  if (c === '') return;
  const lines = c.split('\n');
  // the first piece continues this node's open line, or starts a new one (ending another's)
  let out = s.open === who ? lines[0]! : `${s.open !== null ? '\n' : ''}[${who}] ${lines[0]}`;
  for (let i = 1; i < lines.length; i++) out += i === lines.length - 1 && lines[i] === '' ? '\n' : `\n[${who}] ${lines[i]}`;
  s.open = c.endsWith('\n') ? null : who;
  s.raw(out);
};
