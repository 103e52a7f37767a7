import {
  BackendFeature,
  createBackendModule,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import {
  NotificationService,
  notificationService,
} from '@backstage/plugin-notifications-node';
// The real email-provider backend in a test backend, as that package's own tests start it. That
// package has no ./testUtils entry point for its test fixture.
// eslint-disable-next-line @backstage/no-forbidden-package-imports, @backstage/no-mixed-plugin-imports
import {
  asUser,
  eventually,
  startEmailProviderTestBackend,
} from '@email-provider/backstage-plugin-email-provider-backend/src/__testUtils__/emailProviderTestBackend';
// eslint-disable-next-line @backstage/no-forbidden-package-imports, @backstage/no-mixed-plugin-imports
import { localSmtpSettings } from '@email-provider/backstage-plugin-email-provider-backend/src/__testUtils__/testSettings';
import {
  ReceivedMail,
  startMailTestServersBeforeAll,
} from '@internal/mail-test-servers';
import request from 'supertest';
import {
  escapeHtml,
  notificationsEmailProviderTemplateExtensionPoint,
} from './index';
import { notificationsModuleEmailProvider } from './module';

// A real portal in one process: the notifications backend, this module, the email-provider
// backend with its outbox and SMTP transport, and a real SMTP server on loopback. Only the
// catalog is in memory. Delivery is asynchronous (the notifications backend does not wait for
// processors, the outbox worker polls), so every check waits with a deadline.
jest.setTimeout(60_000);

const ADMIN = 'user:default/admin';
const FROM = 'portal@example.com';
const SMTP_PASSWORD = 'notifications-test-Pa55word';
const BASE_URL = 'http://portal.example.com:3000';

const user = (name: string, email?: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name },
  spec: { profile: email ? { email } : {}, memberOf: [] },
});

const group = (
  name: string,
  members: string[],
  children: string[] = [],
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name },
  spec: { type: 'team', children },
  // The catalog's processors add these; the notifications backend expands groups through them.
  relations: [
    ...members.map(m => ({
      type: 'hasMember',
      targetRef: `user:default/${m}`,
    })),
    ...children.map(c => ({
      type: 'parentOf',
      targetRef: `group:default/${c}`,
    })),
  ],
});

const entities: Entity[] = [
  user('ada', 'ada@example.com'),
  user('bob', 'bob@example.com'),
  user('carol', 'carol@example.com'),
  user('grace', 'grace@example.com'),
  user('nomail'),
  group('platform', ['ada', 'bob', 'nomail'], ['platform-sre']),
  group('platform-sre', ['carol', 'ada']),
];

const servers = startMailTestServersBeforeAll({
  smtp: { credentials: { username: FROM, password: SMTP_PASSWORD } },
  trustCa: true,
});

const settle = () => new Promise(resolve => setTimeout(resolve, 1500));

/** Starts the portal, with the email provider set to SMTP through the admin API. */
async function startPortal(
  options: {
    broadcast?: boolean;
    /** More of `notifications.processors.emailProvider`. */
    emailProvider?: object;
    features?: BackendFeature[];
  } = {},
) {
  let sender: NotificationService | undefined;
  // A plugin that notifies as plugins do, through the notifications service (origin
  // plugin:release-bot).
  const releaseBot = createBackendPlugin({
    pluginId: 'release-bot',
    register(env) {
      env.registerInit({
        deps: { notifications: notificationService },
        async init({ notifications }) {
          sender = notifications;
        },
      });
    },
  });
  const backend = await startEmailProviderTestBackend({
    features: [
      notificationsPlugin,
      notificationsModuleEmailProvider,
      releaseBot,
      catalogServiceMock.factory({ entities }),
      ...(options.features ?? []),
    ],
    config: {
      app: { baseUrl: BASE_URL, title: 'ACME <b>Portal</b>' },
      notifications: {
        processors: {
          emailProvider: {
            broadcast: { enabled: options.broadcast ?? false },
            ...options.emailProvider,
          },
        },
      },
    },
    emailProvider: {
      admins: [ADMIN],
      encryption: { key: 'notifications-test-key-0123456789abcdef' },
      delivery: { pollIntervalMs: 50 },
    },
  });
  const { server, logs } = backend;
  const as = asUser;

  const saved = await backend.api(
    'put',
    '/settings',
    as(ADMIN),
    localSmtpSettings(
      { port: servers.smtp.port, from: FROM, password: SMTP_PASSWORD },
      { fromName: 'ACME Portal' },
    ),
  );
  expect(saved.status).toBe(200);

  return {
    backend,
    server,
    logs,
    as,
    notify: (notification: Parameters<NotificationService['send']>[0]) =>
      sender!.send(notification),
    /** The user turns the Email channel off for notifications from release-bot. */
    optOutOfEmail: async (userRef: string) => {
      const res = await request(server)
        .post('/api/notifications/settings')
        .set('Authorization', as(userRef))
        .send({
          channels: [
            {
              id: 'Email',
              origins: [{ id: 'plugin:release-bot', enabled: false }],
            },
          ],
        });
      expect(res.status).toBe(200);
      return res.body as {
        channels: Array<{
          id: string;
          origins: Array<{ id: string; enabled: boolean }>;
        }>;
      };
    },
  };
}

