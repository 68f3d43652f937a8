// CQL names of a partition's keyspace. CQL names allow only [A-Za-z0-9_] and 48 characters, and
// unquoted names fold to lower case, so `nf1@ins1@1` needs an injective mapping:
//   keyspace = "fb_" + esc(nf) + "_z" + esc(instance) + "_z" + esc(String(core))
//   esc: a-z and 0-9 stay; every other character becomes "_" + two lower-case hex digits per UTF-8
//        byte (so "_" -> "_5f", "A" -> "_41", "@" -> "_40").
// After "_" comes either a hex digit (an escape) or "z" (a separator), so a name decodes in one way
// only: the mapping is injective. A name over 48 characters keeps its first 27 escaped characters
// and ends in "_h" + 16 hex digits of SHA-256 of the partition; no short name has "_h" at that
// position, so long names never meet short ones, and two long ones meet only if 64 bits of
// SHA-256 collide.
import { createHash } from 'node:crypto';
import type { Partition } from '../driver.js';

/** Every keyspace the driver creates starts with this, so a store reset drops only ours. */
export const KEYSPACE_PREFIX = 'fb_';
export const MAX_CQL_NAME = 48;
const HEAD = MAX_CQL_NAME - KEYSPACE_PREFIX.length - 2 - 16;

export function escapeName(s: string): string {
  let out = '';
  for (const ch of s) {
    if (/^[a-z0-9]$/.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `_${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

export function keyspaceName(p: Partition): string {
  const full = KEYSPACE_PREFIX + [p.nf, p.instance, String(p.core)].map(escapeName).join('_z');
  if (full.length <= MAX_CQL_NAME) return full;
  const hash = createHash('sha256').update(JSON.stringify([p.nf, p.instance, String(p.core)])).digest('hex').slice(0, 16);
  return `${full.slice(0, KEYSPACE_PREFIX.length + HEAD)}_h${hash}`;
}

/**
 * The keyspace an NF's partitions share (Section VI-B: its locks and the list of its partitions):
 * `fb_` + esc(nf) + `_y`, or over 48 characters the head and `_g` + 16 hex digits of SHA-256 of nf.
 * "y" and "g" never follow "_" in a partition's name (only a hex digit, "z" or "h" do): no clash.
 */
export function sharedKeyspaceName(nf: string): string {
  const full = `${KEYSPACE_PREFIX}${escapeName(nf)}_y`;
  if (full.length <= MAX_CQL_NAME) return full;
  const hash = createHash('sha256').update(JSON.stringify(['shared', nf])).digest('hex').slice(0, 16);
  return `${full.slice(0, KEYSPACE_PREFIX.length + HEAD)}_g${hash}`;
}

/** The partition a short keyspace name stands for; null for hashed (long) or foreign names. */
export function decodeKeyspaceName(name: string): { nf: string; instance: string; core: string } | null {
  if (!name.startsWith(KEYSPACE_PREFIX)) return null;
  const parts: number[][] = [[]];
  const s = name.slice(KEYSPACE_PREFIX.length);
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (/[a-z0-9]/.test(c)) parts[parts.length - 1]!.push(c.charCodeAt(0));
    else if (c === '_' && s[i + 1] === 'z') {
      parts.push([]);
      i++;
    } else if (c === '_' && /^[0-9a-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      parts[parts.length - 1]!.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else return null;
  }
  if (parts.length !== 3) return null;
  const [nf, instance, core] = parts.map((b) => Buffer.from(b).toString('utf8'));
  return { nf: nf!, instance: instance!, core: core! };
}
