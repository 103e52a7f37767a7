import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { SecretCipher } from '../settings/SecretCipher';
import { RecipientHasher } from './RecipientHasher';

const OLD_KEY = 'old-key-0123456789abcdef0123456789abcdef';
const NEW_KEY = 'new-key-0123456789abcdef0123456789abcdef';

function hasherFor(encryption: { key: string; previousKeys?: string[] }) {
  return RecipientHasher.fromCipher(
    SecretCipher.fromConfig(
      new ConfigReader({ emailProvider: { encryption } }),
      { logger: mockServices.logger.mock() },
    ),
  );
}

describe('RecipientHasher', () => {
  const hasher = hasherFor({ key: NEW_KEY });

  it('hashes an address the same whatever its letter case or surrounding spaces', () => {
    const [hash] = hasher.hashAll(['bob@example.com']);
    expect(hasher.hashAll(['Bob@Example.COM'])).toEqual([hash]);
    expect(hasher.candidates(' BOB@example.com ')).toEqual([hash]);
    // 128 bits, base64url: no address, nor any part of one, in it.
    expect(hash).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('keeps one hash per distinct address of a message', () => {
    const hashes = hasher.hashAll([
      'bob@example.com',
      'ada@example.com',
      'BOB@example.com',
    ]);
    expect(hashes).toHaveLength(2);
    expect(hashes).toEqual(
      hasher.hashAll(['bob@example.com', 'ada@example.com']),
    );
  });

  it('tells near-misses apart', () => {
    const [bob] = hasher.hashAll(['bob@example.com']);
    for (const other of [
      'bo@example.com',
      'bobb@example.com',
      'bob@mail.example.com',
      'bob@example.co',
      'bob@example.com.',
    ]) {
      expect(hasher.candidates(other)).not.toContain(bob);
    }
  });

  it('depends on the encryption key, and still matches hashes of the previous keys', () => {
    const before = hasherFor({ key: OLD_KEY });
    const after = hasherFor({ key: NEW_KEY, previousKeys: [OLD_KEY] });
    const [old] = before.hashAll(['bob@example.com']);
    const [current] = after.hashAll(['bob@example.com']);
    expect(current).not.toBe(old);
    expect(after.candidates('bob@example.com')).toEqual([current, old]);
    expect(hasher.candidates('bob@example.com')).toEqual([current]);
  });
});
