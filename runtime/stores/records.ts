// Store servers are recorded the moment they are spawned, before they can answer, so that
// `flexbench store stop` finds one still starting and the next run's start-up check finds one whose
// owner died (kill -9, a forced Ctrl-C) and ends it. One JSON file per server under
// $TMPDIR/flexbench-stores/<label>/<port>.json; records of processes that are gone are pruned on read,
// with the scratch directory of a server whose owner died (kill -9: no exit hook removed it); while
// that owner lives, such a record stays (pid -1) so the files are found once it is gone.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pidAlive, pidRunning } from '../../common/processes.js';

export interface ServerRecord {
  label: string;
  url: string;
  pid: number;
  port: number;
  /** the server's own files */
  dataDir: string;
  /** the flexbench process that started it; a server not `detached` dies with it */
  ownerPid: number;
  /** started by `store start` to outlive its starter */
  detached: boolean;
  /** `starting` until it answered */
  state: 'starting' | 'ready';
  /** a directory made for this server alone (its temp dir): removed once it and its owner are gone */
  scratch?: string;
  /** the record's file name when the port is not unique on this machine (a ring's nodes, each in a namespace of its own) */
  key?: string;
}

export function recordsDir(label: string): string {
  return path.join(os.tmpdir(), 'flexbench-stores', label);
}

export function writeRecord<R extends ServerRecord>(rec: R): void {
  mkdirSync(recordsDir(rec.label), { recursive: true });
  writeFileSync(path.join(recordsDir(rec.label), `${rec.key ?? rec.port}.json`), JSON.stringify(rec));
}

export function removeRecord(label: string, key: number | string): void {
  rmSync(path.join(recordsDir(label), `${key}.json`), { force: true });
}

/** The recorded servers of `label` still running (records of finished ones are removed). */
export function readRecords<R extends ServerRecord>(label: string): R[] {
  const dir = recordsDir(label);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).flatMap((f) => {
    let r: R;
    try {
      r = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as R;
    } catch {
      return [];
    }
    if (!(r.pid > 0) || !pidRunning(r.pid)) {
      if (r.scratch && !r.detached) {
        if (pidAlive(r.ownerPid)) {
          // the owner may bring the server back on these files (a crash test), or die before it removed
          // them: the record stays for that, without the pid (which the system may give another process)
          if (r.pid > 0) writeFileSync(path.join(dir, f), JSON.stringify({ ...r, pid: -1 }));
          return [];
        }
        rmSync(r.scratch, { recursive: true, force: true });
      }
      rmSync(path.join(dir, f), { force: true });
      return [];
    }
    return [r];
  });
}

/** Running servers whose owner is gone and that were not meant to outlive it. */
export function orphans<R extends ServerRecord>(label: string): R[] {
  return readRecords<R>(label).filter((r) => !r.detached && r.ownerPid !== process.pid && !pidAlive(r.ownerPid));
}
