import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { SendEmailRequest } from '@email-provider/backstage-plugin-email-provider-common';
import { startMailTestServersBeforeAll } from '@internal/mail-test-servers';
import request from 'supertest';
import {
  ADMIN,
  asUser,
  eventually,
  GRACE as READER,
  NON_ADMIN,
  REPORTS_PLUGIN,
  startEmailProviderTestBackend,
  TEST_ENCRYPTION_KEY,
} from '../__testUtils__/emailProviderTestBackend';
import { localSmtpSettings } from '../__testUtils__/testSettings';
import { SecretCipher } from '../settings/SecretCipher';
import { UnsubscribeTokens } from '../suppressions/UnsubscribeTokens';

jest.setTimeout(30_000);

const FROM = 'reports@example.com';
const PASSWORD = 'unsubscribe-pw-1234';
const CALLER = 'plugin:reports';
const ONE_CLICK = 'List-Unsubscribe=One-Click';

const servers = startMailTestServersBeforeAll({
  smtp: { credentials: { username: FROM, password: PASSWORD } },
  trustCa: true,
});

/** Unsubscribe tokens made with `key`, as a backend with that key would make them. */
function tokensWithKey(key: string) {
  return new UnsubscribeTokens({
    keys: SecretCipher.fromConfig(
      new ConfigReader({ emailProvider: { encryption: { key } } }),
      { logger: mockServices.logger.mock() },
    ).deriveKeys('unsubscribe token'),
    lifetimeMs: 3600_000,
    baseUrl: async () => 'http://unused',
  });
}

async function startPortal(emailProvider: object = {}) {
  const portal = await startEmailProviderTestBackend({
    permissions: ({ userEntityRef }, permission) =>
      userEntityRef === ADMIN ||
      (userEntityRef === READER &&
        permission === 'email-provider.deliveries.read'),
    emailProvider: {
      admins: [ADMIN, READER],
      delivery: { pollIntervalMs: 50 },
      ...emailProvider,
    },
  });
  await portal
    .api(
      'put',
      '/settings',
      asUser(ADMIN),
      localSmtpSettings({
        port: servers.smtp.port,
        from: FROM,
        password: PASSWORD,
      }),
    )
    .expect(200);

  const send = async (to: string, list: string, subject: string) => {
    const body: SendEmailRequest = {
      to: [to],
      subject,
      text: 'Hello',
      unsubscribe: { list, description: `<b>${list}</b> news & alerts` },
    };
    const res = await portal
      .api('post', '/messages', REPORTS_PLUGIN, body)
      .expect(202);
    return res.body as { id: string; status: string };
  };
  /** The message with this subject as the SMTP server received it. */
  const received = (subject: string) =>
    eventually(`the message "${subject}"`, () =>
      servers.smtp.received.find(m => m.parsed.subject === subject),
    );
  /** The path of the unsubscribe link in the message with this subject. */
  const linkPath = async (subject: string) => {
    const mail = await received(subject);
    const line = mail.parsed.headerLines.find(
      h => h.key === 'list-unsubscribe',
    )!.line;
    const url = new URL(/<([^>]+)>/.exec(line.replace(/\r?\n[ \t]+/g, ''))![1]);
    expect(url.pathname).toMatch(
      /^\/api\/email-provider\/unsubscribe\/[A-Za-z0-9_-]+$/,
    );
    return url.pathname;
  };
  /** Requests without credentials, as a mail client or a browser without sign-in sends them. */
  const anonymous = () => {
    const agent = request(portal.server);
    const withoutCredentials = (method: 'get' | 'post') => (path: string) =>
      agent[method](path).set('Authorization', mockCredentials.none.header());
    return {
      get: withoutCredentials('get'),
      post: withoutCredentials('post'),
    };
  };
  const suppressionList = async () =>
    (await portal.api('get', '/suppressions').expect(200)).body;
  const statusOf = async (id: string) =>
    (await portal.api('get', `/messages/${id}`).expect(200)).body.status;
  return {
    ...portal,
    send,
    received,
    linkPath,
    anonymous,
    suppressionList,
    statusOf,
  };
}

let counter = 0;
const subject = (what: string) => `${what} #${++counter}`;

