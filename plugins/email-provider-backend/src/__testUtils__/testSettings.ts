import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { Knex } from 'knex';
import { migrateDatabase } from '../database/migrateDatabase';
import { DatabaseSettingsStore } from '../settings/DatabaseSettingsStore';
import { SecretCipher } from '../settings/SecretCipher';
import { SettingsService } from '../settings/SettingsService';

/** Migrates a test database and returns the settings service on it, with a test key. */
export async function migratedSettingsService(
  knex: Knex,
  key = 'test-settings-key-0123456789abcdef0123456789',
): Promise<SettingsService> {
  await migrateDatabase({ getClient: async () => knex });
  return new SettingsService(
    new DatabaseSettingsStore(knex),
    SecretCipher.fromConfig(
      new ConfigReader({ emailProvider: { encryption: { key } } }),
      { logger: mockServices.logger.mock() },
    ),
  );
}

/** SMTP settings for a test server on loopback: StartTLS, signing in as the sender. */
export function localSmtpSettings(
  server: { port: number; from: string; password: string },
  more: object = {},
) {
  return {
    provider: 'smtp' as const,
    smtp: {
      host: 'localhost',
      port: server.port,
      security: 'starttls' as const,
      from: server.from,
      usernameSameAsFrom: true,
      password: server.password,
      ...more,
    },
  };
}

/** A portal's SMTP settings as an admin saves them, without the password. */
export const exampleSmtp = {
  host: 'smtp.example.com',
  port: 587,
  security: 'starttls' as const,
  from: 'reports@example.com',
  usernameSameAsFrom: true,
};

/** Makes `exampleSmtp`, with a password, the active provider, as the admin `ada` saves it. */
export function saveExampleSmtp(
  settings: SettingsService,
  more: Partial<typeof exampleSmtp> = {},
) {
  return settings.save(
    {
      provider: 'smtp',
      smtp: { ...exampleSmtp, password: 'secret', ...more },
    },
    { updatedBy: 'user:default/ada' },
  );
}

/** A portal's Microsoft 365 settings as an admin saves them, without the client secret. */
export const exampleMicrosoft365 = {
  from: 'reports@contoso.onmicrosoft.com',
  tenantId: '8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
  clientId: '11111111-2222-3333-4444-555555555555',
};
