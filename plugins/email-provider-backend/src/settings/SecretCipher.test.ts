import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { SecretCipher, SecretContext } from './SecretCipher';

const OLD_KEY = 'old-key-0123456789abcdef0123456789abcdef';
const NEW_KEY = 'new-key-0123456789abcdef0123456789abcdef';
const DEVELOPMENT_KEY = 'development-only-key-do-not-use-in-production';

const smtp: SecretContext = {
  provider: 'email-provider/smtp',
  destination: ['smtp.example.com', 587, 'starttls', 'reports@example.com'],
};
const microsoft365: SecretContext = {
  provider: 'email-provider/microsoft365',
  destination: [
    '8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
    '11111111-2222-3333-4444-555555555555',
  ],
};

// Written by the v1 format under NEW_KEY, bound to the provider only: 'legacy-password'.
const V1_SMTP =
  'v1.aca3d46a53c2.xxuYCMtjieatIh9L.gKVU74a8guklDcN84xN4uA.E7jRa3QvkGHI2aGYVazz';

function cipherWith(encryption: object, logger = mockServices.logger.mock()) {
  return SecretCipher.fromConfig(
    new ConfigReader({ emailProvider: { encryption } }),
    { logger },
  );
}

describe('SecretCipher', () => {
  it('round-trips a secret, with a fresh IV each time', () => {
    const cipher = cipherWith({ key: NEW_KEY });
    const a = cipher.encrypt('p@ss wörd', smtp);
    const b = cipher.encrypt('p@ss wörd', smtp);
    expect(a).not.toEqual(b);
    expect(a).not.toContain('p@ss');
    expect(a).toMatch(/^v2\./);
    expect(cipher.decrypt(a, smtp)).toBe('p@ss wörd');
  });

  it('reads secrets saved under a previous key after rotation', () => {
    const saved = cipherWith({ key: OLD_KEY }).encrypt('s3cret', smtp);
    const rotated = cipherWith({ key: NEW_KEY, previousKeys: [OLD_KEY] });
    expect(rotated.decrypt(saved, smtp)).toBe('s3cret');
  });

  it('says which key is missing when an old key was dropped', () => {
    const saved = cipherWith({ key: OLD_KEY }).encrypt('s3cret', smtp);
    expect(() => cipherWith({ key: NEW_KEY }).decrypt(saved, smtp)).toThrow(
      /no longer configured.*previousKeys/,
    );
  });

  it('refuses a ciphertext moved to another provider or altered', () => {
    const cipher = cipherWith({ key: NEW_KEY });
    const saved = cipher.encrypt('s3cret', smtp);
    expect(() =>
      cipher.decrypt(saved, { ...smtp, provider: microsoft365.provider }),
    ).toThrow(/integrity check/);
    const parts = saved.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => cipher.decrypt(parts.join('.'), smtp)).toThrow(
      /integrity check/,
    );
  });

  it.each([
    [
      'host',
      {
        ...smtp,
        destination: ['evil.example', 587, 'starttls', 'reports@example.com'],
      },
    ],
    [
      'port',
      {
        ...smtp,
        destination: [
          'smtp.example.com',
          25,
          'starttls',
          'reports@example.com',
        ],
      },
    ],
    [
      'security',
      {
        ...smtp,
        destination: ['smtp.example.com', 587, 'none', 'reports@example.com'],
      },
    ],
    [
      'username',
      {
        ...smtp,
        destination: ['smtp.example.com', 587, 'starttls', 'other@example.com'],
      },
    ],
    [
      'tenant',
      {
        ...microsoft365,
        destination: [
          '00000000-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
          microsoft365.destination[1],
        ],
      },
    ],
    [
      'client',
      {
        ...microsoft365,
        destination: [
          microsoft365.destination[0],
          '99999999-2222-3333-4444-555555555555',
        ],
      },
    ],
  ])(
    'refuses a ciphertext whose destination changed: %s',
    (_field, moved: SecretContext) => {
      const cipher = cipherWith({ key: NEW_KEY });
      const original = moved.provider === smtp.provider ? smtp : microsoft365;
      const saved = cipher.encrypt('s3cret', original);
      expect(cipher.decrypt(saved, original)).toBe('s3cret');
      expect(() => cipher.decrypt(saved, moved)).toThrow(
        'The saved secret failed its integrity check, so it is not used: it was altered, or the settings that say where it goes ' +
          '(provider, server, port, security, username, tenant or client) were changed outside the portal; ' +
          'enter the secret again and save the provider',
      );
    },
  );

  it('still reads v1 secrets, bound to the provider only', () => {
    const cipher = cipherWith({ key: NEW_KEY });
    expect(cipher.decrypt(V1_SMTP, smtp)).toBe('legacy-password');
    expect(() => cipher.decrypt(V1_SMTP, microsoft365)).toThrow(
      /integrity check/,
    );
  });

  it('refuses a v2 secret relabelled as v1 to escape its destination', () => {
    const cipher = cipherWith({ key: NEW_KEY });
    const relabelled = cipher.encrypt('s3cret', smtp).replace(/^v2\./, 'v1.');
    expect(() => cipher.decrypt(relabelled, smtp)).toThrow(/integrity check/);
  });

  it('refuses formats it does not know', () => {
    const cipher = cipherWith({ key: NEW_KEY });
    const saved = cipher.encrypt('s3cret', smtp);
    expect(() => cipher.decrypt(saved.replace(/^v2\./, 'v3.'), smtp)).toThrow(
      /not in a format this plugin reads/,
    );
  });

  it('refuses to start without a key, naming the key to set', () => {
    expect(() =>
      SecretCipher.fromConfig(new ConfigReader({}), {
        logger: mockServices.logger.mock(),
      }),
    ).toThrow(/emailProvider\.encryption\.key/);
  });

  it('refuses a short key', () => {
    expect(() => cipherWith({ key: 'short' })).toThrow(/at least 32/);
    expect(() => cipherWith({ key: NEW_KEY, previousKeys: ['short'] })).toThrow(
      /previousKeys\[0\].*at least 32/,
    );
  });
});

