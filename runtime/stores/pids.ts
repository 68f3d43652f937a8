// Is a process still there? Used wherever flexbench finds a pid it recorded (store servers, run
// locks, an emulation's daemons). kill(pid, 0) answers; EPERM means it exists under another user.
import { readFileSync } from 'node:fs';

/** exists, zombies included: a multi-threaded zombie leader may still hold its sockets while its threads exit */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** exists and has not exited: a zombie (exited, its reaper slow or gone) counts as gone */
export function pidRunning(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (not Linux): kill() said it exists
  }
}
