import { wrapServer } from '@backstage/backend-openapi-utils/testUtils';
import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { DELIVERY_LOG_COUNT_LIMIT } from '@email-provider/backstage-plugin-email-provider-common';
import express from 'express';
import { Knex } from 'knex';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import request from 'supertest';
import { DatabaseOutboxStore } from '../delivery/DatabaseOutboxStore';
import { startMailTestServersBeforeAll } from '@internal/mail-test-servers';
import {
  messageCallers,
  startEmailProviderTestBackend,
} from '../__testUtils__/emailProviderTestBackend';
import { localSmtpSettings } from '../__testUtils__/testSettings';
// Backstage's Jest config turns a YAML file into the document it holds (the asset type says
// string, which is what bundlers make of it).
import openapiYaml from './openapi.yaml';

// Every request below goes through @backstage/backend-openapi-utils' validating proxy: a route,
// status code, parameter, request body or response body that openapi.yaml does not describe
// fails the test. So each route is called here with its success and its error answers. The
// proxy reads JSON answers only; the CSV export is checked against the spec by `exportCsv`.

jest.setTimeout(60_000);

const { ADMIN, READER, OTHER, SERVICE } = messageCallers;

const NONE = mockCredentials.none.header();
const PASSWORD = 'pw-1234';

type OpenApiDocument = { paths: Record<string, unknown> };
const spec = openapiYaml as unknown as OpenApiDocument;

const servers = startMailTestServersBeforeAll({
  smtp: {
    credentials: { username: 'reports@example.com', password: PASSWORD },
    rejectRecipients: ['nobody@example.com'],
  },
  trustCa: true,
});
let app: http.Server;
/** The backend behind the validating proxy, for the answers the proxy cannot read (CSV). */
let backend: http.Server;

/**
 * The plugin in a real test backend, behind a pass-through that also serves the spec at
 * `/openapi.json` (where the validating proxy looks for it), its paths under the plugin's mount
 * point, as Backstage's OpenAPI router serves it.
 */
async function startValidatedBackend(
  extraConfig: object = {},
  database?: Knex,
): Promise<http.Server> {
  const { server } = await startEmailProviderTestBackend({
    database,
    // As Backstage's permissions service does: services are decided by their token's access
    // restrictions, which these have none of.
    permissions: ({ userEntityRef, service }, permission) =>
      service ||
      userEntityRef === ADMIN ||
      (userEntityRef === READER &&
        permission === 'email-provider.deliveries.read'),
    emailProvider: {
      admins: [ADMIN, READER],
      delivery: { pollIntervalMs: 50, maxMessageSizeMb: 1 },
      automation: { allowedServices: ['plugin:provisioner'] },
      ...extraConfig,
    },
  });
  backend = server;
  const backendPort = (server.address() as AddressInfo).port;
  const mounted = Object.fromEntries(
    Object.entries(spec.paths).map(([path, item]) => [
      `/api/email-provider${path}`,
      item,
    ]),
  );
  const front = express();
  front.get('/openapi.json', (_req, res) => {
    res.json({ ...spec, paths: mounted });
  });
  front.use((req, res) => {
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: backendPort,
        method: req.method,
        path: req.originalUrl,
        headers: req.headers,
      },
      answer => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', error => res.destroy(error));
    req.pipe(upstream);
  });
  // wrapServer listens on every interface, and its proxy then forwards to `localhost` over IPv6,
  // a name this machine's hosts file gives to 127.0.0.1 only; listening on IPv4 alone keeps the
  // proxy on 127.0.0.1.
  const listen = front.listen.bind(front);
  front.listen = ((port: number) =>
    listen(port, '127.0.0.1')) as typeof front.listen;
  return wrapServer(front);
}

function api(
  method: 'get' | 'post' | 'put' | 'delete',
  path: string,
  caller: string,
  body?: object,
) {
  const req = request(app)
    [method](`/api/email-provider${path}`)
    .set('Authorization', caller);
  return body ? req.send(body) : req;
}

