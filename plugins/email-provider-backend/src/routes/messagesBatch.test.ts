import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import type {
  SendEmailBatchOutcome,
  SendEmailRequest,
} from '@email-provider/backstage-plugin-email-provider-common';
import { startMailTestServersBeforeAll } from '@internal/mail-test-servers';
import knexFactory, { Knex } from 'knex';
import {
  ADMIN,
  eventually,
  messageCallers,
  startEmailProviderTestBackend,
  TEST_ENCRYPTION_KEY,
} from '../__testUtils__/emailProviderTestBackend';
import { localSmtpSettings } from '../__testUtils__/testSettings';
import { testUnsubscribe } from '../__testUtils__/unsubscribe';
import { MESSAGES } from '../delivery/DatabaseOutboxStore';

jest.setTimeout(60_000);

const { SERVICE } = messageCallers;
const CALLER = 'plugin:reports';
const FROM = 'reports@example.com';
const PASSWORD = 'batch-test-pw-1234';
const MB = 1024 * 1024;

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const servers = startMailTestServersBeforeAll({
  smtp: { credentials: { username: FROM, password: PASSWORD } },
  trustCa: true,
});

let counter = 0;
/** A subject no other test of this file uses, so that its mail is found among all of theirs. */
const uniqueSubject = (what: string) => `${what} #${++counter}`;

const message = (
  to: string,
  subject: string,
  more: Partial<SendEmailRequest> = {},
): SendEmailRequest => ({ to: [to], subject, text: 'Hello', ...more });

/** A message with a text body of `bytes`: over 1 MB it is over the tests' size limit. */
const sized = (bytes: number, subject: string) =>
  message('ada@example.com', subject, { text: 'x'.repeat(bytes) });

async function startPortal(
  knex: Knex,
  options: { delivery?: object; provider?: boolean } = {},
) {
  const portal = await startEmailProviderTestBackend({
    database: knex,
    permissions: ({ userEntityRef }) => userEntityRef === ADMIN,
    emailProvider: {
      delivery: {
        pollInterval: { milliseconds: 50 },
        maxMessageSizeMb: 1,
        ...options.delivery,
      },
    },
  });
  if (options.provider !== false) {
    await portal
      .api(
        'put',
        '/settings',
        mockCredentials.user.header(ADMIN),
        localSmtpSettings({
          port: servers.smtp.port,
          from: FROM,
          password: PASSWORD,
        }),
      )
      .expect(200);
  }
  const sendBatch = (messages: unknown[], caller = SERVICE) =>
    portal.api('post', '/messages/batch', caller, { messages });
  /** Posts a batch that must be answered 200, and returns its outcomes. */
  const outcomes = async (messages: unknown[]) => {
    const res = await sendBatch(messages);
    expect(res.status).toBe(200);
    return res.body.results as SendEmailBatchOutcome[];
  };
  const storedCount = async () =>
    (await portal.api('get', '/messages?limit=1').expect(200)).body
      .totalCount as number;
  const statusOf = async (id: string) =>
    (await portal.api('get', `/messages/${id}`).expect(200)).body.status;
  /** The mails the SMTP server received with this subject. */
  const received = (subject: string) =>
    servers.smtp.received.filter(m => m.parsed.subject === subject);
  return {
    ...portal,
    sendBatch,
    outcomes,
    storedCount,
    statusOf,
    received,
  };
}

/** An outcome's id, for an outcome that must be accepted. */
function idOf(outcome: SendEmailBatchOutcome): string {
  expect(outcome).toMatchObject({ accepted: true });
  return (outcome as { id: string }).id;
}

