import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import {
  ADMIN,
  ADMIN_GROUP,
  allowEveryone,
  EmailProviderTestBackend,
  GRACE as GROUP_ADMIN,
  LogEntry,
  NON_ADMIN,
  startEmailProviderTestBackend,
  userInfoWithAdminGroup,
} from './__testUtils__/emailProviderTestBackend';
import { exampleMicrosoft365, exampleSmtp } from './__testUtils__/testSettings';

jest.setTimeout(60_000);

const SMTP_PASSWORD = 'smtp-Pa55word-that-must-never-leak';
const CLIENT_SECRET = 'Qx8Q~m365-client-secret-that-must-never-leak';

const smtp = { ...exampleSmtp, fromName: 'ACME Portal' };
const microsoft365 = exampleMicrosoft365;

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const callers = {
  admin: mockCredentials.user.header(ADMIN),
  nonAdmin: mockCredentials.user.header(NON_ADMIN),
  service: mockCredentials.service.header(),
  none: mockCredentials.none.header(),
};

describe.each(databases.eachSupportedId())(
  'email-provider plugin (%s)',
  databaseId => {
    let knex: Knex;
    let server: EmailProviderTestBackend['server'];
    let logLines: string[];
    let logEntries: LogEntry[];
    let responses: string[];

    async function start(options: { permissionFramework: boolean }) {
      knex = await databases.init(databaseId);
      responses = [];
      // create-app's allow-all policy: emailProvider.admins alone must keep everyone else out.
      const backend = await startEmailProviderTestBackend({
        database: knex,
        permissions: allowEveryone,
        config: { permission: { enabled: options.permissionFramework } },
        audit: 'logged',
        features: [userInfoWithAdminGroup.factory],
        emailProvider: { admins: [ADMIN, ADMIN_GROUP] },
      });
      server = backend.server;
      logLines = backend.logs;
      logEntries = backend.logEntries;
    }

    /** Sends a request and keeps its whole answer, headers included, for the leak check. */
    async function call(
      method: 'get' | 'put' | 'delete',
      caller: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) {
      let req = request(server)
        [method]('/api/email-provider/settings')
        .set('Authorization', caller);
      for (const [name, value] of Object.entries(headers)) {
        req = req.set(name, value);
      }
      const res =
        body === undefined ? await req : await req.send(body as object);
      responses.push(JSON.stringify(res.headers) + res.text);
      return res;
    }

    const rawRows = () => knex('email_provider_settings').select();

    describe('with the permission framework and an allow-all policy', () => {
      beforeEach(() => start({ permissionFramework: true }));

      it('starts with no provider', async () => {
        const res = await call('get', callers.admin);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ provider: 'none' });
        expect(res.headers.etag).toBe('"0"');
        expect(res.headers['cache-control']).toBe('no-store');
      });

      it.each([
        ['get', undefined],
        ['put', { provider: 'none' }],
        ['delete', undefined],
      ] as const)(
        '%s /settings answers each kind of caller',
        async (method, body) => {
          expect((await call(method, callers.none, body)).status).toBe(401);
          const service = await call(method, callers.service, body);
          expect(service.status).toBe(403);
          const nonAdmin = await call(method, callers.nonAdmin, body);
          expect(nonAdmin.status).toBe(403);
          expect(nonAdmin.body.error).toMatchObject({
            name: 'NotAllowedError',
          });
          expect((await call(method, callers.admin, body)).status).toBe(200);
        },
      );

      it('admits an admin through group membership', async () => {
        expect(
          (await call('get', mockCredentials.user.header(GROUP_ADMIN))).status,
        ).toBe(200);
      });

      it('saves, reads, replaces and deletes a provider', async () => {
        const saved = await call('put', callers.admin, {
          provider: 'smtp',
          smtp: { ...smtp, password: SMTP_PASSWORD },
        });
        expect(saved.status).toBe(200);
        expect(saved.body).toEqual({
          provider: 'smtp',
          version: 1,
          updatedAt: expect.any(String),
          updatedBy: ADMIN,
          smtp: {
            ...smtp,
            username: smtp.from,
            passwordSet: true,
          },
        });
        expect(saved.headers.etag).toBe('"1"');
        expect((await call('get', callers.admin)).body).toEqual(saved.body);

        const replaced = await call('put', callers.admin, {
          provider: 'microsoft365',
          microsoft365: { ...microsoft365, clientSecret: CLIENT_SECRET },
        });
        expect(replaced.status).toBe(200);
        expect(replaced.body).toEqual({
          provider: 'microsoft365',
          version: 2,
          updatedAt: expect.any(String),
          updatedBy: ADMIN,
          microsoft365: { ...microsoft365, clientSecretSet: true },
        });
        const rows = await rawRows();
        expect(rows).toHaveLength(1);
        expect(JSON.stringify(rows)).not.toMatch(/smtp\.example\.com|starttls/);

        const deleted = await call('delete', callers.admin);
        expect(deleted.status).toBe(200);
        expect(deleted.body).toEqual({ provider: 'none' });
        expect((await call('get', callers.admin)).body).toEqual({
          provider: 'none',
        });
        expect(await rawRows()).toEqual([
          expect.objectContaining({
            provider: 'none',
            settings: null,
            secret: null,
          }),
        ]);
      });

      it('refuses a stale If-Match with 409 and changes nothing', async () => {
        await call('put', callers.admin, {
          provider: 'smtp',
          smtp: { ...smtp, password: SMTP_PASSWORD },
        });
        const current = await call('get', callers.admin);

        const stale = await call(
          'put',
          callers.admin,
          {
            provider: 'microsoft365',
            microsoft365: { ...microsoft365, clientSecret: CLIENT_SECRET },
          },
          { 'If-Match': '"0"' },
        );
        expect(stale.status).toBe(409);
        expect(stale.body.error.message).toMatch(
          /changed by someone else.*reload/,
        );
        expect(
          (await call('delete', callers.admin, undefined, { 'If-Match': '0' }))
            .status,
        ).toBe(409);
        expect((await call('get', callers.admin)).body).toEqual(current.body);

        const fresh = await call(
          'put',
          callers.admin,
          { provider: 'smtp', smtp: { ...smtp, fromName: 'Reports' } },
          { 'If-Match': current.headers.etag },
        );
        expect(fresh.status).toBe(200);
        expect(fresh.body.smtp.fromName).toBe('Reports');

        const malformed = await call(
          'put',
          callers.admin,
          { provider: 'none' },
          { 'If-Match': 'yesterday' },
        );
        expect(malformed.status).toBe(400);
        expect(malformed.body.error.message).toMatch(/If-Match/);
      });

      it('keeps the secret on a same-destination save, and asks for it when the destination changes', async () => {
        await call('put', callers.admin, {
          provider: 'smtp',
          smtp: { ...smtp, password: SMTP_PASSWORD },
        });
        const kept = await call('put', callers.admin, {
          provider: 'smtp',
          smtp: { ...smtp, fromName: 'Reports' },
        });
        expect(kept.status).toBe(200);
        expect(kept.body.smtp).toMatchObject({
          fromName: 'Reports',
          passwordSet: true,
        });

        const before = await rawRows();
        const moved = await call('put', callers.admin, {
          provider: 'smtp',
          smtp: { ...smtp, host: 'attacker.example' },
        });
        expect(moved.status).toBe(400);
        expect(moved.body.error.message).toMatch(
          /smtp\.password: Password is required/,
        );
        expect(await rawRows()).toEqual(before);
      });

      const badInputs: Array<[string, unknown, string]> = [
        [
          'a scheme in the host',
          { provider: 'smtp', smtp: { ...smtp, host: 'smtp://x.example' } },
          'smtp.host',
        ],
        [
          'a path in the host',
          { provider: 'smtp', smtp: { ...smtp, host: 'x.example/a' } },
          'smtp.host',
        ],
        [
          'spaces in the host',
          { provider: 'smtp', smtp: { ...smtp, host: 'x .example' } },
          'smtp.host',
        ],
        [
          'control characters in the host',
          { provider: 'smtp', smtp: { ...smtp, host: 'x.example\r\n' } },
          'smtp.host',
        ],
        [
          'a port as a string',
          { provider: 'smtp', smtp: { ...smtp, port: '587' } },
          'smtp.port',
        ],
        [
          'port 0',
          { provider: 'smtp', smtp: { ...smtp, port: 0 } },
          'smtp.port',
        ],
        [
          'port 65536',
          { provider: 'smtp', smtp: { ...smtp, port: 65536 } },
          'smtp.port',
        ],
        [
          'an unknown security',
          { provider: 'smtp', smtp: { ...smtp, security: 'ssl' } },
          'smtp.security',
        ],
        [
          'a display name in the sender',
          {
            provider: 'smtp',
            smtp: { ...smtp, from: 'Eve <eve@example.com>' },
          },
          'smtp.from',
        ],
        [
          'a comment in the sender',
          { provider: 'smtp', smtp: { ...smtp, from: 'eve@example.com(x)' } },
          'smtp.from',
        ],
        [
          'two senders',
          {
            provider: 'smtp',
            smtp: { ...smtp, from: 'a@example.com,b@example.com' },
          },
          'smtp.from',
        ],
        [
          'a too long local part',
          {
            provider: 'smtp',
            smtp: { ...smtp, from: `${'a'.repeat(65)}@example.com` },
          },
          'smtp.from',
        ],
        [
          'a line break in the sender name',
          { provider: 'smtp', smtp: { ...smtp, fromName: 'A\nBcc: x@y.z' } },
          'smtp.fromName',
        ],
        [
          'a display name in the username',
          {
            provider: 'smtp',
            smtp: {
              ...smtp,
              usernameSameAsFrom: false,
              username: 'Eve <eve@example.com>',
            },
          },
          'smtp.username',
        ],
        [
          'an unknown field',
          {
            provider: 'smtp',
            smtp: { ...smtp, tls: { rejectUnauthorized: false } },
          },
          'smtp',
        ],
        [
          'an unknown top-level field',
          { provider: 'smtp', smtp, debug: true },
          'body',
        ],
        ['an unknown provider', { provider: 'sendgrid' }, 'provider'],
        [
          'a tenant that is neither GUID nor domain',
          {
            provider: 'microsoft365',
            microsoft365: { ...microsoft365, tenantId: 'common' },
          },
          'microsoft365.tenantId',
        ],
        [
          'a client ID that is not a GUID',
          {
            provider: 'microsoft365',
            microsoft365: { ...microsoft365, clientId: 'my-app' },
          },
          'microsoft365.clientId',
        ],
        [
          'a sender that is not an address',
          {
            provider: 'microsoft365',
            microsoft365: { ...microsoft365, from: 'reports' },
          },
          'microsoft365.from',
        ],
        [
          'an empty client secret',
          {
            provider: 'microsoft365',
            microsoft365: { ...microsoft365, clientSecret: '' },
          },
          'microsoft365.clientSecret',
        ],
      ];

      it.each(badInputs)(
        'answers %s with 400 naming the field, and changes nothing',
        async (_what, body, field) => {
          await call('put', callers.admin, {
            provider: 'smtp',
            smtp: { ...smtp, password: SMTP_PASSWORD },
          });
          const before = await rawRows();
          const res = await call('put', callers.admin, body);
          expect(res.status).toBe(400);
          expect(res.body.error.name).toBe('InputError');
          expect(res.body.error.message).toContain(`${field}:`);
          expect(await rawRows()).toEqual(before);
        },
      );

      it.each([
        ['put', '/settings'],
        ['post', '/test-email'],
        ['post', '/verify'],
      ] as const)(
        '%s %s checks the caller before it reads a body',
        async (method, path) => {
          const send = (caller: string) =>
            request(server)
              [method](`/api/email-provider${path}`)
              .set('Authorization', caller)
              .set('Content-Type', 'application/json')
              .send('{"provider":');
          const nonAdmin = await send(callers.nonAdmin);
          expect(nonAdmin.status).toBe(403);
          expect(nonAdmin.body.error.name).toBe('NotAllowedError');
          expect((await send(callers.service)).status).toBe(403);
          expect((await send(callers.admin)).status).toBe(400);
        },
      );

      it('does not echo an unreadable body', async () => {
        const res = await request(server)
          .put('/api/email-provider/settings')
          .set('Authorization', callers.admin)
          .set('Content-Type', 'application/json')
          .send(`{"provider":"smtp","smtp":{"password":"${SMTP_PASSWORD}"`);
        responses.push(res.text);
        expect(res.status).toBe(400);
        expect(res.body.error.message).toBe(
          'The request body is not valid JSON',
        );
        expect(res.text).not.toContain(SMTP_PASSWORD);
      });

      it('audits every save and delete: who, which provider, which fields, never a secret', async () => {
        await call('put', callers.admin, {
          provider: 'smtp',
          smtp: { ...smtp, password: SMTP_PASSWORD },
        });
        await call('put', callers.admin, {
          provider: 'smtp',
          smtp: { ...smtp, port: 'x' },
        });
        await call('delete', callers.admin);

        const audit = logEntries.filter(
          line => line.message === 'email-provider.settings-update',
        );
        const outcomes = audit.map(
          line => line.meta?.status ?? line.fields.status,
        );
        expect(outcomes).toEqual([
          'initiated',
          'succeeded',
          'initiated',
          'failed',
          'initiated',
          'succeeded',
        ]);
        expect(audit[1].meta).toMatchObject({
          actor: { actorId: ADMIN },
          meta: {
            action: 'save',
            previousProvider: 'none',
            provider: 'smtp',
            version: 1,
            changedFields: expect.arrayContaining([
              'provider',
              'smtp.host',
              'smtp.password',
            ]),
          },
        });
        expect(audit[5].meta.meta).toMatchObject({
          action: 'delete',
          previousProvider: 'smtp',
          provider: 'none',
        });
      });

      it('never lets a secret or its ciphertext reach a response, a log line or the database in plain text', async () => {
        await call('put', callers.admin, {
          provider: 'smtp',
          smtp: { ...smtp, password: SMTP_PASSWORD },
        });
        const smtpRow = (await rawRows())[0];
        await call('get', callers.admin);
        await call('put', callers.admin, {
          provider: 'smtp',
          smtp: {
            ...smtp,
            host: 'other.example',
            password: `${SMTP_PASSWORD}\n`,
          },
        });
        await call('put', callers.admin, {
          provider: 'smtp',
          smtp: { ...smtp, host: 'other.example' },
        });
        await call('put', callers.nonAdmin, {
          provider: 'smtp',
          smtp: { ...smtp, password: SMTP_PASSWORD },
        });
        await call(
          'put',
          callers.admin,
          { provider: 'smtp', smtp: { ...smtp, password: SMTP_PASSWORD } },
          { 'If-Match': '0' },
        );
        await call('put', callers.admin, {
          provider: 'microsoft365',
          microsoft365: { ...microsoft365, clientSecret: CLIENT_SECRET },
        });
        const m365Row = (await rawRows())[0];
        await call('get', callers.admin);
        await call('put', callers.admin, {
          provider: 'microsoft365',
          microsoft365: {
            ...microsoft365,
            tenantId: 'bad',
            clientSecret: CLIENT_SECRET,
          },
        });
        await call('delete', callers.admin);

        expect(smtpRow.secret).toMatch(/^v2\./);
        expect(m365Row.secret).toMatch(/^v2\./);
        expect(JSON.stringify([smtpRow, m365Row])).not.toContain(SMTP_PASSWORD);
        expect(JSON.stringify([smtpRow, m365Row])).not.toContain(CLIENT_SECRET);

        const everything = [...responses, ...logLines].join('\n');
        expect(logLines.length).toBeGreaterThan(10);
        expect(everything).toContain('email-provider.settings-update');
        for (const secret of [
          SMTP_PASSWORD,
          CLIENT_SECRET,
          smtpRow.secret,
          m365Row.secret,
        ]) {
          expect(everything).not.toContain(secret);
        }
        for (const fragment of smtpRow.secret.split('.').slice(2)) {
          expect(everything).not.toContain(fragment);
        }
      });
    });

    describe('with the permission framework switched off', () => {
      beforeEach(() => start({ permissionFramework: false }));

      it('admits only the users and groups in emailProvider.admins', async () => {
        expect((await call('get', callers.admin)).status).toBe(200);
        expect(
          (await call('get', mockCredentials.user.header(GROUP_ADMIN))).status,
        ).toBe(200);
        expect((await call('get', callers.nonAdmin)).status).toBe(403);
        expect(
          (await call('put', callers.nonAdmin, { provider: 'none' })).status,
        ).toBe(403);
        expect((await call('get', callers.service)).status).toBe(403);
      });
    });
  },
);
