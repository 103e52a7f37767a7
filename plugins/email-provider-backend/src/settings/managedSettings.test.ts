import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import { startMailTestServersBeforeAll } from '@internal/mail-test-servers';
import {
  ADMIN,
  allowEveryone,
  EmailProviderTestBackend,
  REPORTS_PLUGIN as reportsPlugin,
  startEmailProviderTestBackend,
} from '../__testUtils__/emailProviderTestBackend';
import { RecordedAuditEvent } from '../__testUtils__/recordingAuditor';
import { exampleMicrosoft365 } from '../__testUtils__/testSettings';

jest.setTimeout(60_000);

const FROM = 'portal@example.com';
const PASSWORD = 'managed-Pa55word-from-the-secret-store';
const SAVED_SECRET = 'Qx8Q~saved-client-secret-that-must-go';

const admin = mockCredentials.user.header(ADMIN);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const servers = startMailTestServersBeforeAll({
  smtp: { credentials: { username: FROM, password: PASSWORD } },
  trustCa: true,
});

/** A managed SMTP provider as app-config holds it after `${ENV}` substitution: all strings. */
function managedSmtp(overrides: Record<string, unknown> = {}) {
  return {
    provider: 'smtp',
    smtp: {
      host: 'localhost',
      port: String(servers.smtp.port),
      security: 'starttls',
      from: FROM,
      fromName: 'ACME Portal',
      usernameSameAsFrom: 'true',
      password: PASSWORD,
      ...overrides,
    },
  };
}

const savedMicrosoft365 = {
  provider: 'microsoft365',
  microsoft365: {
    ...exampleMicrosoft365,
    clientSecret: SAVED_SECRET,
  },
};

