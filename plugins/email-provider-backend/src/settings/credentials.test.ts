import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { Knex } from 'knex';
import { generate } from 'selfsigned';
import { parseClientCertificate } from './ClientCertificate';
import { DatabaseSettingsStore } from './DatabaseSettingsStore';
import { SecretCipher } from './SecretCipher';
import { SettingsService } from './SettingsService';

// The settings of issue 13's setups: SMTP relays without sign-in, Microsoft 365 with a
// certificate, national clouds, and credentials that expire.

jest.setTimeout(60_000);

const DAY = 24 * 60 * 60 * 1000;
const by = { updatedBy: 'user:default/ada' };

const smtp = {
  host: 'relay.example.com',
  port: 25,
  security: 'starttls' as const,
  from: 'portal@example.com',
  usernameSameAsFrom: true,
};

const microsoft365 = {
  from: 'portal@contoso.onmicrosoft.com',
  tenantId: '8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
  clientId: '11111111-2222-3333-4444-555555555555',
};

type AppCertificate = { pem: string; cert: string; key: string };

async function appCertificate(
  options: { notBefore?: Date; notAfter?: Date; cn?: string } = {},
): Promise<AppCertificate> {
  const made = await generate(
    [{ name: 'commonName', value: options.cn ?? 'portal-mail' }],
    {
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate: options.notBefore ?? new Date(Date.now() - DAY),
      notAfterDate: options.notAfter ?? new Date(Date.now() + 365 * DAY),
    },
  );
  return {
    pem: `${made.cert}\n${made.private}`,
    cert: made.cert,
    key: made.private,
  };
}

let certificate: AppCertificate;
let other: AppCertificate;

beforeAll(async () => {
  [certificate, other] = await Promise.all([
    appCertificate(),
    appCertificate({ cn: 'someone-else' }),
  ]);
});