const mailsWith = (marker: string) =>
  servers.smtp.received.filter(mail => mail.parsed.subject?.includes(marker));

const recipientsOf = (mails: ReceivedMail[]) =>
  mails.flatMap(mail => mail.envelope.to).sort();

describe('notifications by email through the email provider', () => {
  it('emails each user a notification is for, in their own message; skips users without an address and users who turned Email off', async () => {
    const portal = await startPortal();

    // Grace gets release-bot's notifications by email, until she turns Email off for it in her
    // notification settings (which list the origins she has notifications from).
    await portal.notify({
      recipients: { type: 'entity', entityRef: 'user:default/grace' },
      payload: { title: 'release-1.1 is out' },
    });
    await eventually('the email to grace', () =>
      mailsWith('release-1.1').length === 1 ? true : undefined,
    );
    expect(recipientsOf(mailsWith('release-1.1'))).toEqual([
      'grace@example.com',
    ]);
    const settings = await portal.optOutOfEmail('user:default/grace');
    expect(settings.channels).toEqual(
      expect.arrayContaining([
        {
          id: 'Email',
          origins: [{ id: 'plugin:release-bot', enabled: false, topics: [] }],
        },
        {
          id: 'Web',
          origins: [{ id: 'plugin:release-bot', enabled: true, topics: [] }],
        },
      ]),
    );

    const marker = 'release-1.2';
    const title = `<script>alert("x")</script><img src=x onerror="alert(1)"> ${marker} is out`;
    await portal.notify({
      recipients: {
        type: 'entity',
        entityRef: [
          'group:default/platform',
          'user:default/ada',
          'user:default/grace',
        ],
      },
      payload: {
        title,
        description: 'Deployed by <b>CI</b>.\nSee the release notes.',
        link: '/catalog/default/component/web',
        severity: 'high',
      },
    });

    const expected = [
      'ada@example.com',
      'bob@example.com',
      'carol@example.com',
    ];
    await eventually(
      'the three emails',
      () => mailsWith(marker).length >= expected.length,
    );
    await eventually('the warning about nomail', () =>
      portal.logs.some(line =>
        /^warn: User user:default\/nomail has no email address/.test(line),
      ),
    );
    await settle();

    const mails = mailsWith(marker);
    // Group members once each (ada is in both groups and named directly), nobody else.
    expect(recipientsOf(mails)).toEqual(expected);
    for (const mail of mails) {
      expect(mail.envelope.to).toHaveLength(1);
      expect(mail.parsed.to).toEqual(
        expect.objectContaining({
          value: [{ address: mail.envelope.to[0], name: '' }],
        }),
      );
      expect(mail.parsed.cc).toBeUndefined();
      expect(mail.parsed.bcc).toBeUndefined();
      expect(mail.envelope.from).toBe(FROM);
      expect(mail.secure).toBe(true);
    }
    expect(
      portal.logs.filter(line => line.includes('user:default/nomail')),
    ).toHaveLength(1);

    const [mail] = mails;
    // The subject is the title as text; in the HTML body every value is escaped.
    expect(mail.parsed.subject).toBe(title);
    const html = mail.parsed.html as string;
    expect(html).not.toMatch(/<script|<img|<b>/i);
    expect(html).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;',
    );
    expect(html).toContain(
      'Deployed by &lt;b&gt;CI&lt;/b&gt;.<br>See the release notes.',
    );
    expect(html).toContain('ACME &lt;b&gt;Portal&lt;/b&gt;');
    expect(html).toContain(`href="${BASE_URL}/catalog/default/component/web"`);
    expect(html).toContain(`href="${BASE_URL}/notifications"`);
    expect(html).toContain('Severity: High');
    expect(mail.parsed.text).toContain(
      `Open: ${BASE_URL}/catalog/default/component/web`,
    );
    expect(mail.parsed.text).toContain(
      `turn off the Email channel in your notification settings: ${BASE_URL}/settings/notifications`,
    );

    // Grace turned Email off, not the notification: she still has it in the portal.
    const inbox = await request(portal.server)
      .get('/api/notifications/notifications')
      .set('Authorization', portal.as('user:default/grace'));
    expect(inbox.status).toBe(200);
    expect(inbox.body.notifications.map((n: any) => n.payload.title)).toEqual([
      title,
      'release-1.1 is out',
    ]);

    // The delivery log shows them as the notifications plugin's, one recipient each, sent.
    const log = await request(portal.server)
      .get('/api/email-provider/messages')
      .set('Authorization', portal.as(ADMIN));
    expect(log.status).toBe(200);
    const notificationMessages = log.body.items.filter(
      (m: any) => m.category === 'notification',
    );
    expect(notificationMessages.map((m: any) => m.subject).sort()).toEqual([
      title,
      title,
      title,
      'release-1.1 is out',
    ]);
    for (const message of notificationMessages) {
      expect(message).toMatchObject({
        caller: 'plugin:notifications',
        recipientsCount: 1,
        status: 'sent',
      });
    }

    await portal.backend.stop();
  });

  it('does not email broadcasts unless enabled', async () => {
    const portal = await startPortal();
    const marker = 'maintenance-default';
    await portal.notify({
      recipients: { type: 'broadcast' },
      payload: { title: `Portal ${marker} tonight` },
    });
    await eventually('the broadcast to be skipped', () =>
      portal.logs.some(line =>
        /^debug: Broadcast notification .* not sent by email/.test(line),
      ),
    );
    await settle();
    expect(mailsWith(marker)).toEqual([]);
    await portal.backend.stop();
  });

  it('emails an enabled broadcast to every user with an address, except those who turned Email off', async () => {
    const portal = await startPortal({ broadcast: true });
    await portal.optOutOfEmail('user:default/grace');
    const marker = 'maintenance-enabled';
    await portal.notify({
      recipients: { type: 'broadcast' },
      payload: { title: `Portal ${marker} tonight`, severity: 'critical' },
    });
    await eventually('the broadcast summary', () =>
      portal.logs.some(line => line.startsWith('info: Broadcast notification')),
    );
    await eventually('three emails', () => mailsWith(marker).length >= 3);
    await settle();
    const mails = mailsWith(marker);
    expect(recipientsOf(mails)).toEqual([
      'ada@example.com',
      'bob@example.com',
      'carol@example.com',
    ]);
    expect(mails.every(m => m.envelope.to.length === 1)).toBe(true);
    expect(mails[0].parsed.text).toContain(
      'because of a notification to everyone in ACME <b>Portal</b>',
    );
    expect(portal.logs).toContainEqual(
      expect.stringMatching(
        /^info: Broadcast notification .* by email: 3 queued, 0 failed, 1 skipped \(Email channel off\), 0 skipped/,
      ),
    );
    await portal.backend.stop();
  });

  it('lets the user unsubscribe with one click from the notifications of one origin and topic', async () => {
    const portal = await startPortal();
    const deploys = {
      recipients: { type: 'entity' as const, entityRef: 'user:default/grace' },
    };
    await portal.notify({
      ...deploys,
      payload: { title: 'unsub-1 web deployed', topic: 'deploys' },
    });
    const [mail] = await eventually('the first email', () =>
      mailsWith('unsub-1').length ? mailsWith('unsub-1') : undefined,
    );
    const header = (name: string) =>
      mail.parsed.headerLines
        .find(h => h.key === name)
        ?.line.replace(/\r?\n[ \t]+/g, '');
    expect(header('list-unsubscribe-post')).toBe(
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    );
    const link = /<([^>]+)>/.exec(header('list-unsubscribe') ?? '')![1];

    // What a mail client does when the user clicks "Unsubscribe": no sign-in.
    await request(portal.server)
      .post(new URL(link).pathname)
      .type('form')
      .send('List-Unsubscribe=One-Click')
      .expect(200);

    await portal.notify({
      ...deploys,
      payload: { title: 'unsub-2 api deployed', topic: 'deploys' },
    });
    await portal.notify({
      ...deploys,
      payload: { title: 'unsub-3 release 2.0', topic: 'releases' },
    });
    await eventually('the email of another topic', () =>
      mailsWith('unsub-3').length === 1 ? true : undefined,
    );
    await eventually('the skipped one', () =>
      portal.logs.some(line =>
        /^debug: Notification .* not emailed to user:default\/grace: they unsubscribed from notification:plugin:release-bot:deploys/.test(
          line,
        ),
      ),
    );
    await settle();
    expect(mailsWith('unsub-2')).toEqual([]);
    expect(portal.logs.filter(line => /^error:/.test(line))).toEqual([]);

    const log = await request(portal.server)
      .get('/api/email-provider/messages')
      .set('Authorization', portal.as(ADMIN));
    expect(
      log.body.items
        .filter((m: any) => /^unsub-/.test(m.subject))
        .map((m: any) => [m.subject, m.status])
        .sort(),
    ).toEqual([
      ['unsub-1 web deployed', 'sent'],
      ['unsub-2 api deployed', 'suppressed'],
      ['unsub-3 release 2.0', 'sent'],
    ]);
    await portal.backend.stop();
  });

  it('uses the template a module sets, with the default where it supplies nothing or fails', async () => {
    const acmeTemplates = createBackendModule({
      pluginId: 'notifications',
      moduleId: 'acme-templates',
      register(reg) {
        reg.registerInit({
          deps: { templates: notificationsEmailProviderTemplateExtensionPoint },
          async init({ templates }) {
            templates.setTemplate({
              async render({ notification, links, portal: { title } }) {
                if (notification.payload.title.includes('broken')) {
                  throw new Error('template bug');
                }
                return {
                  subject: `[${title}]\n${notification.payload.title}`,
                  html: `<p>${escapeHtml(
                    notification.payload.title,
                  )}</p><a href="${escapeHtml(
                    links.notification ?? links.notificationsPage,
                  )}">Open</a>`,
                };
              },
            });
          },
        });
      },
    });
    const portal = await startPortal({ features: [acmeTemplates] });
    const grace = {
      type: 'entity' as const,
      entityRef: 'user:default/grace',
    };
    await portal.notify({
      recipients: grace,
      payload: {
        title: 'tpl-1 <img src=x onerror=alert(1)>',
        link: 'catalog/default/component/web',
      },
    });
    await portal.notify({
      recipients: grace,
      payload: { title: 'tpl-2 broken' },
    });
    const [custom] = await eventually('the templated email', () =>
      mailsWith('tpl-1').length ? mailsWith('tpl-1') : undefined,
    );
    const [fallback] = await eventually('the default email', () =>
      mailsWith('tpl-2').length ? mailsWith('tpl-2') : undefined,
    );

    // The template's subject, made one line; its HTML; the default text.
    expect(custom.parsed.subject).toBe(
      '[ACME <b>Portal</b>] tpl-1 <img src=x onerror=alert(1)>',
    );
    expect(custom.parsed.html).toBe(
      `<p>tpl-1 &lt;img src=x onerror=alert(1)&gt;</p><a href="${BASE_URL}/catalog/default/component/web">Open</a>`,
    );
    expect(custom.parsed.text).toContain(
      `All your notifications: ${BASE_URL}/notifications`,
    );

    expect(fallback.parsed.subject).toBe('tpl-2 broken');
    expect(fallback.parsed.html).toContain('<h1');
    expect(portal.logs).toContainEqual(
      expect.stringMatching(
        /^error: The notification email template failed for notification .*; sending the default email instead: Error: template bug/,
      ),
    );
    await portal.backend.stop();
  });

  it('emails only addresses the allowlist has and the denylist does not', async () => {
    const portal = await startPortal({
      broadcast: true,
      emailProvider: {
        allowlistEmailAddresses: [
          'ada@example.com',
          'BOB@example.com',
          'carol@*',
        ],
        denylistEmailAddresses: ['bob@*'],
      },
    });
    await portal.notify({
      recipients: {
        type: 'entity',
        entityRef: ['group:default/platform', 'user:default/grace'],
      },
      payload: { title: 'lists-1 release' },
    });
    await eventually('two emails', () =>
      mailsWith('lists-1').length >= 2 ? true : undefined,
    );
    await portal.notify({
      recipients: { type: 'broadcast' },
      payload: { title: 'lists-2 maintenance' },
    });
    await eventually('the broadcast summary', () =>
      portal.logs.some(line => line.startsWith('info: Broadcast notification')),
    );
    await eventually('two broadcast emails', () =>
      mailsWith('lists-2').length >= 2 ? true : undefined,
    );
    await settle();
    expect(recipientsOf(mailsWith('lists-1'))).toEqual([
      'ada@example.com',
      'carol@example.com',
    ]);
    expect(recipientsOf(mailsWith('lists-2'))).toEqual([
      'ada@example.com',
      'carol@example.com',
    ]);
    for (const ref of ['bob', 'grace']) {
      expect(portal.logs).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^debug: The address of user user:default/${ref} is excluded by allowlistEmailAddresses or denylistEmailAddresses; notification `,
          ),
        ),
      );
    }
    expect(portal.logs).toContainEqual(
      expect.stringMatching(
        /^info: Broadcast notification .* by email: 2 queued, 0 failed, 0 skipped \(Email channel off\), 0 skipped \(invalid address\), 2 skipped \(address not allowed\), 0 skipped \(unsubscribed\)/,
      ),
    );
    await portal.backend.stop();
  });
});