describe.each(databases.eachSupportedId())(
  'POST /messages/batch (%s)',
  databaseId => {
    it('answers each message on its own, in order, stores only the valid ones and delivers them', async () => {
      const portal = await startPortal(await databases.init(databaseId));
      const forAda = uniqueSubject('December report for Ada');
      const forGrace = uniqueSubject('December report for Grace');
      const badAddress = message('Eve <eve@example.com>', 'For Eve', {
        idempotencyKey: 'report:2026-12:eve',
      });
      const tooLarge = sized(MB + 10, 'Too large');

      const results = await portal.outcomes([
        message('ada@example.com', forAda, {
          idempotencyKey: 'report:2026-12:ada',
          category: 'monthly-report',
        }),
        badAddress,
        tooLarge,
        message('grace@example.com', forGrace),
        null,
      ]);

      expect(results).toEqual([
        {
          accepted: true,
          id: expect.any(String),
          status: 'queued',
          idempotencyKey: 'report:2026-12:ada',
        },
        {
          accepted: false,
          error: {
            name: 'InputError',
            message: expect.stringMatching(
              /^to\.0: to must be a single plain address/,
            ),
          },
          idempotencyKey: 'report:2026-12:eve',
        },
        {
          accepted: false,
          error: {
            name: 'InputError',
            message: expect.stringMatching(
              /^The message is [\d.]+ MB; the portal accepts at most 1\.0 MB/,
            ),
          },
        },
        { accepted: true, id: expect.any(String), status: 'queued' },
        {
          accepted: false,
          error: {
            name: 'InputError',
            message: expect.stringContaining('to: '),
          },
        },
      ]);
      // The same words as POST /messages answers for the same message.
      for (const [index, refused] of [
        [1, badAddress],
        [2, tooLarge],
      ] as const) {
        const single = await portal
          .api('post', '/messages', SERVICE, refused)
          .expect(400);
        expect(results[index]).toMatchObject({
          error: {
            name: single.body.error.name,
            message: single.body.error.message,
          },
        });
      }

      const ada = idOf(results[0]);
      const grace = idOf(results[3]);
      await eventually('both messages sent', async () => {
        const statuses = [
          await portal.statusOf(ada),
          await portal.statusOf(grace),
        ];
        return statuses.every(status => status === 'sent');
      });
      expect(await portal.storedCount()).toBe(2);
      const [mail] = portal.received(forAda);
      expect(mail.envelope.to).toEqual(['ada@example.com']);
      expect(portal.received(forGrace)).toHaveLength(1);
      expect(
        servers.smtp.received.filter(m =>
          ['For Eve', 'Too large'].includes(m.parsed.subject ?? ''),
        ),
      ).toEqual([]);
      const record = (await portal.api('get', `/messages/${ada}`).expect(200))
        .body;
      expect(record).toMatchObject({
        caller: CALLER,
        category: 'monthly-report',
        recipientsCount: 1,
      });
      // A service call, as POST /messages: nothing for the audit log.
      expect(
        portal.auditEvents.filter(e => e.eventId.includes('message')),
      ).toEqual([]);
    });

    it('stores 500 messages in one call and delivers each once', async () => {
      const portal = await startPortal(await databases.init(databaseId));
      const subject = uniqueSubject('Report');
      const batch = Array.from({ length: 500 }, (_, i) =>
        message(`user${i}@example.com`, subject, {
          idempotencyKey: `report:2026-12:user${i}`,
        }),
      );

      const results = await portal.outcomes(batch);

      expect(results.every(r => r.accepted && r.status === 'queued')).toBe(
        true,
      );
      expect(results.map(r => r.idempotencyKey)).toEqual(
        batch.map(m => m.idempotencyKey),
      );
      expect(new Set(results.map(idOf)).size).toBe(500);
      await eventually(
        '500 messages delivered',
        () => portal.received(subject).length >= 500,
        40_000,
      );
      const recipients = portal
        .received(subject)
        .map(m => m.envelope.to[0])
        .sort();
      expect(recipients).toEqual(batch.map(m => m.to[0]).sort());
    });

    it('answers a repeated idempotency key with the message stored first, within a batch and across batches', async () => {
      const portal = await startPortal(await databases.init(databaseId));
      const first = uniqueSubject('Report, first');
      const repeated = uniqueSubject('Report, repeated');
      const other = uniqueSubject('Report for Grace');

      const one = await portal.outcomes([
        message('ada@example.com', first, { idempotencyKey: 'k-ada' }),
        message('ada@example.com', repeated, { idempotencyKey: 'k-ada' }),
        message('grace@example.com', other, { idempotencyKey: 'k-grace' }),
      ]);
      expect(idOf(one[1])).toBe(idOf(one[0]));
      expect(idOf(one[2])).not.toBe(idOf(one[0]));

      const two = await portal.outcomes([
        message('grace@example.com', repeated, { idempotencyKey: 'k-grace' }),
        message('ada@example.com', repeated, { idempotencyKey: 'k-ada' }),
        message('bob@example.com', other, { idempotencyKey: 'k-bob' }),
      ]);
      expect(two.map(idOf).slice(0, 2)).toEqual([idOf(one[2]), idOf(one[0])]);
      const single = await portal
        .api(
          'post',
          '/messages',
          SERVICE,
          message('ada@example.com', repeated, { idempotencyKey: 'k-ada' }),
        )
        .expect(202);
      expect(single.body.id).toBe(idOf(one[0]));

      expect(await portal.storedCount()).toBe(3);
      await eventually(
        'three messages delivered',
        () =>
          portal.received(other).length === 2 &&
          portal.received(first).length === 1,
      );
      // Given time to go out, if it were to.
      await new Promise(resolve => setTimeout(resolve, 300));
      expect(portal.received(repeated)).toEqual([]);
      expect(portal.received(first)).toHaveLength(1);
    });

    it('stores a message to a recipient who unsubscribed from its list as suppressed, and sends the others with their own link', async () => {
      const knex = await databases.init(databaseId);
      const portal = await startPortal(knex);
      await testUnsubscribe(knex, TEST_ENCRYPTION_KEY).suppressions.add({
        caller: CALLER,
        list: 'monthly-report',
        address: 'ada@example.com',
        source: 'one-click',
      });
      const subject = uniqueSubject('Monthly report');
      const unsubscribe = { list: 'monthly-report' };

      const results = await portal.outcomes([
        message('Ada@example.com', subject, { unsubscribe }),
        message('grace@example.com', subject, { unsubscribe }),
        message('bob@example.com', subject, { unsubscribe }),
        message('ada@example.com', subject, {
          unsubscribe: { list: 'weekly-report' },
        }),
      ]);

      expect(results.map(r => r.accepted && r.status)).toEqual([
        'suppressed',
        'queued',
        'queued',
        'queued',
      ]);
      await eventually(
        'three messages delivered',
        () => portal.received(subject).length === 3,
      );
      const links = portal.received(subject).map(mail => ({
        to: mail.envelope.to[0],
        link: mail.parsed.headerLines.find(h => h.key === 'list-unsubscribe')
          ?.line,
      }));
      expect(links.map(l => l.to).sort()).toEqual([
        'ada@example.com',
        'bob@example.com',
        'grace@example.com',
      ]);
      expect(new Set(links.map(l => l.link)).size).toBe(3);
      expect(
        links.every(l => /\/unsubscribe\/[A-Za-z0-9_-]+>/.test(l.link!)),
      ).toBe(true);
      expect(await portal.statusOf(idOf(results[0]))).toBe('suppressed');
    });

    it('refuses each message without an active provider, storing nothing', async () => {
      const portal = await startPortal(await databases.init(databaseId), {
        provider: false,
      });

      const results = await portal.outcomes([
        message('ada@example.com', 'Report', { idempotencyKey: 'k-1' }),
        message('Eve <eve@example.com>', 'Report'),
        message('grace@example.com', 'Report'),
      ]);

      const noProvider = {
        accepted: false,
        error: {
          name: 'ConflictError',
          message: expect.stringMatching(/^No email provider is active/),
        },
      };
      expect(results).toEqual([
        { ...noProvider, idempotencyKey: 'k-1' },
        {
          accepted: false,
          error: expect.objectContaining({ name: 'InputError' }),
        },
        noProvider,
      ]);
      expect(await portal.storedCount()).toBe(0);
    });

    it('is for service principals only, and reads no body before it knows the caller', async () => {
      const portal = await startPortal(await databases.init(databaseId), {
        delivery: { maxBatchSizeMb: 3 },
      });
      const batch = [message('ada@example.com', 'Report')];
      const asUser = await portal.sendBatch(
        batch,
        mockCredentials.user.header(ADMIN),
      );
      expect(asUser.status).toBe(403);
      expect(asUser.body.error.name).toBe('NotAllowedError');
      expect(
        (await portal.sendBatch(batch, mockCredentials.none.header())).status,
      ).toBe(401);

      // Over the limit, and not JSON: refused for who is calling before either is found out.
      const oversized = `{"messages":["${'x'.repeat(4 * MB)}`;
      const post = (caller: string) =>
        portal
          .api('post', '/messages/batch', caller)
          .set('Content-Type', 'application/json')
          .send(oversized);
      expect((await post(mockCredentials.user.header(ADMIN))).status).toBe(403);
      expect((await post(SERVICE)).status).toBe(413);
      expect(await portal.storedCount()).toBe(0);
    });

    it.each<[string, unknown, string]>([
      [
        'more than 500 messages',
        {
          messages: Array.from({ length: 501 }, () =>
            message('ada@example.com', 'Report'),
          ),
        },
        'messages: messages may list at most 500 messages; send more in several batches',
      ],
      [
        'no messages',
        { messages: [] },
        'messages: messages must list at least one message',
      ],
      [
        'one message without the list',
        message('ada@example.com', 'Report'),
        'messages: messages must be a list of messages',
      ],
      [
        'a list without the envelope',
        [message('ada@example.com', 'Report')],
        'body: The batch must be an object with the list of messages in messages',
      ],
    ])('refuses %s as a whole, storing nothing', async (_, body, error) => {
      const portal = await startPortal(await databases.init(databaseId));
      const res = await portal.api(
        'post',
        '/messages/batch',
        SERVICE,
        body as object,
      );
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ name: 'InputError' });
      expect(res.body.error.message).toContain(error);
      expect(await portal.storedCount()).toBe(0);
    });

    it('reads a body up to emailProvider.delivery.maxBatchSizeMb, and refuses a larger one with 413', async () => {
      const portal = await startPortal(await databases.init(databaseId), {
        delivery: { maxBatchSizeMb: 3 },
      });
      const part = 0.9 * MB;
      // 2.7 MB: more than POST /messages reads (2.4 MB with 1 MB messages), less than 3 MB.
      const fits = await portal.outcomes(
        [1, 2, 3].map(i => sized(part, `Part ${i}`)),
      );
      expect(fits.map(r => r.accepted)).toEqual([true, true, true]);

      const res = await portal.sendBatch(
        [1, 2, 3, 4].map(i => sized(part, `Part ${i}`)),
      );
      expect(res.status).toBe(413);
      expect(await portal.storedCount()).toBe(3);
    });

    it('logs a fault of its own with an id, and answers with the id only', async () => {
      const knex = await databases.init(databaseId);
      const portal = await startPortal(knex);
      await knex.schema.renameTable(MESSAGES, 'messages_elsewhere');
      let results: SendEmailBatchOutcome[];
      try {
        results = await portal.outcomes([
          message('ada@example.com', 'Report'),
          message('grace@example.com', 'Report'),
        ]);
      } finally {
        await knex.schema.renameTable('messages_elsewhere', MESSAGES);
      }

      const internal = {
        accepted: false,
        error: {
          name: 'Error',
          message: expect.stringMatching(
            /^An internal error occurred logId=[0-9a-f]{20}$/,
          ),
        },
      };
      expect(results).toEqual([internal, internal]);
      // One write for both, one error logged for both.
      expect(results[0]).toEqual(results[1]);
      const logId = /logId=(\w+)/.exec(
        (results[0] as { error: { message: string } }).error.message,
      )![1];
      const logged = portal.logEntries.filter(e =>
        e.message.includes(`logId=${logId}`),
      );
      expect(logged.map(e => [e.level, e.message])).toEqual([
        [
          'error',
          `Could not store messages of a batch from ${CALLER} (logId=${logId})`,
        ],
      ]);
      // The database's error, as the driver made it (sqlite3's native errors serialize as their code).
      expect(JSON.stringify(logged[0].meta)).toMatch(
        /email_provider_messages|SQLITE_ERROR/,
      );
    });
  },
);

