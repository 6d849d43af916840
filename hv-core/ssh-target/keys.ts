/**
 * SSH key generation for the board simulator and tests. ssh2's generateKeyPairSync('ed25519')
 * drops a leading zero byte of the public key about once in 250 keys, giving keys ssh2 itself
 * cannot parse ("Malformed OpenSSH public key"); this wrapper keeps only keys that parse.
 */
import { utils } from 'ssh2';

export interface KeyPair {
  /** OpenSSH private key (PEM-like text). */
  private: string;
  /** `ssh-ed25519 AAAA...` */
  public: string;
}

export function generateEd25519(comment?: string): KeyPair {
  for (let i = 0; i < 50; i++) {
    const k = comment ? utils.generateKeyPairSync('ed25519', { comment }) : utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(k.public) instanceof Error) && !(utils.parseKey(k.private) instanceof Error)) return k;
  }
  throw new Error('could not generate a valid ed25519 key');
}
