// Live progress of a run: one redrawn status line on a terminal, plain lines otherwise (logs, CI).
import { formatDuration } from '../plan/plan.js';

export interface ProgressState {
  /** 1-based index of the trial running now among those to run */
  i: number;
  total: number;
  cell: string;
  etaSeconds: number;
  /** last measured rate, Mpps */
  lastMpps: number | null;
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
    const last = s.lastMpps === null ? '' : `  last ${s.lastMpps.toFixed(3)} Mpps`;
    return `[${s.i}/${s.total}] ${s.cell}  ETA ${formatDuration(s.etaSeconds)}${last}`;
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
