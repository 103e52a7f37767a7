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
