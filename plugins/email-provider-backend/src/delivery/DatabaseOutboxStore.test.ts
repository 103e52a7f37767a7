import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { migrateDatabase } from '../database/migrateDatabase';
import { randomBytes } from 'node:crypto';
import { DeliveryLog } from '../deliveryLog/DeliveryLog';
import { RecipientHasher } from '../deliveryLog/RecipientHasher';
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
    recipientHashes: [],
    ...overrides,
  };
}

const unlimited = { maxInFlight: 1000 };
const SMTP = 'smtp mail.example.com:587 reports@example.com';
const MAILBOX_A = 'microsoft365 contoso.onmicrosoft.com reports@contoso.com';
const MAILBOX_B = 'microsoft365 contoso.onmicrosoft.com alerts@contoso.com';
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
    /** Claims as worker `a` for the SMTP server, without limits, unless the test says otherwise. */
    const claimMessages = (
      options: Partial<Parameters<DatabaseOutboxStore['claim']>[0]> = {},
    ) =>
      store.claim({
        workerId: 'a',
        max: 10,
        leaseMs: 60_000,
        limits: unlimited,
        destination: SMTP,
        ...options,
      });

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
      expect(await knex('email_provider_messages')).toHaveLength(4);
    });

    it('stores messages with the recipients of the new ones, a lone message in one statement on PostgreSQL', async () => {
      const statements: string[] = [];
      const record = (query: { sql: string }) => statements.push(query.sql);
      knex.on('query', record);
      const lone = await enqueue(
        message({ idempotencyKey: 'k1', recipientHashes: ['h1', 'h2'] }),
      );
      knex.off('query', record);
      // SQLite keeps its transaction: a statement per step, with nobody to wait for.
      expect(statements.length === 1 && /^with /.test(statements[0])).toBe(
        databaseId === 'POSTGRES_15',
      );

      // A duplicate of a stored message, and two with one key in the same batch.
      const batch = await store.enqueueAll([
        message({ idempotencyKey: 'k1', recipientHashes: ['h3'] }),
        message({ idempotencyKey: 'k2', recipientHashes: ['h4'] }),
        message({ recipientHashes: ['h5'] }),
        message({ idempotencyKey: 'k2', recipientHashes: ['h6'] }),
      ]);
      expect(batch).toEqual([
        { id: lone.id, status: 'queued', created: false },
        { id: expect.any(String), status: 'queued', created: true },
        { id: expect.any(String), status: 'queued', created: true },
        { id: batch[1].id, status: 'queued', created: false },
      ]);
      expect(
        await knex('email_provider_message_recipients')
          .select('message_id', 'recipient_hash')
          .orderBy('recipient_hash'),
      ).toEqual([
        { message_id: lone.id, recipient_hash: 'h1' },
        { message_id: lone.id, recipient_hash: 'h2' },
        { message_id: batch[1].id, recipient_hash: 'h4' },
        { message_id: batch[2].id, recipient_hash: 'h5' },
      ]);
      expect(await knex('email_provider_messages')).toHaveLength(3);
    });

    it('claims due messages once, within the in-flight limit, and lets a lapsed claim be taken over', async () => {
      for (let i = 0; i < 5; i++) await enqueue(message());
      const a = await claimMessages({
        leaseMs: 50,
        limits: { maxInFlight: 3 },
      });
      expect(a.messages).toHaveLength(3);
      expect(a.messages.every(m => m.attempts === 1)).toBe(true);
      const b = await claimMessages({
        workerId: 'b',
        leaseMs: 50,
        limits: { maxInFlight: 3 },
      });
      expect(b.messages).toHaveLength(0);

      await new Promise(resolve => setTimeout(resolve, 80));
      const c = await claimMessages({ workerId: 'c' });
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
      const claim = (maxBytes: number) => claimMessages({ maxBytes });
      expect((await claim(2500)).messages).toHaveLength(2);
      expect((await claim(10)).messages).toHaveLength(1);
    });

    it('never hands the same message to two concurrent claimers', async () => {
      for (let i = 0; i < 60; i++) await enqueue(message());
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          claimMessages({ workerId: `w${i}` }),
        ),
      );
      const ids = claims.flatMap(c => c.messages.map(m => m.id));
      expect(ids).toHaveLength(60);
      expect(new Set(ids).size).toBe(60);
    });

    it('keeps to the in-flight limit portal-wide when claims run at once', async () => {
      for (let i = 0; i < 30; i++) await enqueue(message());
      // Every claim starts while the pacing row is held, and goes on once it is let go: each
      // must count the messages the claims before it took.
      const holder = await knex.transaction();
      await holder('email_provider_delivery_pacing')
        .where('id', 1)
        .forUpdate()
        .first();
      const claiming = Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          claimMessages({ workerId: `w${i}`, limits: { maxInFlight: 4 } }),
        ),
      );
      await new Promise(resolve => setTimeout(resolve, 300));
      await holder.commit();
      const claims = await claiming;
      expect(claims.flatMap(c => c.messages)).toHaveLength(4);
    });

    it('says when more messages may be due than it had room for', async () => {
      for (let i = 0; i < 3; i++) await enqueue(message({ sizeBytes: 1000 }));
      expect(await claimMessages({ max: 1 })).toMatchObject({
        messages: [expect.anything()],
        more: true,
      });
      expect(await claimMessages({ maxBytes: 10 })).toMatchObject({
        messages: [expect.anything()],
        more: true,
      });
      expect(await claimMessages()).toMatchObject({
        messages: [expect.anything()],
        more: false,
      });
      expect((await claimMessages()).more).toBeFalsy();
    });

    it('keeps to a per-minute limit and says how long to wait', async () => {
      for (let i = 0; i < 5; i++) await enqueue(message());
      const now = new Date();
      const first = await claimMessages({
        limits: { maxInFlight: 10, perMinute: 2 },
        now,
      });
      expect(first.messages).toHaveLength(2);
      for (const m of first.messages)
        await store.markAllSent([m.id], 'a', 'microsoft365');
      const second = await claimMessages({
        limits: { maxInFlight: 10, perMinute: 2 },
        now,
      });
      expect(second.messages).toHaveLength(0);
      expect(second.waitMs).toBeGreaterThan(55_000);
      const later = await claimMessages({
        limits: { maxInFlight: 10, perMinute: 2 },
        now: new Date(now.getTime() + 61_000),
      });
      expect(later.messages).toHaveLength(2);
    });

    it('pauses claims for the throttled destination alone, until its Retry-After has passed', async () => {
      await enqueue(message());
      await enqueue(message());
      const now = new Date();
      const claim = (destination: string, at: Date) =>
        claimMessages({ max: 1, destination, now: at });
      await store.pauseUntil(MAILBOX_A, new Date(now.getTime() + 30_000));
      // An earlier Retry-After for the same mailbox does not shorten the pause.
      await store.pauseUntil(MAILBOX_A, new Date(now.getTime() + 10_000));
      expect(await claim(MAILBOX_A, now)).toEqual({
        messages: [],
        waitMs: 30_000,
        unreachable: false,
      });
      // Before the pause ends, but after the admin chose another mailbox.
      expect((await claim(MAILBOX_B, now)).messages).toHaveLength(1);
      expect(
        (await claim(MAILBOX_A, new Date(now.getTime() + 30_001))).messages,
      ).toHaveLength(1);
    });

    it('lets a new pause for another destination replace the old one', async () => {
      await enqueue(message());
      const now = new Date();
      await store.pauseUntil(MAILBOX_A, new Date(now.getTime() + 60_000));
      await store.pauseUntil(MAILBOX_B, new Date(now.getTime() + 5_000));
      const claim = (destination: string) =>
        claimMessages({ max: 1, destination, now });
      expect(await claim(MAILBOX_B)).toMatchObject({ waitMs: 5_000 });
      expect((await claim(MAILBOX_A)).messages).toHaveLength(1);
    });

    /** Messages claimed and failed for not reaching `destination`, next tried in an hour. */
    async function waitingFor(destination: string, count: number) {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push((await enqueue(message())).id);
      const { messages } = await claimMessages({ max: count, destination });
      const nextAttemptAt = new Date(Date.now() + HOUR);
      for (const claimed of messages) {
        await store.markFailedAttempt(claimed.id, 'a', {
          failure: { ...failure, code: 'connection-refused' },
          nextAttemptAt,
          waitingOn: destination,
        });
      }
      return { ids, nextAttemptAt };
    }

    it('makes the messages waiting for a destination due at once when it answers again', async () => {
      const { ids } = await waitingFor(SMTP, 3);
      const other = await waitingFor(MAILBOX_A, 1);
      await store.markUnreachable(SMTP, new Date(Date.now() + 60_000));
      const claim = () => claimMessages({ workerId: 'b' });
      const waiting = await claim();
      expect(waiting).toMatchObject({ messages: [], unreachable: true });
      expect(waiting.waitMs).toBeGreaterThan(50_000);

      expect(await store.drain(SMTP)).toBe(3);

      const due = await claim();
      expect(due.unreachable).toBe(false);
      expect(due.messages.map(m => m.id).sort()).toEqual([...ids].sort());
      expect(due.messages.every(m => m.attempts === 2 && !m.probe)).toBe(true);
      expect(await store.get(other.ids[0])).toMatchObject({
        status: 'queued',
        nextAttemptAt: other.nextAttemptAt.toISOString(),
      });
      expect(await store.drain(SMTP)).toBe(0);
    });

    it('probes one waiting message at a time, portal-wide, without costing it an attempt', async () => {
      const { nextAttemptAt } = await waitingFor(SMTP, 2);
      const now = new Date();
      await store.markUnreachable(SMTP, now);
      // A second failure does not put the probe off.
      await store.markUnreachable(SMTP, new Date(now.getTime() + 60_000));
      const claim = (workerId: string, at: Date) =>
        claimMessages({ workerId, now: at });

      const first = await claim('b', now);
      expect(first).toMatchObject({
        messages: [{ attempts: 2, probe: true }],
        unreachable: true,
      });
      const [probe] = first.messages;
      // Not while the probe is out, on any worker, nor for another destination.
      expect(
        (await claim('c', new Date(now.getTime() + 10_000))).messages,
      ).toEqual([]);
      expect(
        (await claimMessages({ workerId: 'c', destination: MAILBOX_A, now }))
          .messages,
      ).toEqual([]);

      await store.markFailedAttempt(probe.id, 'b', {
        failure: { ...failure, code: 'connection-refused' },
        waitingOn: SMTP,
        uncounted: true,
      });
      await store.scheduleProbe(SMTP, new Date(now.getTime() + 2000));
      expect(await store.get(probe.id)).toMatchObject({
        status: 'queued',
        attempts: 1,
        nextAttemptAt: nextAttemptAt.toISOString(),
        lastError: { code: 'connection-refused' },
      });
      expect(await claim('c', new Date(now.getTime() + 1000))).toMatchObject({
        messages: [],
        waitMs: 1000,
        unreachable: true,
      });
      expect(
        (await claim('c', new Date(now.getTime() + 2000))).messages,
      ).toMatchObject([{ probe: true, attempts: 2 }]);
    });

    it('stops probing once no message waits for the destination', async () => {
      const { ids } = await waitingFor(SMTP, 1);
      await store.markUnreachable(SMTP, new Date());
      await knex('email_provider_messages')
        .where('id', ids[0])
        .update({ status: 'failed' });
      const claim = () => claimMessages({ workerId: 'b' });
      expect(await claim()).toEqual({ messages: [], unreachable: false });
      expect(await claim()).toEqual({ messages: [], unreachable: false });
    });

    it('deletes the content once sent and keeps the metadata', async () => {
      const { id } = await enqueue(message({ category: 'report' }));
      const [claimed] = (await claimMessages({ max: 1 })).messages;
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

    it('stores a payload out of line as it is, without compressing it, on PostgreSQL', async () => {
      if (!databaseId.startsWith('POSTGRES')) {
        return;
      }
      const { rows } = await knex.raw(
        `select attstorage from pg_attribute
         where attrelid = 'email_provider_messages'::regclass and attname = 'payload'`,
      );
      expect(rows).toEqual([{ attstorage: 'e' }]);
      // A 1 MB attachment of random bytes, which base64 does not make compressible.
      const content = randomBytes(1024 * 1024).toString('base64');
      const { id } = await enqueue(
        message({
          sizeBytes: 1024 * 1024,
          payload: JSON.stringify({
            to: ['a@example.com'],
            subject: 'Random bytes',
            text: 'x',
            attachments: [
              {
                filename: 'r.bin',
                contentType: 'application/octet-stream',
                contentBase64: content,
              },
            ],
          }),
        }),
      );
      const {
        rows: [stored],
      } = await knex.raw(
        'select pg_column_size(payload) as size, octet_length(payload) as length from email_provider_messages where id = ?',
        [id],
      );
      expect(Number(stored.size)).toBeGreaterThanOrEqual(Number(stored.length));
      const [claimed] = (await claimMessages({ max: 1 })).messages;
      expect(JSON.parse(claimed.payload).attachments[0].contentBase64).toBe(
        content,
      );
    });

    it('records a failed attempt, for a retry later or for good', async () => {
      const { id } = await enqueue(message());
      let [claimed] = (await claimMessages({ max: 1 })).messages;
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
      expect((await claimMessages({ max: 1 })).messages).toEqual([]);

      [claimed] = (
        await claimMessages({ max: 1, now: new Date(later.getTime() + 1) })
      ).messages;
      await store.markFailedAttempt(claimed.id, 'a', {
        failure: {
          code: 'recipient-rejected',
          message: 'Refused.',
          params: { reason: 'smtp', reply: '550 5.1.1' },
          transient: false,
          providerReply: '550 5.1.1',
        },
      });
      expect(await store.get(id)).toMatchObject({
        status: 'failed',
        attempts: 2,
        lastError: {
          code: 'recipient-rejected',
          params: { reason: 'smtp', reply: '550 5.1.1' },
          providerReply: '550 5.1.1',
        },
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

    it('lists what it stored, and summarizes health', async () => {
      for (let i = 0; i < 3; i++)
        await enqueue(message({ caller: 'plugin:alerts' }));
      await enqueue(message());
      const [claimed] = (await claimMessages({ max: 1 })).messages;
      await store.markFailedAttempt(claimed.id, 'a', {
        failure: { ...failure, transient: false },
      });

      const log = new DeliveryLog(knex, new RecipientHasher([randomBytes(32)]));
      expect(
        await log.list({ caller: 'plugin:alerts' }, { limit: 2 }),
      ).toMatchObject({ totalCount: 3, items: [{}, {}] });
      expect(
        (await log.list({ status: 'failed' }, { limit: 10 })).items.map(
          i => i.id,
        ),
      ).toEqual([claimed.id]);
      expect(
        (await log.list({ from: new Date(Date.now() + HOUR) }, { limit: 10 }))
          .totalCount,
      ).toBe(0);
      const record = (await log.list({}, { limit: 1 })).items[0];
      expect(record).not.toHaveProperty('payload');

      expect(await store.summary()).toEqual({
        lastFailureAt: expect.any(String),
        waiting: 3,
        failedLast24Hours: 1,
      });
    });
  },
);
