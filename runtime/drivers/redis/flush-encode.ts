// The flush script's batch layout (flush.lua.ts), written once for both connections that send it:
// the flush socket writes it straight into RESP bytes, the ioredis path into an argument array.
import type { Change, FlushBatch } from '../driver.js';

/** Where the arguments go: RESP bytes (`RespWriter`) or strings (`ArraySink`). */
export interface FlushSink {
  str(s: string): void;
  num(v: number): void;
}

/** Arguments as strings, numbers printed as the RESP writer prints them. */
export class ArraySink implements FlushSink {
  readonly args: string[] = [];
  str(s: string): void { this.args.push(s); }
  num(v: number): void { this.args.push(Number.isSafeInteger(v) ? v.toFixed(0) : String(v)); }
}

/** SCAN's pattern syntax escaped, so a key is matched literally */
export const glob = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&');

/** KEYS of the script: the seq key, then each structure once; `kidx[i]` is change i's 1-based KEYS index. */
export function flushKeys(seqKey: string, keyOf: (c: Change) => string, changes: readonly Change[]): { keys: string[]; kidx: number[] } {
  const keys: string[] = [seqKey];
  const at = new Map<string, number>();
  const kidx: number[] = [];
  for (const c of changes) {
    const k = keyOf(c);
    let i = at.get(k);
    if (i === undefined) { keys.push(k); at.set(k, (i = keys.length)); }
    kidx.push(i);
  }
  return { keys, kidx };
}

/**
 * ARGV of the script: seq, resync flag, then per change op, key index, count, values.
 * `now` (ms since the epoch) turns a timer's deadline into the TTL left at send time; one already
 * past is deleted. Returns how many entries the batch held.
 */
export function writeFlushArgs(w: FlushSink, keys: readonly string[], kidx: readonly number[], batch: FlushBatch, now: number): number {
  w.num(batch.seq);
  w.str(batch.resync ? 'r' : '-');
  let entries = 0;
  for (let ci = 0; ci < batch.changes.length; ci++) {
    const c = batch.changes[ci]!;
    const k = kidx[ci]!;
    if (c.op === 'delete') {
      if (c.type === 'Timer') { w.str('tclr'); w.num(k); w.num(1); w.str(`${glob(keys[k - 1]!)}@*`); }
      else { w.str('del'); w.num(k); w.num(1); }
      entries++;
      continue;
    }
    switch (c.type) {
      case 'Timer': {
        if (c.op === 'erase') {
          w.str('tdel'); w.num(k); w.num(c.keys.length);
          for (const name of c.keys) w.str(name);
          entries += c.keys.length;
          break;
        }
        let live = 0;
        for (let i = 0; i < c.keys.length; i++) if (Math.ceil(c.values[i]! - now) > 0) live++;
        if (live > 0) {
          w.str('tset'); w.num(k); w.num(live);
          for (let i = 0; i < c.keys.length; i++) {
            const ttl = Math.ceil(c.values[i]! - now);
            if (ttl > 0) { w.str(c.keys[i]!); w.num(ttl); w.num(c.values[i]!); }
          }
        }
        if (live < c.keys.length) {
          w.str('tdel'); w.num(k); w.num(c.keys.length - live);
          for (let i = 0; i < c.keys.length; i++) if (!(Math.ceil(c.values[i]! - now) > 0)) w.str(c.keys[i]!);
        }
        entries += c.keys.length;
        break;
      }
      case 'Value': w.str('set'); w.num(k); w.num(1); w.str(c.value); entries++; break;
      case 'Counter':
        if (c.op === 'set') w.str('set');
        else w.str(Number.isInteger(c.value) ? 'incr' : 'incrf');
        w.num(k); w.num(1); w.num(c.value);
        entries++;
        break;
      case 'List':
        if (c.op === 'pushBack' || c.op === 'pushFront') {
          w.str(c.op === 'pushBack' ? 'rpush' : 'lpush'); w.num(k); w.num(c.values.length);
          for (const v of c.values) w.str(v);
          entries += c.values.length;
        } else if (c.op === 'popFront' || c.op === 'popBack') { w.str(c.op === 'popFront' ? 'lpop' : 'rpop'); w.num(k); w.num(c.count); entries += c.count; }
        else if (c.op === 'setAt') { w.str('lset'); w.num(k); w.num(1); w.num(c.index); w.str(c.value); entries++; }
        break;
      case 'Set':
        w.str(c.op === 'insert' ? 'sadd' : 'srem'); w.num(k); w.num(c.values.length);
        for (const v of c.values) w.str(v);
        entries += c.values.length;
        break;
      case 'Map':
      case 'CounterMap':
        if (c.op === 'erase') {
          w.str('hdel'); w.num(k); w.num(c.keys.length);
          for (const f of c.keys) w.str(f);
        } else {
          let ints = c.op !== 'set';
          if (ints) for (let i = 0; i < c.values.length; i++) if (!Number.isInteger(c.values[i])) { ints = false; break; }
          w.str(c.op === 'set' ? 'hset' : ints ? 'hincr' : 'hincrf'); w.num(k); w.num(c.keys.length);
          for (let i = 0; i < c.keys.length; i++) { w.str(c.keys[i]!); w.num(c.values[i]!); }
        }
        entries += c.keys.length;
        break;
    }
  }
  return entries;
}
