// `flexbench nf run`'s rate lines on stderr, as every reader of them (local and two-node testbeds,
// the benchmarks) parses them: "[nat] t=1.5s rx 12.350 Mpps tx 12.250 Mpps (total rx 23918592)".

/** Cumulative NF counters from one rate line. */
interface NfProgress {
  t: number;
  rx_total: number;
  rx_mpps: number;
  tx_mpps: number;
}

const PROGRESS = /t=([\d.]+)s rx ([\d.]+) Mpps tx ([\d.]+) Mpps \(total rx (\d+)\)/;

export function parseNfProgress(line: string): NfProgress | null {
  const m = PROGRESS.exec(line);
  return m ? { t: Number(m[1]), rx_total: Number(m[4]), rx_mpps: Number(m[2]), tx_mpps: Number(m[3]) } : null;
}

/** The part of `nf run --json` that says a store lost acknowledged state (docs/runtime.md, "Store continuity"). */
export interface NfStateLoss {
  state_lost?: boolean;
  state_loss?: { core: number; store: string; flushes_lost: number; counts_lost: number | null; counts_exact: boolean; action: string }[];
}

/** One trial flag per state loss (with --on-state-loss warn/reload the trial completes and says so). */
export function stateLossFlags(j: NfStateLoss): string[] {
  if (!j.state_lost) return [];
  return (j.state_loss ?? []).map((l) => `state_lost: core ${l.core}, ${l.store}: ${l.flushes_lost} acknowledged flushes, ${l.counts_lost === null ? 'unknown' : `${l.counts_exact ? '' : '>= '}${l.counts_lost}`} counts lost (${l.action})`);
}