async function waitFor(check: () => Promise<boolean> | boolean) {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error('Timed out waiting');
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

describe.each(databases.eachSupportedId())(
  'settings from configuration (%s)',
  databaseId => {
    let knex: Knex;
    let backend: EmailProviderTestBackend | undefined;
    let auditEvents: RecordedAuditEvent[];
    let logLines: string[];

    beforeEach(async () => {
      knex = await databases.init(databaseId);
    });

    afterEach(async () => {
      await backend?.stop();
      backend = undefined;
    });

    async function start(managedSettings?: unknown, extra: object = {}) {
      await backend?.stop();
      backend = undefined;
      backend = await startEmailProviderTestBackend({
        database: knex,
        permissions: allowEveryone,
        emailProvider: {
          admins: [ADMIN],
          ...(managedSettings === undefined ? {} : { managedSettings }),
          ...extra,
        },
      });
      auditEvents = backend.auditEvents;
      logLines = backend.logs;
      return backend.server;
    }

    const settingsRow = () =>
      knex('email_provider_settings').where('id', 1).first();

    it('puts the configured provider in charge, deletes what was saved, and says so', async () => {
      let server = await start();
      const saved = await request(server)
        .put('/api/email-provider/settings')
        .set('Authorization', admin)
        .send(savedMicrosoft365);
      expect(saved.status).toBe(200);

      server = await start(managedSmtp());
      const row = await settingsRow();
      expect(row).toMatchObject({
        provider: 'none',
        settings: null,
        secret: null,
      });
      expect(auditEvents).toEqual([
        {
          eventId: 'settings-update',
          meta: { action: 'managed-by-config' },
        },
        {
          eventId: 'settings-update:success',
          meta: expect.objectContaining({
            previousProvider: 'microsoft365',
            provider: 'none',
            changedFields: expect.arrayContaining([
              'microsoft365.clientSecret',
              'provider',
            ]),
          }),
        },
      ]);
      expect(logLines.join('\n')).toContain(
        'The email provider is set by configuration (emailProvider.managedSettings): SMTP through localhost',
      );
      expect(logLines.join('\n')).toContain(
        'the microsoft365 settings saved in the database were deleted',
      );

      const res = await request(server)
        .get('/api/email-provider/settings')
        .set('Authorization', admin);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        provider: 'smtp',
        managedBy: 'config',
        version: expect.any(Number),
        updatedAt: expect.any(String),
        updatedBy: 'config',
        smtp: {
          host: 'localhost',
          port: servers.smtp.port,
          security: 'starttls',
          from: FROM,
          fromName: 'ACME Portal',
          usernameSameAsFrom: true,
          username: FROM,
          passwordSet: true,
        },
      });
      expect(JSON.stringify(res.body)).not.toContain(PASSWORD);
      expect(logLines.join('\n')).not.toContain(PASSWORD);
    });

    it('answers PUT and DELETE with 409 managed-by-config and changes nothing', async () => {
      const server = await start(managedSmtp());
      const before = await settingsRow();
      const attempts = [
        request(server)
          .put('/api/email-provider/settings')
          .set('Authorization', admin)
          .send(savedMicrosoft365),
        request(server)
          .put('/api/email-provider/settings')
          .set('Authorization', admin)
          .set('If-Match', '"1"')
          .send(
            managedSmtp({ port: servers.smtp.port, usernameSameAsFrom: true }),
          ),
        request(server)
          .delete('/api/email-provider/settings')
          .set('Authorization', admin),
      ];
      for (const res of await Promise.all(attempts)) {
        expect(res.status).toBe(409);
        expect(res.body.error).toEqual({
          name: 'ConflictError',
          code: 'managed-by-config',
          message: expect.stringContaining('emailProvider.managedSettings'),
        });
      }
      expect(await settingsRow()).toEqual(before);
      const res = await request(server)
        .get('/api/email-provider/settings')
        .set('Authorization', admin);
      expect(res.body).toMatchObject({ provider: 'smtp', managedBy: 'config' });
      expect(auditEvents.map(e => e.eventId)).toEqual([
        'settings-update',
        'settings-update:fail',
        'settings-update',
        'settings-update:fail',
        'settings-update',
        'settings-update:fail',
      ]);
    });

    it('sends the test email, checks the connection and delivers with the configured provider', async () => {
      const server = await start(managedSmtp());
      const before = servers.smtp.received.length;

      const test = await request(server)
        .post('/api/email-provider/test-email')
        .set('Authorization', admin)
        .send({ to: 'ada@example.com' });
      expect(test.status).toBe(200);
      expect(test.body).toMatchObject({ ok: true, provider: 'smtp' });
      expect(servers.smtp.received[before]).toMatchObject({
        envelope: { from: FROM, to: ['ada@example.com'] },
        user: FROM,
        secure: true,
      });

      const verify = await request(server)
        .post('/api/email-provider/verify')
        .set('Authorization', admin)
        .send({});
      expect(verify.status).toBe(200);
      expect(verify.body.ok).toBe(true);

      const enqueued = await request(server)
        .post('/api/email-provider/messages')
        .set('Authorization', reportsPlugin)
        .send({ to: ['grace@example.com'], subject: 'Weekly', text: 'x' });
      expect(enqueued.status).toBe(202);
      await waitFor(() =>
        servers.smtp.received.some(mail => mail.parsed.subject === 'Weekly'),
      );
      await waitFor(async () => {
        const log = await request(server)
          .get(`/api/email-provider/messages/${enqueued.body.id}`)
          .set('Authorization', admin);
        return log.body.status === 'sent';
      });
      expect((await settingsRow()).secret).toBeNull();
    });

    it('checks a draft only under the saved-secret rule: the configured password never goes to another server', async () => {
      const server = await start(managedSmtp());
      const res = await request(server)
        .post('/api/email-provider/verify')
        .set('Authorization', admin)
        .send({
          settings: {
            provider: 'smtp',
            smtp: {
              host: 'smtp.elsewhere.example',
              port: servers.smtp.port,
              security: 'starttls',
              from: FROM,
              usernameSameAsFrom: true,
            },
          },
        });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('smtp.password');
    });

    it.each([
      [
        'a port that is not a number',
        () => managedSmtp({ port: 'submission' }),
        'emailProvider.managedSettings.smtp.port: ',
      ],
      [
        'an unknown field',
        () => managedSmtp({ passwrd: 'x' }),
        'emailProvider.managedSettings.smtp: Unknown field in SMTP settings: passwrd',
      ],
      [
        'no password',
        () => managedSmtp({ password: undefined }),
        'emailProvider.managedSettings.smtp.password: Password is required to activate SMTP',
      ],
      [
        'an unknown provider',
        () => ({ provider: 'sendgrid' }),
        'emailProvider.managedSettings.provider: ',
      ],
      [
        'a host the portal does not allow',
        () => managedSmtp({ host: '169.254.169.254' }),
        'emailProvider.managedSettings.smtp.host: ',
      ],
    ])(
      'stops at startup on %s, naming the key, and leaves the saved provider alone',
      async (_case, managedSettings: () => unknown, message) => {
        const server = await start();
        await request(server)
          .put('/api/email-provider/settings')
          .set('Authorization', admin)
          .send(savedMicrosoft365)
          .expect(200);
        const before = await settingsRow();
        await backend!.stop();
        backend = undefined;

        const failure = await start(managedSettings()).then(
          () => undefined,
          (error: Error) => error,
        );
        expect(failure?.message).toContain(
          'Invalid email provider settings in configuration',
        );
        expect(failure?.message).toContain(message);
        expect(await settingsRow()).toEqual(before);
      },
    );

    it('gives control back to the page, with provider none, when the key is removed', async () => {
      await start(managedSmtp());
      const server = await start();
      const res = await request(server)
        .get('/api/email-provider/settings')
        .set('Authorization', admin);
      expect(res.body).toEqual({ provider: 'none' });
      const saved = await request(server)
        .put('/api/email-provider/settings')
        .set('Authorization', admin)
        .send(savedMicrosoft365);
      expect(saved.status).toBe(200);
      expect(saved.body.managedBy).toBeUndefined();
    });

    it('pins sending off with provider none', async () => {
      const server = await start({ provider: 'none' });
      const res = await request(server)
        .get('/api/email-provider/settings')
        .set('Authorization', admin);
      expect(res.body).toEqual({ provider: 'none', managedBy: 'config' });
      const put = await request(server)
        .put('/api/email-provider/settings')
        .set('Authorization', admin)
        .send(
          managedSmtp({ port: servers.smtp.port, usernameSameAsFrom: true }),
        );
      expect(put.status).toBe(409);
      expect(logLines.join('\n')).toContain(
        'emailProvider.managedSettings): none: the portal sends no email',
      );
    });
  },
);
