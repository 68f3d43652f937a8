// Runs inside the NF namespace (nsenter --net): opens one interface port per queue, MAC-swaps every
// packet back and records which queue each flow arrived on. Stops on SIGTERM; prints one JSON line.
// Usage: node echo-child.js [MODE:]IFACE QUEUES
import { prepareIface, openIfacePort } from '../../../../runtime/packet/iface/index.js';
import { swapMacs } from '../../../../nfs/macswap.js';
import type { Port } from '../../../../runtime/packet/port.js';

const [spec, q] = process.argv.slice(2);
const queues = Number(q ?? 1);
let stop = false;
process.on('SIGTERM', () => (stop = true));
const lines: string[] = [];
const prepared = await prepareIface({ iface: spec, queues, log: (l) => lines.push(l) });
const ports: Port[] = [];
for (let i = 0; i < queues; i++) ports.push(await openIfacePort({ queue: i, queues, burstSize: 32, iface: spec, shared: prepared.shared }));
const rx = new Array<number>(queues).fill(0);
const tx = new Array<number>(queues).fill(0);
// flow number (last two octets of the destination address) -> bitmask of queues that saw it
const seen = new Uint8Array(65536);
process.stdout.write(JSON.stringify({ ready: true, mode: prepared.shared.mode }) + '\n');
const deadline = Date.now() + 60_000;
let spins = 0;
let misaligned = 0;
while (!stop && Date.now() < deadline) {
  for (let i = 0; i < queues; i++) {
    const p = ports[i];
    const n = p.rx(32);
    if (n <= 0) continue;
    const b = p.burst;
    for (let k = 0; k < n; k++) {
      if ((b.off[k] & 3) !== 2) misaligned++; // the burst contract: frames at % 4 === IP_ALIGN
      const ip = b.off[k] + 14;
      if (b.u8[ip - 2] === 0x08 && b.u8[ip - 1] === 0) seen[(b.u8[ip + 18] << 8) | b.u8[ip + 19]] |= 1 << i;
    }
    swapMacs(b);
    rx[i] += n;
    tx[i] += p.tx();
  }
  if ((++spins & 1023) === 0) await new Promise((r) => setImmediate(r)); // let SIGTERM in
}
const missed = ports.map((p) => p.missed());
const detail = ports.map((p) => ('stats' in p ? (p as unknown as { stats(): unknown }).stats() : null));
for (const p of ports) await p.close();
await prepared.cleanup();
const flows: Record<string, number> = {};
for (let f = 0; f < seen.length; f++) if (seen[f]) flows[f] = seen[f];
process.stdout.write(JSON.stringify({ mode: prepared.shared.mode, reason: prepared.shared.reason, log: lines, rx, tx, missed, detail, misaligned, flows }) + '\n');
