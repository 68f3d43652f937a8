// Files the user names as input (a spec, an inventory, a pcap, a config): read with a size cap, so
// /dev/zero, a FIFO that never ends or a 50 GB file is a sentence, not a hang or an exhausted heap.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { FlexbenchError, EXIT } from './errors.js';

const human = (n: number) => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`);

/** Largest results file read (run.json, trials.jsonl, summary.csv, a baseline): a 20,000-trial run writes some tens of MB. */
export const MAX_RESULT_FILE_BYTES = 256 * 2 ** 20;

/** The bytes of `path`, at most `maxBytes`; exit 2 naming `what` for a missing file, a directory, or one that is larger. */
export function readInputFile(path: string, maxBytes: number, what: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new FlexbenchError(`cannot read ${what} ${path}: ${why}`, EXIT.usage, { cause: e });
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new FlexbenchError(`cannot read ${what} ${path}: is a directory`, EXIT.usage);
    // /dev/zero, /dev/urandom, a disk: never a file of ours (/dev/null reads as empty)
    if ((st.isCharacterDevice() || st.isBlockDevice()) && path !== '/dev/null') throw new FlexbenchError(`cannot read ${what} ${path}: is a device, not a file`, EXIT.usage);
    const tooBig = () => new FlexbenchError(`${what} ${path} is larger than the ${human(maxBytes)} flexbench reads as one`, EXIT.usage);
    if (st.isFile() && st.size > maxBytes) throw tooBig();
    // a regular file is read to its size; anything else (a pipe, a device) up to the cap and one byte more
    const buf = Buffer.allocUnsafe(st.isFile() ? st.size : Math.min(maxBytes + 1, 1 << 20));
    let out = buf;
    let n = 0;
    for (;;) {
      if (n === out.length) {
        if (st.isFile() || n > maxBytes) break;
        const bigger = Buffer.allocUnsafe(Math.min(out.length * 2, maxBytes + 1));
        out.copy(bigger, 0, 0, n);
        out = bigger;
      }
      let got: number;
      try {
        got = readSync(fd, out, n, out.length - n, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EISDIR') throw new FlexbenchError(`cannot read ${what} ${path}: is a directory`, EXIT.usage);
        throw new FlexbenchError(`cannot read ${what} ${path}: ${(e as Error).message}`, EXIT.usage, { cause: e });
      }
      if (got === 0) break;
      n += got;
      if (n > maxBytes) throw tooBig();
    }
    return out.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
