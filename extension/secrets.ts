/**
 * Sudo passwords in SecretStorage, keyed by the target's identity: `user@host:port` plus the
 * fingerprint of its recorded host key when known — never by its display name, so repointing a
 * target (same name, another host or user) never sends a stored password to the other machine.
 * No `vscode` import: the store and the prompt are small interfaces (unit-tested without a window).
 */
import type { ResolvedTarget } from '../hv-core/engine.js';
import { entryMatches, fingerprint, hostKeyName, readKnownHosts } from '../hv-core/engine.js';

export const SECRET_PREFIX = 'acrnNest.sudoPassword.';

/** The part of vscode.SecretStorage used here. */
export interface SecretStore {
  get(key: string): Thenable<string | undefined> | Promise<string | undefined>;
  store(key: string, value: string): Thenable<void> | Promise<void>;
  delete(key: string): Thenable<void> | Promise<void>;
}

/** Asks the user for a password (undefined: dismissed). */
export type PasswordPrompt = (target: ResolvedTarget, why: string) => Thenable<string | undefined> | Promise<string | undefined>;

type Identity = Pick<ResolvedTarget, 'user' | 'host' | 'port' | 'alias' | 'knownHostsFiles'>;

/** The fingerprint of the host key recorded for the target in its known_hosts files, if any. */
export function knownHostFingerprint(t: Identity): string | undefined {
  try {
    const names = [...new Set([hostKeyName(t.host, t.port), hostKeyName(t.alias, t.port)])];
    const entries = readKnownHosts(t.knownHostsFiles).filter((e) => !e.marker && names.some((n) => entryMatches(e, n)));
    const fps = [...new Set(entries.map((e) => fingerprint(e.key)))].sort();
    return fps.length ? fps[0] : undefined;
  } catch {
    return undefined;
  }
}

/** The SecretStorage key of a target's sudo password. */
export function sudoSecretKey(t: Identity, hostKeyFingerprint = knownHostFingerprint(t)): string {
  return `${SECRET_PREFIX}${t.user}@${t.host}:${t.port}${hostKeyFingerprint ? `#${hostKeyFingerprint}` : ''}`;
}

export class SudoPasswords {
  constructor(
    private readonly secrets: SecretStore,
    private readonly prompt: PasswordPrompt,
  ) {}

  async get(target: ResolvedTarget): Promise<string | undefined> {
    return await this.secrets.get(sudoSecretKey(target));
  }

  /** Asks once and stores the answer under the target's identity. */
  async ask(target: ResolvedTarget, why: string): Promise<string | undefined> {
    const pw = await this.prompt(target, why);
    if (pw === undefined) return undefined;
    await this.secrets.store(sudoSecretKey(target), pw);
    return pw;
  }

  async forget(target: ResolvedTarget): Promise<void> {
    await this.secrets.delete(sudoSecretKey(target));
    // Also the key without a fingerprint (stored before the host key was recorded), and the one
    // earlier versions used (the target's name alone), so no copy of the password is left.
    await this.secrets.delete(sudoSecretKey(target, ''));
    await this.secrets.delete(SECRET_PREFIX + target.name);
  }
}
