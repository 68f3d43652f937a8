// OpenSSH known_hosts lookup (plain and hashed entries, [host]:port form) for ssh2's hostVerifier.
import { createHmac } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';

interface KnownHostEntry {
  line: number;
  patterns: string[];
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  key: string;
  marker?: string;
}

function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (!l || l.startsWith('#')) return;
    const parts = l.split(/\s+/);
    let marker: string | undefined;
    if (parts[0].startsWith('@')) marker = parts.shift();
    if (parts.length < 3) return;
    const [hosts, keyType, key] = parts;
    const e: KnownHostEntry = { line: i + 1, patterns: [], keyType, key, marker };
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|');
      e.hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    } else e.patterns = hosts.split(',');
    out.push(e);
  });
  return out;
}

/** The name a host has in known_hosts: "host" for port 22, "[host]:port" otherwise. */
function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
  // every regex character but the two wildcards is literal: "[host]:2222" names a host on a port
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i');
  return re.test(name);
}

function matches(e: KnownHostEntry, name: string): boolean {
  if (e.hashed) {
    const h = createHmac('sha1', e.hashed.salt).update(name).digest();
    return h.equals(e.hashed.hash);
  }
  let ok = false;
  for (const p of e.patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) ok = true;
  }
  return ok;
}

type HostKeyVerdict = { ok: true } | { ok: false; reason: 'unknown' | 'mismatch' | 'revoked'; detail: string };

/** Decide whether `key` (the server's public key blob) is the one known_hosts holds for host:port. */
export function checkHostKey(files: string[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostName(host, port);
  const b64 = key.toString('base64');
  const keyType = key.readUInt32BE(0) <= key.length - 4 ? key.subarray(4, 4 + key.readUInt32BE(0)).toString() : '?';
  const mismatches: { file: string; line: number }[] = [];
  for (const f of files) {
    if (!existsSync(f)) continue;
    for (const e of parseKnownHosts(readFileSync(f, 'utf8'))) {
      if (!matches(e, name)) continue;
      if (e.marker === '@revoked' && e.key === b64) return { ok: false, reason: 'revoked', detail: `${f}:${e.line} marks this ${keyType} key as revoked` };
      if (e.marker) continue;
      if (e.key === b64) return { ok: true };
      if (e.keyType === keyType) mismatches.push({ file: f, line: e.line });
    }
  }
  if (mismatches.length > 0) {
    const files = [...new Set(mismatches.map((m) => m.file))];
    const remove = files.map((f) => `\`ssh-keygen -R ${shellWord(name)} -f ${shellWord(f)}\``).join(' and ');
    return { ok: false, reason: 'mismatch', detail: `the ${keyType} host key of ${name} does not match ${mismatches.map((m) => `${m.file}:${m.line}`).join(', ')} (the host was reinstalled, or someone is in the middle); check it, then remove the old line with ${remove}` };
  }
  return { ok: false, reason: 'unknown', detail: `${name} (${keyType} key) is not in ${files.join(' or ')}; add it after checking its fingerprint, e.g. \`ssh-keyscan -p ${port} ${shellWord(host)} >> ${shellWord(files[0] ?? '~/.ssh/known_hosts')}\`, or set known_hosts in the inventory` };
}

/** A word a user can paste into a shell: quoted only when it needs it ("[h]:p" globs unquoted). */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_\/.,:=@%+~-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