type OpenApiResponse = {
  content?: Record<string, unknown>;
  headers?: Record<string, unknown>;
};
type OpenApiOperation = {
  parameters: Array<{ name?: string; $ref?: string }>;
  responses: Record<string, OpenApiResponse | { $ref: string }>;
};

/** A `#/components/...` reference of the spec, resolved. */
function resolveRef<T>(value: T | { $ref: string }): T {
  if (typeof value !== 'object' || value === null || !('$ref' in value)) {
    return value as T;
  }
  return value.$ref
    .slice(2)
    .split('/')
    .reduce<any>((node, key) => node[key], spec) as T;
}

/**
 * `GET /messages/export.csv` past the validating proxy, which reads JSON answers only, checked
 * against the spec here: its query parameters, its status code, and its content type and headers.
 */
async function exportCsv(path: string, caller: string) {
  const operation = (
    spec.paths['/messages/export.csv'] as { get: OpenApiOperation }
  ).get;
  const documented = operation.parameters.map(p => resolveRef(p).name);
  for (const name of new URL(path, 'http://localhost').searchParams.keys()) {
    expect(documented).toContain(name);
  }
  const res = await request(backend)
    .get(`/api/email-provider${path}`)
    .set('Authorization', caller);
  const described = operation.responses[String(res.status)];
  expect({ status: res.status, described: described !== undefined }).toEqual({
    status: res.status,
    described: true,
  });
  const response = resolveRef(described);
  expect(Object.keys(response.content ?? {})).toContain(
    res.headers['content-type'],
  );
  for (const header of Object.keys(response.headers ?? {})) {
    expect(res.headers[header.toLowerCase()]).toEqual(expect.any(String));
  }
  return res;
}

const smtpSettings = (password = PASSWORD) =>
  localSmtpSettings(
    { port: servers.smtp.port, from: 'reports@example.com', password },
    { fromName: 'ACME Portal' },
  );

const report = {
  to: ['ada@example.com'],
  subject: 'Weekly report',
  text: 'See the attachment.',
  attachments: [
    {
      filename: 'report.csv',
      contentType: 'text/csv',
      contentBase64: Buffer.from('week,count\n48,12\n').toString('base64'),
    },
  ],
  category: 'weekly-report',
};

