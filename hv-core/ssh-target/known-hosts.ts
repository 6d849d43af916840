/**
 * OpenSSH known_hosts: parsing (plain, `[host]:port`, hashed `|1|salt|hmac` entries, patterns
 * with `*` `?` `!`, `@revoked`; `@cert-authority` lines are skipped), host key checking and
 * recording. Fingerprints are OpenSSH's `SHA256:<base64 without padding>`.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface KnownHostEntry {
  /** Host patterns (plain entries) or the hashed form `|1|salt|hash`. */
  hosts: string[];
  hashed: boolean;
  keyType: string;
  /** Raw public key blob. */
  key: Buffer;
  marker?: 'revoked' | 'cert-authority';
  file: string;
  line: number;
}

/** OpenSSH's fingerprint of a public key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** The key type named inside a public key blob (e.g. ssh-ed25519). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const n = key.readUInt32BE(0);
  return key.subarray(4, 4 + n).toString('latin1');
}

export function parseKnownHosts(text: string, file = 'known_hosts'): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const l = raw.trim();
    if (!l || l.startsWith('#')) return;
    const parts = l.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (parts[0]?.startsWith('@')) {
      const m = parts.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return;
    }
    const [hosts, keyType, b64] = parts;
    if (!hosts || !keyType || !b64) return;
    const key = Buffer.from(b64, 'base64');
    if (key.length === 0) return;
    const e: KnownHostEntry = { hosts: hosts.split(','), hashed: hosts.startsWith('|1|'), keyType, key, file, line: i + 1 };
    if (marker) e.marker = marker;
    out.push(e);
  });
  return out;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostKeyName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i');
  return re.test(s);
}

/** Whether an entry applies to `name` (already in `[host]:port` form when the port is not 22). */
export function entryMatches(e: KnownHostEntry, name: string): boolean {
  if (e.hashed) {
    return e.hosts.some((h) => {
      const [, magic, salt, hash] = h.split('|');
      if (magic !== '1' || !salt || !hash) return false;
      const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
      return mac === hash;
    });
  }
  let matched = false;
  for (const p of e.hosts) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) matched = true;
  }
  return matched;
}

export type HostKeyStatus =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'unknown'; otherTypes: string[] }
  | { status: 'changed'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry };

/**
 * Checks a presented key against entries for any of `names` (e.g. the alias and the resolved
 * host, each in `hostKeyName` form). Revoked beats known; a different key of the SAME type is
 * "changed" (OpenSSH's "REMOTE HOST IDENTIFICATION HAS CHANGED"); keys only of other types leave it
 * "unknown".
 */
export function checkHostKey(entries: KnownHostEntry[], names: string[], key: Buffer): HostKeyStatus {
  const type = keyTypeOf(key);
  const relevant = entries.filter((e) => e.marker !== 'cert-authority' && names.some((n) => entryMatches(e, n)));
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const known = relevant.find((e) => !e.marker && e.key.equals(key));
  if (known) return { status: 'known', entry: known };
  const changed = relevant.find((e) => !e.marker && keyTypeOf(e.key) === type);
  if (changed) return { status: 'changed', entry: changed };
  return { status: 'unknown', otherTypes: [...new Set(relevant.filter((e) => !e.marker).map((e) => e.keyType))] };
}

/** Reads every existing file of the list (missing files are simply empty). */
export function readKnownHosts(files: string[]): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const f of files) if (existsSync(f)) out.push(...parseKnownHosts(readFileSync(f, 'utf8'), f));
  return out;
}

/** Key types known for a host, to prefer them in the key exchange (as OpenSSH does). */
export function knownKeyTypes(entries: KnownHostEntry[], names: string[]): string[] {
  return [...new Set(entries.filter((e) => !e.marker && names.some((n) => entryMatches(e, n))).map((e) => keyTypeOf(e.key)))];
}

/** Appends `name keytype base64` to a known_hosts file (creating it and its folder, mode 0600). */
export function recordHostKey(file: string, name: string, key: Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  if (existsSync(file)) {
    const cur = readFileSync(file, 'utf8');
    if (cur.length && !cur.endsWith('\n')) prefix = '\n';
  }
  appendFileSync(file, `${prefix}${name} ${keyTypeOf(key)} ${key.toString('base64')}\n`, { mode: 0o600 });
}