describe('one-click unsubscribe', () => {
  it('suppresses exactly the caller, list and address of the link, by a mail client’s one-click POST', async () => {
    const portal = await startPortal();
    const first = subject('Catalog news for Ada');
    await portal.send('Ada@example.com', 'catalog', first);
    const path = await portal.linkPath(first);

    const res = await portal
      .anonymous()
      .post(path)
      .type('form')
      .send(ONE_CLICK)
      .expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('You are unsubscribed');
    expect(res.text).toContain('A•••@example.com');
    expect(res.text).not.toContain('Ada@example.com');

    const list = await portal.suppressionList();
    expect(list).toEqual({
      items: [
        {
          id: expect.any(String),
          address: 'Ada@example.com',
          caller: CALLER,
          list: 'catalog',
          description: '<b>catalog</b> news & alerts',
          source: 'one-click',
          createdAt: expect.any(String),
        },
      ],
    });
    // Again is no different: still one entry.
    await portal
      .anonymous()
      .post(path)
      .type('form')
      .send(ONE_CLICK)
      .expect(200);
    expect((await portal.suppressionList()).items).toHaveLength(1);

    const suppressed = await portal.send(
      'ada@example.com',
      'catalog',
      subject('Catalog news for Ada again'),
    );
    expect(suppressed.status).toBe('suppressed');
    const otherAddress = subject('Catalog news for Grace');
    const otherList = subject('Scaffolder news for Ada');
    await portal.send('grace@example.com', 'catalog', otherAddress);
    await portal.send('ada@example.com', 'scaffolder', otherList);
    await portal.received(otherAddress);
    await portal.received(otherList);
    expect(await portal.statusOf(suppressed.id)).toBe('suppressed');

    const log = await portal
      .api('get', '/messages?status=suppressed')
      .expect(200);
    expect(log.body.items).toEqual([
      expect.objectContaining({ id: suppressed.id, status: 'suppressed' }),
    ]);
    expect(log.body.items[0].lastError).toBeUndefined();

    expect(portal.auditEvents).toContainEqual({
      eventId: 'unsubscribe',
      meta: {
        caller: CALLER,
        list: 'catalog',
        address: 'A•••@example.com',
        source: 'one-click',
      },
    });
    expect(JSON.stringify(portal.auditEvents)).not.toMatch(/ada@example/i);
    expect(portal.logs.join('\n')).not.toMatch(/ada@example/i);
  });

  it('shows a confirmation page on GET, which unsubscribes only when its button is pressed', async () => {
    const portal = await startPortal();
    const mail = subject('Catalog news for Ada');
    await portal.send('ada@example.com', 'catalog', mail);
    const path = await portal.linkPath(mail);

    const page = await portal.anonymous().get(path).expect(200);
    expect(page.headers['content-security-policy']).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/,
    );
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text).toContain(
      'Stop receiving &lt;b&gt;catalog&lt;/b&gt; news &amp; alerts at a•••@example.com?',
    );
    expect(page.text).not.toContain('<b>catalog');
    expect(page.text).not.toMatch(/<script/i);
    expect(page.text).toContain('<form method="post">');
    await portal.anonymous().get(path).expect(200);
    expect((await portal.suppressionList()).items).toEqual([]);

    await portal
      .anonymous()
      .post(path)
      .type('form')
      .send({ 'confirmed-on': 'page' })
      .expect(200);
    expect((await portal.suppressionList()).items).toEqual([
      expect.objectContaining({
        address: 'ada@example.com',
        source: 'confirmation-page',
      }),
    ]);
  });

  it('refuses forged, altered, expired and other-key links with one answer, and stores nothing', async () => {
    const portal = await startPortal();
    const mail = subject('Catalog news for Ada');
    await portal.send('ada@example.com', 'catalog', mail);
    const path = await portal.linkPath(mail);
    const token = path.split('/').pop()!;
    const grant = {
      caller: CALLER,
      list: 'catalog',
      address: 'grace@example.com',
    };
    const ours = tokensWithKey(TEST_ENCRYPTION_KEY);
    const chars = token.split('');
    chars[40] = chars[40] === 'A' ? 'B' : 'A';
    const badTokens = {
      forged: Buffer.alloc(100, 1).toString('base64url'),
      altered: chars.join(''),
      expired: ours.issue(grant, new Date(Date.now() - 2 * 3600_000)),
      otherKey: tokensWithKey(
        'another-key-0123456789abcdef0123456789abcdef',
      ).issue(grant),
    };
    const answers = new Set<string>();
    for (const bad of Object.values(badTokens)) {
      const get = await portal
        .anonymous()
        .get(`/api/email-provider/unsubscribe/${bad}`)
        .expect(400);
      const post = await portal
        .anonymous()
        .post(`/api/email-provider/unsubscribe/${bad}`)
        .type('form')
        .send(ONE_CLICK)
        .expect(400);
      expect(post.text).toContain(
        'This unsubscribe link is not valid or has expired.',
      );
      answers.add(get.text);
      answers.add(post.text);
    }
    expect(answers.size).toBe(1);
    expect((await portal.suppressionList()).items).toEqual([]);
    // The same key, in time: the control that the refusals above are about the token.
    await portal
      .anonymous()
      .post(`/api/email-provider/unsubscribe/${ours.issue(grant)}`)
      .type('form')
      .send(ONE_CLICK)
      .expect(200);
    expect((await portal.suppressionList()).items).toHaveLength(1);
  });

  it('unsubscribes only the address in the link, whatever the request says', async () => {
    const portal = await startPortal();
    const mail = subject('Catalog news for Ada');
    await portal.send('ada@example.com', 'catalog', mail);
    const path = await portal.linkPath(mail);
    await portal
      .anonymous()
      .post(`${path}?address=grace@example.com`)
      .type('form')
      .send({ address: 'grace@example.com', caller: 'plugin:other' })
      .expect(200);
    const { items } = await portal.suppressionList();
    expect(items.map((i: { address: string }) => i.address)).toEqual([
      'ada@example.com',
    ]);
    const grace = await portal.send(
      'grace@example.com',
      'catalog',
      subject('Catalog news for Grace'),
    );
    expect(grace.status).toBe('queued');
  });

  it('writes the pages in the portal’s language', async () => {
    const portal = await startPortal({ locale: 'pt-BR' });
    const mail = subject('Catalog news for Ada');
    await portal.send('ada@example.com', 'catalog', mail);
    const path = await portal.linkPath(mail);
    const page = await portal.anonymous().get(path).expect(200);
    expect(page.text).toContain('<html lang="pt-BR">');
    expect(page.text).toContain(
      'Deixar de receber &lt;b&gt;catalog&lt;/b&gt; news &amp; alerts em a•••@example.com?',
    );
    const done = await portal
      .anonymous()
      .post(path)
      .send(ONE_CLICK)
      .expect(200);
    expect(done.text).toContain('Sua inscrição foi cancelada');
    const invalid = await portal
      .anonymous()
      .get('/api/email-provider/unsubscribe/nope')
      .expect(400);
    expect(invalid.text).toContain(
      'Este link de cancelamento de inscrição não é válido ou expirou.',
    );
  });
});

