// A TCP connection read through one fixed buffer (net's `onread`: no Buffer per read), as the drivers' own flush
// connections use it: connected within a time limit, and every later error or close said once through `lost`.
import { writeSync } from 'node:fs';
import net from 'node:net';

export interface ReadingConnection {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** what a message names the connection by, e.g. "127.0.0.1:9042: " (may be empty) */
  prefix: string;
  /** the buffer every read lands in, and what reads it (false: stop reading until resumed) */
  buffer: Buffer;
  onRead: (n: number, buf: Buffer) => boolean;
  /** the socket is up: called before the promise resolves, so the owner holds it before any event of it */
  up: (s: net.Socket) => void;
  /** an error or close after it was up (the owner checks the socket is still its own) */
  lost: (s: net.Socket, err: Error) => void;
}

export function connectReading(o: ReadingConnection): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    let isUp = false;
    const s = net.connect({ host: o.host, port: o.port, noDelay: true, onread: { buffer: o.buffer, callback: o.onRead } });
    const t = setTimeout(() => { s.destroy(); reject(new Error(`${o.prefix}no connection within ${o.connectTimeoutMs} ms`)); }, o.connectTimeoutMs);
    s.once('connect', () => { clearTimeout(t); isUp = true; o.up(s); resolve(s); });
    s.on('error', (e) => { clearTimeout(t); if (isUp) o.lost(s, e); else reject(e); });
    s.on('close', () => { if (isUp) o.lost(s, new Error(`${o.prefix}connection closed`)); });
  });
}

/**
 * Writes `bytes` with one `write` call on the socket's descriptor when nothing waits in its stream
 * (what the kernel did not take, or all of it on a platform without a descriptor, goes through the
 * stream as before): the flushes' small requests skip the stream's per-write objects and callbacks.
 */
export function writeNow(s: net.Socket, bytes: Buffer): void {
  const fd = socketFd(s);
  if (fd >= 0 && s.writableLength === 0 && !s.destroyed) {
    let n = 0;
    try {
      n = writeSync(fd, bytes, 0, bytes.length);
    } catch {
      n = 0; // EAGAIN, or an error the stream's own write reports as it always did
    }
    if (n === bytes.length) return;
    bytes = bytes.subarray(n);
  }
  s.write(bytes);
}

/** The socket's file descriptor (Linux: net keeps it on its private handle), or -1 where there is none. */
export function socketFd(s: net.Socket | null): number {
  const fd = (s as unknown as { _handle?: { fd?: number } } | null)?._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}
