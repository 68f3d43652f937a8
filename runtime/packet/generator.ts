// Offered-load generator thread: puts the capture on the "wire" at a fixed rate, queue by queue (RSS),
// and counts what finds a queue's descriptor ring full as missed, like a NIC's imissed counter.
// It can mark where a warm-up ends (per queue, packet-exact) and stamp every Nth packet's send time.
import { workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { line, doneIndex, warmSetIndex, warmMissedIndex, type OfferedQueues } from './replay-port.js';
import { CONTROL } from './shared.js';

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
  /** Int32 control words shared with the main thread (CONTROL in shared.ts) */
  control: SharedArrayBuffer;
  /** Float64[4] written back: [0] packets offered, [1] generator seconds, [2] offered at the warm-up's end, [3] its time (s) */
  report: SharedArrayBuffer;
  /** ms after the start at which the warm-up ends (0 = no warm-up boundary) */
  warmupMs: number;
  /** stamp every Nth accepted packet (0 = no latency sampling; needs queues.stamps) */
  stampEvery: number;
  /** ms after its own start at which the generator stops (0 = when told): the window is D by its clock */
  stopAfterMs: number;
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
  const stamps = d.stampEvery > 0 && d.queues.stamps ? new Float64Array(d.queues.stamps) : null;
  const every = d.stampEvery;
  const epoch = d.queues.epoch ?? 0;
  // the descriptor slot of each queue's next packet (ports keep the same count)
  const slot = new Int32Array(cores);
  let untilStamp = every;
  let warmPending = d.warmupMs > 0;
  while (Atomics.load(control, CONTROL.go) === 0 && Atomics.load(control, CONTROL.stop) === 0) Atomics.wait(control, CONTROL.go, 0, 50);
  const t0 = performance.now();
  let sent = 0;
  let accepted = 0;
  let j = 0;
  const n = d.packets;
  const total = d.total > 0 ? d.total : Infinity;
  const stopped = () => Atomics.load(control, CONTROL.stop) !== 0 || Atomics.load(control, CONTROL.genStop) !== 0;
  let last = false;
  let now = t0;
  for (;;) {
    now = performance.now();
    if (warmPending && now - t0 >= d.warmupMs) {
      // between batches every queue's count is exact: the window starts here, packet for packet
      warmPending = false;
      for (let c = 0; c < cores; c++) {
        words[line(c, 3)] = local[c];
        missedShared[warmMissedIndex(c)] = missedShared[mIdx[c]];
      }
      report[2] = sent;
      report[3] = (now - t0) / 1000;
      Atomics.store(words, warmSetIndex(cores), 1);
    }
    if (!last && (stopped() || accepted >= total || (d.stopAfterMs > 0 && now - t0 >= d.stopAfterMs))) last = true; // one more pass releases what is due
    else if (last) break;
    let due = Math.floor((now - t0) * perMs) - sent;
    const left = total - accepted;
    if (due > left) due = left;
    // release packets a burst's worth at a time (a poller would gather them into bursts anyway), or the
    // last few of a --packets budget (waiting for a whole burst of them would wait for ever)
    if (due < 32 && due < left && !last) {
      // pace by spinning unless a nap cannot overflow a ring (sleeping releases packets in bursts)
      if (napMs >= 0.2) Atomics.wait(control, CONTROL.genStop, 0, napMs);
      continue;
    }
    const m = due < 4096 ? due : 4096;
    for (let c = 0; c < cores; c++) free[c] = ring - ((local[c] - Atomics.load(words, cIdx[c])) | 0);
    const stampAt = epoch > 0 ? performance.timeOrigin + now - epoch : 0;
    let i = 0;
    for (; i < m && accepted < total; i++) {
      const c = queueOf[j];
      if (++j === n) j = 0;
      if (free[c] > 0) {
        free[c]--;
        if (stamps !== null) {
          const s = slot[c];
          if (--untilStamp === 0) {
            untilStamp = every;
            stamps[c * ring + s] = stampAt;
          }
          slot[c] = s + 1 === ring ? 0 : s + 1;
        }
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
  report[1] = (now - t0) / 1000; // the time of the last release: sent == rate x this when the generator kept up
  Atomics.store(words, doneIndex(cores), 1);
}

run(workerData as GeneratorData);