describe('POST /messages/batch while PostgreSQL is away (POSTGRES_15)', () => {
  it('answers each message with ServiceUnavailableError, and stores them when sent again', async () => {
    const knex = await databases.init('POSTGRES_15');
    // One connection, held below: the intake waits for the pool until its timeout.
    const backendKnex = knexFactory({
      client: 'pg',
      connection: knex.client.config.connection,
      pool: { min: 0, max: 1 },
      acquireConnectionTimeout: 1000,
      // The pool's timeouts are what the test makes happen.
      log: { warn() {}, error() {}, debug() {}, deprecate() {} },
    });
    try {
      const portal = await startPortal(backendKnex);
      const batch = [
        message('ada@example.com', 'Report', { idempotencyKey: 'k-ada' }),
        message('grace@example.com', 'Report', { idempotencyKey: 'k-grace' }),
      ];
      const held = await backendKnex.transaction();
      let away: SendEmailBatchOutcome[];
      try {
        away = await portal.outcomes(batch);
      } finally {
        await held.rollback();
      }
      const unavailable = {
        name: 'ServiceUnavailableError',
        message: expect.stringMatching(
          /^The email outbox database cannot be reached right now/,
        ),
      };
      expect(away).toEqual([
        { accepted: false, error: unavailable, idempotencyKey: 'k-ada' },
        { accepted: false, error: unavailable, idempotencyKey: 'k-grace' },
      ]);

      const again = await portal.outcomes(batch);
      expect(again.map(r => r.accepted)).toEqual([true, true]);
      expect(await portal.storedCount()).toBe(2);
    } finally {
      await backendKnex.destroy();
    }
  });
});
