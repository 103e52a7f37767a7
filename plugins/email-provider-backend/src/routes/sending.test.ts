import { mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';
import {
  createAppCertificate,
  startMailTestServersBeforeAll,
} from '@internal/mail-test-servers';
import {
  ADMIN,
  asUser,
  GRACE as OTHER_ADMIN,
  NON_ADMIN,
  startEmailProviderTestBackend,
} from '../__testUtils__/emailProviderTestBackend';
import { localSmtpSettings } from '../__testUtils__/testSettings';

jest.setTimeout(30_000);

const PASSWORD = 'route-test-Pa55word';
const FROM = 'portal@example.com';

const servers = startMailTestServersBeforeAll({
  smtp: { credentials: { username: FROM, password: PASSWORD } },
  microsoft: { mailboxes: ['reports@contoso.onmicrosoft.com'] },
  trustCa: true,
});

async function startPortal(extraConfig: object = {}) {
  const portal = await startEmailProviderTestBackend({
    permissions: caller =>
      caller.userEntityRef === ADMIN || caller.userEntityRef === OTHER_ADMIN,
    config: { app: { title: 'ACME Portal' } },
    emailProvider: {
      microsoft365: {
        authorityHost: servers.microsoft.authorityHost,
        graphBaseUrl: servers.microsoft.graphBaseUrl,
      },
      ...extraConfig,
    },
  });
  const call = (
    method: 'put' | 'post',
    path: string,
    body: object,
    caller = asUser(ADMIN),
  ) => portal.api(method, path, caller, body);
  return {
    server: portal.server,
    call,
    as: asUser,
    auditEvents: portal.auditEvents,
  };
}

const smtpSettings = (port: number, overrides: object = {}) =>
  localSmtpSettings(
    { port, from: FROM, password: PASSWORD },
    { fromName: 'ACME Portal', ...overrides },
  );

describe('POST /test-email', () => {
  it('sends the test email through the active SMTP server now', async () => {
    const { call, auditEvents } = await startPortal();
    expect(
      (await call('put', '/settings', smtpSettings(servers.smtp.port))).status,
    ).toBe(200);
    const before = servers.smtp.received.length;

    const res = await call('post', '/test-email', { to: 'ada@example.com' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ok: true,
      messageId: expect.stringMatching(/^<[0-9a-f-]+@example\.com>$/),
      provider: 'smtp',
      durationMs: expect.any(Number),
    });

    const mail = servers.smtp.received[before];
    expect(mail.envelope).toEqual({ from: FROM, to: ['ada@example.com'] });
    expect(mail.parsed.from?.value).toEqual([
      { address: FROM, name: 'ACME Portal' },
    ]);
    expect(mail.parsed.subject).toBe(
      'Test email from ACME Portal administration',
    );
    expect(mail.parsed.messageId).toBe(res.body.messageId);
    expect(mail.parsed.text).toContain(`requested by ${ADMIN}`);
    expect(mail.parsed.text).toContain(
      `Server: localhost:${servers.smtp.port} (StartTLS)`,
    );
    expect(mail.raw.toString()).not.toContain(PASSWORD);
    expect(auditEvents.map(e => e.eventId)).toContain('test-email:success');
  });

  it('answers a failed send with its classified reason, never the secret', async () => {
    const { call, auditEvents } = await startPortal();
    await call(
      'put',
      '/settings',
      smtpSettings(servers.smtp.port, { password: 'Wrong-Pa55word' }),
    );
    const res = await call('post', '/test-email', { to: 'ada@example.com' });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({
      ok: false,
      provider: 'smtp',
      error: {
        name: 'ProviderError',
        message: expect.stringMatching(/rejected the username or password/),
      },
      failure: { code: 'auth-failed', transient: false },
    });
    expect(res.text).not.toContain('Wrong-Pa55word');
    expect(JSON.stringify(auditEvents)).not.toContain('Wrong-Pa55word');
    expect(auditEvents.map(e => e.eventId)).toContain('test-email:fail');
  });

  it('needs an active provider', async () => {
    const { call } = await startPortal();
    const res = await call('post', '/test-email', { to: 'ada@example.com' });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/No email provider is active/);
  });

  it.each([
    [{}, 'to: Recipient is required'],
    [
      { to: 'Eve <eve@example.com>' },
      'to: Recipient must be a single plain address',
    ],
    [
      { to: 'a@example.com, b@example.com' },
      'to: Recipient must be a single plain address',
    ],
    [{ to: 'ada@example.com', cc: 'x@example.com' }, 'Unrecognized key'],
  ])('refuses the body %j', async (body, message) => {
    const { call } = await startPortal();
    await call('put', '/settings', smtpSettings(servers.smtp.port));
    const res = await call('post', '/test-email', body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(message);
  });

  it('is for admins only', async () => {
    const { server, call, as } = await startPortal();
    await call('put', '/settings', smtpSettings(servers.smtp.port));
    const post = (caller: string) =>
      request(server)
        .post('/api/email-provider/test-email')
        .set('Authorization', caller)
        .send({ to: 'ada@example.com' });
    expect((await post(as(NON_ADMIN))).status).toBe(403);
    expect((await post(mockCredentials.service.header())).status).toBe(403);
    expect((await post(mockCredentials.none.header())).status).toBe(401);
  });

  it('is rate-limited per admin', async () => {
    const { call, as } = await startPortal();
    await call('put', '/settings', smtpSettings(servers.smtp.port));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(
        (await call('post', '/test-email', { to: 'ada@example.com' })).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await call('post', '/test-email', {
      to: 'ada@example.com',
    });
    expect(limited.headers['retry-after']).toBe('60');
    expect(limited.body.error.name).toBe('TooManyRequestsError');
    const other = await call(
      'post',
      '/test-email',
      { to: 'ada@example.com' },
      as(OTHER_ADMIN),
    );
    expect(other.status).toBe(200);
  });
});

describe('Microsoft 365 through the portal', () => {
  const m365Settings = (clientSecret: string) => ({
    provider: 'microsoft365',
    microsoft365: {
      from: 'reports@contoso.onmicrosoft.com',
      tenantId: servers.microsoft.settings.tenantId,
      clientId: servers.microsoft.settings.clientId,
      clientSecret,
    },
  });

  it('sends the test email through Graph', async () => {
    const { call } = await startPortal();
    const saved = await call(
      'put',
      '/settings',
      m365Settings(servers.microsoft.settings.clientSecret),
    );
    expect(saved.status).toBe(200);
    const before = servers.microsoft.received.length;
    const res = await call('post', '/test-email', { to: 'ada@example.com' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, provider: 'microsoft365' });
    const mail = servers.microsoft.received[before];
    expect(mail.mailbox).toBe('reports@contoso.onmicrosoft.com');
    expect(mail.saveToSentItems).toBe(false);
    expect(mail.message.subject).toBe(
      'Test email from ACME Portal administration',
    );
    expect(mail.message.toRecipients).toEqual([
      { emailAddress: { address: 'ada@example.com' } },
    ]);
    expect(mail.message.internetMessageId).toBe(res.body.messageId);
    expect(mail.message.body.content).toContain('Provider: Microsoft 365');
  });

  it('saves a certificate, checks the connection and sends the test email with it', async () => {
    const certificate = await createAppCertificate({ cn: 'portal-mail' });
    servers.microsoft.configure({ certificates: [certificate.cert] });
    const { call } = await startPortal();
    const { clientSecret: _, ...application } =
      m365Settings('unused').microsoft365;
    const saved = await call('put', '/settings', {
      provider: 'microsoft365',
      microsoft365: {
        ...application,
        credential: 'certificate',
        clientCertificatePem: certificate.pem,
      },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.microsoft365).toMatchObject({
      credential: 'certificate',
      clientSecretSet: false,
      clientCertificateSet: true,
      certificate: { subject: 'CN=portal-mail' },
    });
    expect(saved.text).not.toContain('PRIVATE KEY');

    const verified = await call('post', '/verify', {});
    expect(verified.body).toMatchObject({ ok: true, provider: 'microsoft365' });
    expect(verified.body.steps[0].detail).toMatch(
      /certificate CN=portal-mail, thumbprint [0-9A-F]{40}, expires/,
    );
    const before = servers.microsoft.received.length;
    const sent = await call('post', '/test-email', { to: 'ada@example.com' });
    expect(sent.status).toBe(200);
    expect(servers.microsoft.received.length).toBe(before + 1);

    // Not uploaded to the app: Entra's AADSTS700027, classified.
    servers.microsoft.configure({ certificates: [] });
    const refused = await call('post', '/verify', {});
    expect(refused.body.steps[0]).toMatchObject({
      ok: false,
      failure: { code: 'certificate-not-registered' },
    });
  });

  it('answers a wrong secret with secret-invalid, and verify says the same', async () => {
    const { call } = await startPortal();
    await call('put', '/settings', m365Settings('the-secret-id-not-its-value'));
    const res = await call('post', '/test-email', { to: 'ada@example.com' });
    expect(res.status).toBe(502);
    expect(res.body.failure).toMatchObject({ code: 'secret-invalid' });
    expect(res.body.failure.message).toMatch(/AADSTS7000215/);
    expect(res.text).not.toContain('the-secret-id-not-its-value');

    const verified = await call('post', '/verify', {});
    expect(verified.body).toMatchObject({
      ok: false,
      provider: 'microsoft365',
      steps: [
        { name: 'token', ok: false, failure: { code: 'secret-invalid' } },
      ],
    });
  });

  it('saves large messages, reads them back only when on, keeps the secret and audits the field', async () => {
    const { server, call, as, auditEvents } = await startPortal();
    const { clientSecret: _, ...withoutSecret } =
      m365Settings('unused').microsoft365;
    const readBack = {
      from: 'reports@contoso.onmicrosoft.com',
      tenantId: servers.microsoft.settings.tenantId,
      clientId: servers.microsoft.settings.clientId,
      clientSecretSet: true,
    };
    await call(
      'put',
      '/settings',
      m365Settings(servers.microsoft.settings.clientSecret),
    );

    const on = await call('put', '/settings', {
      provider: 'microsoft365',
      microsoft365: { ...withoutSecret, largeMessages: true },
    });
    expect(on.status).toBe(200);
    expect(on.body.microsoft365).toEqual({ ...readBack, largeMessages: true });
    const read = await request(server)
      .get('/api/email-provider/settings')
      .set('Authorization', as(ADMIN));
    expect(read.body).toEqual(on.body);
    expect(auditEvents.at(-1)).toMatchObject({
      eventId: 'settings-update:success',
      meta: { changedFields: ['microsoft365.largeMessages'] },
    });

    const off = await call('put', '/settings', {
      provider: 'microsoft365',
      microsoft365: { ...withoutSecret, largeMessages: false },
    });
    expect(off.body.microsoft365).toEqual(readBack);
    const test = await call('post', '/test-email', { to: 'ada@example.com' });
    expect(test.body).toMatchObject({ ok: true, provider: 'microsoft365' });
  });

  it('checks Mail.ReadWrite when large messages are on', async () => {
    const { call } = await startPortal();
    const settings = m365Settings(servers.microsoft.settings.clientSecret);
    const draft = {
      settings: {
        ...settings,
        microsoft365: { ...settings.microsoft365, largeMessages: true },
      },
    };

    const without = await call('post', '/verify', draft);
    expect(without.body).toMatchObject({
      ok: false,
      steps: [
        { name: 'token', ok: true },
        { name: 'permission', ok: true },
        {
          name: 'large-messages',
          ok: false,
          failure: {
            code: 'permission-missing',
            message: expect.stringContaining('Mail.ReadWrite'),
          },
        },
      ],
    });

    const roles = servers.microsoft.settings.roles;
    servers.microsoft.configure({ roles: ['Mail.Send', 'Mail.ReadWrite'] });
    try {
      const granted = await call('post', '/verify', draft);
      expect(granted.body).toMatchObject({
        ok: true,
        steps: [
          { name: 'token', ok: true },
          { name: 'permission', ok: true },
          { name: 'large-messages', ok: true },
        ],
      });
    } finally {
      servers.microsoft.configure({ roles });
    }
  });

  it('checks a draft: a fresh token with the Mail.Send role', async () => {
    const { call } = await startPortal();
    const tokensBefore = servers.microsoft.counters.tokenRequests;
    const res = await call('post', '/verify', {
      settings: m365Settings(servers.microsoft.settings.clientSecret),
    });
    expect(res.body).toMatchObject({
      ok: true,
      steps: [
        { name: 'token', ok: true },
        { name: 'permission', ok: true },
      ],
    });
    expect(servers.microsoft.counters.tokenRequests).toBe(tokensBefore + 1);
  });
});

describe('POST /verify', () => {
  it('checks the saved settings step by step', async () => {
    const { call } = await startPortal();
    await call('put', '/settings', smtpSettings(servers.smtp.port));
    const before = servers.smtp.received.length;
    const res = await call('post', '/verify', {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, provider: 'smtp' });
    expect(res.body.steps.map((s: { name: string }) => s.name)).toEqual([
      'dns',
      'connect',
      'smtp',
      'tls',
      'login',
    ]);
    expect(servers.smtp.received.length).toBe(before);
  });

  it('checks a draft, reusing the saved secret only for the same destination', async () => {
    const { call } = await startPortal();
    await call('put', '/settings', smtpSettings(servers.smtp.port));
    const { password: _, ...withoutPassword } = smtpSettings(
      servers.smtp.port,
    ).smtp;

    const same = await call('post', '/verify', {
      settings: {
        provider: 'smtp',
        smtp: { ...withoutPassword, fromName: 'Other name' },
      },
    });
    expect(same.status).toBe(200);
    expect(same.body.ok).toBe(true);

    const moved = await call('post', '/verify', {
      settings: {
        provider: 'smtp',
        smtp: { ...withoutPassword, host: '127.0.0.1' },
      },
    });
    expect(moved.status).toBe(400);
    expect(moved.body.error.message).toMatch(
      /smtp\.password: Password is required/,
    );

    const wrong = await call('post', '/verify', {
      settings: smtpSettings(servers.smtp.port, {
        password: 'Not-the-password',
      }),
    });
    expect(wrong.status).toBe(200);
    expect(wrong.body.ok).toBe(false);
    expect(wrong.body.steps.at(-1)).toMatchObject({
      name: 'login',
      ok: false,
      failure: { code: 'auth-failed' },
    });
    expect(wrong.text).not.toContain('Not-the-password');
  });

  it('refuses bad drafts with the field named', async () => {
    const { call } = await startPortal();
    const res = await call('post', '/verify', {
      settings: smtpSettings(servers.smtp.port, { port: '25' }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('settings.smtp.port:');
  });
});

describe('destination safety', () => {
  it.each([
    '169.254.169.254',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    'fe80::1',
  ])('refuses %s at save and at verify', async host => {
    const { call } = await startPortal();
    const saved = await call('put', '/settings', smtpSettings(25, { host }));
    expect(saved.status).toBe(400);
    expect(saved.body.error.message).toMatch(
      /smtp\.host: .*link-local or cloud metadata/,
    );
    const verified = await call('post', '/verify', {
      settings: smtpSettings(25, { host }),
    });
    expect(verified.status).toBe(400);
  });

  it('restricts destinations to emailProvider.smtp.allowedHosts', async () => {
    const { call } = await startPortal({
      smtp: { allowedHosts: ['*.example.com', 'localhost'] },
    });
    expect(
      (await call('put', '/settings', smtpSettings(servers.smtp.port))).status,
    ).toBe(200);
    const refused = await call(
      'put',
      '/settings',
      smtpSettings(servers.smtp.port, { host: 'smtp.elsewhere.net' }),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(
      /not in emailProvider\.smtp\.allowedHosts/,
    );
  });
});