async function waitForStatus(id: string, status: string) {
  for (let i = 0; i < 200; i++) {
    const res = await api(
      'get',
      `/messages/${id}`,
      mockCredentials.user.header(READER),
    ).expect(200);
    if (res.body.status === status) return res.body;
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  throw new Error(`message ${id} never became ${status}`);
}

beforeAll(async () => {
  app = await startValidatedBackend();
});

describe('the OpenAPI spec describes every answer of the backend', () => {
  const admin = mockCredentials.user.header(ADMIN);
  const reader = mockCredentials.user.header(READER);
  const other = mockCredentials.user.header(OTHER);

  it('GET /access', async () => {
    const res = await api('get', '/access', other).expect(200);
    expect(res.body).toEqual({
      settings: { read: false, update: false },
      deliveries: { read: false },
      adminsConfigured: true,
    });
    await api('get', '/access', admin).expect(200);
    await api('get', '/access', NONE).expect(401);
  });

  it('settings, test email and connection check before any provider', async () => {
    const none = await api('get', '/settings', admin).expect(200);
    expect(none.body).toEqual({ provider: 'none' });
    expect(none.headers.etag).toMatch(/^"\d+"$/);
    await api('get', '/settings', other).expect(403);
    await api('get', '/settings', NONE).expect(401);

    await api('post', '/test-email', admin, { to: 'ada@example.com' }).expect(
      409,
    );
    await api('post', '/verify', admin, {}).expect(409);
    await api('post', '/messages', SERVICE, report).expect(409);
  });

  it('PUT /settings', async () => {
    await api('put', '/settings', admin, {
      provider: 'smtp',
      smtp: { host: 'smtp://x', port: '25', security: 'ssl' },
    }).expect(400);
    await api('put', '/settings', other, smtpSettings()).expect(403);
    await api('put', '/settings', NONE, smtpSettings()).expect(401);
    await api('put', '/settings', admin, smtpSettings())
      .set('If-Match', '"999"')
      .expect(409);
    const saved = await api('put', '/settings', admin, smtpSettings())
      .set('If-Match', '*')
      .expect(200);
    expect(saved.body).toMatchObject({
      provider: 'smtp',
      smtp: { passwordSet: true, username: 'reports@example.com' },
    });
    expect(saved.headers.etag).toBe(`"${saved.body.version}"`);
    const read = await api('get', '/settings', admin).expect(200);
    expect(read.body).toEqual(saved.body);
  });

  it('PUT /settings names each invalid field in error.issues', async () => {
    const { smtp } = smtpSettings();
    const res = await api('put', '/settings', admin, {
      provider: 'smtp',
      smtp: { ...smtp, port: 70000, from: 'ACME <reports@example.com>' },
    }).expect(400);
    const port = 'Port must be between 1 and 65535';
    const from =
      'Sender email address must be a single plain address such as name@example.com, without a display name, comments or quotes';
    expect(res.body.error).toEqual({
      name: 'InputError',
      message: `smtp.port: ${port}; smtp.from: ${from}`,
      issues: [
        { field: 'smtp.port', message: port },
        { field: 'smtp.from', message: from },
      ],
    });

    const verify = await api('post', '/verify', admin, {
      settings: { provider: 'smtp', smtp: { ...smtp, port: 0 } },
    }).expect(400);
    expect(verify.body.error.issues).toEqual([
      { field: 'settings.smtp.port', message: port },
    ]);
  });

  it('POST /verify', async () => {
    const saved = await api('post', '/verify', admin, {}).expect(200);
    expect(saved.body).toMatchObject({ ok: true, provider: 'smtp' });
    const draft = await api('post', '/verify', admin, {
      settings: smtpSettings('wrong-password'),
    }).expect(200);
    expect(draft.body.ok).toBe(false);
    expect(draft.body.steps.at(-1)).toMatchObject({
      name: 'login',
      ok: false,
      failure: { code: 'auth-failed' },
    });
    await api('post', '/verify', admin, {
      settings: { provider: 'smtp' },
    }).expect(400);
    await api('post', '/verify', reader, {}).expect(403);
  });

  it('POST /test-email', async () => {
    const sent = await api('post', '/test-email', admin, {
      to: 'ada@example.com',
    }).expect(200);
    expect(sent.body).toMatchObject({ ok: true, provider: 'smtp' });
    await api('post', '/test-email', admin, { to: 'Ada <a@b.c>' }).expect(400);
    await api('post', '/test-email', reader, { to: 'ada@example.com' }).expect(
      403,
    );

    await api('put', '/settings', admin, smtpSettings('wrong-password')).expect(
      200,
    );
    const refused = await api('post', '/test-email', admin, {
      to: 'ada@example.com',
    }).expect(502);
    expect(refused.body).toMatchObject({
      ok: false,
      error: { name: 'ProviderError' },
      failure: { code: 'auth-failed', transient: false },
    });
    await api('post', '/test-email', admin, { to: 'ada@example.com' }).expect(
      502,
    );
    // Five test emails a minute (the 409 before a provider was saved and the 400 count too).
    const limited = await api('post', '/test-email', admin, {
      to: 'ada@example.com',
    }).expect(429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    await api('put', '/settings', admin, smtpSettings()).expect(200);
  });

  it('POST /messages, the delivery log and retry', async () => {
    const queued = await api('post', '/messages', SERVICE, report).expect(202);
    expect(queued.body).toEqual({ id: expect.any(String), status: 'queued' });
    const refused = await api('post', '/messages', SERVICE, {
      ...report,
      to: ['nobody@example.com'],
      idempotencyKey: 'week-48',
    }).expect(202);
    await api('post', '/messages', SERVICE, {
      ...report,
      subject: undefined,
    }).expect(400);
    await api('post', '/messages', admin, report).expect(403);
    await api('post', '/messages', NONE, report).expect(401);
    await api('post', '/messages', SERVICE, {
      ...report,
      text: 'x'.repeat(3 * 1024 * 1024),
    }).expect(413);

    const delivered = await waitForStatus(queued.body.id, 'sent');
    expect(delivered).toMatchObject({ provider: 'smtp', attempts: 1 });
    const failed = await waitForStatus(refused.body.id, 'failed');
    expect(failed.lastError).toMatchObject({ code: 'recipient-rejected' });

    const page = await api(
      'get',
      `/messages?status=sent&caller=plugin:reports&since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00.000%2B02:00&limit=10&offset=0`,
      reader,
    ).expect(200);
    expect(page.body.items.map((m: { id: string }) => m.id)).toEqual([
      queued.body.id,
    ]);
    await api('get', '/messages', reader).expect(200);
    await api('get', '/messages?limit=0', reader).expect(400);
    await api('get', '/messages', other).expect(403);
    await api('get', '/messages', NONE).expect(401);

    await api('get', '/messages/no-such-id', reader).expect(404);
    await api('get', `/messages/${queued.body.id}`, other).expect(403);

    await api('post', `/messages/${refused.body.id}/retry`, reader).expect(403);
    await api('post', `/messages/${queued.body.id}/retry`, admin).expect(409);
    await api('post', '/messages/no-such-id/retry', admin).expect(404);
    const retried = await api(
      'post',
      `/messages/${refused.body.id}/retry`,
      admin,
    ).expect(200);
    expect(retried.body).toMatchObject({ status: 'queued', attempts: 0 });
    await waitForStatus(refused.body.id, 'failed');
  });

  it('GET /messages by recipient, category, words and time, page by page', async () => {
    const first = await api('get', '/messages?limit=1', reader).expect(200);
    expect(first.body).toMatchObject({
      totalCount: 2,
      nextCursor: expect.any(String),
    });
    const last = await api(
      'get',
      `/messages?limit=1&cursor=${first.body.nextCursor}`,
      reader,
    ).expect(200);
    expect(last.body.items).toHaveLength(1);
    expect(last.body).not.toHaveProperty('nextCursor');

    const found = await api(
      'get',
      '/messages?recipient=Ada%40example.com&category=weekly-report&q=week&status=sent&caller=plugin:reports&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00.000%2B02:00&limit=10&offset=0',
      reader,
    ).expect(200);
    expect(found.body.items).toHaveLength(1);
    expect(found.body.items[0].status).toBe('sent');
    await api('get', '/messages?recipient=Ada', reader).expect(400);
    await api('get', '/messages?cursor=MTIzLjQ1Ng', reader).expect(400);
    await api('get', '/messages?from=yesterday', reader).expect(400);
  });

  it('GET /stats', async () => {
    const hours = await api('get', '/stats', reader).expect(200);
    expect(hours.body.bucket).toBe('hour');
    expect(hours.body.buckets).toHaveLength(24);
    const failed = hours.body.buckets.filter(
      (bucket: { failed: number }) => bucket.failed > 0,
    );
    expect(failed).toEqual([
      expect.objectContaining({
        failed: 1,
        failedByCode: { 'recipient-rejected': 1 },
      }),
    ]);
    // Two days back from the start of this hour, as a reader east of UTC writes it.
    const hour = Math.floor(Date.now() / 3600_000) * 3600_000;
    const since = new Date(hour - 46 * 3600_000)
      .toISOString()
      .replace('Z', '+02:00');
    const until = new Date(hour + 3600_000).toISOString();
    const days = await api(
      'get',
      `/stats?bucket=day&since=${encodeURIComponent(since)}&until=${until}`,
      reader,
    ).expect(200);
    expect(days.body.buckets).toHaveLength(3);
    expect(days.body.buckets[0].start).toBe(
      new Date(hour - 48 * 3600_000).toISOString(),
    );
    const total = (field: 'sent' | 'failed') =>
      days.body.buckets.reduce(
        (sum: number, bucket: Record<typeof field, number>) =>
          sum + bucket[field],
        0,
      );
    expect([total('sent'), total('failed')]).toEqual([1, 1]);
    await api('get', '/stats?bucket=week', reader).expect(400);
    await api('get', '/stats', other).expect(403);
    await api('get', '/stats', NONE).expect(401);
  });

  it('GET /messages/export.csv', async () => {
    const path =
      '/messages/export.csv?status=failed&caller=plugin:reports&category=weekly-report&q=weekly&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z';
    const csv = await exportCsv(path, reader);
    expect(csv.status).toBe(200);
    expect(csv.text.split('\r\n')).toHaveLength(3);
    expect(
      (await exportCsv('/messages/export.csv?recipient=Ada', reader)).status,
    ).toBe(400);
    expect((await exportCsv('/messages/export.csv', other)).status).toBe(403);
    expect((await exportCsv('/messages/export.csv', NONE)).status).toBe(401);
  });

  it('GET /summary', async () => {
    const summary = await api('get', '/summary', reader).expect(200);
    expect(summary.body).toMatchObject({
      lastSuccessAt: expect.any(String),
      lastFailureAt: expect.any(String),
      waiting: 0,
    });
    await api('get', '/summary', other).expect(403);
    await api('get', '/summary', NONE).expect(401);
  });

  it('one-click unsubscribe, suppressed messages and the suppression list', async () => {
    const news = {
      to: ['ada@example.com'],
      subject: 'Catalog news',
      text: 'News',
      unsubscribe: { list: 'catalog', description: 'Catalog news' },
    };
    await api('post', '/messages', SERVICE, {
      ...news,
      cc: ['grace@example.com'],
    }).expect(400);
    const sent = await api('post', '/messages', SERVICE, news).expect(202);
    await waitForStatus(sent.body.id, 'sent');
    const mail = servers.smtp.received.find(
      m => m.parsed.subject === 'Catalog news',
    )!;
    const link = /<([^>]+)>/.exec(
      mail.parsed.headerLines
        .find(h => h.key === 'list-unsubscribe')!
        .line.replace(/\r?\n[ \t]+/g, ''),
    )![1];

    // HTML, which the validating proxy does not read: checked against the spec here.
    const unsubscribe = spec.paths['/unsubscribe/{token}'] as Record<
      'get' | 'post',
      OpenApiOperation
    >;
    for (const [method, path, status] of [
      ['get', new URL(link).pathname, 200],
      ['get', '/api/email-provider/unsubscribe/forged', 400],
      ['post', '/api/email-provider/unsubscribe/forged', 400],
      ['post', new URL(link).pathname, 200],
    ] as const) {
      const res = await request(backend)
        [method](path)
        .set('Authorization', NONE)
        .type('form')
        .send(method === 'post' ? 'List-Unsubscribe=One-Click' : '')
        .expect(status);
      const response = resolveRef(unsubscribe[method].responses[status]);
      expect(Object.keys(response.content ?? {})).toContain(
        res.headers['content-type'],
      );
    }

    const suppressed = await api('post', '/messages', SERVICE, news).expect(
      202,
    );
    expect(suppressed.body.status).toBe('suppressed');
    const log = await api('get', '/messages?status=suppressed', reader).expect(
      200,
    );
    expect(log.body.items).toEqual([
      expect.objectContaining({ id: suppressed.body.id }),
    ]);

    const list = await api(
      'get',
      '/suppressions?address=ada@example.com&caller=plugin:reports&list=catalog&limit=5',
      reader,
    ).expect(200);
    expect(list.body.items).toHaveLength(1);
    await api('get', '/suppressions?limit=500', reader).expect(400);
    await api('get', '/suppressions', other).expect(403);
    await api('get', '/suppressions', NONE).expect(401);
    const { id } = list.body.items[0];
    await api('delete', `/suppressions/${id}`, reader).expect(403);
    await api('delete', `/suppressions/${id}`, NONE).expect(401);
    await api('delete', `/suppressions/${id}`, admin).expect(204);
    await api('delete', `/suppressions/${id}`, admin).expect(404);
  });

  it('DELETE /settings', async () => {
    await api('delete', '/settings', admin).set('If-Match', '0').expect(409);
    await api('delete', '/settings', admin)
      .set('If-Match', 'yesterday')
      .expect(400);
    await api('delete', '/settings', reader).expect(403);
    const current = await api('get', '/settings', admin).expect(200);
    const deleted = await api('delete', '/settings', admin)
      .set('If-Match', current.headers.etag)
      .expect(200);
    expect(deleted.body).toEqual({ provider: 'none' });
  });
});

describe('the OpenAPI spec describes the batch route', () => {
  const admin = mockCredentials.user.header(ADMIN);
  const mb = 1024 * 1024;

  beforeAll(async () => {
    app = await startValidatedBackend({
      delivery: { pollIntervalMs: 50, maxMessageSizeMb: 1, maxBatchSizeMb: 3 },
    });
  });

  it('POST /messages/batch', async () => {
    const noProvider = await api('post', '/messages/batch', SERVICE, {
      messages: [report, { ...report, idempotencyKey: 'k-1' }],
    }).expect(200);
    expect(noProvider.body.results).toEqual([
      {
        accepted: false,
        error: expect.objectContaining({ name: 'ConflictError' }),
      },
      {
        accepted: false,
        error: expect.objectContaining({ name: 'ConflictError' }),
        idempotencyKey: 'k-1',
      },
    ]);
    await api('put', '/settings', admin, smtpSettings()).expect(200);

    const mixed = await api('post', '/messages/batch', SERVICE, {
      messages: [
        { ...report, idempotencyKey: 'report:2026-12:ada' },
        { ...report, to: ['Ada <ada@example.com>'], idempotencyKey: 'k-2' },
        { ...report, text: 'x'.repeat(mb + 10) },
        'not a message',
      ],
    }).expect(200);
    expect(
      mixed.body.results.map((r: { accepted: boolean }) => r.accepted),
    ).toEqual([true, false, false, false]);
    expect(mixed.body.results[0]).toEqual({
      accepted: true,
      id: expect.any(String),
      status: 'queued',
      idempotencyKey: 'report:2026-12:ada',
    });

    await api('post', '/messages/batch', SERVICE, { messages: [] }).expect(400);
    await api('post', '/messages/batch', SERVICE, [report]).expect(400);
    await api('post', '/messages/batch', admin, { messages: [report] }).expect(
      403,
    );
    await api('post', '/messages/batch', NONE, { messages: [report] }).expect(
      401,
    );
    await api('post', '/messages/batch', SERVICE, {
      messages: [1, 2, 3, 4].map(() => ({
        ...report,
        text: 'x'.repeat(0.9 * mb),
      })),
    }).expect(413);
  });
});

describe('the OpenAPI spec describes the answers with settings from configuration', () => {
  const admin = mockCredentials.user.header(ADMIN);

  beforeAll(async () => {
    app = await startValidatedBackend({ managedSettings: smtpSettings() });
  });

  it('GET, PUT and DELETE /settings', async () => {
    const read = await api('get', '/settings', admin).expect(200);
    expect(read.body).toMatchObject({ provider: 'smtp', managedBy: 'config' });
    const put = await api('put', '/settings', admin, smtpSettings()).expect(
      409,
    );
    expect(put.body.error.code).toBe('managed-by-config');
    await api('delete', '/settings', admin).expect(409);
    await api('post', '/verify', admin, {}).expect(200);
  });

  it('the settings routes for a service listed for automation', async () => {
    const provisioner = mockCredentials.service.header({
      onBehalfOf: mockCredentials.service('plugin:provisioner'),
      targetPluginId: 'email-provider',
    });
    const read = await api('get', '/settings', provisioner).expect(200);
    expect(read.body.managedBy).toBe('config');
    await api('put', '/settings', provisioner, smtpSettings()).expect(409);
    await api('get', '/settings', SERVICE).expect(403);
  });

  it('GET /settings pinned to none', async () => {
    app = await startValidatedBackend({
      managedSettings: { provider: 'none' },
    });
    const read = await api('get', '/settings', admin).expect(200);
    expect(read.body).toEqual({ provider: 'none', managedBy: 'config' });
  });
});

describe('the OpenAPI spec describes the fields of real setups', () => {
  const admin = mockCredentials.user.header(ADMIN);

  beforeAll(async () => {
    app = await startValidatedBackend();
  });

  it('SMTP without authentication', async () => {
    const saved = await api('put', '/settings', admin, {
      provider: 'smtp',
      smtp: {
        host: 'localhost',
        port: servers.smtp.port,
        security: 'starttls',
        from: 'reports@example.com',
        authentication: 'none',
      },
    }).expect(200);
    expect(saved.body.smtp).toMatchObject({
      authentication: 'none',
      passwordSet: false,
    });
    await api('get', '/settings', admin).expect(200);
    const verified = await api('post', '/verify', admin, {}).expect(200);
    expect(verified.body.steps.at(-1)).toMatchObject({
      name: 'login',
      skipped: true,
    });
  });

  it('Microsoft 365 with a certificate in a national cloud', async () => {
    const made = await generate([{ name: 'commonName', value: 'portal' }], {
      keySize: 2048,
      notAfterDate: new Date(Date.now() + 90 * 24 * 3600_000),
    });
    const saved = await api('put', '/settings', admin, {
      provider: 'microsoft365',
      microsoft365: {
        from: 'reports@contoso.onmicrosoft.us',
        tenantId: '8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
        clientId: '11111111-2222-3333-4444-555555555555',
        cloud: 'usgov-high',
        credential: 'certificate',
        clientCertificatePem: `${made.cert}\n${made.private}`,
      },
    }).expect(200);
    expect(saved.body.microsoft365).toMatchObject({
      cloud: 'usgov-high',
      credential: 'certificate',
      clientSecretSet: false,
      clientCertificateSet: true,
      certificate: { subject: 'CN=portal' },
    });
    await api('get', '/settings', admin).expect(200);
    await api('put', '/settings', admin, {
      provider: 'microsoft365',
      microsoft365: {
        from: 'reports@contoso.onmicrosoft.com',
        tenantId: '8f3e0e0c-1d2b-4a5c-9e7f-0a1b2c3d4e5f',
        clientId: '11111111-2222-3333-4444-555555555555',
        clientSecret: 'the-secret-value',
        clientSecretExpiresAt: '2027-06-30',
      },
    }).expect(200);
    const read = await api('get', '/settings', admin).expect(200);
    expect(read.body.microsoft365.credentialExpiresAt).toBe(
      '2027-06-30T00:00:00.000Z',
    );
  });
});

describe('the OpenAPI spec describes a log longer than it counts', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  it('GET /messages with totalCountCapped', async () => {
    const knex = await databases.init('SQLITE_3');
    app = await startValidatedBackend({}, knex);
    // Stored straight into the outbox the backend migrated: a log that long is too slow to post.
    const store = new DatabaseOutboxStore(knex);
    for (let stored = 0; stored <= DELIVERY_LOG_COUNT_LIMIT; stored += 500) {
      await store.enqueueAll(
        Array.from({ length: 500 }, (_, i) => ({
          caller: 'plugin:reports',
          subject: `Report ${stored + i}`,
          recipientsCount: 1,
          recipientHashes: [],
          sizeBytes: 100,
          messageId: `<${stored + i}@example.com>`,
          payload: '{}',
          expiresAfterMs: 24 * 3600_000,
        })),
      );
    }
    const page = await api(
      'get',
      '/messages?limit=1',
      mockCredentials.user.header(READER),
    ).expect(200);
    expect(page.body).toMatchObject({
      totalCount: DELIVERY_LOG_COUNT_LIMIT,
      totalCountCapped: true,
      nextCursor: expect.any(String),
    });
  });
});
