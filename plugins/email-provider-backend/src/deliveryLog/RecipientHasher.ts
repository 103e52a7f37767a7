import { createHmac } from 'node:crypto';
import { SecretCipher } from '../settings/SecretCipher';

// 128 bits: no two addresses of a portal share a hash, and the index stays small.
const HASH_BYTES = 16;

/**
 * Turns recipient addresses into keyed hashes (HMAC-SHA-256 with a key derived from the
 * encryption key), so the delivery log can find every message to one address without keeping
 * any address: without the key, a hash cannot be tested against a list of addresses either.
 *
 * Addresses are compared as they are delivered in practice: letter case aside.
 */
export class RecipientHasher {
  static fromCipher(cipher: SecretCipher): RecipientHasher {
    return new RecipientHasher(cipher.deriveKeys('recipient index'));
  }

  /** `keys[0]` hashes new messages; the others were current before a key rotation. */
  constructor(private readonly keys: Buffer[]) {}

  /** The hashes stored for a message: one per distinct address, with the current key. */
  hashAll(addresses: Iterable<string>): string[] {
    const hashes = new Set<string>();
    for (const address of addresses) {
      hashes.add(this.hash(this.keys[0], address));
    }
    return [...hashes];
  }

  /** What a message to `address` may be stored under: its hash with each key still configured. */
  candidates(address: string): string[] {
    return this.keys.map(key => this.hash(key, address));
  }

  private hash(key: Buffer, address: string): string {
    return createHmac('sha256', key)
      .update(address.trim().normalize('NFC').toLowerCase())
      .digest()
      .subarray(0, HASH_BYTES)
      .toString('base64url');
  }
}
