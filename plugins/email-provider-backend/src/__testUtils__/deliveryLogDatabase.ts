import type { SendEmailRequest } from '@email-provider/backstage-plugin-email-provider-common';
import { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import { migrateDatabase } from '../database/migrateDatabase';
import {
  DatabaseOutboxStore,
  NewMessage,
} from '../delivery/DatabaseOutboxStore';
import { DeliveryLog } from '../deliveryLog/DeliveryLog';
import { RecipientHasher } from '../deliveryLog/RecipientHasher';

export const HOUR_MS = 3600_000;

/** The worker that claims the messages of a delivery-log test. */
export const WORKER = 'test-worker';

/** The outbox destination of the SMTP server the delivery-log tests send through. */
export const SMTP_DESTINATION = 'smtp mail.example.com:587 reports@example.com';

/**
 * Migrates a test database and returns its outbox and the delivery log reading it, recipients
 * hashed with a fresh key.
 */
export async function deliveryLogDatabase(knex: Knex) {
  await migrateDatabase({ getClient: async () => knex });
  const key = randomBytes(32);
  const hasher = new RecipientHasher([key]);
  const store = new DatabaseOutboxStore(knex);
  return {
    store,
    key,
    hasher,
    log: new DeliveryLog(knex, hasher),
    /** A message as the intake makes it from `request`, its recipients hashed. */
    queued(
      request: SendEmailRequest,
      more: { caller?: string; sizeBytes: number },
    ): NewMessage {
      return {
        caller: more.caller ?? 'plugin:reports',
        category: request.category,
        subject: request.subject,
        recipientsCount: request.to.length,
        recipientHashes: hasher.hashAll(request.to),
        sizeBytes: more.sizeBytes,
        messageId: `<${randomBytes(8).toString('hex')}@example.com>`,
        payload: JSON.stringify(request),
        expiresAfterMs: 24 * HOUR_MS,
      };
    },
    /** Claims every message due at `now` for `WORKER`, as its worker would. */
    claimAll: (now: Date) =>
      store.claim({
        workerId: WORKER,
        max: 1000,
        leaseMs: HOUR_MS,
        limits: { maxInFlight: 1000 },
        destination: SMTP_DESTINATION,
        now,
      }),
  };
}
