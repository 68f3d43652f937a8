// A UDP echo for round-trip time through an NF (StatelessNF's Table 3: D-ITG streaming 10,000
// minimum-size UDP packets through the NAT): the server sends every datagram back to where it came
// from; the probe streams `count` datagrams at `rate` per second, each carrying its sequence number,
// and times each one's return. Through a NAT the reply is addressed to the NAT's outside address and
// must be translated back to reach the probe: an echo that returns proves both directions.
import { createSocket, type Socket } from 'node:dgram';
import { FlexbenchError, EXIT } from '../exit-codes.js';

/** UDP payload of a minimum-size (64-byte) Ethernet frame: 64 - 4 FCS - 14 Ethernet - 20 IPv4 - 8 UDP. */
export const MIN_UDP_PAYLOAD = 18;

export interface EchoServer {
  port: number;
  echoed(): number;
  close(): Promise<void>;
}

export async function serveEcho(bind: string, port: number): Promise<EchoServer> {
  const s = createSocket('udp4');
  let n = 0;
  s.on('message', (msg, from) => {
    n++;
    s.send(msg, from.port, from.address);
  });
  await new Promise<void>((res, rej) => {
    s.once('error', rej);
    s.bind(port, bind, () => (s.off('error', rej), res()));
  });
  return { port: s.address().port, echoed: () => n, close: () => new Promise((r) => s.close(() => r())) };
}

export interface ProbeOptions {
  to: string;
  port: number;
  count: number;
  /** datagrams per second (a stream, as D-ITG sends; not one at a time) */
  rate: number;
  size: number;
  /** how long to wait for the last replies after the last send, ms */
  drainMs: number;
  bind?: string;
  signal?: AbortSignal;
}

export interface ProbeResult {
  sent: number;
  received: number;
  /** replies that came back for a sequence number already answered, or not sent */
  duplicates: number;
  /** round trips in microseconds, in sequence order (NaN: no reply) */
  rtt_us: Float64Array;
}

/** Streams the probe and collects each datagram's round trip. */
export async function probeEcho(o: ProbeOptions): Promise<ProbeResult> {
  if (!(o.size >= 4 && o.size <= 65507)) throw new FlexbenchError(`echo probe: --size ${o.size} must be 4..65507 bytes (4 hold the sequence number)`, EXIT.usage);
  if (!(Number.isInteger(o.count) && o.count >= 1)) throw new FlexbenchError(`echo probe: --count ${o.count} must be a positive integer`, EXIT.usage);
  if (!(o.rate > 0)) throw new FlexbenchError(`echo probe: --rate ${o.rate} must be positive`, EXIT.usage);
  const s: Socket = createSocket('udp4');
  const sentAt = new Float64Array(o.count);
  const rtt = new Float64Array(o.count).fill(NaN);
  let received = 0;
  let duplicates = 0;
  s.on('message', (msg) => {
    const at = performance.now();
    if (msg.length < 4) return;
    const seq = msg.readUInt32BE(0);
    if (seq >= o.count || sentAt[seq] === 0 || !Number.isNaN(rtt[seq])) {
      duplicates++;
      return;
    }
    rtt[seq] = (at - sentAt[seq]) * 1000;
    received++;
  });
  await new Promise<void>((res, rej) => {
    s.once('error', rej);
    s.bind(0, o.bind, () => (s.off('error', rej), res()));
  });
  const t0 = performance.now();
  const interval = 1000 / o.rate;
  let sent = 0;
  try {
    // paced on the clock: every timer tick sends what is due by now, so a late tick catches up
    while (sent < o.count) {
      if (o.signal?.aborted) throw new FlexbenchError('interrupted', EXIT.interrupted);
      const due = Math.min(o.count, Math.floor((performance.now() - t0) / interval) + 1);
      while (sent < due) {
        // a buffer of its own: send() reads it later, so one reused buffer would go out with a later sequence number
        const buf = Buffer.alloc(o.size);
        buf.writeUInt32BE(sent, 0);
        sentAt[sent] = performance.now();
        s.send(buf, o.port, o.to);
        sent++;
      }
      if (sent < o.count) await new Promise((r) => setTimeout(r, Math.max(0, Math.min(1, t0 + sent * interval - performance.now()))));
    }
    const end = performance.now() + o.drainMs;
    while (received < sent && performance.now() < end && !o.signal?.aborted) await new Promise((r) => setTimeout(r, 5));
  } finally {
    await new Promise<void>((r) => s.close(() => r()));
  }
  return { sent, received, duplicates, rtt_us: rtt };
}
