import { ResponseError } from '@backstage/errors';
import { mockApis, registerMswTestHooks } from '@backstage/frontend-test-utils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { EmailProviderClient } from './EmailProviderClient';

const BASE = 'http://backstage.test/api/email-provider';

const server = setupServer();
registerMswTestHooks(server);

function errorBody(status: number, name: string, message: string) {
  return {
    error: { name, message },
    request: { method: 'PUT', url: '/api/email-provider/settings' },
    response: { statusCode: status },
  };
}

describe('EmailProviderClient', () => {
  const client = new EmailProviderClient({
    discoveryApi: mockApis.discovery({ baseUrl: 'http://backstage.test' }),
    fetchApi: mockApis.fetch({ injectIdentityAuth: { token: 'user-token' } }),
  });

  it("reads the user's access as the backend decides it", async () => {
    const access = {
      settings: { read: true, update: false },
      deliveries: { read: true },
      adminsConfigured: true,
    };
    server.use(
      http.get(`${BASE}/access`, ({ request }) => {
        expect(request.headers.get('authorization')).toBe('Bearer user-token');
        return HttpResponse.json(access);
      }),
    );
    await expect(client.getAccess()).resolves.toEqual(access);
  });

  it('reads the settings with the version from the ETag', async () => {
    server.use(
      http.get(`${BASE}/settings`, ({ request }) => {
        expect(request.headers.get('authorization')).toBe('Bearer user-token');
        return HttpResponse.json(
          { provider: 'none' },
          { headers: { ETag: '"7"' } },
        );
      }),
    );
    await expect(client.getSettings()).resolves.toEqual({
      settings: { provider: 'none' },
      version: 7,
    });
  });

  it('falls back to the version in the body when the ETag is not exposed', async () => {
    server.use(
      http.get(`${BASE}/settings`, () =>
        HttpResponse.json({
          provider: 'microsoft365',
          version: 3,
          updatedAt: '2026-11-29T00:00:00.000Z',
          updatedBy: 'user:default/ada',
          microsoft365: {
            from: 'a@contoso.com',
            tenantId: 't',
            clientId: 'c',
            clientSecretSet: true,
          },
        }),
      ),
    );
    await expect(client.getSettings()).resolves.toMatchObject({ version: 3 });
  });

  it('saves with If-Match and throws a ResponseError on 409', async () => {
    const seen: Array<{ ifMatch: string | null; body: unknown }> = [];
    server.use(
      http.put(`${BASE}/settings`, async ({ request }) => {
        seen.push({
          ifMatch: request.headers.get('if-match'),
          body: await request.json(),
        });
        return HttpResponse.json(
          errorBody(409, 'ConflictError', 'changed by someone else'),
          { status: 409 },
        );
      }),
    );
    const error = await client
      .saveSettings({ provider: 'none' }, { version: 4 })
      .catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(409);
    expect(error.body.error.message).toBe('changed by someone else');
    expect(seen).toEqual([{ ifMatch: '"4"', body: { provider: 'none' } }]);
  });

  it('deletes the settings', async () => {
    server.use(
      http.delete(`${BASE}/settings`, ({ request }) => {
        expect(request.headers.get('if-match')).toBeNull();
        return HttpResponse.json(
          { provider: 'none' },
          { headers: { ETag: '"9"' } },
        );
      }),
    );
    await expect(client.deleteSettings()).resolves.toEqual({
      settings: { provider: 'none' },
      version: 9,
    });
  });

  it('returns a provider failure of a test email instead of throwing', async () => {
    const failure = {
      code: 'auth-failed',
      message: 'The server rejected the username or password (535 5.7.8)',
      transient: false,
      providerReply: '535 5.7.8 Authentication credentials invalid',
    };
    server.use(
      http.post(`${BASE}/test-email`, async ({ request }) => {
        expect(await request.json()).toEqual({ to: 'ada@example.com' });
        return HttpResponse.json(
          {
            ...errorBody(502, 'ProviderError', failure.message),
            ok: false,
            provider: 'smtp',
            durationMs: 12,
            failure,
          },
          { status: 502 },
        );
      }),
    );
    await expect(
      client.sendTestEmail({ to: 'ada@example.com' }),
    ).resolves.toEqual({
      ok: false,
      provider: 'smtp',
      durationMs: 12,
      failure,
    });
  });

  it('throws for a rate limit, keeping the message readable', async () => {
    server.use(
      http.post(`${BASE}/test-email`, () =>
        HttpResponse.json(
          errorBody(
            429,
            'TooManyRequestsError',
            'Too many test emails in a minute; try again in 60 seconds',
          ),
          { status: 429, headers: { 'Retry-After': '60' } },
        ),
      ),
    );
    const error = await client
      .sendTestEmail({ to: 'ada@example.com' })
      .catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(429);
    expect(error.body.error.message).toContain('try again in 60 seconds');
  });

  it('treats a 502 without a failure body as an error', async () => {
    server.use(
      http.post(
        `${BASE}/test-email`,
        () => new HttpResponse('Bad Gateway', { status: 502 }),
      ),
    );
    await expect(
      client.sendTestEmail({ to: 'ada@example.com' }),
    ).rejects.toBeInstanceOf(ResponseError);
  });

  it('checks a draft connection', async () => {
    server.use(
      http.post(`${BASE}/verify`, async ({ request }) => {
        expect(await request.json()).toEqual({
          settings: { provider: 'none' },
        });
        return HttpResponse.json({ ok: true, provider: 'smtp', steps: [] });
      }),
    );
    await expect(
      client.verify({ settings: { provider: 'none' } }),
    ).resolves.toEqual({ ok: true, provider: 'smtp', steps: [] });
  });
  it('lists the delivery log with the filter as query parameters', async () => {
    const seen: string[] = [];
    const list = { items: [], totalCount: 0 };
    server.use(
      http.get(`${BASE}/messages`, ({ request }) => {
        expect(request.headers.get('authorization')).toBe('Bearer user-token');
        seen.push(new URL(request.url).search);
        return HttpResponse.json(list);
      }),
    );
    await expect(client.listMessages()).resolves.toEqual(list);
    await expect(
      client.listMessages({
        status: 'failed',
        caller: 'plugin:reports',
        limit: 25,
        offset: 50,
      }),
    ).resolves.toEqual(list);
    expect(seen).toEqual([
      '',
      '?status=failed&caller=plugin%3Areports&limit=25&offset=50',
    ]);
  });

  it('sends every filter and the cursor of the page to read, leaving out empty ones', async () => {
    const seen: URLSearchParams[] = [];
    const list = {
      items: [],
      totalCount: 10_000,
      totalCountCapped: true,
      nextCursor: 'c2',
    };
    server.use(
      http.get(`${BASE}/messages`, ({ request }) => {
        seen.push(new URL(request.url).searchParams);
        return HttpResponse.json(list);
      }),
    );
    await expect(
      client.listMessages({
        status: 'sent',
        recipient: 'ada+reports@example.com',
        caller: 'plugin:reports',
        category: 'weekly-report',
        q: 'weekly report',
        from: '2026-11-29T08:00:00.000+01:00',
        to: '2026-11-29T09:00:00.000+01:00',
        limit: 50,
        cursor: 'c1',
      }),
    ).resolves.toEqual(list);
    await client.listMessages({ caller: '', q: undefined, limit: 25 });
    expect(Object.fromEntries(seen[0])).toEqual({
      status: 'sent',
      recipient: 'ada+reports@example.com',
      caller: 'plugin:reports',
      category: 'weekly-report',
      q: 'weekly report',
      from: '2026-11-29T08:00:00.000+01:00',
      to: '2026-11-29T09:00:00.000+01:00',
      limit: '50',
      cursor: 'c1',
    });
    expect(seen[1].toString()).toBe('limit=25');
  });

  it('exports the filtered log as CSV, and throws the error of a refused export', async () => {
    const csv = 'id,status,subject\r\nm-1,failed,Nightly build report\r\n';
    const seen: string[] = [];
    server.use(
      http.get(`${BASE}/messages/export.csv`, ({ request }) => {
        expect(request.headers.get('authorization')).toBe('Bearer user-token');
        const query = new URL(request.url).searchParams;
        seen.push(query.toString());
        return query.get('status') === 'nope'
          ? HttpResponse.json(
              errorBody(
                400,
                'InputError',
                'status must be queued, sending, sent or failed',
              ),
              { status: 400 },
            )
          : new HttpResponse(csv, { headers: { 'Content-Type': 'text/csv' } });
      }),
    );
    const blob = await client.exportMessages({
      status: 'failed',
      q: 'nightly',
    });
    expect(await blob.text()).toBe(csv);
    expect(blob.type).toBe('text/csv');
    await expect(client.exportMessages()).resolves.toBeDefined();
    expect(seen).toEqual(['status=failed&q=nightly', '']);

    const error = await client
      .exportMessages({ status: 'nope' as 'failed' })
      .catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(400);
    expect(error.body.error.message).toBe(
      'status must be queued, sending, sent or failed',
    );
  });

  it('reads the statistics per hour or per day from a point in time', async () => {
    const stats = {
      bucket: 'day',
      buckets: [
        {
          start: '2026-11-28T23:00:00.000Z',
          sent: 3,
          failed: 1,
          waiting: 0,
          failedByCode: { timeout: 1 },
        },
      ],
    };
    const seen: string[] = [];
    server.use(
      http.get(`${BASE}/stats`, ({ request }) => {
        expect(request.headers.get('authorization')).toBe('Bearer user-token');
        seen.push(new URL(request.url).search);
        return HttpResponse.json(stats);
      }),
    );
    await expect(
      client.getStats({
        bucket: 'day',
        since: '2026-11-29T00:00:00.000+01:00',
      }),
    ).resolves.toEqual(stats);
    await client.getStats();
    expect(seen).toEqual([
      '?bucket=day&since=2026-11-29T00%3A00%3A00.000%2B01%3A00',
      '',
    ]);
  });

  it('reads the delivery summary', async () => {
    const summary = {
      lastSuccessAt: '2026-11-29T08:00:00.000Z',
      waiting: 2,
      failedLast24Hours: 1,
    };
    server.use(http.get(`${BASE}/summary`, () => HttpResponse.json(summary)));
    await expect(client.getSummary()).resolves.toEqual(summary);
  });

  it('retries a failed message, and throws the 409 of one that is not failed', async () => {
    server.use(
      http.post(`${BASE}/messages/:id/retry`, ({ params }) =>
        params.id === 'm-1'
          ? HttpResponse.json({ id: 'm-1', status: 'queued' })
          : HttpResponse.json(
              errorBody(
                409,
                'ConflictError',
                'Message m-2 is sent; only a failed message can be retried',
              ),
              { status: 409 },
            ),
      ),
    );
    await expect(client.retryMessage('m-1')).resolves.toEqual({
      id: 'm-1',
      status: 'queued',
    });
    const error = await client.retryMessage('m-2').catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(409);
    expect(error.body.error.message).toBe(
      'Message m-2 is sent; only a failed message can be retried',
    );
  });

  it('lists the suppressed addresses by address and cursor, leaving out empty parameters', async () => {
    const list = {
      items: [
        {
          id: 's-1',
          address: 'ada@example.com',
          caller: 'plugin:notifications',
          list: 'notification:plugin:catalog',
          description: 'Notifications from the catalog',
          source: 'one-click',
          createdAt: '2026-11-29T08:00:00.000Z',
        },
      ],
      nextCursor: 'c2',
    };
    const seen: string[] = [];
    server.use(
      http.get(`${BASE}/suppressions`, ({ request }) => {
        expect(request.headers.get('authorization')).toBe('Bearer user-token');
        seen.push(new URL(request.url).search);
        return HttpResponse.json(list);
      }),
    );
    await expect(client.listSuppressions()).resolves.toEqual(list);
    await client.listSuppressions({
      address: 'ada+news@example.com',
      caller: '',
      limit: 25,
      cursor: 'c1',
    });
    expect(seen).toEqual([
      '',
      '?address=ada%2Bnews%40example.com&limit=25&cursor=c1',
    ]);
  });

  it('throws the error of a refused suppression list', async () => {
    server.use(
      http.get(`${BASE}/suppressions`, () =>
        HttpResponse.json(errorBody(403, 'NotAllowedError', 'Unauthorized'), {
          status: 403,
        }),
      ),
    );
    const error = await client.listSuppressions().catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(403);
  });

  it('removes a suppression, and throws the 404 of an unknown one', async () => {
    const removed: string[] = [];
    server.use(
      http.delete(`${BASE}/suppressions/:id`, ({ params, request }) => {
        expect(request.headers.get('authorization')).toBe('Bearer user-token');
        if (params.id !== 's/1') {
          return HttpResponse.json(
            errorBody(
              404,
              'NotFoundError',
              `No suppression with id ${params.id}`,
            ),
            { status: 404 },
          );
        }
        removed.push(String(params.id));
        return new HttpResponse(null, { status: 204 });
      }),
    );
    await expect(client.removeSuppression('s/1')).resolves.toBeUndefined();
    expect(removed).toEqual(['s/1']);
    const error = await client.removeSuppression('s-2').catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(404);
    expect(error.body.error.message).toBe('No suppression with id s-2');
  });
});
