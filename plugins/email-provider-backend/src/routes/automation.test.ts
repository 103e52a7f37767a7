import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { startMailTestServersBeforeAll } from '@internal/mail-test-servers';
import {
  ADMIN,
  NON_ADMIN,
  startEmailProviderTestBackend,
} from '../__testUtils__/emailProviderTestBackend';

// The plugin behind Backstage's own auth, httpAuth and permissions services, as in a portal: a
// static token of backend.auth.externalAccess, a JWKS token, a plugin token and user tokens are
// all verified by Backstage, signed by the small identity server below.

jest.setTimeout(60_000);

const FROM = 'portal@example.com';
const OLD_PASSWORD = 'old-Smtp-Pa55word-from-last-quarter';
const NEW_PASSWORD = 'new-Smtp-Pa55word-"rotated"-by-ci';

const PROVISIONER_TOKEN = 'provisioner-9f2c7a41d8e35b60c1f4';
const INTRUDER_TOKEN = 'intruder-4b8e1d7c2a9f6053e7d2';
// A static token whose subject is written without `external:`: Backstage uses a static token's
// subject as written, so its caller is `provisioner`, which is not what the list says.
const UNPREFIXED_TOKEN = 'unprefixed-7c3a9e15f0b2d84a6e1c';
const READER_TOKEN = 'settings-reader-1d6f8b3e9a2c5704b8e3';
const CI_ISSUER = 'https://ci.example.com';

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

/** An ES256 key that signs JWTs and publishes itself as a JWK. */
function createSigningKey(kid: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
  });
  const encode = (part: object) =>
    Buffer.from(JSON.stringify(part)).toString('base64url');
  return {
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256' },
    sign(typ: string, claims: Record<string, unknown>): string {
      const now = Math.floor(Date.now() / 1000);
      const input = `${encode({ alg: 'ES256', kid, typ })}.${encode({
        iat: now,
        exp: now + 3600,
        ...claims,
      })}`;
      const signature = sign('sha256', Buffer.from(input), {
        key: privateKey,
        dsaEncoding: 'ieee-p1363',
      });
      return `${input}.${signature.toString('base64url')}`;
    },
  };
}

/**
 * What Backstage fetches to verify tokens: the auth backend's JWKS (user tokens), a calling
 * plugin's JWKS (plugin tokens) and a CI system's JWKS (externalAccess `jwks`).
 */
