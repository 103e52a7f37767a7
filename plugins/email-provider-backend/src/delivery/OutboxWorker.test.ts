import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { Knex } from 'knex';
import net, { AddressInfo } from 'node:net';
import {
  MicrosoftFake,
  SmtpSink,
  startMailTestServersBeforeAll,
  startMicrosoftFake,
  unusedPort,
} from '@internal/mail-test-servers';
import { migratedSettingsService } from '../__testUtils__/testSettings';
import { testUnsubscribe } from '../__testUtils__/unsubscribe';
import { DestinationGuard } from '../providers/DestinationGuard';
import { MailProviderFactory } from '../providers/MailProviderFactory';
import { SettingsService } from '../settings/SettingsService';
import { DatabaseOutboxStore } from './DatabaseOutboxStore';
import { DeliveryOptions, readDeliveryOptions } from './DeliveryOptions';
import { OutboxWorker } from './OutboxWorker';

jest.setTimeout(90_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const PASSWORD = 'worker-test-password';
const FROM = 'reports@example.com';

const options = readDeliveryOptions(
  new ConfigReader({
    emailProvider: {
      delivery: {
        maxAttempts: 50,
        retryDelay: { milliseconds: 100 },
        maxRetryDelay: { milliseconds: 400 },
        pollInterval: { milliseconds: 50 },
        claimLease: { seconds: 30 },
        smtp: { maxInFlight: 10 },
        microsoft365: { messagesPerMinute: 10_000 },
      },
    },
  }),
);

const servers = startMailTestServersBeforeAll({ trustCa: true });

async function waitFor(
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error('Timed out waiting');
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

describe.each(databases.eachSupportedId())('OutboxWorker (%s)', databaseId => {
  let knex: Knex;
  let settings: SettingsService;
  let outbox: DatabaseOutboxStore;
  let providers: MailProviderFactory;
  const workers: OutboxWorker[] = [];
  const closers: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    settings = await migratedSettingsService(knex);
    outbox = new DatabaseOutboxStore(knex);
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map(w => w.stop()));
    await Promise.all(closers.splice(0).map(close => close()));
  });

  function startWorker(
    extra: Partial<DeliveryOptions> = {},
    factory?: MailProviderFactory,
  ) {
    providers =
      factory ??
      new MailProviderFactory({
        destinations: new DestinationGuard(),
        authorityHost: 'https://login.microsoftonline.com',
        graphBaseUrl: 'https://graph.microsoft.com',
      });
    const worker = new OutboxWorker({
      store: outbox,
      settings,
      providers,
      ...testUnsubscribe(knex),
      logger: mockServices.logger.mock(),
      options: { ...options, ...extra },
    });
    worker.start();
    workers.push(worker);
    return worker;
  }

  async function useSmtp(port: number) {
    await settings.save(
      {
        provider: 'smtp',
        smtp: {
          host: 'localhost',
          port,
          security: 'starttls',
          from: FROM,
          usernameSameAsFrom: true,
          password: PASSWORD,
        },
      },
      { updatedBy: 'user:default/ada' },
    );
  }

  async function startSink(
    extra: Partial<Parameters<typeof SmtpSink.start>[0]> = {},
  ) {
    const sink = await SmtpSink.start({
      certificate: servers.pki.localhost,
      credentials: { username: FROM, password: PASSWORD },
      ...extra,
    });
    closers.push(() => sink.close());
    return sink;
  }

  async function enqueue(
    count: number,
    to = (i: number) => `user${i}@example.com`,
  ) {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const request = {
        to: [to(i)],
        subject: `Message ${i}`,
        text: `Body ${i}`,
      };
      const [{ id }] = await outbox.enqueueAll([
        {
          caller: 'plugin:test',
          subject: request.subject,
          recipientsCount: 1,
          sizeBytes: 10,
          messageId: `<msg-${i}-${Math.random()
            .toString(36)
            .slice(2)}@example.com>`,
          payload: JSON.stringify(request),
          expiresAfterMs: 3600_000,
          recipientHashes: [],
        },
      ]);
      ids.push(id);
    }
    return ids;
  }

  const countByStatus = async (status: string) =>
    Number(
      (
        await knex('email_provider_messages')
          .where({ status })
          .count({ n: '*' })
      )[0].n,
    );

  it('delivers every queued message once and deletes its content', async () => {
    const sink = await startSink();
    await useSmtp(sink.port);
    await enqueue(50);
    startWorker();
    await waitFor(async () => (await countByStatus('sent')) === 50);
    expect(sink.received).toHaveLength(50);
    expect(new Set(sink.received.map(m => m.parsed.messageId)).size).toBe(50);
    expect(
      await knex('email_provider_messages').whereNotNull('payload'),
    ).toEqual([]);
  });

  it('claims a lone message once, and looks for no more work once it is sent', async () => {
    const sink = await startSink();
    await useSmtp(sink.port);
    let claims = 0;
    const countClaims = (query: { sql: string }) => {
      // Each claim starts by reading the pacing row.
      if (
        /^select \* from [`"]email_provider_delivery_pacing[`"]/.test(query.sql)
      ) {
        claims += 1;
      }
    };
    knex.on('query', countClaims);
    try {
      // No polls in between: every claim is one the worker was woken for.
      const worker = startWorker({ pollIntervalMs: 60_000 });
      await waitFor(() => claims === 1);
      for (let i = 1; i <= 3; i++) {
        await enqueue(1);
        worker.notifyEnqueued();
        await waitFor(async () => (await countByStatus('sent')) === i);
        await new Promise(resolve => setTimeout(resolve, 100));
        expect(claims).toBe(1 + i);
      }
    } finally {
      knex.off('query', countClaims);
    }
  });

  it('loses nothing while the SMTP server is down, and sends nothing twice when it is back', async () => {
    const port = await unusedPort();
    await useSmtp(port);
    await enqueue(500);
    startWorker();
    const refusedAttempts = async () => {
      const [row] = await knex('email_provider_messages')
        .where('last_error_code', 'connection-refused')
        .count({ n: '*' });
      return Number(row.n);
    };
    await waitFor(async () => (await refusedAttempts()) > 0);
    expect(await countByStatus('sent')).toBe(0);

    const sink = await startSink({ port });
    await waitFor(async () => (await countByStatus('sent')) === 500, 80_000);
    expect(sink.received).toHaveLength(500);
    expect(new Set(sink.received.map(m => m.parsed.messageId)).size).toBe(500);
    expect(await countByStatus('failed')).toBe(0);
  });

  describe('after an outage', () => {
    const waitingAfterOneAttempt = async (count: number) => {
      const rows = await knex('email_provider_messages').select(
        'status',
        'attempts',
        'last_error_code',
      );
      return (
        rows.length === count &&
        rows.every(
          row =>
            row.status === 'queued' &&
            row.attempts === 1 &&
            row.last_error_code !== null,
        )
      );
    };

    it('delivers the backlog within 5 s of the SMTP server coming back, with the default retry delays', async () => {
      const port = await unusedPort();
      await useSmtp(port);
      await enqueue(200);
      // The product's defaults: the first retry comes 15 to 30 s after the first failure.
      const defaults = readDeliveryOptions(new ConfigReader({}));
      startWorker(defaults);
      startWorker(defaults);
      await waitFor(() => waitingAfterOneAttempt(200));
      // The server stays down a while longer, then comes back on the same port.
      await new Promise(resolve => setTimeout(resolve, 3000));
      const sink = await startSink({ port });
      const backAt = Date.now();

      await waitFor(async () => (await countByStatus('sent')) === 200, 30_000);
      const drainMs = Date.now() - backAt;

      expect(drainMs).toBeLessThan(5000);
      expect(sink.received).toHaveLength(200);
      expect(new Set(sink.received.map(m => m.parsed.messageId)).size).toBe(
        200,
      );
      expect(await countByStatus('failed')).toBe(0);
    });

    it('probes a down server one message at a time, at the interval, without using up attempts', async () => {
      // Takes each connection and hangs up at once, as a server going down would.
      let connections = 0;
      const server = net.createServer(socket => {
        connections += 1;
        socket.destroy();
      });
      await new Promise<void>(resolve =>
        server.listen(0, '127.0.0.1', resolve),
      );
      closers.push(() => new Promise(resolve => server.close(() => resolve())));
      await useSmtp((server.address() as AddressInfo).port);
      await enqueue(3);
      startWorker({
        retryDelayMs: 60_000,
        maxRetryDelayMs: 60_000,
        probeIntervalMs: 300,
      });
      startWorker({
        retryDelayMs: 60_000,
        maxRetryDelayMs: 60_000,
        probeIntervalMs: 300,
      });
      await waitFor(() => waitingAfterOneAttempt(3));
      const before = connections;

      await new Promise(resolve => setTimeout(resolve, 3000));

      const probes = connections - before;
      expect(probes).toBeGreaterThanOrEqual(4);
      expect(probes).toBeLessThanOrEqual(11);
      // Once the probe out now has ended too.
      await Promise.all(workers.splice(0).map(w => w.stop()));
      expect(await waitingAfterOneAttempt(3)).toBe(true);
    });
  });

  it('fails a permanently refused message once, with its reason, and delivers the rest', async () => {
    const sink = await startSink({ rejectRecipients: ['user3@example.com'] });
    await useSmtp(sink.port);
    const ids = await enqueue(10);
    startWorker();
    await waitFor(
      async () =>
        (await countByStatus('sent')) === 9 &&
        (await countByStatus('failed')) === 1,
    );
    expect(await outbox.get(ids[3])).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: {
        code: 'recipient-rejected',
        providerReply: expect.stringContaining('550'),
      },
    });
    expect(sink.received).toHaveLength(9);
  });

  it('keeps messages waiting while no provider is active, then delivers them', async () => {
    const sink = await startSink();
    await enqueue(5);
    startWorker();
    await new Promise(resolve => setTimeout(resolve, 300));
    expect(await countByStatus('queued')).toBe(5);
    expect(
      (await knex('email_provider_messages').max({ a: 'attempts' }))[0].a,
    ).toBe(0);
    await useSmtp(sink.port);
    await waitFor(async () => (await countByStatus('sent')) === 5);
  });

  it('sends nothing through a provider the moment it is deleted', async () => {
    const sink = await startSink();
    await useSmtp(sink.port);
    await enqueue(1);
    const worker = startWorker();
    await waitFor(async () => (await countByStatus('sent')) === 1);
    await settings.save(
      { provider: 'none' },
      { updatedBy: 'user:default/ada' },
    );
    await enqueue(3);
    worker.notifyEnqueued();
    await new Promise(resolve => setTimeout(resolve, 300));
    expect(await countByStatus('queued')).toBe(3);
    expect(sink.received).toHaveLength(1);
  });

  it('shares the outbox between workers: every message exactly once', async () => {
    const sink = await startSink();
    await useSmtp(sink.port);
    await enqueue(600);
    startWorker();
    startWorker();
    startWorker();
    await waitFor(async () => (await countByStatus('sent')) === 600, 80_000);
    expect(sink.received).toHaveLength(600);
    expect(new Set(sink.received.map(m => m.parsed.messageId)).size).toBe(600);
  });

  describe('Microsoft 365', () => {
    let fake: MicrosoftFake;

    /** Makes the fake's application the active provider; a save without a secret keeps it. */
    const useMicrosoft365 = (
      signIn: { clientSecret: string } | { largeMessages: true },
    ) =>
      settings.save(
        {
          provider: 'microsoft365',
          microsoft365: {
            from: 'reports@contoso.onmicrosoft.com',
            tenantId: fake.settings.tenantId,
            clientId: fake.settings.clientId,
            ...signIn,
          },
        },
        { updatedBy: 'user:default/ada' },
      );

    beforeEach(async () => {
      fake = await startMicrosoftFake(servers.pki, { sendMailDelayMs: 30 });
      closers.push(() => fake.close());
      await useMicrosoft365({ clientSecret: fake.settings.clientSecret });
    });

    function factory() {
      return new MailProviderFactory({
        destinations: new DestinationGuard(),
        authorityHost: fake.authorityHost,
        graphBaseUrl: fake.graphBaseUrl,
      });
    }

    it('honours 429 Retry-After: nothing lost, no storm, never more than 4 requests at once', async () => {
      await enqueue(40);
      fake.throttleSendMail(4, 1);
      const started = Date.now();
      startWorker({}, factory());
      startWorker({}, factory());
      await waitFor(async () => (await countByStatus('sent')) === 40);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(fake.received).toHaveLength(40);
      expect(
        new Set(fake.received.map(m => m.message.internetMessageId)).size,
      ).toBe(40);
      expect(fake.counters.maxGraphRequestsInFlight).toBeLessThanOrEqual(4);
      expect(fake.counters.sendMailRequests).toBeLessThanOrEqual(44);
      expect(fake.counters.tokenRequests).toBeLessThanOrEqual(2);
    });

    it('sends large messages through upload sessions, never more than 4 Graph requests at once', async () => {
      fake.configure({
        roles: ['Mail.Send', 'Mail.ReadWrite'],
        uploadDelayMs: 20,
      });
      await useMicrosoft365({ largeMessages: true });
      // 4 MB each: an upload session in two ranges.
      const content = Buffer.alloc(4 * 1024 * 1024, 7);
      const contentBase64 = content.toString('base64');
      for (let i = 0; i < 10; i++) {
        await outbox.enqueueAll([
          {
            caller: 'plugin:test',
            subject: `Large ${i}`,
            recipientsCount: 1,
            sizeBytes: content.length,
            messageId: `<large-${i}@contoso.onmicrosoft.com>`,
            payload: JSON.stringify({
              to: [`user${i}@example.com`],
              subject: `Large ${i}`,
              text: 'See the attachment.',
              attachments: [
                {
                  filename: 'data.bin',
                  contentType: 'application/octet-stream',
                  contentBase64,
                },
              ],
            }),
            expiresAfterMs: 3600_000,
            recipientHashes: [],
          },
        ]);
      }

      startWorker({}, factory());
      startWorker({}, factory());
      await waitFor(async () => (await countByStatus('sent')) === 10);

      expect(fake.received).toHaveLength(10);
      expect(fake.received.every(mail => mail.sentAs === 'draft')).toBe(true);
      for (const mail of fake.received) {
        const [attachment] = mail.message.attachments ?? [];
        expect(
          Buffer.from(attachment.contentBytes, 'base64').equals(content),
        ).toBe(true);
      }
      expect(fake.counters.uploadChunks).toBe(20);
      expect(fake.counters.uploadsWithAuthorization).toBe(0);
      expect(fake.drafts.size).toBe(0);
      expect(fake.counters.maxGraphRequestsInFlight).toBeLessThanOrEqual(4);
      expect(fake.counters.maxGraphRequestsInFlight).toBeGreaterThanOrEqual(2);
    });

    it('cuts a long Retry-After to maxRetryAfterMs', async () => {
      await enqueue(3);
      fake.throttleSendMail(1, 3600);
      const started = Date.now();
      startWorker({ maxRetryAfterMs: 1000 }, factory());
      await waitFor(async () => (await countByStatus('sent')) === 3, 15_000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(fake.received).toHaveLength(3);
    });

    it('pauses only the throttled mailbox: once the admin picks another, delivery goes on', async () => {
      const other = 'alerts@contoso.onmicrosoft.com';
      fake.configure({
        mailboxes: ['reports@contoso.onmicrosoft.com', other],
      });
      const [throttled] = await enqueue(1);
      fake.throttleSendMail(1, 600);
      const worker = startWorker({}, factory());
      await waitFor(
        async () =>
          (await outbox.get(throttled)).lastError?.code === 'throttled',
      );
      await settings.save(
        {
          provider: 'microsoft365',
          microsoft365: {
            from: other,
            tenantId: fake.settings.tenantId,
            clientId: fake.settings.clientId,
          },
        },
        { updatedBy: 'user:default/ada' },
      );
      await enqueue(5);
      worker.notifyEnqueued();

      await waitFor(async () => (await countByStatus('sent')) === 5, 10_000);
      expect(fake.received.map(mail => mail.mailbox)).toEqual(
        Array(5).fill(other),
      );
      // The throttled message keeps its own retry time.
      expect(await outbox.get(throttled)).toMatchObject({ status: 'queued' });
    });

    it('keeps to the messages-a-minute limit', async () => {
      await enqueue(8);
      startWorker(
        { microsoft365: { maxConcurrentRequests: 4, messagesPerMinute: 5 } },
        factory(),
      );
      await waitFor(async () => (await countByStatus('sent')) === 5);
      await new Promise(resolve => setTimeout(resolve, 500));
      expect(await countByStatus('sent')).toBe(5);
      expect(fake.received).toHaveLength(5);
    });
  });
});
