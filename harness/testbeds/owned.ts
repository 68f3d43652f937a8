// A trial's child on this machine, owned from the first instant: its own process group (a terminal's
// Ctrl-C reaches the harness, which ends it in order), a parent-death signal, killed on our exit.
import { execa, type Options as ExecaOptions } from 'execa';
import { dieWithParent, ownUntilExit } from '../../common/processes.js';

export function ownedExeca<O extends ExecaOptions>(argv: string[], opts: O) {
  const full = dieWithParent(argv);
  const child = execa(full[0], full.slice(1), { ...opts, detached: true } as O);
  const release = ownUntilExit(child.pid ?? -1);
  void child.finally(release).catch(() => undefined);
  return child;
}
