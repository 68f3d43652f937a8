// Live progress of a run: one redrawn status line on a terminal, plain lines otherwise (logs, CI).
import { formatDuration } from '../plan/plan.js';

interface ProgressState {
  /** 1-based index of the trial running now among those to run */
  i: number;
  total: number;
  cell: string;
  etaSeconds: number;
  /** last measured rate, Mpps */
  lastMpps: number | null;
  /** 1-based round of the run's order and how many there are */
  round?: number;
  rounds?: number;
}

/** A packet rate given in Mpps, in the unit that shows its digits (a slow NF at 0.0002 Mpps reads 200 pps). */
export function formatRate(mpps: number): string {
  if (mpps >= 1) return `${mpps.toFixed(3)} Mpps`;
  if (mpps * 1e3 >= 1) return `${(mpps * 1e3).toFixed(1)} kpps`;
  return `${Math.round(mpps * 1e6)} pps`;
}

export class Progress {
  private shown = false;
  constructor(private readonly out: NodeJS.WriteStream | NodeJS.WritableStream, private readonly tty = Boolean((out as NodeJS.WriteStream).isTTY)) {}

  private clear(): void {
    if (this.tty && this.shown) this.out.write('\r\x1b[2K');
    this.shown = false;
  }

  /** A message that stays (above the status line on a terminal). */
  log(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
  }

  static format(s: ProgressState): string {
    const last = s.lastMpps === null ? '' : `  last ${formatRate(s.lastMpps)}`;
    const round = s.round === undefined ? '' : ` round ${s.round} of ${s.rounds}`;
    return `[${s.i}/${s.total}]${round} ${s.cell}  ETA ${formatDuration(s.etaSeconds)}${last}`;
  }

  update(s: ProgressState): void {
    const text = Progress.format(s);
    if (this.tty) {
      const width = (this.out as NodeJS.WriteStream).columns ?? 100;
      this.out.write(`\r\x1b[2K${text.slice(0, width - 1)}`);
      this.shown = true;
    } else {
      this.out.write(`${text}\n`);
    }
  }

  done(): void {
    this.clear();
  }
}
