import { TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ConflictError, InputError } from '@backstage/errors';
import type { SendEmailRequest } from '@email-provider/backstage-plugin-email-provider-common';
import { Knex } from 'knex';
import {
  migratedSettingsService,
  saveExampleSmtp,
} from '../__testUtils__/testSettings';
import { SettingsService } from '../settings/SettingsService';
import { randomBytes } from 'node:crypto';
import { RecipientHasher } from '../deliveryLog/RecipientHasher';
import { DatabaseOutboxStore } from './DatabaseOutboxStore';
import { readDeliveryOptions } from './DeliveryOptions';
import { OutboxIntake } from './OutboxIntake';
import { MailProviderFactory } from '../providers/MailProviderFactory';
import { testUnsubscribe } from '../__testUtils__/unsubscribe';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const request = (i: number, extra: Partial<SendEmailRequest> = {}) => ({
  to: [`user${i}@example.com`],
  subject: `Report ${i}`,
  text: `Body ${i}`,
  ...extra,
});

const megabytes = (n: number) =>
  Buffer.alloc(n * 1024 * 1024, 1).toString('base64');

describe.each(databases.eachSupportedId())('OutboxIntake (%s)', databaseId => {
  let knex: Knex;
  let settings: SettingsService;
  let store: DatabaseOutboxStore;
  let intake: OutboxIntake;
  let stored: number;
  let inserts: number;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    settings = await migratedSettingsService(knex);
    store = new DatabaseOutboxStore(knex);
    stored = 0;
    intake = new OutboxIntake({
      store,
      settings,
      providers: MailProviderFactory.fromConfig(new ConfigReader({})),
      options: readDeliveryOptions(new ConfigReader({})),
      recipients: new RecipientHasher([randomBytes(32)]),
      suppressions: testUnsubscribe(knex).suppressions,
      onStored: () => {
        stored += 1;
      },
    });
    inserts = 0;
    knex.on('query', (query: { sql: string }) => {
      // On PostgreSQL the INSERT is the first part of one statement with the recipients'.
      if (
        /^(with [`"]inserted[`"] as \()?insert .*into [`"]email_provider_messages[`"]/i.test(
          query.sql,
        )
      ) {
        inserts += 1;
      }
    });
  });

  async function useMicrosoft365() {
    await settings.save(
      {
        provider: 'microsoft365',
        microsoft365: {
          from: 'reports@example.com',
          tenantId: '0b0a7c2e-4a6a-4a8e-9a3b-3f1e2d4c5b6a',
          clientId: '5f6e7d8c-9b0a-4c1d-8e2f-3a4b5c6d7e8f',
          clientSecret: 'secret',
        },
      },
      { updatedBy: 'user:default/ada' },
    );
  }

  it('stores requests that arrive together with one INSERT, each with its own id and Message-ID', async () => {
    await saveExampleSmtp(settings);
    const accepted = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        intake.accept('plugin:reports', request(i)),
      ),
    );
    expect(new Set(accepted.map(a => a.id)).size).toBe(40);
    expect(accepted.every(a => a.status === 'queued')).toBe(true);
    expect(inserts).toBe(1);
    expect(stored).toBe(1);

    const rows = await knex('email_provider_messages').select(
      'id',
      'subject',
      'message_id',
      'caller',
    );
    expect(rows).toHaveLength(40);
    // Each answer names the row of its own request.
    for (const [i, a] of accepted.entries()) {
      expect(rows.find(r => r.id === a.id)?.subject).toBe(`Report ${i}`);
    }
    expect(new Set(rows.map(r => r.message_id)).size).toBe(40);
    expect(rows[0].message_id).toMatch(/^<[0-9a-f-]{36}@example\.com>$/);
  });

  it('answers a repeated idempotency key with the first message, within a batch and across batches', async () => {
    await saveExampleSmtp(settings);
    const [first, twin, other] = await Promise.all([
      intake.accept('plugin:reports', request(1, { idempotencyKey: 'k' })),
      intake.accept('plugin:reports', request(2, { idempotencyKey: 'k' })),
      intake.accept('plugin:alerts', request(3, { idempotencyKey: 'k' })),
    ]);
    const later = await intake.accept(
      'plugin:reports',
      request(4, { idempotencyKey: 'k' }),
    );
    expect(twin.id).toBe(first.id);
    expect(later.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
    const [{ n }] = await knex('email_provider_messages').count({ n: '*' });
    expect(Number(n)).toBe(2);
  });

  it('refuses every request while no provider is active, and stores nothing', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        intake.accept('plugin:reports', request(i)),
      ),
    );
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(
        ConflictError,
      );
    }
    const [{ n }] = await knex('email_provider_messages').count({ n: '*' });
    expect(Number(n)).toBe(0);
    expect(stored).toBe(0);
  });

  it('refuses only the message too large for Microsoft 365 and stores the rest of its batch', async () => {
    await useMicrosoft365();
    const [small, large] = await Promise.allSettled([
      intake.accept('plugin:reports', request(1)),
      intake.accept(
        'plugin:reports',
        request(2, {
          attachments: [
            {
              filename: 'big.bin',
              contentType: 'application/octet-stream',
              contentBase64: megabytes(5),
            },
          ],
        }),
      ),
    ]);
    expect(small.status).toBe('fulfilled');
    expect(large.status).toBe('rejected');
    expect((large as PromiseRejectedResult).reason).toBeInstanceOf(InputError);
    expect((large as PromiseRejectedResult).reason.message).toMatch(
      /Microsoft 365 takes about 3 MB/,
    );
    const rows = await knex('email_provider_messages').select('subject');
    expect(rows.map(r => r.subject)).toEqual(['Report 1']);
  });

  it('refuses a message over the portal limit before it joins a batch', async () => {
    await saveExampleSmtp(settings);
    const small = new OutboxIntake({
      store,
      settings,
      providers: MailProviderFactory.fromConfig(new ConfigReader({})),
      options: readDeliveryOptions(
        new ConfigReader({
          emailProvider: { delivery: { maxMessageSizeMb: 1 } },
        }),
      ),
      recipients: new RecipientHasher([randomBytes(32)]),
      suppressions: testUnsubscribe(knex).suppressions,
      onStored: () => undefined,
    });
    await expect(
      small.accept(
        'plugin:reports',
        request(1, {
          attachments: [
            {
              filename: 'big.bin',
              contentType: 'application/octet-stream',
              contentBase64: megabytes(2),
            },
          ],
        }),
      ),
    ).rejects.toThrow(/at most 1\.0 MB/);
    expect(inserts).toBe(0);
  });

  it('fails the whole batch when the database does, and keeps accepting afterwards', async () => {
    await saveExampleSmtp(settings);
    await knex.schema.renameTable(
      'email_provider_messages',
      'email_provider_messages_away',
    );
    const failed = await Promise.allSettled([
      intake.accept('plugin:reports', request(1)),
      intake.accept('plugin:reports', request(2)),
    ]);
    expect(failed.map(f => f.status)).toEqual(['rejected', 'rejected']);
    await knex.schema.renameTable(
      'email_provider_messages_away',
      'email_provider_messages',
    );
    await expect(
      intake.accept('plugin:reports', request(3)),
    ).resolves.toMatchObject({ status: 'queued' });
  });
});
