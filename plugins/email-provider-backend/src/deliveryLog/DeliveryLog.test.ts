import { TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  DELIVERY_LOG_COUNT_LIMIT,
  DeliveryRecord,
  DeliveryStats,
  EmailFailureCode,
  SendEmailRequest,
} from '@email-provider/backstage-plugin-email-provider-common';
import { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import {
  deliveryLogDatabase,
  HOUR_MS,
  WORKER,
} from '../__testUtils__/deliveryLogDatabase';
import {
  migratedSettingsService,
  saveExampleSmtp,
} from '../__testUtils__/testSettings';
import { readDeliveryOptions } from '../delivery/DeliveryOptions';
import { OutboxIntake } from '../delivery/OutboxIntake';
import { MailProviderFactory } from '../providers/MailProviderFactory';
import { SettingsService } from '../settings/SettingsService';
import { DeliveryLog, DeliveryLogCriteria } from './DeliveryLog';
import { testUnsubscribe } from '../__testUtils__/unsubscribe';
import { RecipientHasher } from './RecipientHasher';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const BOB = 'bob@example.com';
const HOURS_TABLE = 'email_provider_delivery_hours';

const subjects = (items: DeliveryRecord[]) => items.map(item => item.subject);
const ids = (items: DeliveryRecord[]) => items.map(item => item.id);
const hourOf = (iso: string) => Date.parse(iso) / HOUR_MS;

describe.each(databases.eachSupportedId())('DeliveryLog (%s)', databaseId => {
  const isPostgres = databaseId.startsWith('POSTGRES');
  let knex: Knex;
  let settings: SettingsService;
  let db: Awaited<ReturnType<typeof deliveryLogDatabase>>;
  let store: typeof db.store;
  let key: Buffer;
  let hasher: RecipientHasher;
  let log: DeliveryLog;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    settings = await migratedSettingsService(knex);
    await saveExampleSmtp(settings, { host: 'mail.example.com' });
    db = await deliveryLogDatabase(knex);
    ({ store, key, hasher, log } = db);
  });

  /** A message as the intake makes it from a request. */
  function newMessage(
    fields: Partial<SendEmailRequest> & { caller?: string } = {},
  ) {
    const { caller, ...request } = fields;
    return db.queued(
      {
        ...request,
        to: request.to ?? ['ada@example.com'],
        subject: request.subject ?? 'Weekly report',
      },
      { caller, sizeBytes: 1000 },
    );
  }

  async function enqueue(
    createdAt: Date,
    fields: Partial<SendEmailRequest> & { caller?: string } = {},
  ): Promise<string> {
    const [stored] = await store.enqueueAll([newMessage(fields)], createdAt);
    return stored.id;
  }

  /**
   * Delivers as a worker does: claims everything due at `now`, records the outcomes given, and
   * hands the other messages back, queued.
   */
  async function deliver(
    outcomes: Array<[id: string, outcome: 'sent' | EmailFailureCode]>,
    now: Date,
  ) {
    await db.claimAll(now);
    for (const [id, outcome] of outcomes) {
      if (outcome === 'sent') {
        expect(await store.markAllSent([id], WORKER, 'smtp', now)).toBe(1);
      } else {
        const failed = await store.markFailedAttempt(
          id,
          WORKER,
          {
            provider: 'smtp',
            failure: { code: outcome, message: 'It failed.', transient: false },
          },
          now,
        );
        expect(failed).toBe(true);
      }
    }
    await store.release(WORKER, [], now);
  }

  async function list(criteria: DeliveryLogCriteria, limit = 50) {
    return subjects((await log.list(criteria, { limit })).items);
  }

  describe('by recipient', () => {
    let sent: Record<string, string>;

    /** Stores messages as `POST /messages` does. */
    function intakeWith(recipients: RecipientHasher) {
      return new OutboxIntake({
        store,
        settings,
        providers: MailProviderFactory.fromConfig(new ConfigReader({})),
        options: readDeliveryOptions(new ConfigReader({})),
        recipients,
        suppressions: testUnsubscribe(knex).suppressions,
        onStored: () => undefined,
      });
    }

    beforeEach(async () => {
      const requests: Record<string, Partial<SendEmailRequest>> = {
        'in to': { to: ['Bob@Example.com'] },
        'in cc': { to: ['ada@example.com'], cc: [BOB] },
        'in bcc': { to: ['ada@example.com'], bcc: ['BOB@EXAMPLE.COM'] },
        twice: {
          to: [BOB],
          cc: ['grace@example.com'],
          bcc: ['bob@example.COM'],
        },
        'to others': { to: ['ada@example.com'], cc: ['grace@example.com'] },
        'near misses': {
          to: [
            'bobby@example.com',
            'bob@mail.example.com',
            'alice.bob@example.com',
          ],
        },
      };
      const intake = intakeWith(hasher);
      sent = {};
      // One after another, so that the log lists them newest first in reverse of this order.
      for (const [subject, request] of Object.entries(requests)) {
        const accepted = await intake.accept('plugin:reports', {
          to: [],
          text: `Hello ${BOB}`,
          ...request,
          subject,
        });
        sent[subject] = accepted.id;
        await new Promise(resolve => setTimeout(resolve, 3));
      }
    });

    it('finds the messages to the address in to, cc or bcc, letter case aside, each once', async () => {
      for (const address of [BOB, 'BOB@example.com', ' Bob@Example.Com ']) {
        const found = await log.list({ recipient: address }, { limit: 50 });
        expect(subjects(found.items)).toEqual([
          'twice',
          'in bcc',
          'in cc',
          'in to',
        ]);
        expect(found.totalCount).toBe(4);
      }
      expect(await list({ recipient: 'grace@example.com' })).toEqual([
        'to others',
        'twice',
      ]);
      // The message that lists the address twice keeps one hash of it.
      expect(
        await knex('email_provider_message_recipients').where(
          'message_id',
          sent.twice,
        ),
      ).toHaveLength(2);
      expect((await store.get(sent.twice)).recipientsCount).toBe(3);
    });

    it('finds nothing for an address that only looks like it', async () => {
      for (const nearMiss of [
        'bo@example.com',
        'ob@example.com',
        'bobb@example.com',
        'bob@example.co',
        'bob@example.com.',
        'bob@sub.example.com',
        'bob@example',
        'example.com',
        'bob',
      ]) {
        expect({
          nearMiss,
          found: await list({ recipient: nearMiss }),
        }).toEqual({ nearMiss, found: [] });
      }
    });

    it('finds the recipients of a batch of messages to many', async () => {
      const addresses = (count: number, first: number) =>
        Array.from({ length: count }, (_, i) => `user${first + i}@example.com`);
      const intake = intakeWith(hasher);
      // Accepted together, so stored in one batch: 801 recipients.
      await Promise.all([
        intake.accept('plugin:reports', {
          to: addresses(400, 0),
          subject: 'first of many',
          text: 'x',
        }),
        intake.accept('plugin:reports', {
          to: [BOB],
          bcc: addresses(400, 400),
          subject: 'second of many',
          text: 'x',
        }),
      ]);
      expect(await list({ recipient: 'user0@example.com' })).toEqual([
        'first of many',
      ]);
      expect(await list({ recipient: 'user799@example.com' })).toEqual([
        'second of many',
      ]);
      expect(await list({ recipient: BOB }, 1)).toEqual(['second of many']);
    });

    it('tells apart addresses that contain one another', async () => {
      for (const other of [
        'bobby@example.com',
        'bob@mail.example.com',
        'alice.bob@example.com',
      ]) {
        expect(await list({ recipient: other })).toEqual(['near misses']);
      }
    });

    it('still finds the messages hashed with the key before a rotation', async () => {
      const newKey = randomBytes(32);
      const rotated = new RecipientHasher([newKey, key]);
      await intakeWith(rotated).accept('plugin:reports', {
        to: [BOB],
        subject: 'after the rotation',
        text: 'x',
      });
      const afterRotation = new DeliveryLog(knex, rotated);
      expect(
        subjects(
          (await afterRotation.list({ recipient: BOB }, { limit: 50 })).items,
        ),
      ).toEqual(['after the rotation', 'twice', 'in bcc', 'in cc', 'in to']);
      // The previous key is what finds them.
      const newKeyOnly = new DeliveryLog(knex, new RecipientHasher([newKey]));
      expect(
        subjects(
          (await newKeyOnly.list({ recipient: BOB }, { limit: 50 })).items,
        ),
      ).toEqual(['after the rotation']);
    });

    /** Every table and column whose text contains `text`, letter case aside. */
    async function columnsContaining(text: string): Promise<string[]> {
      const tables: string[] = isPostgres
        ? (
            await knex('information_schema.tables')
              .select('table_name')
              .where('table_schema', knex.raw('current_schema()'))
          ).map((row: { table_name: string }) => row.table_name)
        : (
            await knex('sqlite_master').select('name').where('type', 'table')
          ).map((row: { name: string }) => row.name);
      expect(tables).toEqual(
        expect.arrayContaining([
          'email_provider_messages',
          'email_provider_message_recipients',
          HOURS_TABLE,
        ]),
      );
      const found = new Set<string>();
      for (const table of tables) {
        for (const row of await knex(table).select()) {
          for (const [column, value] of Object.entries(row)) {
            const asText = Buffer.isBuffer(value)
              ? value.toString('utf8')
              : JSON.stringify(value);
            if (asText?.toLowerCase().includes(text.toLowerCase())) {
              found.add(`${table}.${column}`);
            }
          }
        }
      }
      return [...found];
    }

    it('keeps no address in clear anywhere once the messages went out', async () => {
      // Until it is sent, a message's request, addresses included, is what the worker sends.
      expect(await columnsContaining(BOB)).toEqual([
        'email_provider_messages.payload',
      ]);
      await deliver(
        Object.values(sent).map(id => [id, 'sent']),
        new Date(Date.now() + 60_000),
      );
      for (const address of [
        BOB,
        'grace@example.com',
        'bob@mail.example.com',
      ]) {
        expect(await columnsContaining(address)).toEqual([]);
      }
      expect(await list({ recipient: BOB })).toHaveLength(4);
    });
  });

  describe('by the other filters', () => {
    const start = Date.parse('2026-12-10T09:00:00.000Z');
    const at = (minutes: number) => new Date(start + minutes * 60_000);

    beforeEach(async () => {
      await enqueue(at(0), {
        subject: 'Weekly report for ACME',
        category: 'weekly-report',
      });
      const disk = await enqueue(at(60), {
        caller: 'plugin:alerts',
        category: 'alert',
        subject: 'Disk almost full',
        to: [BOB],
      });
      const monthly = await enqueue(at(120), {
        subject: 'Monthly reporting summary',
        category: 'monthly-report',
      });
      await enqueue(at(180), {
        subject: 'Invoice 2026-12 attached as invoice.pdf',
        category: 'invoice',
      });
      const reset = await enqueue(at(240), { subject: 'Password reset' });
      await deliver(
        [
          [disk, 'sent'],
          [monthly, 'timeout'],
          [reset, 'sent'],
        ],
        at(300),
      );
    });

    const WEEKLY = 'Weekly report for ACME';
    const DISK = 'Disk almost full';
    const MONTHLY = 'Monthly reporting summary';
    const INVOICE = 'Invoice 2026-12 attached as invoice.pdf';
    const RESET = 'Password reset';

    it('applies each filter, alone and with the others', async () => {
      const cases: Array<[string, DeliveryLogCriteria, string[]]> = [
        ['none', {}, [RESET, INVOICE, MONTHLY, DISK, WEEKLY]],
        ['status sent', { status: 'sent' }, [RESET, DISK]],
        ['status failed', { status: 'failed' }, [MONTHLY]],
        ['status queued', { status: 'queued' }, [INVOICE, WEEKLY]],
        ['status sending', { status: 'sending' }, []],
        ['caller', { caller: 'plugin:alerts' }, [DISK]],
        [
          'another caller',
          { caller: 'plugin:reports' },
          [RESET, INVOICE, MONTHLY, WEEKLY],
        ],
        ['an unknown caller', { caller: 'plugin:report' }, []],
        ['category', { category: 'weekly-report' }, [WEEKLY]],
        ['a category prefix', { category: 'weekly' }, []],
        ['from (inclusive)', { from: at(60) }, [RESET, INVOICE, MONTHLY, DISK]],
        ['to (exclusive)', { to: at(180) }, [MONTHLY, DISK, WEEKLY]],
        ['from and to', { from: at(60), to: at(180) }, [MONTHLY, DISK]],
        ['q, any letter case', { words: 'REPORT' }, [MONTHLY, WEEKLY]],
        ['q, a word beginning', { words: 'rep' }, [MONTHLY, WEEKLY]],
        ['q, every word', { words: 'weekly acme' }, [WEEKLY]],
        ['q, in any order', { words: 'acme, Weekly!' }, [WEEKLY]],
        ['q, a word missing', { words: 'weekly summary' }, []],
        ['q, with a dot', { words: 'invoice.pdf' }, [INVOICE]],
        ['q, with a hyphen', { words: '2026-12' }, [INVOICE]],
        [
          'status, caller, q and from',
          {
            status: 'queued',
            caller: 'plugin:reports',
            words: 'invoice',
            from: at(120),
          },
          [INVOICE],
        ],
        [
          'status, caller, q and to',
          {
            status: 'queued',
            caller: 'plugin:reports',
            words: 'invoice',
            to: at(180),
          },
          [],
        ],
        [
          'status and category',
          { status: 'failed', category: 'monthly-report' },
          [MONTHLY],
        ],
        [
          'status and recipient',
          { status: 'sent', recipient: 'ada@example.com' },
          [RESET],
        ],
        [
          'caller and recipient',
          { caller: 'plugin:alerts', recipient: BOB },
          [DISK],
        ],
      ];
      for (const [filter, criteria, expected] of cases) {
        const found = await log.list(criteria, { limit: 50 });
        expect({ filter, found: subjects(found.items) }).toEqual({
          filter,
          found: expected,
        });
        expect(found.totalCount).toBe(expected.length);
        expect(found).not.toHaveProperty('nextCursor');
      }
    });

    it('matches q at the start of words on PostgreSQL, anywhere on SQLite', async () => {
      expect(await list({ words: 'port' })).toEqual(
        isPostgres ? [] : [MONTHLY, WEEKLY],
      );
      expect(await list({ words: 'ting summ' })).toEqual(
        isPostgres ? [] : [MONTHLY],
      );
      expect(await list({ words: 'summ ting' })).toEqual(
        isPostgres ? [] : [MONTHLY],
      );
    });

    it('refuses a q without a letter or digit', async () => {
      await expect(
        log.list({ words: '!! -- &|' }, { limit: 5 }),
      ).rejects.toThrow(InputError);
    });

    it('puts the newest first, and messages created at the same time by id', async () => {
      const same = await store.enqueueAll(
        Array.from({ length: 6 }, () => newMessage({ subject: 'tie' })),
        at(-10),
      );
      const before = await enqueue(at(-20), { subject: 'tie' });
      const after = await enqueue(at(-5), { subject: 'tie' });
      const byId = same.map(m => m.id).sort((a, b) => (a < b ? 1 : -1));
      const found = await log.list({ words: 'tie' }, { limit: 50 });
      expect(ids(found.items)).toEqual([after, ...byId, before]);
    });
  });

  describe('pages', () => {
    const start = Date.parse('2026-12-10T09:00:00.000Z');
    const at = (minutes: number) => new Date(start + minutes * 60_000);
    let all: string[];

    beforeEach(async () => {
      // 25 messages in 5 instants: most pages end in the middle of a tie.
      for (let minute = 0; minute < 5; minute++) {
        await store.enqueueAll(
          Array.from({ length: 5 }, (_, i) =>
            newMessage({
              subject: `${minute}.${i}`,
              caller: i % 2 ? 'plugin:odd' : 'plugin:even',
            }),
          ),
          at(minute),
        );
      }
      all = ids((await log.list({}, { limit: 200 })).items);
    });

    async function walk(
      criteria: DeliveryLogCriteria,
      limit: number,
      between: (page: number) => Promise<unknown> = async () => undefined,
    ) {
      const seen: string[] = [];
      const pageSizes: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await log.list(criteria, { limit, cursor });
        seen.push(...ids(page.items));
        pageSizes.push(page.items.length);
        cursor = page.nextCursor;
        await between(pageSizes.length);
      } while (cursor);
      return { seen, pageSizes };
    }

    it('yields every message once, in order, following nextCursor', async () => {
      expect(await walk({}, 4)).toEqual({
        seen: all,
        pageSizes: [4, 4, 4, 4, 4, 4, 1],
      });
      // A last page that is full has no nextCursor either.
      expect((await walk({}, 5)).pageSizes).toEqual([5, 5, 5, 5, 5]);
    });

    it('yields every message once while new ones arrive between pages', async () => {
      const { seen } = await walk({}, 3, page =>
        store.enqueueAll(
          [newMessage({ subject: 'new' }), newMessage({ subject: 'new' })],
          at(100 + page),
        ),
      );
      expect(seen).toEqual(all);
      expect((await log.list({}, { limit: 1 })).totalCount).toBe(25 + 2 * 9);
    });

    it('pages a filtered log', async () => {
      const even = ids(
        (await log.list({ caller: 'plugin:even' }, { limit: 200 })).items,
      );
      expect(even).toHaveLength(15);
      expect(even).toEqual(all.filter(id => even.includes(id)));
      expect(await walk({ caller: 'plugin:even' }, 2)).toEqual({
        seen: even,
        pageSizes: [2, 2, 2, 2, 2, 2, 2, 1],
      });
    });

    it('still takes an offset', async () => {
      const page = await log.list({}, { limit: 4, offset: 8 });
      expect(ids(page.items)).toEqual(all.slice(8, 12));
      expect(page.totalCount).toBe(25);
      expect(page.nextCursor).toEqual(expect.any(String));
      const after = await log.list({}, { limit: 4, cursor: page.nextCursor });
      expect(ids(after.items)).toEqual(all.slice(12, 16));
      const beyond = await log.list({}, { limit: 4, offset: 25 });
      expect(beyond).toEqual({ items: [], totalCount: 25 });
    });

    it('refuses a cursor it did not make', async () => {
      const { nextCursor } = await log.list({}, { limit: 4 });
      const forged = [
        `${nextCursor}AA`,
        nextCursor!.slice(0, -4),
        Buffer.from(`${start}.not-a-message-id`).toString('base64url'),
        Buffer.from(`${start}`).toString('base64url'),
        'x',
      ];
      for (const cursor of forged) {
        await expect(log.list({}, { limit: 4, cursor })).rejects.toThrow(
          new InputError(
            'cursor is not a nextCursor the delivery log returned',
          ),
        );
      }
    });

    it('counts exactly up to the limit, and says when more match', async () => {
      const bulk = DELIVERY_LOG_COUNT_LIMIT - 25;
      for (let offset = 0; offset < bulk; offset += 500) {
        await store.enqueueAll(
          Array.from({ length: Math.min(500, bulk - offset) }, () => ({
            ...newMessage({ caller: 'plugin:even' }),
            recipientHashes: [],
          })),
          at(-1 - offset / 500),
        );
      }
      const exactly = await log.list({}, { limit: 1 });
      expect(exactly.totalCount).toBe(DELIVERY_LOG_COUNT_LIMIT);
      expect(exactly).not.toHaveProperty('totalCountCapped');

      await enqueue(at(-100));
      const over = await log.list({}, { limit: 1 });
      expect(over).toMatchObject({
        totalCount: DELIVERY_LOG_COUNT_LIMIT,
        totalCountCapped: true,
        nextCursor: expect.any(String),
      });
      expect(
        await log.list({ caller: 'plugin:odd' }, { limit: 1 }),
      ).toMatchObject({ totalCount: 10 });
    });
  });

  describe('stats', () => {
    const time = (iso: string) => new Date(`2026-12-${iso}Z`);
    const NOW = time('10T12:30:00');
    let failedAtNine: string;

    beforeEach(async () => {
      const sentAtNine = [
        await enqueue(time('10T09:10:00')),
        await enqueue(time('10T09:11:00')),
      ];
      failedAtNine = await enqueue(time('10T09:12:00'));
      const rejectedAtNine = await enqueue(time('10T09:50:00'));
      await enqueue(time('10T10:20:00'));
      const sentAtEleven = await enqueue(time('10T11:05:00'));
      const sentAtTwelve = await enqueue(time('10T12:10:00'));
      // Before and after local midnight (UTC-5) of 9 December.
      const sentLateOnEighth = await enqueue(time('09T04:30:00'));
      const sentEarlyOnNinth = await enqueue(time('09T05:30:00'));
      await deliver(
        [
          [sentAtNine[0], 'sent'],
          [sentAtNine[1], 'sent'],
          [failedAtNine, 'timeout'],
          [rejectedAtNine, 'recipient-rejected'],
          [sentAtEleven, 'sent'],
          [sentAtTwelve, 'sent'],
          [sentLateOnEighth, 'sent'],
          [sentEarlyOnNinth, 'sent'],
        ],
        time('10T12:20:00'),
      );
    });

    const bucket = (start: string, counts: object = {}) => ({
      start: new Date(`2026-12-${start}Z`).toISOString(),
      sent: 0,
      failed: 0,
      waiting: 0,
      failedByCode: {},
      ...counts,
    });

    const hourly: DeliveryStats = {
      bucket: 'hour',
      buckets: [
        bucket('10T08:00:00'),
        bucket('10T09:00:00', {
          sent: 2,
          failed: 2,
          failedByCode: { timeout: 1, 'recipient-rejected': 1 },
        }),
        bucket('10T10:00:00', { waiting: 1 }),
        bucket('10T11:00:00', { sent: 1 }),
        bucket('10T12:00:00', { sent: 1 }),
      ],
    };

    const storedHours = async () =>
      (await knex(HOURS_TABLE).select('hour').orderBy('hour')).map(row =>
        Number(row.hour),
      );

    it('counts messages by the hour they were created in and where they are now', async () => {
      expect(
        await log.stats(
          { bucket: 'hour', since: time('10T08:00:00'), until: NOW },
          NOW,
        ),
      ).toEqual(hourly);
    });

    it('counts by 24 hours from since, so a since at local midnight gives local days', async () => {
      // Midnight of 8 December in New York (UTC-5), that is 05:00 UTC.
      const since = new Date('2026-12-08T00:00:00-05:00');
      expect(await log.stats({ bucket: 'day', since }, NOW)).toEqual({
        bucket: 'day',
        buckets: [
          bucket('08T05:00:00', { sent: 1 }),
          bucket('09T05:00:00', { sent: 1 }),
          bucket('10T05:00:00', {
            sent: 4,
            failed: 2,
            waiting: 1,
            failedByCode: { timeout: 1, 'recipient-rejected': 1 },
          }),
        ],
      });
    });

    it('answers the last 24 hours or 30 days by default, empty buckets included', async () => {
      const hours = await log.stats({ bucket: 'hour' }, NOW);
      expect(hours.buckets).toHaveLength(24);
      expect(hours.buckets.at(-1)?.start).toBe('2026-12-10T12:00:00.000Z');
      expect(hours.buckets.slice(-5)).toEqual(hourly.buckets);
      expect(hours.buckets[0]).toEqual(bucket('09T13:00:00'));

      const days = await log.stats({ bucket: 'day' }, NOW);
      expect(days.buckets).toHaveLength(30);
      expect(days.buckets[0].start).toBe('2026-11-11T12:00:00.000Z');
      expect(days.buckets.map(b => b.sent)).toEqual([
        ...Array(27).fill(0),
        2,
        3,
        1,
      ]);
    });

    it('stores the counts of settled hours and reads them the next time', async () => {
      const query = { bucket: 'hour' as const, since: time('10T08:00:00') };
      const first = await log.stats(query, NOW);
      // 10:00 still has a message waiting; 12:00 has not ended.
      expect(await storedHours()).toEqual([
        hourOf('2026-12-10T08:00:00Z'),
        hourOf('2026-12-10T09:00:00Z'),
        hourOf('2026-12-10T11:00:00Z'),
      ]);
      expect(
        await knex(HOURS_TABLE)
          .where('hour', hourOf('2026-12-10T09:00:00Z'))
          .first(),
      ).toMatchObject({ sent: 2, failed: 2 });
      expect(await log.stats(query, NOW)).toEqual(first);

      // What the second call answers for a settled hour is the stored row.
      await knex(HOURS_TABLE)
        .where('hour', hourOf('2026-12-10T11:00:00Z'))
        .update({ sent: 42 });
      expect((await log.stats(query, NOW)).buckets[3].sent).toBe(42);
    });

    it('stores the settled hours of the last days ahead of any request', async () => {
      await log.settle(NOW, 2);
      const stored = await storedHours();
      // The 48 hours before 12:00 (which is not over), all settled but 10:00: a message waits.
      expect(stored).toHaveLength(47);
      expect(stored).not.toContain(hourOf('2026-12-10T10:00:00Z'));
      expect(stored[0]).toBe(hourOf('2026-12-08T12:00:00Z'));
      expect(
        await knex(HOURS_TABLE)
          .where('hour', hourOf('2026-12-09T05:00:00Z'))
          .first(),
      ).toMatchObject({ sent: 1, failed: 0 });
      expect(
        await log.stats({ bucket: 'hour', since: time('10T08:00:00') }, NOW),
      ).toEqual(hourly);
    });

    it('does not store an hour that ended less than two minutes ago', async () => {
      const justAfter = time('10T13:01:00');
      await log.stats(
        { bucket: 'hour', since: time('10T12:00:00') },
        justAfter,
      );
      expect(await storedHours()).toEqual([]);
      await log.stats(
        { bucket: 'hour', since: time('10T12:00:00') },
        time('10T13:03:00'),
      );
      expect(await storedHours()).toEqual([hourOf('2026-12-10T12:00:00Z')]);
    });

    it('counts a retried message as waiting again in its stored hour', async () => {
      const query = { bucket: 'hour' as const, since: time('10T08:00:00') };
      await log.stats(query, NOW);
      expect(await storedHours()).toContain(hourOf('2026-12-10T09:00:00Z'));

      await store.retry(failedAtNine, 24 * HOUR_MS, time('10T12:31:00'));
      expect(await storedHours()).not.toContain(hourOf('2026-12-10T09:00:00Z'));
      const after = await log.stats(query, time('10T12:32:00'));
      expect(after.buckets[1]).toEqual(
        bucket('10T09:00:00', {
          sent: 2,
          failed: 1,
          waiting: 1,
          failedByCode: { 'recipient-rejected': 1 },
        }),
      );
      expect(await storedHours()).not.toContain(hourOf('2026-12-10T09:00:00Z'));
    });

    it('drops stored hours with the messages purged', async () => {
      const query = { bucket: 'hour' as const, since: time('10T08:00:00') };
      await log.stats(query, NOW);
      await store.purge(time('10T10:00:00'));
      expect(await storedHours()).toEqual([hourOf('2026-12-10T11:00:00Z')]);
      // No message was old enough to go: the hours are counted again, the same.
      expect(await log.stats(query, NOW)).toEqual(hourly);
    });

    it('refuses too many buckets, and an until not after since', async () => {
      const cases: Array<
        [string, Parameters<DeliveryLog['stats']>[0], string]
      > = [
        [
          'more than 744 hours',
          {
            bucket: 'hour',
            since: time('10T12:00:00'),
            until: new Date(Date.parse('2026-12-10T12:00:00Z') + 745 * HOUR_MS),
          },
          'since and until span 745 buckets of an hour; at most 744 are answered at once',
        ],
        [
          'more than 366 days',
          {
            bucket: 'day',
            since: new Date('2025-12-01T00:00:00Z'),
            until: NOW,
          },
          'since and until span 375 buckets of a day; at most 366 are answered at once',
        ],
        [
          'until at since',
          {
            bucket: 'hour',
            since: time('10T10:00:00'),
            until: time('10T10:00:00'),
          },
          'until must be after since',
        ],
        [
          'until at since, within an hour',
          {
            bucket: 'hour',
            since: time('10T10:30:00'),
            until: time('10T10:30:00'),
          },
          'until must be after since',
        ],
        [
          'until before since, within an hour',
          {
            bucket: 'day',
            since: time('10T10:30:00'),
            until: time('10T10:10:00'),
          },
          'until must be after since',
        ],
        [
          'until a day before since',
          {
            bucket: 'day',
            since: time('10T10:00:00'),
            until: time('09T10:00:00'),
          },
          'until must be after since',
        ],
      ];
      for (const [name, query, message] of cases) {
        const refused = await log.stats(query, NOW).then(
          () => undefined,
          (error: Error) => error,
        );
        expect({ name, refused }).toEqual({
          name,
          refused: new InputError(message),
        });
        expect(refused).toBeInstanceOf(InputError);
      }
    });

    it('answers up to 744 hours', async () => {
      const stats = await log.stats(
        {
          bucket: 'hour',
          since: new Date(Date.parse('2026-12-10T12:00:00Z') - 743 * HOUR_MS),
        },
        NOW,
      );
      expect(stats.buckets).toHaveLength(744);
      expect(stats.buckets.slice(-5)).toEqual(hourly.buckets);
    });
  });
});
