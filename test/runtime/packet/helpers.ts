// Test helpers for the packet path: run the real CLI and the real tshark as processes, temp dirs per test.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLI = new URL('../../../../bin/flexbench.js', import.meta.url).pathname;

export interface Proc {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOpts {
  timeoutMs?: number;
  onSpawn?: (pid: number) => void;
  onStderr?: (chunk: string) => void;
}

export function run(cmd: string, args: string[], opts: RunOpts = {}): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => {
      stderr += d;
      opts.onStderr?.(String(d));
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.on('spawn', () => opts.onSpawn?.(p.pid!));
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function flexbench(args: string[], opts: RunOpts = {}): Promise<Proc> {
  return run(process.execPath, [CLI, ...args], opts);
}

/** The JSON object on the last stdout line of `nf run --json`. */
export function lastJson(p: Proc): Record<string, any> {
  const lines = p.stdout.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]);
  } catch {
    throw new Error(`no JSON on the last stdout line (exit ${p.code}):\nstdout: ${p.stdout.slice(-2000)}\nstderr: ${p.stderr.slice(-2000)}`);
  }
}

/** tshark fields, one array per packet. */
export async function tsharkFields(file: string, fields: string[], extra: string[] = []): Promise<string[][]> {
  // occurrence=f: random ports can make tshark dissect a tunnel (e.g. VXLAN) with inner headers; we want the outer ones.
  // No TCP reassembly: callers read headers only, and a reassembling dissector that takes random payload for its own
  // (Thrift's heuristic on iperf3's bytes: a million tree items per PDU) made one capture of 112,000 packets take
  // 140 s instead of 3, past run()'s timeout
  const args = ['-r', file, '-n', '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'tcp.desegment_tcp_streams:FALSE', ...extra, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f'];
  for (const f of fields) args.push('-e', f);
  const p = await run('tshark', args);
  if (p.code !== 0) throw new Error(`tshark failed (${p.code}): ${p.stderr}`);
  return p.stdout.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

export function tempDir(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `packet-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
