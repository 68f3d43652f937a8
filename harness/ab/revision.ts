// A revision to measure: a git revision of a repository (built once into a cached worktree) or a directory that
// already holds a built flexbench. Whatever fails on the way leaves no worktree and no half-built directory behind.
import { existsSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, cpSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { EXIT, FlexbenchError } from '../exit-codes.js';
import { REPO_ROOT } from '../provenance.js';
import { DEFAULT_KILL_GRACE_MS, dieWithParent, ownUntilExit, signalGroup } from '../../common/processes.js';

export type Role = 'base' | 'head';

export interface Build {
  role: Role;
  /** as the user wrote it */
  rev: string;
  /** full commit; null for a directory outside git */
  commit: string | null;
  dirty: boolean;
  /** the root holding bin/flexbench.js and dist/ */
  dir: string;
  source: 'git' | 'path';
  /** reused from the cache (git) */
  cached: boolean;
}

export interface PrepareOptions {
  /** repository git revisions are taken from */
  repo: string;
  /** builds are cached here, one directory per commit */
  cacheDir: string;
  signal: AbortSignal;
  log: (line: string) => void;
}

/** Marker written last into a finished build: a directory without it is not a build. */
const READY = '.flexbench-ab.json';
const KILL_GRACE_MS = DEFAULT_KILL_GRACE_MS;

async function git(repo: string, args: string[], signal?: AbortSignal) {
  return execa('git', ['-C', repo, ...args], { reject: false, stdin: 'ignore', cancelSignal: signal, forceKillAfterDelay: KILL_GRACE_MS });
}

const tail = (s: unknown, n = 6) => String(s ?? '').trim().split('\n').slice(-n).join('\n    ');

/** The git repository holding `dir` (its top level), or null. */
export async function repoOf(dir: string): Promise<string | null> {
  const r = await git(dir, ['rev-parse', '--show-toplevel']);
  return r.exitCode === 0 ? String(r.stdout).trim() : null;
}

async function isDirty(dir: string): Promise<boolean> {
  // tracked files only: results/, pcaps/ and dist/ are ignored, and an untracked scratch file changes no code
  const r = await git(dir, ['status', '--porcelain', '--untracked-files=no']);
  return r.exitCode === 0 && String(r.stdout).trim() !== '';
}

function dirtyError(role: Role, what: string): FlexbenchError {
  return new FlexbenchError(
    `--${role} ${what} has uncommitted changes: they would be measured under a commit that does not hold them, so the result could not be reproduced. Commit (or stash) them first.`,
    EXIT.usage,
  );
}

/** A directory given as REV: it must already hold a built flexbench. */
async function pathBuild(role: Role, rev: string): Promise<Build> {
  const dir = resolve(rev);
  if (!existsSync(join(dir, 'bin', 'flexbench.js')) || !existsSync(join(dir, 'package.json'))) {
    throw new FlexbenchError(`--${role} ${rev}: a directory, but not a flexbench checkout or installation (no bin/flexbench.js)`, EXIT.usage);
  }
  if (!existsSync(join(dir, 'dist', 'harness', 'cli.js'))) {
    throw new FlexbenchError(`--${role} ${rev}: flexbench is not built there (no dist/); run npm ci && npm run build in it, or give a git revision`, EXIT.usage);
  }
  const repo = await repoOf(dir);
  let commit: string | null = null;
  let dirty = false;
  if (repo !== null) {
    const r = await git(dir, ['rev-parse', 'HEAD']);
    commit = r.exitCode === 0 ? String(r.stdout).trim() : null;
    dirty = await isDirty(dir);
    if (dirty && role === 'head') throw dirtyError(role, `${rev} (work tree ${dir})`);
  }
  return { role, rev, commit, dirty, dir, source: 'path', cached: false };
}

/** The commit a revision names in `repo`, or an exit-2 error saying it names none. */
async function resolveCommit(repo: string, role: Role, rev: string): Promise<string> {
  if (rev.startsWith('-')) throw new FlexbenchError(`--${role} "${rev}" is not a revision`, EXIT.usage);
  const r = await git(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
  if (r.exitCode !== 0) throw new FlexbenchError(`--${role} ${rev}: no such revision in ${repo} (nor a directory)`, EXIT.usage);
  return String(r.stdout).trim();
}

/** Run a build step in `dir`; a failure is the revision's fault (exit 2), with the tail of its output. */
async function step(dir: string, what: string, file: string, args: string[], o: PrepareOptions, label: string): Promise<void> {
  // npm starts tsc (and npm ci install scripts): its own process group, dying with us, and nothing of it left after
  const argv = dieWithParent([file, ...args]);
  const child = execa(argv[0], argv.slice(1), { cwd: dir, reject: false, all: true, stdin: 'ignore', detached: true, cancelSignal: o.signal, forceKillAfterDelay: KILL_GRACE_MS, env: { npm_config_audit: 'false', npm_config_fund: 'false' } });
  const release = ownUntilExit(child.pid ?? -1);
  let r;
  try {
    r = await child;
  } finally {
    signalGroup(child.pid ?? -1, 'SIGKILL');
    release();
  }
  if (o.signal.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);
  if (r.exitCode !== 0) throw new FlexbenchError(`${label} does not build: ${what} failed (exit ${r.exitCode ?? r.signal}):\n    ${tail(r.all)}`, EXIT.usage);
}

/** Dependencies for a fresh worktree: this flexbench's own node_modules when the lock file is the same (offline, instant), else npm ci. */
async function installDeps(dir: string, o: PrepareOptions, label: string): Promise<void> {
  const mine = join(REPO_ROOT, 'package-lock.json');
  const theirs = join(dir, 'package-lock.json');
  const modules = join(REPO_ROOT, 'node_modules');
  const same = existsSync(mine) && existsSync(theirs) && readFileSync(mine).equals(readFileSync(theirs));
  if (same && existsSync(join(modules, 'typescript'))) {
    o.log(`${label}: package-lock.json as this flexbench's: linking its node_modules`);
    symlinkSync(realpathSync(modules), join(dir, 'node_modules'), 'dir');
    // the native addon is built by npm's install script, which a link skips: take this build's copy
    const addon = join(REPO_ROOT, 'runtime', 'native', 'build');
    if (existsSync(addon) && existsSync(join(dir, 'runtime', 'native'))) cpSync(addon, join(dir, 'runtime', 'native', 'build'), { recursive: true });
    return;
  }
  o.log(`${label}: npm ci (its package-lock.json differs from this flexbench's)`);
  await step(dir, 'npm ci', 'npm', ['ci', '--no-audit', '--no-fund'], o, label);
}

/** Remove a worktree of `repo` at `dir`, whatever state it is in; never throws. */
async function removeWorktree(repo: string, dir: string): Promise<void> {
  await git(repo, ['worktree', 'remove', '--force', dir]).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  await git(repo, ['worktree', 'prune']).catch(() => undefined);
}

/** A revision checked but not built yet: cheap checks first, so a bad --head fails before --base is built. */
type Resolved = { role: Role; rev: string; build: Build } | { role: Role; rev: string; commit: string; build: null };

async function resolveGit(role: Role, rev: string, o: PrepareOptions): Promise<Resolved> {
  const commit = await resolveCommit(o.repo, role, rev);
  if (role === 'head') {
    // --head naming the commit checked out here while the tree has changes: the changes would not be measured
    const here = await git(o.repo, ['rev-parse', 'HEAD']);
    if (String(here.stdout).trim() === commit && (await isDirty(o.repo))) throw dirtyError(role, `${rev} is the commit checked out in ${o.repo}, whose work tree`);
  }
  return { role, rev, commit, build: null };
}

async function gitBuild(role: Role, rev: string, commit: string, o: PrepareOptions): Promise<Build> {
  const label = `${role} ${rev} (${commit.slice(0, 12)})`;
  const dir = join(o.cacheDir, commit);
  if (existsSync(join(dir, READY))) {
    o.log(`${label}: cached build ${dir}`);
    return { role, rev, commit, dirty: false, dir, source: 'git', cached: true };
  }
  if (existsSync(dir)) await removeWorktree(o.repo, dir); // a build that never finished
  mkdirSync(o.cacheDir, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  await removeWorktree(o.repo, tmp);
  const t0 = Date.now();
  try {
    const add = await git(o.repo, ['worktree', 'add', '--detach', '--force', tmp, commit], o.signal);
    if (add.exitCode !== 0) throw new FlexbenchError(`${label}: cannot make a worktree at ${tmp}: ${tail(add.stderr)}`, EXIT.environment);
    if (!existsSync(join(tmp, 'package.json')) || !existsSync(join(tmp, 'bin', 'flexbench.js'))) {
      throw new FlexbenchError(`${label} is not a flexbench revision (no package.json or bin/flexbench.js)`, EXIT.usage);
    }
    await installDeps(tmp, o, label);
    o.log(`${label}: building`);
    await step(tmp, 'npm run build', 'npm', ['run', 'build', '--silent'], o, label);
    writeFileSync(join(tmp, READY), `${JSON.stringify({ commit, rev, built_at: new Date().toISOString(), seconds: (Date.now() - t0) / 1000 })}\n`);
    const mv = await git(o.repo, ['worktree', 'move', tmp, dir]);
    if (mv.exitCode !== 0) {
      if (existsSync(join(dir, READY))) await removeWorktree(o.repo, tmp); // another ab built it meanwhile
      else throw new FlexbenchError(`${label}: cannot move the build to ${dir}: ${tail(mv.stderr)}`, EXIT.environment);
    }
    o.log(`${label}: built in ${((Date.now() - t0) / 1000).toFixed(0)} s -> ${dir}`);
    return { role, rev, commit, dirty: false, dir, source: 'git', cached: false };
  } catch (e) {
    await removeWorktree(o.repo, tmp);
    throw e;
  }
}

/** Check REV (a directory holding a built flexbench, or a git revision of o.repo) without building anything. */
export async function resolveRevision(role: Role, rev: string, o: PrepareOptions): Promise<Resolved> {
  let isDir = false;
  try {
    isDir = statSync(rev).isDirectory();
  } catch {
    /* not a path: a revision */
  }
  return isDir ? { role, rev, build: await pathBuild(role, rev) } : resolveGit(role, rev, o);
}

/** The built flexbench of a resolved revision (from the cache, or built now). */
export async function prepareBuild(r: Resolved, o: PrepareOptions): Promise<Build> {
  return r.build ?? gitBuild(r.role, r.rev, r.commit, o);
}

/** A build as reports name it: role, revision and commit. */
export function buildLabel(b: Build): string {
  return `${b.role} ${b.rev}${b.commit ? ` (${b.commit.slice(0, 12)}${b.dirty ? '-dirty' : ''})` : ''}`;
}
