import { Knex } from 'knex';
import { DatabaseOutboxStore } from '../delivery/DatabaseOutboxStore';
import { localSmtpSettings, migratedSettingsService } from './testSettings';

/**
 * Migrates a test database, makes the SMTP server on loopback its active provider, and queues
 * `count` small messages for it, straight into the outbox, as a busy portal's backlog; returns
 * how many messages are in a status.
 */
export async function queueMessagesForSmtp(
  knex: Knex,
  options: {
    encryptionKey: string;
    smtp: { port: number; from: string; password: string };
    count: number;
    caller: string;
    /** Message-IDs are `<prefix-i@example.com>`. */
    messageIdPrefix: string;
    sizeBytes: number;
  },
) {
  const settings = await migratedSettingsService(knex, options.encryptionKey);
  await settings.save(localSmtpSettings(options.smtp), {
    updatedBy: 'user:default/ada',
  });
  const outbox = new DatabaseOutboxStore(knex);
  for (let first = 0; first < options.count; first += 100) {
    await outbox.enqueueAll(
      Array.from(
        { length: Math.min(100, options.count - first) },
        (_, offset) => {
          const i = first + offset;
          return {
            caller: options.caller,
            subject: `Message ${i}`,
            recipientsCount: 1,
            sizeBytes: options.sizeBytes,
            messageId: `<${options.messageIdPrefix}-${i}@example.com>`,
            payload: JSON.stringify({
              to: [`user${i}@example.com`],
              subject: `Message ${i}`,
              text: `Body ${i}`,
            }),
            expiresAfterMs: 3600_000,
            recipientHashes: [],
          };
        },
      ),
    );
  }
  return async (status: string) =>
    Number(
      (
        await knex('email_provider_messages')
          .where({ status })
          .count({ n: '*' })
      )[0].n,
    );
}
