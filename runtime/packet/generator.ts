// Offered-load generator thread: puts the capture on the "wire" at a fixed rate, queue by queue (RSS),
// and counts what finds a queue's descriptor ring full as missed, like a NIC's imissed counter.
import { workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { line, doneIndex, type OfferedQueues } from './replay-port.js';

export interface GeneratorData {
  queues: OfferedQueues;
  /** Uint16 queue of each capture packet, capture order */
  queueOfPacket: SharedArrayBuffer;
  packets: number;
  cores: number;
  /** packets per second */
  rate: number;
  /** stop after this many packets were accepted by the queues (0 = until stopped) */
  total: number;
  /** Int32 control words shared with the main thread: [0] stop, [1] go */
  control: SharedArrayBuffer;
  /** Float64[2] written back: [0] packets offered, [1] generator seconds */
  report: SharedArrayBuffer;
}

function run(d: GeneratorData): void {
  const control = new Int32Array(d.control);
  const words = new Int32Array(d.queues.counters);
  const missedShared = new Float64Array(d.queues.counters);
  const report = new Float64Array(d.report);
  const queueOf = new Uint16Array(d.queueOfPacket);
  const cores = d.cores;
  const ring = d.queues.ringSize;
  const local = new Int32Array(cores);
  const free = new Int32Array(cores);
  const add = new Int32Array(cores);
  const missed = new Float64Array(cores);
  const pIdx = Int32Array.from({ length: cores }, (_, c) => line(c, 0));
  const cIdx = Int32Array.from({ length: cores }, (_, c) => line(c, 1));
  const mIdx = Int32Array.from({ length: cores }, (_, c) => line(c, 2) / 2);
  const perMs = d.rate / 1000;
  // At low rates a quarter ring lasts long enough to sleep instead of spinning (kinder to a shared machine).
  const napMs = Math.min(1, ring / 4 / perMs);
  while (Atomics.load(control, 1) === 0 && Atomics.load(control, 0) === 0) Atomics.wait(control, 1, 0, 50);
  const t0 = performance.now();
  let sent = 0;
  let accepted = 0;
  let j = 0;
  const n = d.packets;
  const total = d.total > 0 ? d.total : Infinity;
  while (Atomics.load(control, 0) === 0 && accepted < total) {
    const due = Math.floor((performance.now() - t0) * perMs) - sent;
    // release packets a burst's worth at a time (a poller would gather them into bursts anyway)
    if (due < 32 && accepted + due < total && Atomics.load(control, 0) === 0) {
      // pace by spinning unless a nap cannot overflow a ring (sleeping releases packets in bursts)
      if (napMs >= 0.2) Atomics.wait(control, 0, 0, napMs);
      continue;
    }
    const m = due < 4096 ? due : 4096;
    for (let c = 0; c < cores; c++) free[c] = ring - ((local[c] - Atomics.load(words, cIdx[c])) | 0);
    let i = 0;
    for (; i < m && accepted < total; i++) {
      const c = queueOf[j];
      if (++j === n) j = 0;
      if (free[c] > 0) {
        free[c]--;
        add[c]++;
        accepted++;
      } else missed[c]++;
    }
    for (let c = 0; c < cores; c++) {
      if (add[c] !== 0) {
        local[c] = (local[c] + add[c]) | 0;
        Atomics.store(words, pIdx[c], local[c]);
        add[c] = 0;
      }
      if (missed[c] !== 0) {
        missedShared[mIdx[c]] += missed[c];
        missed[c] = 0;
      }
    }
    sent += i;
  }
  report[0] = sent;
  report[1] = (performance.now() - t0) / 1000;
  Atomics.store(words, doneIndex(cores), 1);
}

run(workerData as GeneratorData);
