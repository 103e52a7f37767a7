import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { Knex } from 'knex';
import { RecipientHasher } from '../deliveryLog/RecipientHasher';
import { SecretCipher } from '../settings/SecretCipher';
import { SuppressionStore } from '../suppressions/SuppressionStore';
import { UnsubscribeTokens } from '../suppressions/UnsubscribeTokens';

/** The plugin's external base URL in tests that build the outbox without a backend. */
export const TEST_PLUGIN_BASE_URL =
  'https://portal.example.com/api/email-provider';

/**
 * The suppression list and unsubscribe links of the outbox, on a migrated test database, as the
 * plugin builds them from its encryption key.
 */
export function unsubscribeFor(knex: Knex, cipher: SecretCipher) {
  return {
    suppressions: new SuppressionStore(
      knex,
      cipher,
      RecipientHasher.fromCipher(cipher),
    ),
    unsubscribeTokens: new UnsubscribeTokens({
      keys: cipher.deriveKeys('unsubscribe token'),
      lifetimeMs: 60 * 24 * 3600_000,
      baseUrl: async () => TEST_PLUGIN_BASE_URL,
    }),
  };
}

/** `unsubscribeFor` with a test key of its own. */
export function testUnsubscribe(
  knex: Knex,
  key = 'test-unsubscribe-key-0123456789abcdef0123456789',
) {
  return unsubscribeFor(
    knex,
    SecretCipher.fromConfig(
      new ConfigReader({ emailProvider: { encryption: { key } } }),
      { logger: mockServices.logger.mock() },
    ),
  );
}