describe('parseClientCertificate', () => {
  it('describes the certificate as Entra lists it, and keeps the key for signing', () => {
    const parsed = parseClientCertificate(certificate.pem, { now: new Date() });
    expect(parsed.thumbprint).toMatch(/^[0-9A-F]{40}$/);
    expect(parsed.thumbprintSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(parsed.subject).toBe('CN=portal-mail');
    expect(new Date(parsed.notAfter).getTime()).toBeGreaterThan(Date.now());
    expect(parsed.chain).toEqual([certificate.cert.trim()]);
    expect(parsed.privateKey.type).toBe('private');
  });

  it.each([
    [
      'a key of another certificate',
      () => `${certificate.cert}\n${other.key}`,
      'microsoft365.clientCertificatePem: the private key does not belong to the certificate',
    ],
    [
      'no private key',
      () => certificate.cert,
      'microsoft365.clientCertificatePem: paste the certificate and its private key',
    ],
    [
      'a damaged certificate',
      () =>
        `-----BEGIN CERTIFICATE-----\nMIIBroken\n-----END CERTIFICATE-----\n${certificate.key}`,
      'microsoft365.clientCertificatePem: the certificate is not a valid X.509 certificate',
    ],
  ])('refuses %s, without echoing key material', (_case, pem, message) => {
    let error: unknown;
    try {
      parseClientCertificate(pem(), { now: new Date() });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain(
      certificate.key.split('\n')[1],
    );
  });

  it('refuses a key that Entra cannot take: EC, or RSA under 2048 bits', async () => {
    for (const options of [
      { keyType: 'ec' as const, curve: 'P-256' as const },
      { keySize: 1024 },
    ]) {
      const made = await generate([{ name: 'commonName', value: 'weak' }], {
        ...options,
        algorithm: 'sha256',
      });
      expect(() =>
        parseClientCertificate(`${made.cert}\n${made.private}`, {
          now: new Date(),
        }),
      ).toThrow(/needs an RSA key of 2048 bits or more/);
    }
  });

  it('refuses a certificate that has expired or is not valid yet', async () => {
    const expired = await appCertificate({
      notBefore: new Date(Date.now() - 30 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    expect(() =>
      parseClientCertificate(expired.pem, { now: new Date() }),
    ).toThrow(/the certificate expired on \d{4}-\d\d-\d\dT/);
    const future = await appCertificate({
      notBefore: new Date(Date.now() + DAY),
      notAfter: new Date(Date.now() + 30 * DAY),
    });
    expect(() =>
      parseClientCertificate(future.pem, { now: new Date() }),
    ).toThrow(/the certificate is not valid before/);
  });
});

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())(
  'SettingsService with the fields of real setups (%s)',
  databaseId => {
    let knex: Knex;
    let service: SettingsService;

    const row = () => knex('email_provider_settings').where('id', 1).first();

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      service = new SettingsService(
        await DatabaseSettingsStore.create({
          database: { getClient: async () => knex },
        }),
        SecretCipher.fromConfig(
          new ConfigReader({
            emailProvider: {
              encryption: { key: 'credentials-test-key-0123456789abcdef' },
            },
          }),
          { logger: mockServices.logger.mock() },
        ),
      );
    });

    describe('SMTP without authentication', () => {
      it('saves no secret and reads back without username or password', async () => {
        const { settings, change } = await service.save(
          {
            provider: 'smtp',
            smtp: { ...smtp, authentication: 'none' },
          },
          by,
        );
        expect(settings).toEqual({
          provider: 'smtp',
          version: 1,
          updatedAt: expect.any(String),
          updatedBy: by.updatedBy,
          smtp: {
            host: smtp.host,
            port: smtp.port,
            security: 'starttls',
            from: smtp.from,
            authentication: 'none',
            passwordSet: false,
          },
        });
        expect(change.changedFields).not.toContain('smtp.password');
        expect((await row()).secret).toBeNull();
        const active = await service.getActiveProvider();
        expect(active).toMatchObject({ provider: 'smtp' });
        expect(active).not.toHaveProperty('password');
        expect((await service.read()).settings).toEqual(settings);
      });

      it('deletes the saved password when switching to none, and needs one to switch back', async () => {
        await service.save(
          { provider: 'smtp', smtp: { ...smtp, password: 'relay-Pa55' } },
          by,
        );
        const { change } = await service.save(
          { provider: 'smtp', smtp: { ...smtp, authentication: 'none' } },
          by,
        );
        expect(change.changedFields).toEqual(
          expect.arrayContaining(['smtp.authentication', 'smtp.password']),
        );
        expect((await row()).secret).toBeNull();
        expect(JSON.stringify(await row())).not.toContain('relay-Pa55');

        const before = await service.read();
        await expect(
          service.save(
            { provider: 'smtp', smtp: { ...smtp, authentication: 'password' } },
            by,
          ),
        ).rejects.toThrow(
          new InputError(
            'smtp.password: Password is required: the saved settings send no authentication, so no password is saved',
          ),
        );
        expect(await service.read()).toEqual(before);

        const { settings } = await service.save(
          {
            provider: 'smtp',
            smtp: { ...smtp, authentication: 'password', password: 'new-Pa55' },
          },
          by,
        );
        // The default is saved, and read back, as absent.
        expect(settings).toMatchObject({
          smtp: { passwordSet: true, username: smtp.from },
        });
        expect(
          settings.provider === 'smtp' && settings.smtp,
        ).not.toHaveProperty('authentication');
        expect(await service.getActiveProvider()).toMatchObject({
          password: 'new-Pa55',
        });
      });
    });

    describe('Microsoft 365 clouds and credentials', () => {
      it('keeps the secret for the same cloud, and asks again for another cloud', async () => {
        await service.save(
          {
            provider: 'microsoft365',
            microsoft365: {
              ...microsoft365,
              cloud: 'usgov-high',
              clientSecret: 'gov-secret',
            },
          },
          by,
        );
        const kept = await service.save(
          {
            provider: 'microsoft365',
            microsoft365: { ...microsoft365, cloud: 'usgov-high' },
          },
          by,
        );
        expect(kept.change.changedFields).toEqual([]);
        expect(kept.settings).toMatchObject({
          microsoft365: { cloud: 'usgov-high', clientSecretSet: true },
        });
        expect(await service.getActiveProvider()).toMatchObject({
          clientSecret: 'gov-secret',
        });

        const before = await service.read();
        for (const cloud of ['global', 'usgov-dod', 'china'] as const) {
          await expect(
            service.save(
              {
                provider: 'microsoft365',
                microsoft365: { ...microsoft365, cloud },
              },
              by,
            ),
          ).rejects.toThrow(
            /microsoft365\.clientSecret: Client secret is required: the tenant ID, client ID or cloud changed/,
          );
        }
        expect(await service.read()).toEqual(before);
      });

      it('binds a secret to its cloud: moved to another cloud in the database, it is not used', async () => {
        await service.save(
          {
            provider: 'microsoft365',
            microsoft365: { ...microsoft365, clientSecret: 'global-secret' },
          },
          by,
        );
        const saved = await row();
        await knex('email_provider_settings').update({
          settings: JSON.stringify({
            ...JSON.parse(saved.settings),
            cloud: 'china',
          }),
        });
        await expect(service.getActiveProvider()).rejects.toThrow(
          /integrity check/,
        );
      });

      it('reads back the secret expiry as entered and as credentialExpiresAt', async () => {
        const { settings } = await service.save(
          {
            provider: 'microsoft365',
            microsoft365: {
              ...microsoft365,
              clientSecret: 'expiring-secret',
              clientSecretExpiresAt: '2027-06-30',
            },
          },
          by,
        );
        expect(settings).toMatchObject({
          microsoft365: {
            clientSecretSet: true,
            clientSecretExpiresAt: '2027-06-30',
            credentialExpiresAt: '2027-06-30T00:00:00.000Z',
          },
        });
      });

      it('saves a certificate encrypted, shows only its description, and keeps it for the same app', async () => {
        const { settings, change } = await service.save(
          {
            provider: 'microsoft365',
            microsoft365: {
              ...microsoft365,
              credential: 'certificate',
              clientCertificatePem: certificate.pem,
            },
          },
          by,
        );
        const info = parseClientCertificate(certificate.pem);
        expect(settings).toEqual({
          provider: 'microsoft365',
          version: 1,
          updatedAt: expect.any(String),
          updatedBy: by.updatedBy,
          microsoft365: {
            ...microsoft365,
            clientSecretSet: false,
            credential: 'certificate',
            clientCertificateSet: true,
            certificate: {
              thumbprint: info.thumbprint,
              subject: 'CN=portal-mail',
              notAfter: info.notAfter,
            },
            credentialExpiresAt: info.notAfter,
          },
        });
        expect(change.changedFields).toContain(
          'microsoft365.clientCertificatePem',
        );
        const stored = await row();
        expect(stored.secret).not.toContain('PRIVATE KEY');
        expect(stored.settings).not.toContain('PRIVATE KEY');
        expect(stored.secret).not.toContain(certificate.key.split('\n')[1]);
        expect(await service.getActiveProvider()).toEqual({
          provider: 'microsoft365',
          microsoft365: expect.objectContaining({ credential: 'certificate' }),
          clientCertificatePem: certificate.pem,
        });

        const kept = await service.save(
          {
            provider: 'microsoft365',
            microsoft365: {
              ...microsoft365,
              credential: 'certificate',
              largeMessages: true,
            },
          },
          by,
        );
        expect(kept.change.changedFields).toEqual([
          'microsoft365.largeMessages',
        ]);
        expect(kept.settings).toMatchObject({
          microsoft365: { certificate: { thumbprint: info.thumbprint } },
        });
      });

      it('asks for the credential again when switching between secret and certificate', async () => {
        await service.save(
          {
            provider: 'microsoft365',
            microsoft365: { ...microsoft365, clientSecret: 'the-secret' },
          },
          by,
        );
        await expect(
          service.save(
            {
              provider: 'microsoft365',
              microsoft365: { ...microsoft365, credential: 'certificate' },
            },
            by,
          ),
        ).rejects.toThrow(
          /microsoft365\.clientCertificatePem: Certificate and private key are required/,
        );
        await service.save(
          {
            provider: 'microsoft365',
            microsoft365: {
              ...microsoft365,
              credential: 'certificate',
              clientCertificatePem: certificate.pem,
            },
          },
          by,
        );
        await expect(
          service.save(
            {
              provider: 'microsoft365',
              microsoft365: { ...microsoft365, credential: 'secret' },
            },
            by,
          ),
        ).rejects.toThrow(/microsoft365\.clientSecret: Client secret is/);
      });

      it('refuses a certificate whose key does not match, changing nothing', async () => {
        await service.save(
          {
            provider: 'microsoft365',
            microsoft365: { ...microsoft365, clientSecret: 'the-secret' },
          },
          by,
        );
        const before = await service.read();
        await expect(
          service.save(
            {
              provider: 'microsoft365',
              microsoft365: {
                ...microsoft365,
                credential: 'certificate',
                clientCertificatePem: `${certificate.cert}\n${other.key}`,
              },
            },
            by,
          ),
        ).rejects.toThrow(/does not belong to the certificate/);
        expect(await service.read()).toEqual(before);
      });
    });
  },
);
