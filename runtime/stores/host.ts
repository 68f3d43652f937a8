// What a store server's lifecycle needs of the machine it runs on, when that machine is not this one
// (a lab node over SSH). The harness's Host satisfies it; runtime/ stays free of the harness.
import type { Duplex } from 'node:stream';

interface StoreHostResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

interface StoreHostProcess {
  /** settles when the process exits (never rejects for a non-zero exit) */
  readonly done: Promise<StoreHostResult>;
  /** SIGTERM to its process group, SIGKILL after graceMs; resolves when it has exited */
  kill(graceMs?: number): Promise<StoreHostResult>;
}

export interface StoreHost {
  /** a label for messages, e.g. "node1 (root@198.18.0.2:22)" */
  readonly name: string;
  /** start argv (no shell) in its own process group; aborting `signal` kills it */
  spawn(argv: string[], opts?: { signal?: AbortSignal; buffer?: boolean }): StoreHostProcess;
  exec(argv: string[], opts?: { allowFailure?: boolean; timeoutMs?: number }): Promise<StoreHostResult>;
  writeFile(path: string, content: string): Promise<void>;
  /** a TCP stream to host:port as the node sees it (over SSH: a forwarded channel) */
  connectTcp(host: string, port: number): Promise<Duplex>;
}
