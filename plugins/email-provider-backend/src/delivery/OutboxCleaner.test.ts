import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { SchedulerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { migrateDatabase } from '../database/migrateDatabase';
import { DatabaseOutboxStore, NewMessage } from './DatabaseOutboxStore';
import { OutboxCleaner } from './OutboxCleaner';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const HOUR = 3600_000;
const DAY = 24 * HOUR;

const message = (expiresAfterMs = HOUR): NewMessage => ({
  caller: 'plugin:reports',
  subject: 'Weekly report',
  recipientsCount: 1,
  sizeBytes: 100,
  messageId: `<${Math.random()}@example.com>`,
  payload: JSON.stringify({ to: ['a@example.com'], subject: 's', text: 'x' }),
  expiresAfterMs,
  recipientHashes: ['hash-a'],
});

describe.each(databases.eachSupportedId())('OutboxCleaner (%s)', databaseId => {
  let knex: Knex;
  let store: DatabaseOutboxStore;
  let cleaner: OutboxCleaner;
  let logger: ReturnType<typeof mockServices.logger.mock>;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    await migrateDatabase({ getClient: async () => knex });
    store = new DatabaseOutboxStore(knex);
    logger = mockServices.logger.mock();
    cleaner = new OutboxCleaner({ store, logger, retentionMs: 30 * DAY });
  });

  const status = async (id: string) => (await store.get(id)).status;

  it('fails the messages that waited longer than they may, and only those', async () => {
    const now = new Date();
    const [late] = await store.enqueueAll(
      [message()],
      new Date(now.getTime() - 2 * HOUR),
    );
    const [fresh] = await store.enqueueAll([message()], now);

    await cleaner.run(now);

    expect(await store.get(late.id)).toMatchObject({
      status: 'failed',
      lastError: { code: 'expired' },
    });
    expect(await status(fresh.id)).toBe('queued');
    expect(logger.warn).toHaveBeenCalledWith(
      '1 email message(s) expired unsent',
    );
  });

  it('purges finished messages past retention five minutes after start, then every six hours', async () => {
    const now = new Date(Date.now() + 5 * 60_000);
    const finishOld = async (daysAgo: number) => {
      const at = new Date(now.getTime() - daysAgo * DAY);
      const [stored] = await store.enqueueAll([message(1)], at);
      await store.expire(new Date(at.getTime() + 1000));
      return stored.id;
    };
    const gone = await finishOld(40);
    const kept = await finishOld(20);

    await cleaner.run(new Date(now.getTime() - 60_000));
    expect(await status(gone)).toBe('failed');
    await cleaner.run(now);
    await expect(store.get(gone)).rejects.toThrow(/No message/);
    expect(await status(kept)).toBe('failed');
    expect(logger.info).toHaveBeenCalledWith(
      'Purged 1 finished email message(s)',
    );

    // Expiry runs every time; the purge waits for its six hours.
    const later = await finishOld(41);
    await cleaner.run(new Date(now.getTime() + 5 * HOUR));
    expect(await status(later)).toBe('failed');
    await cleaner.run(new Date(now.getTime() + 6 * HOUR));
    await expect(store.get(later)).rejects.toThrow(/No message/);
    expect(await status(kept)).toBe('failed');
    const recipients = await knex('email_provider_message_recipients').count({
      n: '*',
    });
    expect(Number(recipients[0].n)).toBe(1);
  });
});

describe('OutboxCleaner.schedule', () => {
  it('runs as one task for the whole portal, every minute', async () => {
    const scheduleTask = jest.fn(async () => undefined);
    await new OutboxCleaner({
      store: {} as DatabaseOutboxStore,
      logger: mockServices.logger.mock(),
      retentionMs: DAY,
    }).schedule({ scheduleTask } as unknown as SchedulerService);
    expect(scheduleTask).toHaveBeenCalledWith(
      expect.objectContaining({
        id: 'email-provider-outbox-cleaner',
        scope: 'global',
        frequency: { milliseconds: 60_000 },
      }),
    );
  });
});
