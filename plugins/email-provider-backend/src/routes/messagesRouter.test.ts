import { mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';
import { startMailTestServersBeforeAll } from '@internal/mail-test-servers';
import {
  messageCallers,
  startEmailProviderTestBackend,
} from '../__testUtils__/emailProviderTestBackend';
import { localSmtpSettings } from '../__testUtils__/testSettings';

jest.setTimeout(30_000);

const { ADMIN, READER, OTHER, SERVICE } = messageCallers;

const servers = startMailTestServersBeforeAll({
  smtp: {
    credentials: { username: 'reports@example.com', password: 'pw-1234' },
    rejectRecipients: ['nobody@example.com'],
  },
  microsoft: { roles: ['Mail.Send', 'Mail.ReadWrite'] },
  trustCa: true,
});

async function startPortal(delivery: object = {}) {
  const { api, auditEvents } = await startEmailProviderTestBackend({
    permissions: ({ userEntityRef }, permission) =>
      userEntityRef === ADMIN ||
      (userEntityRef === READER &&
        permission === 'email-provider.deliveries.read'),
    emailProvider: {
      microsoft365: {
        authorityHost: servers.microsoft.authorityHost,
        graphBaseUrl: servers.microsoft.graphBaseUrl,
      },
      delivery: {
        pollIntervalMs: 50,
        retryDelayMs: 100,
        maxMessageSizeMb: 1,
        ...delivery,
      },
    },
  });
  const configureSmtp = () =>
    api(
      'put',
      '/settings',
      mockCredentials.user.header(ADMIN),
      localSmtpSettings({
        port: servers.smtp.port,
        from: 'reports@example.com',
        password: 'pw-1234',
      }),
    ).expect(200);
  return { api, configureSmtp, auditEvents };
}

const csv = Buffer.from('week,count\n48,12\n').toString('base64');
const report = {
  to: ['ada@example.com'],
  cc: ['grace@example.com'],
  subject: 'Weekly report',
  text: 'See the attachment.',
  attachments: [
    { filename: 'report.csv', contentType: 'text/csv', contentBase64: csv },
  ],
  category: 'weekly-report',
};

async function waitForStatus(
  api: Awaited<ReturnType<typeof startPortal>>['api'],
  id: string,
  status: string,
) {
  for (let i = 0; i < 200; i++) {
    const res = await api(
      'get',
      `/messages/${id}`,
      mockCredentials.user.header(ADMIN),
    );
    if (res.body.status === status) return res.body;
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  throw new Error(`message ${id} never became ${status}`);
}

describe('POST /messages', () => {
  it('stores a message from another plugin, answers 202, and delivers it', async () => {
    const { api, configureSmtp } = await startPortal();
    await configureSmtp();
    const res = await api('post', '/messages', SERVICE, report);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.any(String), status: 'queued' });

    const record = await waitForStatus(api, res.body.id, 'sent');
    expect(record).toMatchObject({
      caller: 'plugin:reports',
      category: 'weekly-report',
      subject: 'Weekly report',
      recipientsCount: 2,
      attempts: 1,
      provider: 'smtp',
    });
    expect(record).not.toHaveProperty('payload');
    const mail = servers.smtp.received.find(
      m => m.parsed.messageId === record.messageId,
    )!;
    expect(mail.parsed.from?.value[0].address).toBe('reports@example.com');
    expect(mail.parsed.attachments[0].content.toString()).toBe(
      'week,count\n48,12\n',
    );
  });

  it('returns the first message for a repeated idempotency key', async () => {
    const { api, configureSmtp } = await startPortal();
    await configureSmtp();
    const first = await api('post', '/messages', SERVICE, {
      ...report,
      idempotencyKey: 'week-48',
    });
    const again = await api('post', '/messages', SERVICE, {
      ...report,
      idempotencyKey: 'week-48',
    });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
  });

  it('is for service principals only', async () => {
    const { api, configureSmtp } = await startPortal();
    await configureSmtp();
    expect(
      (
        await api(
          'post',
          '/messages',
          mockCredentials.user.header(ADMIN),
          report,
        )
      ).status,
    ).toBe(403);
    expect(
      (await api('post', '/messages', mockCredentials.none.header(), report))
        .status,
    ).toBe(401);
  });

  it('checks the caller before it reads a body', async () => {
    const { api, configureSmtp } = await startPortal();
    await configureSmtp();
    // Over the route's limit, and not JSON: a caller who may not post gets 403 before either is
    // found out, so a signed-in user cannot make the backend read and parse megabytes.
    const oversized = `{"to":"${'x'.repeat(3 * 1024 * 1024)}`;
    const post = (caller: string) =>
      api('post', '/messages', caller)
        .set('Content-Type', 'application/json')
        .send(oversized);
    const asUser = await post(mockCredentials.user.header(ADMIN));
    expect(asUser.status).toBe(403);
    expect(asUser.body.error.name).toBe('NotAllowedError');
    expect((await post(mockCredentials.none.header())).status).toBe(401);
    expect((await post(SERVICE)).status).toBe(413);
    const unreadable = await api('post', '/messages', SERVICE)
      .set('Content-Type', 'application/json')
      .send('{"to":');
    expect(unreadable.status).toBe(400);
    expect(unreadable.body.error.message).toBe(
      'The request body is not valid JSON',
    );
  });

  it('refuses to store anything without an active provider', async () => {
    const { api } = await startPortal();
    const res = await api('post', '/messages', SERVICE, report);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/No email provider is active/);
    const list = await api(
      'get',
      '/messages',
      mockCredentials.user.header(ADMIN),
    );
    expect(list.body.totalCount).toBe(0);
  });

  it.each([
    [{ ...report, to: [] }, 'to: to must list at least one address'],
    [{ ...report, to: ['Eve <eve@example.com>'] }, 'to.0:'],
    [{ ...report, to: 'ada@example.com' }, 'to:'],
    [{ ...report, text: undefined }, 'text or html is required'],
    [{ ...report, subject: 'Hi\r\nBcc: x@example.com' }, 'subject:'],
    [{ ...report, headers: { 'X-Priority': '1' } }, 'Unrecognized key'],
    [{ ...report, from: 'ceo@example.com' }, 'Unrecognized key'],
    [
      {
        ...report,
        attachments: [
          {
            filename: '../etc/passwd',
            contentType: 'text/plain',
            contentBase64: csv,
          },
        ],
      },
      'plain file name',
    ],
    [
      {
        ...report,
        attachments: [
          { filename: 'a.txt', contentType: 'text/plain', path: '/etc/passwd' },
        ],
      },
      'attachments.0',
    ],
    [
      {
        ...report,
        attachments: [
          {
            filename: 'a.txt',
            contentType: 'text/plain',
            contentBase64: 'not base64!',
          },
        ],
      },
      'base64',
    ],
    [
      {
        ...report,
        bcc: Array.from({ length: 500 }, (_, i) => `u${i}@example.com`),
      },
      'at most 500 recipients',
    ],
  ])('refuses %j', async (body, message) => {
    const { api, configureSmtp } = await startPortal();
    await configureSmtp();
    const res = await api('post', '/messages', SERVICE, body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(message);
  });

  it('enforces the size limit', async () => {
    const { api, configureSmtp } = await startPortal();
    await configureSmtp();
    const big = Buffer.alloc(1024 * 1024 + 10).toString('base64');
    const res = await api('post', '/messages', SERVICE, {
      ...report,
      attachments: [
        {
          filename: 'big.bin',
          contentType: 'application/octet-stream',
          contentBase64: big,
        },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/accepts at most 1\.0 MB/);
  });
});

describe('POST /messages with Microsoft 365', () => {
  const attachment = Buffer.alloc(5 * 1024 * 1024, 1);
  const large = {
    ...report,
    attachments: [
      {
        filename: 'data.bin',
        contentType: 'application/octet-stream',
        contentBase64: attachment.toString('base64'),
      },
    ],
  };

  async function configureMicrosoft365(
    api: Awaited<ReturnType<typeof startPortal>>['api'],
    largeMessages: boolean,
  ) {
    await api('put', '/settings', mockCredentials.user.header(ADMIN), {
      provider: 'microsoft365',
      microsoft365: {
        from: 'reports@contoso.onmicrosoft.com',
        tenantId: servers.microsoft.settings.tenantId,
        clientId: servers.microsoft.settings.clientId,
        clientSecret: servers.microsoft.settings.clientSecret,
        largeMessages,
      },
    }).expect(200);
  }

  it('refuses a 5 MB attachment without large messages, naming the option', async () => {
    const { api } = await startPortal({ maxMessageSizeMb: 25 });
    await configureMicrosoft365(api, false);
    const res = await api('post', '/messages', SERVICE, large);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(
      /has 5\.0 MB of attachments; Microsoft 365 takes about 3 MB .* or turn on large messages .*Mail\.ReadWrite/,
    );
  });

  it('accepts and delivers a 5 MB attachment with large messages on', async () => {
    const { api } = await startPortal({ maxMessageSizeMb: 25 });
    await configureMicrosoft365(api, true);
    const res = await api('post', '/messages', SERVICE, large);
    expect(res.status).toBe(202);
    const record = await waitForStatus(api, res.body.id, 'sent');
    expect(record).toMatchObject({ provider: 'microsoft365', attempts: 1 });
    const mail = servers.microsoft.received.find(
      m => m.message.internetMessageId === record.messageId,
    )!;
    expect(mail.sentAs).toBe('draft');
    const [sent] = mail.message.attachments ?? [];
    expect(Buffer.from(sent.contentBytes, 'base64').equals(attachment)).toBe(
      true,
    );
  });

  it('still applies the portal maximum with large messages on', async () => {
    const { api } = await startPortal({ maxMessageSizeMb: 4.5 });
    await configureMicrosoft365(api, true);
    const res = await api('post', '/messages', SERVICE, large);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/accepts at most 4\.5 MB/);
  });
});

describe('the delivery log', () => {
  it('lists, filters and reads messages for readers; retry is for admins', async () => {
    const { api, configureSmtp } = await startPortal();
    await configureSmtp();
    const ok = await api('post', '/messages', SERVICE, report);
    const bad = await api('post', '/messages', SERVICE, {
      ...report,
      to: ['nobody@example.com'],
      cc: [],
    });
    await waitForStatus(api, ok.body.id, 'sent');
    const failed = await waitForStatus(api, bad.body.id, 'failed');
    expect(failed.lastError).toMatchObject({
      code: 'recipient-rejected',
      message: expect.stringMatching(/refused the recipient/),
    });

    const reader = mockCredentials.user.header(READER);
    const all = await api('get', '/messages', reader);
    expect(all.status).toBe(200);
    expect(all.body.totalCount).toBe(2);
    const onlyFailed = await api(
      'get',
      '/messages?status=failed&limit=10',
      reader,
    );
    expect(onlyFailed.body.items.map((i: { id: string }) => i.id)).toEqual([
      bad.body.id,
    ]);
    expect(
      (await api('get', '/messages?caller=plugin:other', reader)).body
        .totalCount,
    ).toBe(0);
    expect((await api('get', '/messages?status=lost', reader)).status).toBe(
      400,
    );
    expect((await api('get', '/messages?limit=1000', reader)).status).toBe(400);
    expect((await api('get', '/summary', reader)).body).toMatchObject({
      waiting: 0,
      failedLast24Hours: 1,
    });
    expect((await api('get', '/messages/no-such-id', reader)).status).toBe(404);
    expect(
      (await api('get', '/messages', mockCredentials.user.header(OTHER)))
        .status,
    ).toBe(403);

    expect(
      (await api('post', `/messages/${bad.body.id}/retry`, reader)).status,
    ).toBe(403);
    const retried = await api(
      'post',
      `/messages/${bad.body.id}/retry`,
      mockCredentials.user.header(ADMIN),
    );
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: 'queued', attempts: 0 });
    await waitForStatus(api, bad.body.id, 'failed');
    expect(
      (
        await api(
          'post',
          `/messages/${ok.body.id}/retry`,
          mockCredentials.user.header(ADMIN),
        )
      ).status,
    ).toBe(409);
  });
});

