// One flexbench run per results directory: two runs (or two --resume) of the same directory would
// interleave trials.jsonl and fight over run.json. The lock holds the owner's pid; a lock whose
// process is gone (kill -9, a forced second Ctrl-C) is stale and taken over.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { pidAlive } from '../../common/processes.js';

export const LOCK_FILE = '.flexbench.lock';

/** Take the directory's lock or throw naming its owner; returns the release function (idempotent). */
export function lockRunDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        process.off('exit', release);
        rmSync(path, { force: true });
      };
      process.on('exit', release); // also when a second Ctrl-C exits at once
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new FlexbenchError(`cannot lock ${dir}: ${(e as Error).message}`, EXIT.environment);
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
        throw new FlexbenchError(`${dir} is in use by another flexbench run (pid ${pid}); wait for it to end or stop it`, EXIT.usage);
      }
      rmSync(path, { force: true }); // stale: its owner is gone
    }
  }
  throw new FlexbenchError(`cannot lock ${dir}: the lock file keeps reappearing`, EXIT.environment);
}
