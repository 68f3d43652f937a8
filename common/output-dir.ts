// Output directories the user names (--out, results/, pcaps/): a writable directory on a real file system, checked before anything starts.
import { accessSync, constants, mkdirSync, realpathSync, statSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FlexbenchError, EXIT } from './errors.js';

// statfs f_type of file systems that hold no files of ours (the kernel's views and controls)
const PSEUDO_FS: Record<number, string> = {
  0x9fa0: 'procfs', 0x62656572: 'sysfs', 0x1cd1: 'devpts', 0x27e0eb: 'cgroupfs', 0x63677270: 'cgroup2fs',
  0x64626720: 'debugfs', 0x73636673: 'securityfs', 0x74726163: 'tracefs', 0x62656570: 'configfs', 0xcafe4a11: 'bpffs', 0x6e736673: 'nsfs',
};
const PSEUDO_ROOTS = ['/proc', '/sys'];

interface OutputDirCheck {
  /** the directory, absolute */
  path: string;
  /** the directories still to create, outermost first */
  missing: string[];
}

const under = (p: string, root: string) => p === root || p.startsWith(`${root}/`);

/**
 * Whether `dir` is, or can be created as, a writable directory: its nearest existing ancestor must be a
 * directory, writable, and not on /proc, /sys or another pseudo file system. Creates nothing; throws a
 * FlexbenchError (exit 2) naming `what` and the path otherwise.
 */
export function checkOutputDir(dir: string, what: string): OutputDirCheck {
  const path = resolve(dir);
  const bad = (why: string) => new FlexbenchError(`${what} ${dir}: ${why}`, EXIT.usage);
  const missing: string[] = [];
  // up to the nearest ancestor that exists: one step per path component, so this always ends
  let p = path;
  let st: ReturnType<typeof statSync> | undefined;
  for (;;) {
    try {
      st = statSync(p);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw bad(`cannot look at ${p} (${code ?? (e as Error).message})`);
      missing.unshift(p);
      const up = dirname(p);
      if (up === p) throw bad('no part of the path exists');
      p = up;
    }
  }
  if (!st.isDirectory()) throw bad(p === path ? 'is a file, not a directory' : `${p} is a file, not a directory`);
  let real = p;
  try {
    real = realpathSync(p);
  } catch {
    // keep p: statfs below still judges it
  }
  const root = PSEUDO_ROOTS.find((r) => under(path, r) || under(real, r));
  let fsType: string | undefined;
  try {
    fsType = PSEUDO_FS[statfsSync(p).type];
  } catch {
    fsType = undefined;
  }
  if (root || fsType) throw bad(`is on ${fsType ?? root}, the kernel's view of itself, which holds no files of ours; choose a directory on a disk`);
  try {
    accessSync(p, constants.W_OK | constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EROFS' ? 'a read-only file system' : 'permission denied';
    throw bad(p === path ? `is not writable (${why})` : `cannot be created: ${p} is not writable (${why})`);
  }
  return { path, missing };
}

/** checkOutputDir, then create what is missing, one directory at a time (never a recursive mkdir that could spin). Returns the absolute path. */
export function ensureOutputDir(dir: string, what: string): string {
  const { path, missing } = checkOutputDir(dir, what);
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(m).isDirectory()) continue; // made meanwhile by someone else
      throw new FlexbenchError(`${what} ${dir}: cannot create ${m} (${code ?? (e as Error).message})`, code === 'ENOSPC' || code === 'EDQUOT' ? EXIT.environment : EXIT.usage);
    }
  }
  return path;
}

/** Bytes free for us on the file system that holds `dir` (or would hold it). */
function freeBytes(dir: string): number {
  let p = resolve(dir);
  for (;;) {
    try {
      const s = statfsSync(p);
      return s.bavail * s.bsize;
    } catch {
      const up = dirname(p);
      if (up === p) return Number.POSITIVE_INFINITY;
      p = up;
    }
  }
}

/** Room kept free beyond what a write needs (logs, results, the system's own). */
const FREE_SPACE_MARGIN_BYTES = 256 * 2 ** 20;

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${u === 0 ? n.toFixed(0) : n.toFixed(1)} ${units[u]}`;
}

/** Refuses (exit 5) when writing `bytes` into `dir` would leave less than the margin free. */
export function checkFreeSpace(dir: string, bytes: number, what: string): void {
  const free = freeBytes(dir);
  if (bytes + FREE_SPACE_MARGIN_BYTES > free) {
    throw new FlexbenchError(`${what} needs ${formatBytes(bytes)} in ${dir}, which has ${formatBytes(free)} free (keeping ${formatBytes(FREE_SPACE_MARGIN_BYTES)} spare); free some space or choose another directory`, EXIT.environment);
  }
}