async function startIdentityServer() {
  const users = createSigningKey('users');
  const deployerPlugin = createSigningKey('deployer');
  const ci = createSigningKey('ci');
  const jwks: Record<string, object> = {
    '/api/auth/.well-known/jwks.json': { keys: [users.jwk] },
    '/api/deployer/.backstage/auth/v1/jwks.json': {
      keys: [deployerPlugin.jwk],
    },
    '/ci/jwks.json': { keys: [ci.jwk] },
  };
  const server = http.createServer((req, res) => {
    const body = jwks[req.url ?? ''];
    res
      .writeHead(body ? 200 : 404, { 'Content-Type': 'application/json' })
      .end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    userToken: (ref: string) =>
      users.sign('vnd.backstage.user', {
        iss: `${url}/api/auth`,
        sub: ref,
        ent: [ref],
        aud: 'backstage',
      }),
    pluginToken: () =>
      deployerPlugin.sign('vnd.backstage.plugin', {
        sub: 'deployer',
        aud: 'email-provider',
      }),
    ciToken: (sub: string) =>
      ci.sign('JWT', { iss: CI_ISSUER, aud: 'portal-automation', sub }),
    close: () => new Promise(resolve => server.close(resolve)),
  };
}

type AuditRecord = {
  actor: { actorId?: string };
  status: string;
  meta?: Record<string, unknown>;
};

/** The script of the README's "Rotate the SMTP password from a CI job", as written there. */
async function readmeRotationScript(): Promise<string> {
  const readme = await readFile(join(__dirname, '../../README.md'), 'utf8');
  const script = /```sh\n(# rotate-smtp-password\.sh[\s\S]*?)```/.exec(readme);
  if (!script) {
    throw new Error('README.md has no rotate-smtp-password.sh block');
  }
  return script[1];
}

let identity: Awaited<ReturnType<typeof startIdentityServer>>;
/** What the mail server accepts; its administrator changes the password in a test. */
const mailbox = { username: FROM, password: OLD_PASSWORD };

const servers = startMailTestServersBeforeAll({
  smtp: { credentials: mailbox },
  trustCa: true,
});

beforeAll(async () => {
  identity = await startIdentityServer();
});

afterAll(async () => {
  await identity.close();
});

beforeEach(() => {
  mailbox.password = OLD_PASSWORD;
});

const smtpSettings = (password?: string) => ({
  provider: 'smtp',
  smtp: {
    host: 'localhost',
    port: servers.smtp.port,
    security: 'starttls',
    from: FROM,
    fromName: 'ACME Portal',
    usernameSameAsFrom: true,
    ...(password ? { password } : {}),
  },
});

/** The routes a listed service may call; the PUT's body needs the sink's port. */
const settingsRoutes = () =>
  [
    ['get', '/settings', undefined],
    ['put', '/settings', smtpSettings(NEW_PASSWORD)],
    ['delete', '/settings', undefined],
    ['post', '/verify', {}],
    ['post', '/test-email', { to: 'ada@example.com' }],
  ] as const;

describe.each(databases.eachSupportedId())(
  'automation with Backstage tokens (%s)',
  databaseId => {
    async function startPortal() {
      const knex = await databases.init(databaseId);
      const backend = await startEmailProviderTestBackend({
        database: knex,
        audit: 'logged',
        features: [
          authServiceFactory,
          httpAuthServiceFactory,
          permissionsServiceFactory,
          mockServices.discovery.mock({
            getBaseUrl: async pluginId => `${identity.url}/api/${pluginId}`,
          }).factory,
        ],
        config: {
          backend: {
            auth: {
              externalAccess: [
                {
                  type: 'static',
                  options: {
                    token: PROVISIONER_TOKEN,
                    subject: 'external:provisioner',
                  },
                },
                {
                  type: 'static',
                  options: { token: INTRUDER_TOKEN, subject: 'intruder' },
                },
                {
                  type: 'static',
                  options: {
                    token: UNPREFIXED_TOKEN,
                    subject: 'provisioner',
                  },
                },
                {
                  type: 'static',
                  options: {
                    token: READER_TOKEN,
                    subject: 'external:settings-reader',
                  },
                  accessRestrictions: [
                    {
                      plugin: 'email-provider',
                      permission: 'email-provider.settings.read',
                    },
                  ],
                },
                {
                  type: 'jwks',
                  options: {
                    url: `${identity.url}/ci/jwks.json`,
                    issuer: CI_ISSUER,
                    audience: 'portal-automation',
                  },
                },
              ],
            },
          },
          // Off, so that Backstage's permission client decides users without a permission
          // backend: emailProvider.admins alone then admits them. Service principals it
          // decides locally either way, from their token's access restrictions.
          permission: { enabled: false },
        },
        emailProvider: {
          admins: [ADMIN],
          automation: {
            allowedServices: [
              'external:provisioner',
              'external:settings-reader',
              'external:release-pipeline',
              'plugin:deployer',
            ],
          },
        },
      });
      const { server, logEntries } = backend;
      const call = (
        method: 'get' | 'put' | 'post' | 'delete',
        path: string,
        token: string | undefined,
        body?: object,
      ) => {
        let req = request(server)[method](`/api/email-provider${path}`);
        if (token !== undefined) {
          req = req.set('Authorization', `Bearer ${token}`);
        }
        return body ? req.send(body) : req;
      };
      /** The audit events of one kind, with their actor and outcome. */
      const auditEvents = (eventId: string) =>
        logEntries
          .filter(line => line.message === `email-provider.${eventId}`)
          .map(line => {
            // A failed event carries its details as the logger's fields, the rest as meta.
            const event = (
              line.fields.status ? line.fields : line.meta
            ) as AuditRecord;
            return {
              actor: event.actor.actorId,
              status: event.status,
              meta: event.meta,
            };
          });
      return {
        api: `http://127.0.0.1:${
          (server.address() as AddressInfo).port
        }/api/email-provider`,
        call,
        auditEvents,
        logText: () => JSON.stringify(logEntries),
      };
    }

    const admin = () => identity.userToken(ADMIN);

    /** The portal with SMTP saved by the admin, the mail server's old password with it. */
    async function startWithSmtp() {
      const portal = await startPortal();
      await portal
        .call('put', '/settings', admin(), smtpSettings(OLD_PASSWORD))
        .expect(200);
      return portal;
    }

    it("rotates the SMTP password with the README's CI script", async () => {
      const { api, call, auditEvents, logText } = await startWithSmtp();

      // The mail server's password is rotated: the one the portal holds stops working.
      mailbox.password = NEW_PASSWORD;
      const stale = await call('post', '/test-email', PROVISIONER_TOKEN, {
        to: 'ada@example.com',
      }).expect(502);
      expect(stale.body.failure.code).toBe('auth-failed');

      const workdir = await mkdtemp(join(tmpdir(), 'rotate-smtp-password-'));
      try {
        const { stdout } = await promisify(execFile)(
          'bash',
          ['-c', await readmeRotationScript()],
          {
            cwd: workdir,
            env: {
              PATH: process.env.PATH,
              TMPDIR: workdir,
              EMAIL_PROVIDER_API: api,
              EMAIL_PROVIDER_TOKEN: PROVISIONER_TOKEN,
              SMTP_PASSWORD: NEW_PASSWORD,
            },
          },
        );
        expect(JSON.parse(stdout)).toEqual({
          provider: 'smtp',
          version: 2,
          updatedAt: expect.any(String),
          updatedBy: 'external:provisioner',
          smtp: {
            ...smtpSettings().smtp,
            username: FROM,
            passwordSet: true,
          },
        });
      } finally {
        await rm(workdir, { recursive: true, force: true });
      }

      const read = await call('get', '/settings', admin()).expect(200);
      expect(read.headers.etag).toBe('"2"');
      expect(read.body.updatedBy).toBe('external:provisioner');

      const before = servers.smtp.received.length;
      const sent = await call('post', '/test-email', PROVISIONER_TOKEN, {
        to: 'ada@example.com',
      }).expect(200);
      const mail = servers.smtp.received[before];
      // The sink signs in only with the password it now expects.
      expect(mail.user).toBe(FROM);
      expect(mail.parsed.messageId).toBe(sent.body.messageId);
      expect(mail.parsed.text).toContain('requested by external:provisioner');

      expect(auditEvents('settings-update')).toEqual([
        { actor: ADMIN, status: 'initiated', meta: { action: 'save' } },
        expect.objectContaining({ actor: ADMIN, status: 'succeeded' }),
        {
          actor: 'external:provisioner',
          status: 'initiated',
          meta: { action: 'save' },
        },
        {
          actor: 'external:provisioner',
          status: 'succeeded',
          meta: {
            action: 'save',
            previousProvider: 'smtp',
            provider: 'smtp',
            version: 2,
            changedFields: ['smtp.password'],
          },
        },
      ]);
      expect(
        auditEvents('test-email').map(({ actor, status }) => ({
          actor,
          status,
        })),
      ).toEqual([
        { actor: 'external:provisioner', status: 'initiated' },
        { actor: 'external:provisioner', status: 'failed' },
        { actor: 'external:provisioner', status: 'initiated' },
        { actor: 'external:provisioner', status: 'succeeded' },
      ]);
      expect(logText()).not.toContain(NEW_PASSWORD);
      expect(logText()).not.toContain(OLD_PASSWORD);
    });

    it('refuses a save from a stale version with 409, changing nothing', async () => {
      const { call } = await startWithSmtp();
      const read = await call('get', '/settings', PROVISIONER_TOKEN).expect(
        200,
      );
      // An admin saves in the page between the job's read and its save.
      await call('put', '/settings', admin(), {
        ...smtpSettings(),
        smtp: { ...smtpSettings().smtp, fromName: 'Portal' },
      }).expect(200);

      const res = await call(
        'put',
        '/settings',
        PROVISIONER_TOKEN,
        smtpSettings(NEW_PASSWORD),
      )
        .set('If-Match', read.headers.etag)
        .expect(409);
      expect(res.body.error.name).toBe('ConflictError');

      const after = await call('get', '/settings', admin()).expect(200);
      expect(after.body).toMatchObject({
        version: 2,
        updatedBy: ADMIN,
        smtp: { fromName: 'Portal' },
      });
      // The password saved is still the old one.
      const before = servers.smtp.received.length;
      await call('post', '/test-email', admin(), {
        to: 'ada@example.com',
      }).expect(200);
      expect(servers.smtp.received[before].user).toBe(FROM);
    });

    it('refuses services that are not listed on every settings route, and they change nothing', async () => {
      const { call, auditEvents } = await startWithSmtp();
      const saved = await call('get', '/settings', admin()).expect(200);
      const received = servers.smtp.received.length;

      for (const [token, subject] of [
        [INTRUDER_TOKEN, 'intruder'],
        [UNPREFIXED_TOKEN, 'provisioner'],
        [identity.ciToken('stranger'), 'external:stranger'],
      ]) {
        for (const [method, path, body] of settingsRoutes()) {
          const res = await call(method, path, token, body);
          expect({
            subject,
            route: `${method} ${path}`,
            status: res.status,
            error: res.body.error,
          }).toEqual({
            subject,
            route: `${method} ${path}`,
            status: 403,
            error: {
              name: 'NotAllowedError',
              message: `The service ${subject} is not allowed to use the email provider settings: only the services listed in emailProvider.automation.allowedServices are`,
            },
          });
        }
      }

      expect((await call('get', '/settings', admin())).body).toEqual(
        saved.body,
      );
      expect(servers.smtp.received.length).toBe(received);
      // The refused attempts are audited, with the caller as Backstage knows it.
      expect(
        auditEvents('settings-update')
          .filter(event => event.status === 'failed')
          .map(event => event.actor),
      ).toEqual([
        'intruder',
        'intruder',
        'provisioner',
        'provisioner',
        'external:stranger',
        'external:stranger',
      ]);
    });

    it('keeps a listed service out of the delivery log, retry and /access', async () => {
      const { call } = await startPortal();
      for (const [method, path] of [
        ['get', '/messages'],
        ['get', '/messages/no-such-id'],
        ['get', '/summary'],
        ['post', '/messages/no-such-id/retry'],
        ['get', '/access'],
      ] as const) {
        const res = await call(method, path, PROVISIONER_TOKEN);
        expect({ route: `${method} ${path}`, status: res.status }).toEqual({
          route: `${method} ${path}`,
          status: 403,
        });
      }
    });

    it('answers 401 without a token or with one Backstage does not know', async () => {
      const { call } = await startPortal();
      for (const token of [undefined, 'no-such-token-0123456789']) {
        for (const [method, path, body] of settingsRoutes()) {
          const res = await call(method, path, token, body);
          expect({ route: `${method} ${path}`, status: res.status }).toEqual({
            route: `${method} ${path}`,
            status: 401,
          });
        }
      }
    });

    it('still refuses a signed-in user who is not an admin, and admits an admin', async () => {
      const { call } = await startPortal();
      const nonAdmin = identity.userToken(NON_ADMIN);
      for (const [method, path, body] of settingsRoutes()) {
        const res = await call(method, path, nonAdmin, body);
        expect({ route: `${method} ${path}`, status: res.status }).toEqual({
          route: `${method} ${path}`,
          status: 403,
        });
      }
      const saved = await call(
        'put',
        '/settings',
        admin(),
        smtpSettings(OLD_PASSWORD),
      ).expect(200);
      expect(saved.body.updatedBy).toBe(ADMIN);
    });

    it('admits a listed JWKS token as external:<sub> and a listed plugin as plugin:<id>', async () => {
      const { call, auditEvents } = await startPortal();
      const pipeline = identity.ciToken('release-pipeline');
      expect((await call('get', '/settings', pipeline)).status).toBe(200);
      const saved = await call(
        'put',
        '/settings',
        pipeline,
        smtpSettings(OLD_PASSWORD),
      ).expect(200);
      expect(saved.body.updatedBy).toBe('external:release-pipeline');

      const deleted = await call(
        'delete',
        '/settings',
        identity.pluginToken(),
      ).expect(200);
      expect(deleted.body).toEqual({ provider: 'none' });
      expect(
        auditEvents('settings-update')
          .filter(event => event.status === 'succeeded')
          .map(event => event.actor),
      ).toEqual(['external:release-pipeline', 'plugin:deployer']);
    });

    it("holds a listed service to its token's access restrictions", async () => {
      const { call } = await startWithSmtp();
      expect((await call('get', '/settings', READER_TOKEN)).status).toBe(200);
      for (const [method, path, body] of settingsRoutes().filter(
        ([m]) => m !== 'get',
      )) {
        const res = await call(method, path, READER_TOKEN, body);
        expect({
          route: `${method} ${path}`,
          status: res.status,
          message: res.body.error?.message,
        }).toEqual({
          route: `${method} ${path}`,
          status: 403,
          message:
            "The service external:settings-reader is not allowed to do this: it needs the email-provider.settings.update permission, which its token's access restrictions do not grant",
        });
      }
      expect((await call('get', '/settings', admin())).body.updatedBy).toBe(
        ADMIN,
      );
    });

    it('counts test emails and connection checks per service', async () => {
      const { call } = await startPortal();
      const testEmail = (token: string) =>
        call('post', '/test-email', token, { to: 'ada@example.com' });
      // No provider yet: each answers 409 at once, and still counts.
      const provisioner: number[] = [];
      for (let i = 0; i < 6; i++) {
        provisioner.push((await testEmail(PROVISIONER_TOKEN)).status);
      }
      expect(provisioner).toEqual([409, 409, 409, 409, 409, 429]);
      const others = [
        identity.ciToken('release-pipeline'),
        identity.pluginToken(),
        admin(),
      ];
      for (const token of others) {
        expect((await testEmail(token)).status).toBe(409);
      }
    });
  },
);