describe('the suppression list for admins', () => {
  it('lists and removes entries with the permissions of the delivery log and of retry', async () => {
    const portal = await startPortal();
    const mail = subject('Catalog news for Ada');
    await portal.send('ada@example.com', 'catalog', mail);
    await portal
      .anonymous()
      .post(await portal.linkPath(mail))
      .send(ONE_CLICK)
      .expect(200);

    const asReader = await portal
      .api(
        'get',
        '/suppressions?address=ADA@example.com&list=catalog',
        asUser(READER),
      )
      .expect(200);
    expect(asReader.body.items).toHaveLength(1);
    const { id } = asReader.body.items[0];
    expect(
      (await portal.api('get', '/suppressions?list=other').expect(200)).body,
    ).toEqual({ items: [] });
    await portal.api('get', '/suppressions', asUser(NON_ADMIN)).expect(403);
    await portal.api('get', '/suppressions', REPORTS_PLUGIN).expect(403);
    await portal
      .anonymous()
      .get('/api/email-provider/suppressions')
      .expect(401);
    const bad = await portal.api('get', '/suppressions?limit=0').expect(400);
    expect(bad.body.error.message).toContain('limit must be at least 1');

    await portal
      .api('delete', `/suppressions/${id}`, asUser(READER))
      .expect(403);
    await portal
      .api('delete', `/suppressions/${id}`, asUser(NON_ADMIN))
      .expect(403);
    expect((await portal.suppressionList()).items).toHaveLength(1);
    await portal.api('delete', `/suppressions/${id}`).expect(204);
    await portal.api('delete', `/suppressions/${id}`).expect(404);
    expect((await portal.suppressionList()).items).toEqual([]);
    expect(portal.auditEvents).toContainEqual({
      eventId: 'suppression-remove:success',
      meta: { caller: CALLER, list: 'catalog', address: 'a•••@example.com' },
    });

    // Off the list, the address gets the list's mail again.
    const again = await portal.send(
      'ada@example.com',
      'catalog',
      subject('Catalog news for Ada again'),
    );
    expect(again.status).toBe('queued');
  });
});
