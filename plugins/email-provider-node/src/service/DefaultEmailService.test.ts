import { DiscoveryService } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { InputError, ResponseError } from '@backstage/errors';
import {
  SendEmailBatchOutcome,
  SendEmailRequest,
} from '@email-provider/backstage-plugin-email-provider-common';
import { FakeEmailProviderServer } from '../__testUtils__/FakeEmailProviderServer';
import { attachment } from './attachment';
import { DefaultEmailService } from './DefaultEmailService';

describe('DefaultEmailService', () => {
  let fake: FakeEmailProviderServer;
  let service: DefaultEmailService;

  const request: SendEmailRequest = {
    to: ['ada@example.com', 'grace@example.com'],
    cc: ['ops@example.com'],
    subject: 'Weekly report',
    text: 'The report is attached.',
    html: '<p>The report is attached.</p>',
    attachments: [attachment('report.csv', 'text/csv', 'team,count\nweb,3\n')],
    idempotencyKey: 'weekly-report:2026-11-23',
    category: 'weekly-report',
  };

  beforeAll(async () => {
    fake = await FakeEmailProviderServer.start();
    const discovery: DiscoveryService = {
      getBaseUrl: async pluginId =>
        fake.pluginBaseUrl.replace('email-provider', pluginId),
      getExternalBaseUrl: async pluginId =>
        fake.pluginBaseUrl.replace('email-provider', pluginId),
    };
    service = DefaultEmailService.create({
      auth: mockServices.auth({ pluginId: 'weekly-report' }),
      discovery,
    });
  });

  afterAll(() => fake.stop());

  beforeEach(() => {
    fake.requests.length = 0;
    fake.answer = { status: 202, body: { id: 'msg-1', status: 'queued' } };
    fake.answerBatch = FakeEmailProviderServer.acceptEach;
  });

  it('posts the request to the email-provider backend with a plugin token and returns its answer', async () => {
    await expect(service.send(request)).resolves.toEqual({
      id: 'msg-1',
      status: 'queued',
    });

    expect(fake.requests).toHaveLength(1);
    const [received] = fake.requests;
    expect(received.method).toBe('POST');
    expect(received.path).toBe('/api/email-provider/messages');
    expect(received.headers['content-type']).toBe('application/json');
    expect(received.body).toEqual(request);

    // The mock auth service encodes the subject and the target plugin in the token, as a real
    // plugin token carries them in its claims.
    expect(received.headers.authorization).toBe(
      mockCredentials.service.header({
        onBehalfOf: mockCredentials.service('plugin:weekly-report'),
        targetPluginId: 'email-provider',
      }),
    );
    const token = received.headers.authorization!.replace(
      /^Bearer mock-service-token:/,
      '',
    );
    expect(JSON.parse(token)).toEqual({
      sub: 'plugin:weekly-report',
      target: 'email-provider',
    });
    // The email-provider backend's own auth service accepts it as a service principal.
    await expect(
      mockServices
        .auth({ pluginId: 'email-provider' })
        .authenticate(`mock-service-token:${token}`),
    ).resolves.toEqual(mockCredentials.service('plugin:weekly-report'));
  });

  it('returns only id and status from the answer', async () => {
    fake.answer = {
      status: 202,
      body: { id: 'msg-2', status: 'queued', extra: 'ignored' },
    };
    await expect(
      service.send({ to: ['a@example.com'], subject: 's', html: '<b>x</b>' }),
    ).resolves.toEqual({ id: 'msg-2', status: 'queued' });
  });

  it.each([
    [
      400,
      'InputError',
      'Microsoft 365 accepts at most 3 MB of attachments unless large attachments are enabled',
    ],
    [409, 'ConflictError', 'No email provider is configured'],
    [503, 'ServiceUnavailableError', 'The email provider backend is starting'],
  ])(
    'turns a %i answer into a ResponseError with the server message',
    async (status, name, message) => {
      fake.answer = {
        status,
        body: FakeEmailProviderServer.errorBody(name, message, status),
      };

      const error = await service.send(request).then(
        () => undefined,
        e => e,
      );

      expect(error).toBeInstanceOf(ResponseError);
      expect(error.statusCode).toBe(status);
      expect(error.message).toMatch(
        new RegExp(`^Request failed with ${status} [A-Za-z ]+: ${message}$`),
      );
      expect(error.cause).toMatchObject({ name, message });
      expect(error.body.error).toEqual({ name, message });
      expect(fake.requests).toHaveLength(1);
    },
  );

  it('turns a non-JSON error answer (a proxy page) into a ResponseError with the status', async () => {
    fake.answer = {
      status: 502,
      body: '<html>Bad gateway</html>',
      contentType: 'text/html',
    };
    const error = await service.send(request).then(
      () => undefined,
      e => e,
    );
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.message).toBe('Request failed with 502 Bad Gateway');
    expect(error.cause.message).toContain('<html>Bad gateway</html>');
  });

  it('fails when the backend cannot be reached', async () => {
    const unreachable = DefaultEmailService.create({
      auth: mockServices.auth({ pluginId: 'weekly-report' }),
      discovery: {
        getBaseUrl: async () => 'http://127.0.0.1:1/api/email-provider',
        getExternalBaseUrl: async () => 'http://127.0.0.1:1/api/email-provider',
      },
    });
    await expect(unreachable.send(request)).rejects.toThrow('fetch failed');
  });

  it('rejects an answer that is not { id, status }', async () => {
    fake.answer = { status: 202, body: { ok: true } };
    await expect(service.send(request)).rejects.toThrow(
      'Unexpected answer from the email-provider backend (HTTP 202)',
    );
  });

  describe('rejects an invalid request with an InputError before any HTTP call', () => {
    const base: SendEmailRequest = {
      to: ['ada@example.com'],
      subject: 'Hello',
      text: 'Hi',
    };

    it.each<[string, unknown, RegExp]>([
      [
        'an address with a display name',
        { ...base, to: ['ada@example.com', 'Eve <eve@x.com>'] },
        /^Invalid email request: to\.1: to must be a single plain address/,
      ],
      [
        'a bad cc address',
        { ...base, cc: ['not-an-address'] },
        /cc\.0: cc must be a single plain address/,
      ],
      [
        'no recipients',
        { ...base, to: [] },
        /to: to must list at least one address/,
      ],
      [
        'neither text nor html',
        { to: base.to, subject: base.subject },
        /text: text or html is required/,
      ],
      [
        'an attachment filename with a path',
        {
          ...base,
          attachments: [attachment('../../etc/passwd', 'text/plain', 'x')],
        },
        /attachments\.0\.filename: Attachment filename must be a plain file name/,
      ],
      [
        'an attachment that is not base64',
        {
          ...base,
          attachments: [
            {
              filename: 'a.txt',
              contentType: 'text/plain',
              contentBase64: 'not base64!',
            },
          ],
        },
        /attachments\.0\.contentBase64: Attachment contentBase64 must be standard base64/,
      ],
      [
        'a file path instead of content',
        {
          ...base,
          attachments: [
            {
              filename: 'a.txt',
              contentType: 'text/plain',
              path: '/etc/passwd',
            },
          ],
        },
        /attachments\.0/,
      ],
      [
        'a custom header',
        { ...base, headers: { 'X-Priority': '1' } },
        /headers/,
      ],
      ['no request at all', undefined, /^Invalid email request: request: /],
    ])('%s', async (_, invalid, message) => {
      const error = await service.send(invalid as SendEmailRequest).then(
        () => undefined,
        e => e,
      );
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(message);
      expect(fake.requests).toHaveLength(0);
    });

    it('names every offending field at once', async () => {
      await expect(
        service.send({
          to: ['Eve <eve@x.com>'],
          subject: 'Hi',
        } as SendEmailRequest),
      ).rejects.toThrow(
        /to\.0: to must be a single plain address.*; text: text or html is required/,
      );
      expect(fake.requests).toHaveLength(0);
    });
  });

  describe('sendMany', () => {
    const MB = 1024 * 1024;
    const to = (user: string, more: Partial<SendEmailRequest> = {}) => ({
      to: [`${user}@example.com`],
      subject: `Report for ${user}`,
      text: 'Your report.',
      idempotencyKey: `report:2026-12:${user}`,
      ...more,
    });
    const users = (count: number) =>
      Array.from({ length: count }, (_, i) => `user${i}`);
    const batches = () =>
      fake.requests.map(
        r => (r.body as { messages: SendEmailRequest[] }).messages,
      );
    const accepted = (user: string): SendEmailBatchOutcome => ({
      accepted: true,
      id: `msg-Report for ${user}`,
      status: 'queued',
      idempotencyKey: `report:2026-12:${user}`,
    });

    it('posts the valid messages in one call with a plugin token, refuses the invalid ones before it, and answers in order', async () => {
      const outcomes = await service.sendMany([
        to('ada'),
        to('eve', { to: ['Eve <eve@example.com>'] }),
        to('grace', { idempotencyKey: undefined }),
        { subject: 'No recipients' } as SendEmailRequest,
        to('bob'),
      ]);

      expect(outcomes).toEqual([
        accepted('ada'),
        {
          accepted: false,
          error: {
            name: 'InputError',
            message: expect.stringMatching(
              /^Invalid email request: to\.0: to must be a single plain address/,
            ),
          },
          idempotencyKey: 'report:2026-12:eve',
        },
        { accepted: true, id: 'msg-Report for grace', status: 'queued' },
        {
          accepted: false,
          error: {
            name: 'InputError',
            message: expect.stringContaining('to: '),
          },
        },
        accepted('bob'),
      ]);
      expect(fake.requests).toHaveLength(1);
      const [received] = fake.requests;
      expect(received.method).toBe('POST');
      expect(received.path).toBe('/api/email-provider/messages/batch');
      expect(received.headers['content-type']).toBe('application/json');
      expect(received.headers.authorization).toBe(
        mockCredentials.service.header({
          onBehalfOf: mockCredentials.service('plugin:weekly-report'),
          targetPluginId: 'email-provider',
        }),
      );
      expect(received.body).toEqual({
        messages: [
          to('ada'),
          to('grace', { idempotencyKey: undefined }),
          to('bob'),
        ].map(m => JSON.parse(JSON.stringify(m))),
      });
    });

    it('calls nothing for no messages, or none valid', async () => {
      await expect(service.sendMany([])).resolves.toEqual([]);
      const [refused] = await service.sendMany([to('eve', { to: [] })]);
      expect(refused).toMatchObject({
        accepted: false,
        error: { name: 'InputError' },
      });
      expect(fake.requests).toHaveLength(0);
    });

    it('passes on what the backend answered for each message', async () => {
      const noProvider = {
        name: 'ConflictError',
        message: 'No email provider is active; an admin must configure one',
      };
      fake.answerBatch = messages => ({
        status: 200,
        body: {
          results: messages.map((_, i) =>
            i === 1
              ? { accepted: true, id: 'old-id', status: 'sent' }
              : { accepted: false, error: noProvider },
          ),
        },
      });
      await expect(
        service.sendMany([to('ada'), to('grace'), to('bob')]),
      ).resolves.toEqual([
        {
          accepted: false,
          error: noProvider,
          idempotencyKey: 'report:2026-12:ada',
        },
        {
          accepted: true,
          id: 'old-id',
          status: 'sent',
          idempotencyKey: 'report:2026-12:grace',
        },
        {
          accepted: false,
          error: noProvider,
          idempotencyKey: 'report:2026-12:bob',
        },
      ]);
    });

    it('sends 2,000 messages in calls of 500, one after the other', async () => {
      const all = users(2000);
      let inFlight = 0;
      let mostInFlight = 0;
      fake.answerBatch = messages => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        // Answered after a while: a call made meanwhile would be counted in flight too.
        setTimeout(() => {
          inFlight -= 1;
        }, 20);
        return { ...FakeEmailProviderServer.acceptEach(messages), delayMs: 20 };
      };

      const outcomes = await service.sendMany(all.map(user => to(user)));

      expect(batches().map(b => b.length)).toEqual([500, 500, 500, 500]);
      expect(
        batches()
          .flat()
          .map(m => m.to[0]),
      ).toEqual(all.map(user => `${user}@example.com`));
      expect(outcomes).toEqual(all.map(accepted));
      expect(mostInFlight).toBe(1);
    });

    it('keeps each call under 40 MB: a report with a 1 MB attachment to 70 people goes in 3 calls', async () => {
      const report = attachment(
        'report.pdf',
        'application/pdf',
        Buffer.alloc(MB, 7),
      );
      const all = users(70);

      const outcomes = await service.sendMany(
        all.map(user => to(user, { attachments: [report] })),
      );

      expect(fake.requests).toHaveLength(3);
      for (const received of fake.requests) {
        expect(received.size).toBeLessThanOrEqual(40 * MB);
      }
      expect(fake.requests[0].size).toBeGreaterThan(35 * MB);
      expect(outcomes).toEqual(all.map(accepted));
    });

    it('halves a call the backend finds too large, as its emailProvider.delivery.maxBatchSizeMb says', async () => {
      fake.answerBatch = messages =>
        messages.length > 2
          ? {
              status: 413,
              body: FakeEmailProviderServer.errorBody(
                'PayloadTooLargeError',
                'request entity too large',
                413,
              ),
            }
          : FakeEmailProviderServer.acceptEach(messages);
      const all = users(5);

      const outcomes = await service.sendMany(all.map(user => to(user)));

      expect(batches().map(b => b.length)).toEqual([5, 3, 2, 1, 2]);
      expect(outcomes).toEqual(all.map(accepted));

      // One message alone too large: refused as the backend said.
      fake.requests.length = 0;
      fake.answerBatch = () => ({
        status: 413,
        body: FakeEmailProviderServer.errorBody(
          'PayloadTooLargeError',
          'request entity too large',
          413,
        ),
      });
      await expect(service.sendMany([to('ada')])).resolves.toEqual([
        {
          accepted: false,
          error: {
            name: 'PayloadTooLargeError',
            message:
              'Request failed with 413 Payload Too Large: request entity too large',
          },
          idempotencyKey: 'report:2026-12:ada',
        },
      ]);
      expect(fake.requests).toHaveLength(1);
    });

    it('refuses each message of a call that fails as a whole, and goes on with the next', async () => {
      let calls = 0;
      fake.answerBatch = messages =>
        ++calls === 2
          ? {
              status: 503,
              body: FakeEmailProviderServer.errorBody(
                'ServiceUnavailableError',
                'The email outbox database cannot be reached right now',
                503,
              ),
            }
          : FakeEmailProviderServer.acceptEach(messages);
      const all = users(1200);

      const outcomes = await service.sendMany(all.map(user => to(user)));

      expect(batches().map(b => b.length)).toEqual([500, 500, 200]);
      expect(outcomes.slice(0, 500)).toEqual(all.slice(0, 500).map(accepted));
      expect(outcomes.slice(500, 1000)).toEqual(
        all.slice(500, 1000).map(user => ({
          accepted: false,
          error: {
            name: 'ServiceUnavailableError',
            message:
              'Request failed with 503 Service Unavailable: The email outbox database cannot be reached right now',
          },
          idempotencyKey: `report:2026-12:${user}`,
        })),
      );
      expect(outcomes.slice(1000)).toEqual(all.slice(1000).map(accepted));
    });

    it.each<[string, () => void, { name: string; message: string | RegExp }]>([
      [
        'a proxy page',
        () => {
          fake.answerBatch = () => ({
            status: 502,
            body: '<html>Bad gateway</html>',
            contentType: 'text/html',
          });
        },
        {
          name: 'ResponseError',
          message: 'Request failed with 502 Bad Gateway',
        },
      ],
      [
        'an answer with fewer outcomes than messages',
        () => {
          fake.answerBatch = messages =>
            FakeEmailProviderServer.acceptEach(messages.slice(1));
        },
        {
          name: 'Error',
          message:
            'Unexpected answer from the email-provider backend (HTTP 200): expected { results } with one outcome per message',
        },
      ],
      [
        'an outcome that is none',
        () => {
          fake.answerBatch = messages => ({
            status: 200,
            body: { results: messages.map(() => ({ accepted: 'yes' })) },
          });
        },
        {
          name: 'Error',
          message: expect.stringMatching(
            /^Unexpected answer from the email-provider backend: expected/,
          ),
        },
      ],
    ])('refuses each message for %s', async (_, answer, error) => {
      answer();
      await expect(service.sendMany([to('ada'), to('grace')])).resolves.toEqual(
        ['ada', 'grace'].map(user => ({
          accepted: false,
          error,
          idempotencyKey: `report:2026-12:${user}`,
        })),
      );
    });

    it('refuses each message when the backend cannot be reached, saying why', async () => {
      const stopped = await FakeEmailProviderServer.start();
      const baseUrl = stopped.pluginBaseUrl;
      await stopped.stop();
      const unreachable = DefaultEmailService.create({
        auth: mockServices.auth({ pluginId: 'weekly-report' }),
        discovery: {
          getBaseUrl: async () => baseUrl,
          getExternalBaseUrl: async () => baseUrl,
        },
      });
      await expect(
        unreachable.sendMany([to('ada'), to('grace')]),
      ).resolves.toEqual(
        ['ada', 'grace'].map(user => ({
          accepted: false,
          error: {
            name: 'TypeError',
            message: expect.stringMatching(/^fetch failed \(.*ECONNREFUSED/),
          },
          idempotencyKey: `report:2026-12:${user}`,
        })),
      );
    });
  });
});
