import type { LoggerService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { createServer, AddressInfo } from 'node:net';
import {
  MicrosoftFake,
  RecordingServer,
  startMailTestServersBeforeAll,
  startMicrosoftFake,
  startRecordingServer,
} from '@internal/mail-test-servers';
import { ProviderError } from '../ProviderError';
import type { OutgoingMessage } from '../types';
import { classifyGraphResponse } from './classifyMicrosoftError';
import { Microsoft365Provider } from './Microsoft365Provider';
import { MsalClientCache } from './MsalClientCache';

const SENDER = 'reports@contoso.onmicrosoft.com';
const WRONG_SECRET = 'Xy7~wrong.secret-value_0123456789abcdef';

/** An https URL on a loopback port that nothing listens on. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return `https://localhost:${port}`;
}

/** A PDF report and the logo its HTML shows inline, as `cid:logo@report`. */
const reportWithLogo = (
  report: Buffer,
  logo: Buffer,
): NonNullable<OutgoingMessage['attachments']> => [
  { filename: 'report.pdf', contentType: 'application/pdf', content: report },
  {
    filename: 'logo.png',
    contentType: 'image/png',
    content: logo,
    contentId: 'logo@report',
  },
];

async function waitFor(condition: () => boolean) {
  for (let i = 0; !condition(); i++) {
    if (i === 100) {
      throw new Error('The condition did not come true within a second');
    }
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}

describe('Microsoft365Provider', () => {
  const servers = startMailTestServersBeforeAll({
    microsoft: { mailboxes: [SENDER] },
    trustCa: true,
  });
  let fake: MicrosoftFake;
  let elsewhere: RecordingServer;
  let clients: MsalClientCache;

  beforeAll(async () => {
    fake = servers.microsoft;
    elsewhere = await startRecordingServer(servers.pki);
  });

  afterAll(() => elsewhere.close());

  beforeEach(() => {
    fake.reset();
    elsewhere.requests.length = 0;
    clients = new MsalClientCache();
  });

  function createProvider(
    overrides: {
      from?: string;
      tenantId?: string;
      clientId?: string;
      clientSecret?: string;
      clientSecretExpiresAt?: string;
      authorityHost?: string;
      graphBaseUrl?: string;
      requestTimeoutMs?: number;
      largeMessages?: boolean;
      logger?: LoggerService;
    } = {},
  ) {
    return new Microsoft365Provider({
      settings: {
        from: overrides.from ?? SENDER,
        tenantId: overrides.tenantId ?? fake.settings.tenantId,
        clientId: overrides.clientId ?? fake.settings.clientId,
        ...(overrides.largeMessages ? { largeMessages: true } : {}),
        ...(overrides.clientSecretExpiresAt
          ? { clientSecretExpiresAt: overrides.clientSecretExpiresAt }
          : {}),
      },
      clientSecret: overrides.clientSecret ?? fake.settings.clientSecret,
      authorityHost: overrides.authorityHost ?? fake.authorityHost,
      graphBaseUrl: overrides.graphBaseUrl ?? fake.graphBaseUrl,
      clients,
      requestTimeoutMs: overrides.requestTimeoutMs,
      logger: overrides.logger,
    });
  }

  function message(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
    return {
      to: [{ address: 'ada@example.com' }],
      subject: 'Weekly report',
      text: 'See attached.',
      messageId: `<${Math.random().toString(36).slice(2)}@backstage.example>`,
      ...overrides,
    };
  }

  async function sendError(
    provider: Microsoft365Provider,
    outgoing: OutgoingMessage = message(),
  ): Promise<ProviderError> {
    const error = await provider.send(outgoing).then(
      () => undefined,
      e => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    return error;
  }

  function expectNoSecret(error: ProviderError) {
    for (const text of [
      error.message,
      error.providerReply ?? '',
      JSON.stringify(error),
      JSON.stringify(error.toFailure()),
      String(error.stack),
    ]) {
      expect(text).not.toContain(fake.settings.clientSecret);
      expect(text).not.toContain(WRONG_SECRET);
    }
  }

  it('sends text, HTML, an attachment and an inline image as the configured sender', async () => {
    const report = Buffer.from('%PDF-1.7 report bytes \u0000\u00ff', 'latin1');
    const logo = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const outgoing = message({
      to: [{ address: 'ada@example.com', name: 'Ada Lovelace' }],
      cc: [{ address: 'grace@example.com' }],
      bcc: [{ address: 'audit@example.com' }],
      replyTo: [{ address: 'team@example.com', name: 'Team' }],
      subject: 'Weekly report ✓',
      text: 'Plain text',
      html: '<p>Report <img src="cid:logo@report"></p>',
      attachments: reportWithLogo(report, logo),
    });

    const result = await createProvider().send(outgoing);

    expect(result).toEqual({
      messageId: outgoing.messageId,
      providerResponse: '202 Accepted',
    });
    expect(fake.received).toHaveLength(1);
    const [{ mailbox, message: sent, saveToSentItems }] = fake.received;
    expect(mailbox).toBe(SENDER);
    expect(saveToSentItems).toBe(false);
    expect(sent.subject).toBe('Weekly report ✓');
    expect(sent.body).toEqual({ contentType: 'HTML', content: outgoing.html });
    expect(sent.from).toEqual({ emailAddress: { address: SENDER } });
    expect(sent.toRecipients).toEqual([
      { emailAddress: { address: 'ada@example.com', name: 'Ada Lovelace' } },
    ]);
    expect(sent.ccRecipients).toEqual([
      { emailAddress: { address: 'grace@example.com' } },
    ]);
    expect(sent.bccRecipients).toEqual([
      { emailAddress: { address: 'audit@example.com' } },
    ]);
    expect(sent.replyTo).toEqual([
      { emailAddress: { address: 'team@example.com', name: 'Team' } },
    ]);
    expect(sent.internetMessageId).toBe(outgoing.messageId);
    const [pdf, png] = sent.attachments ?? [];
    expect(pdf).toMatchObject({
      '@odata.type': '#microsoft.graph.fileAttachment',
      name: 'report.pdf',
      contentType: 'application/pdf',
    });
    expect(pdf.isInline).toBeUndefined();
    expect(Buffer.from(pdf.contentBytes, 'base64').equals(report)).toBe(true);
    expect(png).toMatchObject({
      name: 'logo.png',
      contentType: 'image/png',
      isInline: true,
      contentId: 'logo@report',
    });
    expect(Buffer.from(png.contentBytes, 'base64').equals(logo)).toBe(true);
  });

  it('sends a text-only message as a Text body', async () => {
    await createProvider().send(message({ text: 'Just text' }));

    expect(fake.received[0].message.body).toEqual({
      contentType: 'Text',
      content: 'Just text',
    });
  });

  it('fetches one token for many sends through providers sharing the client cache', async () => {
    const first = createProvider();
    const second = createProvider();

    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? first : second).send(message()),
      ),
    );
    await first.send(message());

    expect(fake.counters.tokenRequests).toBe(1);
    expect(fake.counters.sendMailRequests).toBe(21);
    expect(fake.received).toHaveLength(21);
  });

  it('keeps a separate token per secret', async () => {
    const secret = fake.settings.clientSecret;
    await createProvider().send(message());
    fake.configure({ clientSecret: 'rotated~secret-value' });
    await createProvider({ clientSecret: 'rotated~secret-value' }).send(
      message(),
    );
    fake.configure({ clientSecret: secret });
    await createProvider().send(message());

    expect(fake.counters.tokenRequests).toBe(2);
  });

  it('gets a new token and retries once when Graph refuses the cached one', async () => {
    const provider = createProvider();
    await provider.send(message());
    fake.revokeTokens();

    await provider.send(message());

    expect(fake.counters.tokenRequests).toBe(2);
    expect(fake.counters.sendMailRequests).toBe(3);
    expect(fake.received).toHaveLength(2);
  });

  it.each([
    {
      problem: 'a wrong secret',
      arrange: () => createProvider({ clientSecret: WRONG_SECRET }),
      code: 'secret-invalid',
      sentence: /AADSTS7000215.*Value, not its Secret ID/,
    },
    {
      problem: 'an expired secret',
      arrange: () => {
        fake.configure({ secretExpired: true });
        return createProvider();
      },
      code: 'secret-expired',
      sentence: /expired \(AADSTS7000222\).*Certificates & secrets/,
    },
    {
      problem: 'an unknown client ID',
      arrange: () =>
        createProvider({ clientId: '00000000-1111-2222-3333-444444444444' }),
      code: 'app-not-found',
      sentence: /AADSTS700016.*Application \(client\) ID/,
    },
    {
      problem: 'an unknown tenant',
      arrange: () =>
        createProvider({ tenantId: '99999999-8888-7777-6666-555555555555' }),
      code: 'tenant-not-found',
      sentence: /AADSTS90002.*Directory \(tenant\) ID/,
    },
  ])('explains $problem at the token endpoint as $code', async t => {
    const error = await sendError(t.arrange());

    expect(error.code).toBe(t.code);
    expect(error.message).toMatch(t.sentence);
    expect(error.transient).toBe(false);
    expect(error.providerReply).toMatch(/AADSTS\d+/);
    expect(fake.counters.sendMailRequests).toBe(0);
    expectNoSecret(error);
  });

  it.each([
    {
      problem: 'a token without Mail.Send',
      setup: (f: MicrosoftFake) => f.configure({ roles: ['User.Read.All'] }),
      code: 'permission-missing',
      sentence: /Mail\.Send application permission.*admin consent/,
      reply: 'ErrorAccessDenied',
    },
    {
      problem: 'a sender without an Exchange Online mailbox',
      setup: (f: MicrosoftFake) =>
        f.configure({ mailboxesNotEnabled: [SENDER] }),
      code: 'mailbox-not-found',
      sentence: new RegExp(`${SENDER} has no Exchange Online mailbox`),
      reply: 'MailboxNotEnabledForRESTAPI',
    },
    {
      problem: 'a sender unknown in the tenant',
      setup: (f: MicrosoftFake) => f.configure({ mailboxes: [] }),
      code: 'mailbox-not-found',
      sentence: new RegExp(`${SENDER} has no Exchange Online mailbox`),
      reply: 'ErrorInvalidUser',
    },
    {
      problem: 'a sender excluded by an application access policy',
      setup: (f: MicrosoftFake) =>
        f.configure({ mailboxesExcludedByPolicy: [SENDER] }),
      code: 'permission-missing',
      sentence: /application access policy/,
      reply: 'Access to OData is disabled',
    },
  ])('explains $problem at Graph as $code', async t => {
    t.setup(fake);

    const error = await sendError(createProvider());

    expect(error.code).toBe(t.code);
    expect(error.message).toMatch(t.sentence);
    expect(error.transient).toBe(false);
    expect(error.providerReply).toContain(t.reply);
    expect(fake.received).toHaveLength(0);
    expectNoSecret(error);
  });

  it('rejects a message without recipients as recipient-rejected', async () => {
    const error = await sendError(createProvider(), message({ to: [] }));

    expect(error.code).toBe('recipient-rejected');
    expect(error.providerReply).toContain('ErrorInvalidRecipients');
  });

  it('reports throttling with Retry-After and leaves the retry to the caller', async () => {
    fake.throttleSendMail(1, 7);

    const error = await sendError(createProvider());

    expect(error).toMatchObject({
      code: 'throttled',
      transient: true,
      retryAfterMs: 7000,
    });
    expect(error.message).toMatch(/try again in 7 s/);
    expect(error.providerReply).toContain('ApplicationThrottled');
    expect(fake.counters.sendMailRequests).toBe(1);
    expectNoSecret(error);
  });

  it('reports a token endpoint outage as transient, with its Retry-After', async () => {
    fake.failTokenRequests(1, 30);

    const error = await sendError(createProvider());

    expect(error).toMatchObject({
      code: 'provider-unavailable',
      transient: true,
      retryAfterMs: 30_000,
    });
    expect(error.providerReply).toContain('AADSTS90033');
    await expect(createProvider().send(message())).resolves.toBeDefined();
  });

  it('gives up on a Graph request that takes longer than its timeout', async () => {
    fake.configure({ sendMailDelayMs: 1000 });

    const error = await sendError(createProvider({ requestTimeoutMs: 100 }));

    expect(error).toMatchObject({ code: 'timeout', transient: true });
    expect(error.message).toMatch(/Microsoft Graph .* did not answer in time/);
    await waitFor(() => fake.counters.graphRequestsInFlight === 0);
  });

  it('reports an unreachable token endpoint as transient', async () => {
    const error = await sendError(
      createProvider({ authorityHost: await closedPortUrl() }),
    );

    expect(error).toMatchObject({
      code: 'provider-unavailable',
      transient: true,
    });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('does not trust a certificate outside the trusted CAs', async () => {
    const impostor = await startMicrosoftFake(
      { ...servers.pki, localhost: servers.pki.untrusted },
      fake.settings,
    );
    try {
      const error = await sendError(
        createProvider({ authorityHost: impostor.authorityHost }),
      );

      expect(error).toMatchObject({
        code: 'certificate-invalid',
        transient: false,
      });
      expect(impostor.counters.tokenRequests).toBe(0);
    } finally {
      await impostor.close();
    }
  });

  describe('one-click unsubscribe', () => {
    const UNSUBSCRIBE_URL =
      'https://portal.example.com/api/email-provider/unsubscribe?token=eyJsaXN0IjoiZGlnZXN0In0.c2lnbmF0dXJl';

    const unsubscribable = (overrides: Partial<OutgoingMessage> = {}) =>
      message({ listUnsubscribeUrl: UNSUBSCRIBE_URL, ...overrides });

    const headerValue = (mail: (typeof fake.received)[number], name: string) =>
      mail.message.internetMessageHeaders?.find(h => h.name === name)?.value;

    it('sends the message as MIME with List-Unsubscribe and List-Unsubscribe-Post', async () => {
      const report = Buffer.from('%PDF-1.7 report \u0000\u00ff', 'latin1');
      const logo = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a]);
      const outgoing = unsubscribable({
        to: [{ address: 'ada@example.com', name: 'Ada Lovelace' }],
        replyTo: [{ address: 'team@example.com', name: 'Team' }],
        subject: 'Weekly digest ✓',
        text: 'Plain text',
        html: '<p>Digest <img src="cid:logo@report"></p>',
        attachments: reportWithLogo(report, logo),
      });

      const result = await createProvider().send(outgoing);

      expect(result).toEqual({
        messageId: outgoing.messageId,
        providerResponse: '202 Accepted',
      });
      expect(fake.received).toHaveLength(1);
      const [mail] = fake.received;
      expect(mail).toMatchObject({ mailbox: SENDER, format: 'mime' });
      expect(headerValue(mail, 'List-Unsubscribe')).toBe(
        `<${UNSUBSCRIBE_URL}>`,
      );
      expect(headerValue(mail, 'List-Unsubscribe-Post')).toBe(
        'List-Unsubscribe=One-Click',
      );
      const mime = mail.mime!;
      expect(mime.messageId).toBe(outgoing.messageId);
      expect(mime.subject).toBe('Weekly digest ✓');
      expect(mime.from?.value).toEqual([{ address: SENDER, name: '' }]);
      expect(mail.message.toRecipients).toEqual([
        { emailAddress: { address: 'ada@example.com', name: 'Ada Lovelace' } },
      ]);
      expect(mail.message.ccRecipients).toEqual([]);
      expect(mail.message.bccRecipients).toEqual([]);
      expect(mail.message.replyTo).toEqual([
        { emailAddress: { address: 'team@example.com', name: 'Team' } },
      ]);
      expect(mime.text?.trim()).toBe('Plain text');
      expect(mime.html).toBe(outgoing.html);
      const [png, pdf] = [...mime.attachments].sort((a, b) =>
        String(a.filename).localeCompare(String(b.filename)),
      );
      expect(pdf).toMatchObject({
        filename: 'report.pdf',
        contentType: 'application/pdf',
        contentDisposition: 'attachment',
      });
      expect(pdf.content.equals(report)).toBe(true);
      expect(png).toMatchObject({
        filename: 'logo.png',
        contentType: 'image/png',
        contentDisposition: 'inline',
        cid: 'logo@report',
      });
      expect(png.content.equals(logo)).toBe(true);
    });

    it('keeps sending a message without an unsubscribe link as JSON', async () => {
      await createProvider().send(message());

      expect(fake.received[0]).toMatchObject({
        format: 'json',
        saveToSentItems: false,
      });
      expect(fake.received[0].mime).toBeUndefined();
      expect(fake.received[0].message.internetMessageHeaders).toBeUndefined();
    });

    it('sends a message whose MIME would not fit in one Graph request as JSON, without the header, and says so in the debug log', async () => {
      const logger = mockServices.logger.mock();
      // 2.5 MB is 3.3 MB in JSON's base64, but 4.4 MB as base64 of MIME's base64.
      const archive = Buffer.alloc(2.5 * 1024 * 1024, 7);
      const outgoing = unsubscribable({
        attachments: [
          {
            filename: 'archive.zip',
            contentType: 'application/zip',
            content: archive,
          },
        ],
      });

      await createProvider({ logger }).send(outgoing);

      expect(fake.received).toHaveLength(1);
      expect(fake.received[0].format).toBe('json');
      const [attachment] = fake.received[0].message.attachments ?? [];
      expect(
        Buffer.from(attachment.contentBytes, 'base64').equals(archive),
      ).toBe(true);
      expect(logger.debug).toHaveBeenCalledTimes(1);
      const [line] = logger.debug.mock.calls[0];
      expect(line).toContain(outgoing.messageId);
      expect(line).toMatch(/without List-Unsubscribe.*4 MB/);
      // The link carries a token that unsubscribes its recipient: it stays out of logs.
      expect(line).not.toContain('token=');
    });

    it('sends a message with Bcc recipients as JSON, since MIME would lose them', async () => {
      const logger = mockServices.logger.mock();

      await createProvider({ logger }).send(
        unsubscribable({ bcc: [{ address: 'audit@example.com' }] }),
      );

      expect(fake.received[0].format).toBe('json');
      expect(fake.received[0].message.bccRecipients).toEqual([
        { emailAddress: { address: 'audit@example.com' } },
      ]);
      expect(logger.debug).toHaveBeenCalledWith(
        expect.stringMatching(/without List-Unsubscribe.*Bcc/),
      );
    });

    it('uses the cached token, and a fresh one once after Graph refuses it', async () => {
      const provider = createProvider();
      await provider.send(message());
      await provider.send(unsubscribable());
      expect(fake.counters.tokenRequests).toBe(1);

      fake.revokeTokens();
      await provider.send(unsubscribable());

      expect(fake.counters.tokenRequests).toBe(2);
      expect(fake.counters.sendMailRequests).toBe(4);
      expect(fake.received.map(mail => mail.format)).toEqual([
        'json',
        'mime',
        'mime',
      ]);
    });

    it('reports throttling with Retry-After and leaves the retry to the caller', async () => {
      fake.throttleSendMail(1, 7);
      const provider = createProvider();

      const error = await sendError(provider, unsubscribable());

      expect(error).toMatchObject({
        code: 'throttled',
        transient: true,
        retryAfterMs: 7000,
      });
      expect(error.providerReply).toContain('ApplicationThrottled');
      expect(fake.received).toHaveLength(0);
      await provider.send(unsubscribable());
      expect(fake.received.map(mail => mail.format)).toEqual(['mime']);
      expect(fake.counters.sendMailRequests).toBe(2);
    });

    it('rejects a message without recipients as recipient-rejected', async () => {
      const error = await sendError(
        createProvider(),
        unsubscribable({ to: [] }),
      );

      expect(error.code).toBe('recipient-rejected');
      expect(error.providerReply).toContain('ErrorInvalidRecipients');
    });

    it.each([
      ['base64', 'not base64 at all!', 'ErrorMimeContentInvalidBase64String'],
      [
        'MIME',
        Buffer.from('Just words').toString('base64'),
        'ErrorMimeContentInvalid',
      ],
    ])(
      "classifies Graph's refusal of invalid %s as a permanent provider error",
      async (_, body, graphCode) => {
        const token = await clients
          .get({
            authorityHost: fake.authorityHost,
            tenantId: fake.settings.tenantId,
            clientId: fake.settings.clientId,
            credential: { clientSecret: fake.settings.clientSecret },
          })
          .acquire(`${fake.graphBaseUrl}/.default`, { fresh: false });
        const response = await fetch(
          `${fake.graphBaseUrl}/v1.0/users/${SENDER}/sendMail`,
          {
            method: 'POST',
            headers: {
              Authorization: `Bearer ${token.accessToken}`,
              'Content-Type': 'text/plain',
            },
            body,
          },
        );

        const error = classifyGraphResponse(
          {
            status: response.status,
            retryAfter: response.headers.get('retry-after'),
            body: await response.text(),
          },
          { from: SENDER, secrets: [fake.settings.clientSecret] },
        );

        expect(error).toMatchObject({
          code: 'provider-error',
          transient: false,
        });
        expect(error.message).toContain(`400 ${graphCode}`);
        expect(error.providerReply).toContain(graphCode);
      },
    );
  });

  describe('redirects', () => {
    function expectRefusedRedirect(error: ProviderError, service: RegExp) {
      expect(error).toMatchObject({ code: 'provider-error', transient: false });
      expect(error.message).toMatch(service);
      expect(error.message).toContain(
        `answered with a redirect (HTTP 307 to ${elsewhere.url}), which is not followed`,
      );
      expectNoSecret(error);
      expect(elsewhere.requests).toEqual([]);
      expect(fake.counters.redirects).toBe(1);
    }

    it.each([307, 308] as const)(
      'refuses a %s from the token endpoint: the client secret goes nowhere else',
      async status => {
        fake.redirect('token', elsewhere.url, { status });

        const error = await sendError(createProvider());

        expect(error).toMatchObject({
          code: 'provider-error',
          transient: false,
        });
        expect(error.message).toBe(
          `The Microsoft Entra token endpoint at ${fake.authorityHost} answered with a redirect (HTTP ${status} to ${elsewhere.url}), which is not followed so that no credential goes to another server: set emailProvider.microsoft365.authorityHost to the service itself`,
        );
        expect(error.params).toEqual({
          reason: 'redirect',
          service: 'entra',
          url: fake.authorityHost,
          httpStatus: status,
          target: elsewhere.url,
          setting: 'authorityHost',
        });
        expectNoSecret(error);
        expect(elsewhere.requests).toEqual([]);
        expect(fake.counters.redirects).toBe(1);
        expect(fake.received).toHaveLength(0);
      },
    );

    it('fails the token step of a connection check on a redirect', async () => {
      fake.redirect('token', elsewhere.url);

      const [token, ...rest] = await createProvider().verify();

      expect(rest).toEqual([]);
      expect(token).toMatchObject({
        name: 'token',
        ok: false,
        failure: { code: 'provider-error', transient: false },
      });
      expect(token.failure?.message).toContain('redirect (HTTP 307');
      expect(JSON.stringify(token)).not.toContain(fake.settings.clientSecret);
      expect(elsewhere.requests).toEqual([]);
      expect(fake.counters.redirects).toBe(1);
    });

    it('refuses a redirect from Graph: the token and the message go nowhere else', async () => {
      fake.redirect('graph', elsewhere.url);

      const error = await sendError(createProvider());

      expectRefusedRedirect(error, /^Microsoft Graph at https:\/\/localhost:/);
      expect(fake.counters.sendMailRequests).toBe(0);
      expect(fake.received).toHaveLength(0);
    });

    it('refuses a redirect from an upload session: the attachment goes nowhere else', async () => {
      fake.configure({ roles: ['Mail.Send', 'Mail.ReadWrite'] });
      fake.redirect('upload', elsewhere.url);

      const error = await sendError(
        createProvider({ largeMessages: true }),
        message({
          attachments: [
            {
              filename: 'archive.zip',
              contentType: 'application/zip',
              content: Buffer.alloc(4 * 1024 * 1024, 1),
            },
          ],
        }),
      );

      expectRefusedRedirect(
        error,
        /^The upload session at https:\/\/localhost:/,
      );
      expect(fake.counters.uploadChunks).toBe(0);
      expect(fake.drafts.size).toBe(0);
      expect(fake.received).toHaveLength(0);
    });
  });

  it('sends concurrently; pacing is left to the caller', async () => {
    fake.configure({ sendMailDelayMs: 50 });
    const provider = createProvider();

    await Promise.all(
      Array.from({ length: 6 }, () => provider.send(message())),
    );

    expect(fake.counters.maxGraphRequestsInFlight).toBe(6);
    expect(fake.counters.graphRequestsInFlight).toBe(0);
  });

  describe('large messages', () => {
    const MB = 1024 * 1024;
    const READ_WRITE = ['Mail.Send', 'Mail.ReadWrite'];

    function bytes(length: number, seed: number): Buffer {
      const buffer = Buffer.alloc(length);
      for (let i = 0; i < length; i++) {
        buffer[i] = (i * 31 + seed) % 251;
      }
      return buffer;
    }

    function largeMessage(overrides: Partial<OutgoingMessage> = {}) {
      return message({
        attachments: [
          {
            filename: 'archive.zip',
            contentType: 'application/zip',
            content: bytes(10 * MB, 1),
          },
        ],
        ...overrides,
      });
    }

    const attachmentBytes = (mail: (typeof fake.received)[number]) =>
      (mail.message.attachments ?? []).map(a =>
        Buffer.from(a.contentBytes, 'base64'),
      );

    it('sends a 10 MB attachment byte for byte through a draft, an upload session in chunks, and send', async () => {
      fake.configure({ roles: READ_WRITE });
      const archive = bytes(10 * MB, 1);
      const report = bytes(MB, 2);
      const logo = bytes(2048, 3);
      const outgoing = message({
        to: [{ address: 'ada@example.com', name: 'Ada Lovelace' }],
        cc: [{ address: 'grace@example.com' }],
        replyTo: [{ address: 'team@example.com' }],
        html: '<p>Report <img src="cid:logo@report"></p>',
        attachments: [
          {
            filename: 'archive.zip',
            contentType: 'application/zip',
            content: archive,
          },
          ...reportWithLogo(report, logo),
        ],
      });

      const result = await createProvider({ largeMessages: true }).send(
        outgoing,
      );

      expect(result).toEqual({
        messageId: outgoing.messageId,
        providerResponse: '202 Accepted',
      });
      expect(fake.counters).toMatchObject({
        sendMailRequests: 0,
        draftsCreated: 1,
        // 10 MB in ranges of 3.75 MB.
        uploadChunks: 3,
        uploadsWithAuthorization: 0,
      });
      expect(fake.drafts.size).toBe(0);
      expect(fake.received).toHaveLength(1);
      const [mail] = fake.received;
      expect(mail).toMatchObject({ mailbox: SENDER, sentAs: 'draft' });
      expect(mail.message).toMatchObject({
        subject: outgoing.subject,
        body: { contentType: 'HTML', content: outgoing.html },
        toRecipients: [
          {
            emailAddress: { address: 'ada@example.com', name: 'Ada Lovelace' },
          },
        ],
        ccRecipients: [{ emailAddress: { address: 'grace@example.com' } }],
        replyTo: [{ emailAddress: { address: 'team@example.com' } }],
        internetMessageId: outgoing.messageId,
      });
      expect(
        mail.message.attachments?.map(({ contentBytes: _, ...rest }) => rest),
      ).toEqual([
        {
          '@odata.type': '#microsoft.graph.fileAttachment',
          name: 'archive.zip',
          contentType: 'application/zip',
          isInline: false,
        },
        {
          '@odata.type': '#microsoft.graph.fileAttachment',
          name: 'report.pdf',
          contentType: 'application/pdf',
        },
        {
          '@odata.type': '#microsoft.graph.fileAttachment',
          name: 'logo.png',
          contentType: 'image/png',
          isInline: true,
          contentId: 'logo@report',
        },
      ]);
      const [archiveSent, reportSent, logoSent] = attachmentBytes(mail);
      expect(archiveSent.equals(archive)).toBe(true);
      expect(reportSent.equals(report)).toBe(true);
      expect(logoSent.equals(logo)).toBe(true);
    });

    it('uploads an inline image of over 3 MB as inline', async () => {
      fake.configure({ roles: READ_WRITE });
      const image = bytes(4 * MB, 4);

      await createProvider({ largeMessages: true }).send(
        message({
          html: '<img src="cid:chart@report">',
          attachments: [
            {
              filename: 'chart.png',
              contentType: 'image/png',
              content: image,
              contentId: 'chart@report',
            },
          ],
        }),
      );

      const [attachment] = fake.received[0].message.attachments ?? [];
      expect(attachment).toMatchObject({
        name: 'chart.png',
        isInline: true,
        contentId: 'chart@report',
      });
      expect(Buffer.from(attachment.contentBytes, 'base64').equals(image)).toBe(
        true,
      );
      expect(fake.counters.uploadChunks).toBe(2);
    });

    it('still sends a message that fits in one request through sendMail', async () => {
      fake.configure({ roles: READ_WRITE });

      await createProvider({ largeMessages: true }).send(
        largeMessage({
          attachments: [
            {
              filename: 'report.pdf',
              contentType: 'application/pdf',
              content: bytes(2 * MB, 5),
            },
          ],
        }),
      );

      expect(fake.counters).toMatchObject({
        sendMailRequests: 1,
        draftsCreated: 0,
      });
      expect(fake.received[0].sentAs).toBe('sendMail');
    });

    it('reports throttling during an upload as transient with its Retry-After, and deletes the draft', async () => {
      fake.configure({ roles: READ_WRITE });
      fake.throttleUploads(1, 9);
      const provider = createProvider({ largeMessages: true });
      const outgoing = largeMessage();

      const error = await sendError(provider, outgoing);

      expect(error).toMatchObject({
        code: 'throttled',
        transient: true,
        retryAfterMs: 9000,
      });
      expect(error.providerReply).toContain('ApplicationThrottled');
      expect(fake.counters.draftsCreated).toBe(1);
      expect(fake.drafts.size).toBe(0);
      expect(fake.received).toHaveLength(0);
      expectNoSecret(error);

      await provider.send(outgoing);
      expect(fake.drafts.size).toBe(0);
      expect(fake.received).toHaveLength(1);
      expect(
        attachmentBytes(fake.received[0])[0].equals(bytes(10 * MB, 1)),
      ).toBe(true);
    });

    it('explains a missing Mail.ReadWrite permission as permission-missing', async () => {
      const error = await sendError(
        createProvider({ largeMessages: true }),
        largeMessage(),
      );

      expect(error).toMatchObject({
        code: 'permission-missing',
        transient: false,
      });
      expect(error.message).toMatch(
        /lacks the Mail\.ReadWrite application permission.*turn off large messages/,
      );
      expect(error.providerReply).toContain('ErrorAccessDenied');
      expect(fake.counters.draftsCreated).toBe(0);
      expect(fake.received).toHaveLength(0);
    });

    it('deletes the draft when the send itself is refused', async () => {
      fake.configure({ roles: ['Mail.ReadWrite'] });

      const error = await sendError(
        createProvider({ largeMessages: true }),
        largeMessage(),
      );

      expect(error.code).toBe('permission-missing');
      expect(error.message).toMatch(/lacks the Mail\.Send application/);
      expect(fake.counters.uploadChunks).toBe(3);
      expect(fake.drafts.size).toBe(0);
    });

    it('gets a new token and retries once when Graph refuses the cached one', async () => {
      fake.configure({ roles: READ_WRITE });
      const provider = createProvider({ largeMessages: true });
      await provider.send(message());
      fake.revokeTokens();

      await provider.send(largeMessage());

      expect(fake.counters.tokenRequests).toBe(2);
      expect(fake.received).toHaveLength(2);
      expect(fake.counters.uploadsWithAuthorization).toBe(0);
    });

    it('makes its requests one after the other', async () => {
      fake.configure({ roles: READ_WRITE });

      await createProvider({ largeMessages: true }).send(largeMessage());

      expect(fake.counters.maxGraphRequestsInFlight).toBe(1);
    });
  });

  describe('verify', () => {
    it('passes with a fresh token that carries Mail.Send, and sends nothing', async () => {
      const provider = createProvider();
      await provider.send(message());
      const before = fake.counters.tokenRequests;

      const steps = await provider.verify();

      expect(steps).toEqual([
        {
          name: 'token',
          ok: true,
          durationMs: expect.any(Number),
          detail: expect.stringMatching(/^token issued, expires in \d+ min$/),
        },
        {
          name: 'permission',
          ok: true,
          durationMs: expect.any(Number),
          detail: 'application roles: Mail.Send',
        },
      ]);
      expect(fake.counters.tokenRequests).toBe(before + 1);
      expect(fake.counters.sendMailRequests).toBe(1);
    });

    it('fails the permission step when the token lacks Mail.Send', async () => {
      fake.configure({ roles: ['Mail.ReadBasic.All'] });

      const steps = await createProvider().verify();

      expect(steps.map(s => [s.name, s.ok])).toEqual([
        ['token', true],
        ['permission', false],
      ]);
      expect(steps[1].detail).toBe('application roles: Mail.ReadBasic.All');
      expect(steps[1].failure).toMatchObject({
        code: 'permission-missing',
        transient: false,
      });
      expect(fake.counters.sendMailRequests).toBe(0);
    });

    it('checks Mail.ReadWrite and the drafts folder when large messages are on, and creates nothing', async () => {
      fake.configure({ roles: ['Mail.Send', 'Mail.ReadWrite'] });

      const steps = await createProvider({ largeMessages: true }).verify();

      expect(steps.map(s => [s.name, s.ok])).toEqual([
        ['token', true],
        ['permission', true],
        ['large-messages', true],
      ]);
      expect(steps[2].detail).toMatch(/drafts folder of .* is reachable/);
      expect(fake.counters.draftsCreated).toBe(0);
      expect(fake.drafts.size).toBe(0);
    });

    it.each([
      ['without it', ['Mail.Send']],
      [
        'with only Mail.Read, which reads drafts but cannot make them',
        ['Mail.Send', 'Mail.Read'],
      ],
    ])('fails the large messages step on a token %s', async (_case, roles) => {
      fake.configure({ roles });

      const steps = await createProvider({ largeMessages: true }).verify();

      expect(steps.map(s => [s.name, s.ok])).toEqual([
        ['token', true],
        ['permission', true],
        ['large-messages', false],
      ]);
      expect(steps[2].failure).toMatchObject({
        code: 'permission-missing',
        transient: false,
        message: expect.stringContaining(
          'lacks the Mail.ReadWrite application permission',
        ),
      });
    });

    it('fails the large messages step when Graph keeps the app from the drafts folder', async () => {
      fake.configure({
        roles: ['Mail.Send', 'Mail.ReadWrite'],
        mailboxesExcludedByPolicy: [SENDER],
      });

      const steps = await createProvider({ largeMessages: true }).verify();

      expect(steps[2]).toMatchObject({
        name: 'large-messages',
        ok: false,
        failure: {
          code: 'permission-missing',
          providerReply: expect.stringContaining('Access to OData is disabled'),
        },
      });
    });

    it.each([
      [
        'in 200 days',
        200.5,
        /; client secret expires (\d{4}-\d{2}-\d{2}) \(in 200 days\)$/,
      ],
      [
        'in 12 days, saying to renew it',
        12.5,
        /; client secret expires (\d{4}-\d{2}-\d{2}) \(in 12 days: renew it before then\)$/,
      ],
      [
        'as passed when Entra still takes the secret',
        -3,
        /; client secret: the expiry entered, (\d{4}-\d{2}-\d{2}), has passed, yet Microsoft Entra accepted the secret; correct the date$/,
      ],
    ])(
      "reports the client secret's expiry as entered: %s",
      async (_case, days, detail) => {
        const expiresAt = new Date(Date.now() + days * 24 * 60 * 60 * 1000);

        const [token] = await createProvider({
          clientSecretExpiresAt: expiresAt.toISOString(),
        }).verify();

        expect(token.ok).toBe(true);
        expect(token.detail).toMatch(detail);
        expect(detail.exec(token.detail!)?.[1]).toBe(
          expiresAt.toISOString().slice(0, 10),
        );
      },
    );

    it('stops at the token step when the secret is wrong', async () => {
      const steps = await createProvider({
        clientSecret: WRONG_SECRET,
      }).verify();

      expect(steps).toHaveLength(1);
      expect(steps[0]).toMatchObject({
        name: 'token',
        ok: false,
        failure: { code: 'secret-invalid', transient: false },
      });
      expect(JSON.stringify(steps)).not.toContain(WRONG_SECRET);
    });
  });
});
