import { DiscoveryService } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { InputError, ResponseError } from '@backstage/errors';
import { SendEmailRequest } from '@email-provider/backstage-plugin-email-provider-common';
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
});