describe('SecretCipher and the development key', () => {
  const nodeEnv = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = nodeEnv;
  });

  function runningAs(mode: string | undefined) {
    if (mode === undefined) {
      delete process.env.NODE_ENV;
    } else {
      process.env.NODE_ENV = mode;
    }
  }

  it.each([
    [undefined, 'not set'],
    ['production', '"production"'],
    ['staging', '"staging"'],
    ['', 'not set'],
  ])(
    'refuses it when NODE_ENV is %j, as anywhere but development',
    (mode, shown) => {
      runningAs(mode);
      expect(() => cipherWith({ key: DEVELOPMENT_KEY })).toThrow(
        `emailProvider.encryption.key is the development key from app-config.yaml, which is accepted only when NODE_ENV is development (it is ${shown}); ` +
          'set a key of your own, for example through EMAIL_PROVIDER_ENCRYPTION_KEY with the output of `openssl rand -base64 32`.',
      );
      expect(() => cipherWith({ key: NEW_KEY })).not.toThrow();
    },
  );

  it.each(['development', 'test'])(
    'accepts it when NODE_ENV is %s, with a warning in the startup log',
    mode => {
      runningAs(mode);
      const logger = mockServices.logger.mock();
      const cipher = cipherWith({ key: DEVELOPMENT_KEY }, logger);
      const keyId = cipher.encrypt('s3cret', smtp).split('.')[1];
      expect(logger.warn).toHaveBeenCalledTimes(1);
      const [warning] = logger.warn.mock.calls[0];
      expect(warning).toBe(
        `DEVELOPMENT KEY IN USE: saved email provider secrets are encrypted with the development key from app-config.yaml ` +
          `(emailProvider.encryption.key starts with "development-only", key id ${keyId}), which anyone with the repository has. ` +
          `It is for development only and is refused unless NODE_ENV is development; never save real credentials with it.`,
      );
      expect(warning).not.toContain(DEVELOPMENT_KEY);
    },
  );

  it('says nothing about a key of your own', () => {
    runningAs('development');
    const logger = mockServices.logger.mock();
    cipherWith({ key: NEW_KEY }, logger);
    expect(logger.warn).not.toHaveBeenCalled();
  });
});
