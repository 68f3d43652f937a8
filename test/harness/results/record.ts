// What the results tests (and those reading records: auto, figures) share: a plan trial's record, ok,
// one NAT cell on hashmap, with the fields a test names over it.
import type { TrialRecord } from '../../../harness/results/format.js';

export function trialRecord(over: Partial<TrialRecord>): TrialRecord {
  return {
    trial_id: 'x', index: 0, nf: 'nat', store: 'hashmap', location: 'local', mode: 'async', flush_ms: 1, cores: 1, frame_size: 64,
    testbed: 'local', pcap: 'flows-0.pcap', pcap_sha256: null, repetition: 0, status: 'ok', reason: null, rx_packets: 1, tx_packets: 1,
    rx_pps: 1e6, tx_pps: 1e6, dropped: 0, duration_s: 1, warmup_s: 0.5, per_core: [], commands: [], flags: [],
    started_at: null, ended_at: null, ...over,
  };
}
