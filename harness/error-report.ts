// What the CLI prints for an error and the exit code it returns: a sentence, never a stack (the stack only with --debug).
import { FlexbenchError, EXIT, INTERNAL_ERROR } from './exit-codes.js';
import { redactSecrets } from '../common/secrets.js';

interface ErrorReport {
  /** what goes to stderr (ends without a newline) */
  text: string;
  exitCode: number;
}

/** A file system error that escaped as a Node error (code + path): a user's path, not a bug. */
const FS_REASONS: Record<string, { why: string; exit: number }> = {
  EACCES: { why: 'permission denied', exit: EXIT.usage },
  EPERM: { why: 'operation not permitted', exit: EXIT.usage },
  EROFS: { why: 'read-only file system', exit: EXIT.usage },
  ENOTDIR: { why: 'a part of the path is a file, not a directory', exit: EXIT.usage },
  EISDIR: { why: 'is a directory', exit: EXIT.usage },
  ENOENT: { why: 'no such file or directory', exit: EXIT.usage },
  EEXIST: { why: 'already exists', exit: EXIT.usage },
  ENAMETOOLONG: { why: 'the name is too long', exit: EXIT.usage },
  ELOOP: { why: 'too many symbolic links', exit: EXIT.usage },
  ENOSPC: { why: 'no space left on the device', exit: EXIT.environment },
  EDQUOT: { why: 'disk quota exceeded', exit: EXIT.environment },
  EMFILE: { why: 'too many open files (raise ulimit -n)', exit: EXIT.environment },
};

/** Whether the stack should be shown: `--debug` anywhere on the command line, or FLEXBENCH_DEBUG=1. */
export function debugRequested(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  return argv.includes('--debug') || /^(1|true|yes)$/i.test(env.FLEXBENCH_DEBUG ?? '');
}

/**
 * The report of anything thrown out of a command. A FlexbenchError is the user's sentence with its
 * exit code; a file system error with a path becomes one; anything else is a bug: one line and exit
 * 70, the stack only when debugging. Passwords in URLs are masked in all of them.
 */
export function reportError(err: unknown, debug = false): ErrorReport {
  const stack = debug && err instanceof Error && err.stack ? `\n${redactSecrets(err.stack)}` : '';
  if (err instanceof FlexbenchError) {
    return { text: `flexbench: ${redactSecrets(err.message)}${debug && err.stack ? `\n${redactSecrets(err.stack)}` : ''}`, exitCode: err.exitCode };
  }
  const e = err as NodeJS.ErrnoException | null;
  const fs = e && typeof e === 'object' && typeof e.code === 'string' ? FS_REASONS[e.code] : undefined;
  if (fs && typeof e!.path === 'string') {
    const what = e!.syscall ? `cannot ${e!.syscall === 'open' ? 'open' : e!.syscall} ${e!.path}` : `${e!.path}`;
    return { text: `flexbench: ${redactSecrets(`${what}: ${fs.why} (${e!.code})`)}${stack}`, exitCode: fs.exit };
  }
  const first = err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : String(err).split('\n')[0];
  return {
    text: `flexbench: internal error (a bug in flexbench): ${redactSecrets(first ?? '')}${stack || ' (run again with --debug for the stack trace)'}`,
    exitCode: INTERNAL_ERROR,
  };
}
