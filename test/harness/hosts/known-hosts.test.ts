// known_hosts lookup as OpenSSH does it: plain, hashed, negated and [host]:port entries; the hints say
// exactly what to run for the file concerned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHostKey } from '../../../harness/hosts/known-hosts.js';

/** an SSH public key blob: string type, then key bytes */
function blob(type: string, seed: number): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.alloc(32, seed)]);
}

test('a [host]:port line matches the node on that port (issue 14 item 5), hashed too; port 22 is the bare name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-kh-'));
  try {
    const key = blob('ssh-ed25519', 1);
    const f = join(dir, 'known_hosts');
    writeFileSync(f, `[198.18.0.2]:2222 ssh-ed25519 ${key.toString('base64')}\n`);
    assert.deepEqual(checkHostKey([f], '198.18.0.2', 2222, key), { ok: true });
    // the same line does not vouch for port 22, nor for a host the brackets' characters would match as a class
    assert.equal((checkHostKey([f], '198.18.0.2', 22, key) as { reason: string }).reason, 'unknown');
    assert.equal((checkHostKey([f], '1', 2222, key) as { reason: string }).reason, 'unknown');
    // hashed form of "[h]:2222" (ssh-keyscan -H / HashKnownHosts)
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('[node1.lab]:2222').digest();
    writeFileSync(f, `|1|${salt.toString('base64')}|${hash.toString('base64')} ssh-ed25519 ${key.toString('base64')}\n`);
    assert.deepEqual(checkHostKey([f], 'node1.lab', 2222, key), { ok: true });
    // a wildcard pattern with a port
    writeFileSync(f, `[node?.lab]:2222,!node9.lab ssh-ed25519 ${key.toString('base64')}\n`);
    assert.deepEqual(checkHostKey([f], 'node1.lab', 2222, key), { ok: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a changed key names the line and the exact ssh-keygen -R … -f FILE; an unknown one the exact ssh-keyscan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-kh-'));
  try {
    const f = join(dir, 'lab known_hosts');
    writeFileSync(f, `# lab\n[198.18.0.2]:2222 ssh-ed25519 ${blob('ssh-ed25519', 1).toString('base64')}\n`);
    const v = checkHostKey([f], '198.18.0.2', 2222, blob('ssh-ed25519', 2));
    assert.equal(v.ok, false);
    const d = (v as { detail: string; reason: string }).detail;
    assert.equal((v as { reason: string }).reason, 'mismatch');
    assert.ok(d.includes(`${f}:2`), d);
    assert.ok(d.includes(`\`ssh-keygen -R '[198.18.0.2]:2222' -f '${f}'\``), d);
    const u = checkHostKey([join(dir, 'other')], '198.18.0.3', 2222, blob('ssh-ed25519', 2)) as { detail: string };
    assert.ok(u.detail.includes(`\`ssh-keyscan -p 2222 198.18.0.3 >> ${join(dir, 'other')}\``), u.detail);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
