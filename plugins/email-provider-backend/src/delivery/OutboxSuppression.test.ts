import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { SendEmailRequest } from '@email-provider/backstage-plugin-email-provider-common';
import {
  SmtpSink,
  startMailTestServersBeforeAll,
} from '@internal/mail-test-servers';
import { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import { eventually } from '../__testUtils__/emailProviderTestBackend';
import {
  localSmtpSettings,
  migratedSettingsService,
} from '../__testUtils__/testSettings';
import {
  TEST_PLUGIN_BASE_URL,
  testUnsubscribe,
} from '../__testUtils__/unsubscribe';
import { DeliveryLog } from '../deliveryLog/DeliveryLog';
import { RecipientHasher } from '../deliveryLog/RecipientHasher';
import { MailProviderFactory } from '../providers/MailProviderFactory';
import { SettingsService } from '../settings/SettingsService';
import { SuppressionStore } from '../suppressions/SuppressionStore';
import { UnsubscribeTokens } from '../suppressions/UnsubscribeTokens';
import { DatabaseOutboxStore } from './DatabaseOutboxStore';
import { readDeliveryOptions } from './DeliveryOptions';
import { OutboxIntake } from './OutboxIntake';
import { OutboxWorker } from './OutboxWorker';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const FROM = 'reports@example.com';
const PASSWORD = 'suppression-test-password';
const CALLER = 'plugin:notifications';

const servers = startMailTestServersBeforeAll({ trustCa: true });
const options = readDeliveryOptions(
  new ConfigReader({
    emailProvider: { delivery: { pollInterval: { milliseconds: 50 } } },
  }),
);

const message = (
  to: string,
  list?: string,
  subject = `To ${to} (${list ?? 'no list'})`,
): SendEmailRequest => ({
  to: [to],
  subject,
  text: 'Hello',
  ...(list
    ? { unsubscribe: { list, description: `The ${list} notifications` } }
    : {}),
});

/** A header of a received message as its lines had it, unfolded. */
const header = (
  mail: SmtpSink['received'][number],
  name: string,
): string | undefined =>
  mail.parsed.headerLines
    .find(line => line.key === name.toLowerCase())
    ?.line.replace(/\r?\n[ \t]+/g, ' ')
    .slice(name.length + 1)
    .trim();

describe.each(databases.eachSupportedId())(
  'the outbox and the suppression list (%s)',
  databaseId => {
    let knex: Knex;
    let settings: SettingsService;
    let store: DatabaseOutboxStore;
    let suppressions: SuppressionStore;
    let unsubscribeTokens: UnsubscribeTokens;
    let intake: OutboxIntake;
    let sink: SmtpSink;
    let worker: OutboxWorker | undefined;

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      settings = await migratedSettingsService(knex);
      store = new DatabaseOutboxStore(knex);
      ({ suppressions, unsubscribeTokens } = testUnsubscribe(knex));
      sink = await SmtpSink.start({
        certificate: servers.pki.localhost,
        credentials: { username: FROM, password: PASSWORD },
      });
      await settings.save(
        localSmtpSettings({ port: sink.port, from: FROM, password: PASSWORD }),
        { updatedBy: 'user:default/ada' },
      );
      intake = new OutboxIntake({
        store,
        settings,
        providers: MailProviderFactory.fromConfig(new ConfigReader({})),
        options,
        recipients: new RecipientHasher([randomBytes(32)]),
        suppressions,
        onStored: () => worker?.notifyEnqueued(),
      });
    });

    afterEach(async () => {
      await worker?.stop();
      worker = undefined;
      await sink.close();
    });

    function startWorker() {
      worker = new OutboxWorker({
        store,
        settings,
        providers: MailProviderFactory.fromConfig(new ConfigReader({})),
        suppressions,
        unsubscribeTokens,
        logger: mockServices.logger.mock(),
        options,
      });
      worker.start();
    }

    const row = (id: string) =>
      knex('email_provider_messages').where({ id }).first();

    it('sends the one-click headers with a link for the one recipient', async () => {
      startWorker();
      const withList = await intake.accept(
        CALLER,
        message('Ada@example.com', 'catalog'),
      );
      const without = await intake.accept(CALLER, message('ada@example.com'));
      expect([withList.status, without.status]).toEqual(['queued', 'queued']);
      await eventually('both messages', () => sink.received.length === 2);

      const [linked] = sink.received.filter(m =>
        m.parsed.subject?.includes('catalog'),
      );
      const [plain] = sink.received.filter(m =>
        m.parsed.subject?.includes('no list'),
      );
      expect(header(linked, 'List-Unsubscribe-Post')).toBe(
        'List-Unsubscribe=One-Click',
      );
      const listUnsubscribe = header(linked, 'List-Unsubscribe')!;
      const link = /^<([^>]+)>$/.exec(listUnsubscribe)?.[1];
      expect(link).toMatch(
        new RegExp(`^${TEST_PLUGIN_BASE_URL}/unsubscribe/[A-Za-z0-9_-]+$`),
      );
      expect(unsubscribeTokens.read(link!.split('/').pop()!)).toEqual({
        caller: CALLER,
        list: 'catalog',
        description: 'The catalog notifications',
        address: 'Ada@example.com',
      });
      expect(header(plain, 'List-Unsubscribe')).toBeUndefined();
      expect(header(plain, 'List-Unsubscribe-Post')).toBeUndefined();
    });

    it('stores a message to a suppressed recipient as suppressed and never sends it', async () => {
      await suppressions.add({
        caller: CALLER,
        list: 'catalog',
        address: 'ada@example.com',
        source: 'one-click',
      });
      startWorker();
      const [suppressed, otherAddress, otherList, otherCaller] =
        await Promise.all([
          intake.accept(CALLER, message('ADA@example.com', 'catalog')),
          intake.accept(CALLER, message('grace@example.com', 'catalog')),
          intake.accept(CALLER, message('ada@example.com', 'scaffolder')),
          intake.accept(
            'plugin:reports',
            message('ada@example.com', 'catalog'),
          ),
        ]);
      expect(suppressed.status).toBe('suppressed');
      expect([otherAddress, otherList, otherCaller].map(a => a.status)).toEqual(
        ['queued', 'queued', 'queued'],
      );
      await eventually('three messages', () => sink.received.length === 3);
      expect(await row(suppressed.id)).toMatchObject({
        status: 'suppressed',
        payload: null,
        attempts: 0,
        last_error_code: null,
      });
      // Given time to go out, if it were to.
      await new Promise(resolve => setTimeout(resolve, 300));
      expect(sink.received.map(m => m.envelope.to)).not.toContainEqual([
        'ADA@example.com',
      ]);
      expect(sink.received).toHaveLength(3);
      // The same idempotency key answers with the message stored first, as for any message.
      const keyed = {
        ...message('ada@example.com', 'catalog'),
        idempotencyKey: 'k1',
      };
      const first = await intake.accept(CALLER, keyed);
      expect(await intake.accept(CALLER, keyed)).toEqual(first);
    });

    it('counts a suppressed message as neither waiting nor failed, and purges it with the log', async () => {
      await suppressions.add({
        caller: CALLER,
        list: 'catalog',
        address: 'ada@example.com',
        source: 'one-click',
      });
      const suppressed = await intake.accept(
        CALLER,
        message('ada@example.com', 'catalog'),
      );
      expect(suppressed.status).toBe('suppressed');

      const log = new DeliveryLog(knex, new RecipientHasher([randomBytes(32)]));
      const { buckets } = await log.stats({ bucket: 'hour' });
      expect(buckets[buckets.length - 1]).toMatchObject({
        sent: 0,
        failed: 0,
        waiting: 0,
      });
      expect(
        (await log.list({ status: 'suppressed' }, { limit: 10 })).items.map(
          r => r.id,
        ),
      ).toEqual([suppressed.id]);
      expect(
        await store.deliveryHealth({
          failedSince: new Date(0),
          expiresAfterMs: options.expireAfterMs,
        }),
      ).toEqual({ failedCount: 0, waitingCount: 0 });
      expect(await store.summary()).toMatchObject({
        waiting: 0,
        failedLast24Hours: 0,
      });
      expect(await store.expire(new Date(Date.now() + 48 * 3600_000))).toBe(0);

      expect(await store.purge(new Date(Date.now() + 1000))).toBe(1);
      expect(await row(suppressed.id)).toBeUndefined();
    });

    it('does not send a queued message whose recipient unsubscribed while it waited', async () => {
      const queued = await intake.accept(
        CALLER,
        message('ada@example.com', 'catalog'),
      );
      const other = await intake.accept(
        CALLER,
        message('grace@example.com', 'catalog'),
      );
      expect(queued.status).toBe('queued');
      await suppressions.add({
        caller: CALLER,
        list: 'catalog',
        address: 'ada@example.com',
        source: 'confirmation-page',
      });
      startWorker();
      await eventually(
        'the message suppressed',
        async () => (await row(queued.id)).status === 'suppressed',
      );
      await eventually(
        'the other message sent',
        async () => (await row(other.id)).status === 'sent',
      );
      expect(await row(queued.id)).toMatchObject({
        payload: null,
        attempts: 0,
        last_attempt_at: null,
        claimed_by: null,
      });
      expect(sink.received.map(m => m.envelope.to)).toEqual([
        ['grace@example.com'],
      ]);
      expect((await store.get(queued.id)).lastError).toBeUndefined();
    });
  },
);