describe('searching, exporting and charting the delivery log', () => {
  const reader = mockCredentials.user.header(READER);
  const ids = (res: request.Response) =>
    res.body.items.map((item: { id: string }) => item.id);

  /** Three messages, sent one after another, all delivered. */
  async function portalWithMessages() {
    const portal = await startPortal();
    await portal.configureSmtp();
    const post = async (fields: object) =>
      (await portal.api('post', '/messages', SERVICE, { ...report, ...fields }))
        .body.id as string;
    const weekly = await post({ to: ['ada@example.com'], cc: [] });
    const monthly = await post({
      to: ['grace@example.com'],
      cc: [],
      bcc: ['Bob@Example.com'],
      subject: 'Monthly summary',
      category: 'monthly-report',
    });
    const reset = await post({
      to: ['bob@example.com'],
      cc: [],
      subject: 'Password reset',
      category: 'account',
    });
    const records = [];
    for (const id of [weekly, monthly, reset]) {
      records.push(await waitForStatus(portal.api, id, 'sent'));
    }
    return { ...portal, weekly, monthly, reset, records };
  }

  it('filters GET /messages by recipient, category, subject words and time, and pages by cursor', async () => {
    const { api, weekly, monthly, reset, records } = await portalWithMessages();
    const list = (query: string) =>
      api('get', `/messages?${query}`, reader).expect(200);

    expect(ids(await list('recipient=bob%40example.com'))).toEqual([
      reset,
      monthly,
    ]);
    expect(
      ids(await list('recipient=BOB%40EXAMPLE.COM&category=monthly-report')),
    ).toEqual([monthly]);
    expect(ids(await list('recipient=bo%40example.com'))).toEqual([]);
    expect(ids(await list('category=account'))).toEqual([reset]);
    expect(ids(await list('q=week'))).toEqual([weekly]);
    expect(ids(await list('q=summary%20month&status=sent'))).toEqual([monthly]);
    const monthlyCreated = encodeURIComponent(records[1].createdAt);
    expect(ids(await list(`from=${monthlyCreated}`))).toEqual([reset, monthly]);
    expect(ids(await list(`to=${monthlyCreated}`))).toEqual([weekly]);
    // The former names of from and to.
    expect(ids(await list(`since=${monthlyCreated}`))).toEqual([
      reset,
      monthly,
    ]);

    const first = await list('limit=2');
    expect(first.body).toMatchObject({
      totalCount: 3,
      nextCursor: expect.any(String),
    });
    expect(ids(first)).toEqual([reset, monthly]);
    const second = await list(`limit=2&cursor=${first.body.nextCursor}`);
    expect(ids(second)).toEqual([weekly]);
    expect(second.body).not.toHaveProperty('nextCursor');
    expect(second.body).not.toHaveProperty('totalCountCapped');
  });

  it.each([
    [
      '/messages?recipient=Bob%20%3Cbob%40example.com%3E',
      'recipient: recipient must be a single plain address such as name@example.com',
    ],
    ['/messages?recipient=bob', 'recipient: recipient must be a single plain'],
    [
      '/messages?from=yesterday',
      'from: from must be an ISO 8601 date-time such as 2026-12-01T09:00:00Z',
    ],
    ['/messages?to=2026-12-01', 'to: to must be an ISO 8601 date-time'],
    ['/messages?colour=red', 'colour'],
    [
      '/messages?cursor=not%20a%20cursor',
      'cursor: cursor must be a nextCursor the log returned',
    ],
    [
      '/messages?cursor=MTIzLjQ1Ng',
      'cursor is not a nextCursor the delivery log returned',
    ],
    ['/messages?q=%3F%21', 'q must contain at least one letter or digit'],
    [
      '/messages/export.csv?recipient=bob',
      'recipient: recipient must be a single plain',
    ],
    ['/messages/export.csv?q=%3F%21', 'q must contain at least one letter'],
    ['/messages/export.csv?limit=5', 'limit'],
    ['/stats?bucket=week', 'bucket: bucket must be hour or day'],
    ['/stats?since=last%20week', 'since: since must be an ISO 8601 date-time'],
    [
      '/stats?since=2026-12-10T10:30:00Z&until=2026-12-10T10:30:00Z',
      'until must be after since',
    ],
    [
      '/stats?bucket=hour&since=2025-01-01T00:00:00Z',
      'at most 744 are answered at once',
    ],
  ])('answers 400 to %s', async (path, message) => {
    const { api } = await startPortal();
    const res = await api('get', path, reader);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.error).toMatchObject({ name: 'InputError' });
    expect(res.body.error.message).toContain(message);
  });

  it('exports the filtered log as CSV to readers, with an audit event that names no address', async () => {
    const { api, auditEvents, monthly, reset, weekly } =
      await portalWithMessages();
    const other = mockCredentials.user.header(OTHER);
    const path = '/messages/export.csv?recipient=Bob%40Example.com&status=sent';
    expect((await api('get', path, other)).status).toBe(403);
    expect((await api('get', path, mockCredentials.none.header())).status).toBe(
      401,
    );
    expect(
      auditEvents.filter(e => e.eventId.startsWith('deliveries-export')),
    ).toEqual([]);

    const res = await api('get', path, reader);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="email-deliveries-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    const lines = res.text.split('\r\n');
    expect(lines[0]).toMatch(/^\uFEFFcreated_at,status,caller,/);
    expect(lines.slice(1, -1).map(line => line.split(',').at(-1))).toEqual([
      reset,
      monthly,
    ]);
    expect(res.text).not.toContain(weekly);
    expect(res.text.toLowerCase()).not.toContain('bob@example.com');
    expect(res.text).not.toContain('See the attachment.');

    const exports = auditEvents.filter(e =>
      e.eventId.startsWith('deliveries-export'),
    );
    expect(exports).toEqual([
      {
        eventId: 'deliveries-export',
        meta: expect.objectContaining({ byRecipient: true, status: 'sent' }),
      },
      { eventId: 'deliveries-export:success', meta: { rows: 2 } },
    ]);
    expect(JSON.stringify(auditEvents).toLowerCase()).not.toContain(
      'bob@example.com',
    );
  });

  it('charts the messages per hour or day for readers', async () => {
    const { api } = await portalWithMessages();
    const sum = (res: request.Response, field: string) =>
      res.body.buckets.reduce(
        (total: number, bucket: Record<string, number>) =>
          total + bucket[field],
        0,
      );

    const hours = await api('get', '/stats', reader).expect(200);
    expect(hours.body.bucket).toBe('hour');
    expect(hours.body.buckets).toHaveLength(24);
    expect(sum(hours, 'sent')).toBe(3);
    expect(sum(hours, 'waiting')).toBe(0);

    // Two days back from the start of this hour, with the offset of a reader in New York.
    const start = Math.floor(Date.now() / 3600_000) * 3600_000 - 48 * 3600_000;
    const since = new Date(start - 5 * 3600_000)
      .toISOString()
      .replace('Z', '-05:00');
    const days = await api(
      'get',
      `/stats?bucket=day&since=${encodeURIComponent(since)}`,
      reader,
    ).expect(200);
    expect(days.body.buckets.map((b: { start: string }) => b.start)).toEqual([
      new Date(start).toISOString(),
      new Date(start + 24 * 3600_000).toISOString(),
      new Date(start + 48 * 3600_000).toISOString(),
    ]);
    expect(days.body.buckets[2]).toMatchObject({ sent: 3, failed: 0 });

    expect(
      (await api('get', '/stats', mockCredentials.user.header(OTHER))).status,
    ).toBe(403);
    expect(
      (await api('get', '/stats', mockCredentials.none.header())).status,
    ).toBe(401);
  });
});
