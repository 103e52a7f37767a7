import { ConfigReader } from '@backstage/config';
import { SecretCipher } from './SecretCipher';

const OLD_KEY = 'old-key-0123456789abcdef0123456789abcdef';
const NEW_KEY = 'new-key-0123456789abcdef0123456789abcdef';

function cipherWith(encryption: object) {
  return SecretCipher.fromConfig(
    new ConfigReader({ emailProvider: { encryption } }),
  );
}

describe('SecretCipher', () => {
  it('round-trips a secret, with a fresh IV each time', () => {
    const cipher = cipherWith({ key: NEW_KEY });
    const a = cipher.encrypt('p@ss wörd', 'email-provider/smtp');
    const b = cipher.encrypt('p@ss wörd', 'email-provider/smtp');
    expect(a).not.toEqual(b);
    expect(a).not.toContain('p@ss');
    expect(cipher.decrypt(a, 'email-provider/smtp')).toBe('p@ss wörd');
  });

  it('reads secrets saved under a previous key after rotation', () => {
    const saved = cipherWith({ key: OLD_KEY }).encrypt('s3cret', 'ctx');
    const rotated = cipherWith({ key: NEW_KEY, previousKeys: [OLD_KEY] });
    expect(rotated.decrypt(saved, 'ctx')).toBe('s3cret');
  });

  it('says which key is missing when an old key was dropped', () => {
    const saved = cipherWith({ key: OLD_KEY }).encrypt('s3cret', 'ctx');
    expect(() => cipherWith({ key: NEW_KEY }).decrypt(saved, 'ctx')).toThrow(
      /no longer configured.*previousKeys/,
    );
  });

  it('refuses a ciphertext moved to another context or altered', () => {
    const cipher = cipherWith({ key: NEW_KEY });
    const saved = cipher.encrypt('s3cret', 'email-provider/smtp');
    expect(() => cipher.decrypt(saved, 'email-provider/microsoft365')).toThrow(
      /integrity check/,
    );
    const parts = saved.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() =>
      cipher.decrypt(parts.join('.'), 'email-provider/smtp'),
    ).toThrow(/integrity check/);
  });

  it('refuses to start without a key, naming the key to set', () => {
    expect(() => SecretCipher.fromConfig(new ConfigReader({}))).toThrow(
      /emailProvider\.encryption\.key/,
    );
  });

  it('refuses a short key', () => {
    expect(() => cipherWith({ key: 'short' })).toThrow(/at least 32/);
    expect(() => cipherWith({ key: NEW_KEY, previousKeys: ['short'] })).toThrow(
      /previousKeys\[0\].*at least 32/,
    );
  });
});

describe('SecretCipher in production', () => {
  const nodeEnv = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = nodeEnv;
  });

  it('refuses the development key that a production config falls back to', () => {
    process.env.NODE_ENV = 'production';
    expect(() =>
      cipherWith({ key: 'development-only-key-do-not-use-in-production' }),
    ).toThrow(/development key.*EMAIL_PROVIDER_ENCRYPTION_KEY/);
    expect(() => cipherWith({ key: NEW_KEY })).not.toThrow();
  });
});
