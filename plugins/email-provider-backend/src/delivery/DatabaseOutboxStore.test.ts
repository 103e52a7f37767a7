import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { migrateDatabase } from '../database/migrateDatabase';
import { DatabaseOutboxStore, NewMessage } from './DatabaseOutboxStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const HOUR = 3600_000;

function message(overrides: Partial<NewMessage> = {}): NewMessage {
  return {
    caller: 'plugin:reports',
    subject: 'Weekly report',
    recipientsCount: 2,
    sizeBytes: 1234,
    messageId: `<${Math.random()}@example.com>`,
    payload: JSON.stringify({
      to: ['a@example.com'],
      subject: 'Weekly report',
      text: 'x',
    }),
    expiresAfterMs: HOUR,
    ...overrides,
  };
}

const unlimited = { maxInFlight: 1000 };
const failure = {
  code: 'timeout' as const,
  message: 'Timed out.',
  transient: true,
};

describe.each(databases.eachSupportedId())(
  'DatabaseOutboxStore (%s)',
  databaseId => {
    let knex: Knex;
    let store: DatabaseOutboxStore;

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      await migrateDatabase({ getClient: async () => knex });
      store = new DatabaseOutboxStore(knex);
    });

    const enqueue = async (m: NewMessage) => (await store.enqueueAll([m]))[0];

    it('stores a message once per idempotency key and caller', async () => {
      const first = await enqueue(message({ idempotencyKey: 'week-48' }));
      const again = await enqueue(message({ idempotencyKey: 'week-48' }));
      const otherCaller = await enqueue(
        message({ idempotencyKey: 'week-48', caller: 'plugin:alerts' }),
      );
      const noKey = [await enqueue(message()), await enqueue(message())];
      expect(first).toEqual({
        id: expect.any(String),
        status: 'queued',
        created: true,
      });
      expect(again).toEqual({ id: first.id, status: 'queued', created: false });
      expect(otherCaller.id).not.toBe(first.id);
      expect(new Set(noKey.map(m => m.id)).size).toBe(2);
      expect((await store.list({ limit: 10, offset: 0 })).totalCount).toBe(4);
    });

    it('claims due messages once, within the in-flight limit, and lets a lapsed claim be taken over', async () => {
      for (let i = 0; i < 5; i++) await enqueue(message());
      const a = await store.claim({
        workerId: 'a',
        max: 10,
        leaseMs: 50,
        limits: { maxInFlight: 3 },
      });
      expect(a.messages).toHaveLength(3);
      expect(a.messages.every(m => m.attempts === 1)).toBe(true);
      const b = await store.claim({
        workerId: 'b',
        max: 10,
        leaseMs: 50,
        limits: { maxInFlight: 3 },
      });
      expect(b.messages).toHaveLength(0);

      await new Promise(resolve => setTimeout(resolve, 80));
      const c = await store.claim({
        workerId: 'c',
        max: 10,
        leaseMs: 60_000,
        limits: unlimited,
      });
      expect(c.messages).toHaveLength(5);
      const retaken = c.messages.filter(m =>
        a.messages.some(x => x.id === m.id),
      );
      expect(retaken.map(m => m.attempts)).toEqual([2, 2, 2]);
      // The worker that lost its claim can no longer record an outcome.
      expect(await store.markAllSent([a.messages[0].id], 'a', 'smtp')).toBe(0);
    });

    it('claims no more bytes than asked for, but always at least one message', async () => {
      for (let i = 0; i < 3; i++) await enqueue(message({ sizeBytes: 1000 }));
      const claim = (maxBytes: number) =>
        store.claim({
          workerId: 'a',
          max: 10,
          maxBytes,
          leaseMs: 60_000,
          limits: unlimited,
        });
      expect((await claim(2500)).messages).toHaveLength(2);
      expect((await claim(10)).messages).toHaveLength(1);
    });

    it('never hands the same message to two concurrent claimers', async () => {
      for (let i = 0; i < 60; i++) await enqueue(message());
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.claim({
            workerId: `w${i}`,
            max: 10,
            leaseMs: 60_000,
            limits: unlimited,
          }),
        ),
      );
      const ids = claims.flatMap(c => c.messages.map(m => m.id));
      expect(ids).toHaveLength(60);
      expect(new Set(ids).size).toBe(60);
    });

    it('keeps to a per-minute limit and says how long to wait', async () => {
      for (let i = 0; i < 5; i++) await enqueue(message());
      const now = new Date();
      const first = await store.claim({
        workerId: 'a',
        max: 10,
        leaseMs: 60_000,
        limits: { maxInFlight: 10, perMinute: 2 },
        now,
      });
      expect(first.messages).toHaveLength(2);
      for (const m of first.messages)
        await store.markAllSent([m.id], 'a', 'microsoft365');
      const second = await store.claim({
        workerId: 'a',
        max: 10,
        leaseMs: 60_000,
        limits: { maxInFlight: 10, perMinute: 2 },
        now,
      });
      expect(second.messages).toHaveLength(0);
      expect(second.waitMs).toBeGreaterThan(55_000);
      const later = await store.claim({
        workerId: 'a',
        max: 10,
        leaseMs: 60_000,
        limits: { maxInFlight: 10, perMinute: 2 },
        now: new Date(now.getTime() + 61_000),
      });
      expect(later.messages).toHaveLength(2);
    });

    it('pauses every claim until a Retry-After has passed', async () => {
      await enqueue(message());
      const now = new Date();
      await store.pauseUntil(new Date(now.getTime() + 30_000));
      const paused = await store.claim({
        workerId: 'a',
        max: 1,
        leaseMs: 60_000,
        limits: unlimited,
        now,
      });
      expect(paused).toEqual({ messages: [], waitMs: 30_000 });
      const after = await store.claim({
        workerId: 'a',
        max: 1,
        leaseMs: 60_000,
        limits: unlimited,
        now: new Date(now.getTime() + 30_001),
      });
      expect(after.messages).toHaveLength(1);
    });

    it('deletes the content once sent and keeps the metadata', async () => {
      const { id } = await enqueue(message({ category: 'report' }));
      const [claimed] = (
        await store.claim({
          workerId: 'a',
          max: 1,
          leaseMs: 60_000,
          limits: unlimited,
        })
      ).messages;
      expect(await store.markAllSent([claimed.id], 'a', 'smtp')).toBe(1);
      const row = await knex('email_provider_messages').where({ id }).first();
      expect(row.payload).toBeNull();
      expect(await store.get(id)).toMatchObject({
        id,
        status: 'sent',
        provider: 'smtp',
        attempts: 1,
        category: 'report',
        caller: 'plugin:reports',
        recipientsCount: 2,
        sentAt: expect.any(String),
      });
    });

    it('records a failed attempt, for a retry later or for good', async () => {
      const { id } = await enqueue(message());
      let [claimed] = (
        await store.claim({
          workerId: 'a',
          max: 1,
          leaseMs: 60_000,
          limits: unlimited,
        })
      ).messages;
      const later = new Date(Date.now() + 60_000);
      await store.markFailedAttempt(claimed.id, 'a', {
        provider: 'smtp',
        failure,
        nextAttemptAt: later,
      });
      expect(await store.get(id)).toMatchObject({
        status: 'queued',
        attempts: 1,
        nextAttemptAt: later.toISOString(),
        lastError: { code: 'timeout', message: 'Timed out.' },
      });
      expect(
        (
          await store.claim({
            workerId: 'a',
            max: 1,
            leaseMs: 60_000,
            limits: unlimited,
          })
        ).messages,
      ).toEqual([]);

      [claimed] = (
        await store.claim({
          workerId: 'a',
          max: 1,
          leaseMs: 60_000,
          limits: unlimited,
          now: new Date(later.getTime() + 1),
        })
      ).messages;
      await store.markFailedAttempt(claimed.id, 'a', {
        failure: {
          code: 'recipient-rejected',
          message: 'Refused.',
          transient: false,
          providerReply: '550 5.1.1',
        },
      });
      expect(await store.get(id)).toMatchObject({
        status: 'failed',
        attempts: 2,
        lastError: { code: 'recipient-rejected', providerReply: '550 5.1.1' },
      });

      const retried = await store.retry(id, HOUR);
      expect(retried).toMatchObject({ status: 'queued', attempts: 0 });
      await expect(store.retry(id, HOUR)).rejects.toThrow(
        /only a failed message can be retried/,
      );
      await expect(store.get('no-such-id')).rejects.toThrow(
        /No message with id/,
      );
    });

    it('expires what waited too long, and purges old finished messages', async () => {
      const { id: old } = await enqueue(message({ expiresAfterMs: 1 }));
      const { id: fresh } = await enqueue(message());
      await new Promise(resolve => setTimeout(resolve, 10));
      expect(await store.expire()).toBe(1);
      expect(await store.get(old)).toMatchObject({
        status: 'failed',
        lastError: { code: 'expired' },
      });
      expect(await store.get(fresh)).toMatchObject({ status: 'queued' });

      expect(await store.purge(new Date(Date.now() + 1000))).toBe(1);
      await expect(store.get(old)).rejects.toThrow();
      expect(await store.get(fresh)).toMatchObject({ status: 'queued' });
    });

    it('lists with filters and paging, and summarizes health', async () => {
      for (let i = 0; i < 3; i++)
        await enqueue(message({ caller: 'plugin:alerts' }));
      await enqueue(message());
      const [claimed] = (
        await store.claim({
          workerId: 'a',
          max: 1,
          leaseMs: 60_000,
          limits: unlimited,
        })
      ).messages;
      await store.markFailedAttempt(claimed.id, 'a', {
        failure: { ...failure, transient: false },
      });

      expect(
        await store.list({ caller: 'plugin:alerts', limit: 2, offset: 0 }),
      ).toMatchObject({ totalCount: 3, items: [{}, {}] });
      expect(
        (
          await store.list({ status: 'failed', limit: 10, offset: 0 })
        ).items.map(i => i.id),
      ).toEqual([claimed.id]);
      expect(
        (
          await store.list({
            since: new Date(Date.now() + HOUR),
            limit: 10,
            offset: 0,
          })
        ).totalCount,
      ).toBe(0);
      const record = (await store.list({ limit: 1, offset: 0 })).items[0];
      expect(record).not.toHaveProperty('payload');

      expect(await store.summary()).toEqual({
        lastFailureAt: expect.any(String),
        waiting: 3,
        failedLast24Hours: 1,
      });
    });
  },
);
