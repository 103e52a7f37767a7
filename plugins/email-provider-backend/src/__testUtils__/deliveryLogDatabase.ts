import { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import { migrateDatabase } from '../database/migrateDatabase';
import { DatabaseOutboxStore } from '../delivery/DatabaseOutboxStore';
import { DeliveryLog } from '../deliveryLog/DeliveryLog';
import { RecipientHasher } from '../deliveryLog/RecipientHasher';

/**
 * Migrates a test database and returns its outbox and the delivery log reading it, recipients
 * hashed with a fresh key.
 */
export async function deliveryLogDatabase(knex: Knex) {
  await migrateDatabase({ getClient: async () => knex });
  const key = randomBytes(32);
  const hasher = new RecipientHasher([key]);
  return {
    store: new DatabaseOutboxStore(knex),
    key,
    hasher,
    log: new DeliveryLog(knex, hasher),
  };
}
