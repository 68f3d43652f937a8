// What a testbed's measurement puts in a trial record, the same for a plan trial and a sub-record of
// its measure: (search, latency): the counts, rates, commands and host load, and the trial's flags.
import type { TrialMeasurement } from '../testbeds/testbed.js';
import type { TrialRecord } from '../results/format.js';
import { FLAG_HOST_BUSY } from '../results/judge.js';
import { HOST_BUSY_CORES } from './host-load.js';

type MeasuredFields = Pick<TrialRecord, 'rx_packets' | 'tx_packets' | 'rx_pps' | 'tx_pps' | 'dropped' | 'duration_s' | 'per_core' | 'commands' | 'flags' | 'host_busy_cores' | 'host_steal' | 'host_device_irq_per_s' | 'nf_stats' | 'resident'>;

/** The record's fields from a measurement; flags: the testbed's, the judge's (`judged`: none for a failed trial), host_busy when other work kept the host's cores busy. */
export function measuredFields(m: TrialMeasurement, judged: readonly string[]): MeasuredFields {
  const flags = [...(m.flags ?? []), ...judged];
  if (m.host && m.host.busy_cores >= HOST_BUSY_CORES) flags.push(`${FLAG_HOST_BUSY}: other work kept ${m.host.busy_cores} cores busy during the trial`);
  return {
    rx_packets: m.rx_packets, tx_packets: m.tx_packets, rx_pps: m.rx_pps, tx_pps: m.tx_pps, dropped: m.dropped, duration_s: m.duration_s,
    per_core: m.per_core, commands: m.commands, flags, host_busy_cores: m.host?.busy_cores ?? null, host_steal: m.host?.steal ?? null,
    host_device_irq_per_s: m.host?.device_irq_per_s ?? null,
    // the NF's own statistics where the testbed read them (a NAT's mappings, replies without one, pool drops)
    ...(m.nf_stats ? { nf_stats: m.nf_stats } : {}),
    ...(m.resident ? { resident: m.resident } : {}),
  };
}
