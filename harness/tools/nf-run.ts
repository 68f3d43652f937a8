// `flexbench nf run`'s rate lines on stderr, as every reader of them (local and two-node testbeds,
// the benchmarks) parses them: "[nat] t=1.5s rx 12.350 Mpps tx 12.250 Mpps (total rx 23918592)"; and
// what every testbed takes from its last line, `--json`.
import { FlexbenchError, EXIT } from '../exit-codes.js';
import { parseNfRunOutput, type NfRunResult } from '../../runtime/nf-process/result.js';

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

/** One trial flag per loss of acknowledged state a store showed (docs/runtime.md, "Store continuity"; with --on-state-loss warn/reload the trial completes and says so). */
function stateLossFlags(j: Pick<NfRunResult, 'state_lost' | 'state_loss'>): string[] {
  if (!j.state_lost) return [];
  return j.state_loss.map((l) => `state_lost: core ${l.core}, ${l.store}: ${l.flushes_lost} acknowledged flushes, ${l.counts_lost === null ? 'unknown' : `${l.counts_exact ? '' : '>= '}${l.counts_lost}`} counts lost (${l.action})`);
}

/**
 * Every flag a trial takes from `nf run --json`: a store's loss of acknowledged state, and the NF's own warnings
 * (a NAT's pool exhausted, a store read that failed) — recorded on every testbed, not only on the NF's stderr.
 */
export function nfRunFlags(j: NfRunResult): string[] {
  return [...stateLossFlags(j), ...j.warnings.map((w) => `nf_warning: ${w}`)];
}

/** `nf run --json` from a finished process on another node; a line that does not parse names the node and stderr's last lines. */
export function parseNfRunOn(node: string, r: { stdout: string; stderr: string }): NfRunResult {
  try {
    return parseNfRunOutput(r.stdout);
  } catch (err) {
    throw new FlexbenchError(`flexbench nf run on ${node}: ${(err as Error).message} (${(r.stderr || '').trim().split('\n').slice(-2).join(' | ')})`, EXIT.trialsFailed);
  }
}

/** The NF's per-core counts as a trial measurement keeps them. */
export const nfRunPerCore = (j: NfRunResult): { core: number; rx_packets: number; tx_packets: number }[] =>
  j.per_core.map((c) => ({ core: c.core, rx_packets: c.rx_packets, tx_packets: c.tx_packets }));

/** The NF's own statistics (NAT: flows, mappings created and expired, pool drops, replies without a mapping …) summed over its cores. */
export function nfRunStats(j: NfRunResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of j.per_core) for (const [k, v] of Object.entries(c.nf)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** A trial's counts from `nf run --json`: the NF's totals, its rates over its measured window, per core. */
export function nfRunCounts(j: NfRunResult) {
  return {
    rx_packets: j.rx_packets,
    tx_packets: j.tx_packets,
    dropped: j.dropped,
    duration_s: j.duration_s,
    rx_pps: j.duration_s > 0 ? j.rx_packets / j.duration_s : 0,
    tx_pps: j.duration_s > 0 ? j.tx_packets / j.duration_s : 0,
    per_core: nfRunPerCore(j),
  };
}
