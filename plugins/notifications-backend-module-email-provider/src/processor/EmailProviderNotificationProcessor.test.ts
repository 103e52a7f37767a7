import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Notification } from '@backstage/plugin-notifications-common';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { SendEmailRequest } from '@email-provider/backstage-plugin-email-provider-common';
import { emailServiceMock } from '@email-provider/backstage-plugin-email-provider-node/testUtils';
import { EmailProviderProcessorConfig } from '../config';
import { NotificationDigestQueue } from '../digest/NotificationDigestQueue';
import { EmailAddressFilter } from '../recipients/EmailAddressFilter';
import { NotificationsEmailProviderTemplate } from '../templates/NotificationsEmailProviderTemplate';
import { EmailChannelSettings } from './EmailChannelSettings';
import {
  EmailProviderNotificationProcessor,
  idempotencyKey,
} from './EmailProviderNotificationProcessor';

const user = (name: string, email?: string, namespace?: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, ...(namespace ? { namespace } : {}) },
  spec: { profile: email === undefined ? {} : { email }, memberOf: [] },
});

const entities: Entity[] = [
  user('ada', 'ada@example.com'),
  user('bob', 'bob@example.com'),
  user('grace', 'grace@example.com'),
  user('nomail'),
  user('blank', '   '),
  user('eve', 'Eve <eve@example.com>'),
  user('shared-1', 'team@example.com'),
  user('shared-2', 'TEAM@example.com'),
  user('ada', 'ada.ops@example.com', 'ops'),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'team-a' },
    spec: {
      type: 'team',
      children: [],
      profile: { email: 'team-a@example.com' },
    },
  },
];

const config: EmailProviderProcessorConfig = {
  portal: {
    baseUrl: 'https://portal.example.com',
    title: 'ACME Portal',
    settingsUrl: 'https://portal.example.com/settings/notifications',
  },
  broadcastEnabled: false,
  filter: {},
};

function notification(
  userRef: string | null,
  overrides: Partial<Notification> = {},
): Notification {
  return {
    id: '0b7f6a0e-8d1c-4a55-9a3f-6b2a4f1f9c01',
    user: userRef,
    created: new Date('2026-11-29T10:00:00Z'),
    origin: 'plugin:release-bot',
    payload: { title: 'Release 1.2 is out', severity: 'normal' },
    ...overrides,
  };
}

const entityOptions: NotificationSendOptions = {
  recipients: { type: 'entity', entityRef: 'group:default/team-a' },
  payload: { title: 'Release 1.2 is out' },
};
const broadcastOptions: NotificationSendOptions = {
  recipients: { type: 'broadcast' },
  payload: { title: 'Maintenance tonight' },
};

function setup(
  options: {
    config?: Partial<EmailProviderProcessorConfig>;
    optedOut?: string[];
    send?: (
      request: SendEmailRequest,
    ) => Promise<{ id: string; status: 'queued' }>;
    catalog?: CatalogService;
    settingsUnreadable?: string;
    /** Addresses that unsubscribed: the email provider stores their messages as suppressed. */
    unsubscribed?: string[];
    template?: NotificationsEmailProviderTemplate;
    digest?: NotificationDigestQueue;
  } = {},
) {
  const email = emailServiceMock();
  const real = email.send.bind(email);
  const sendSpy = jest.spyOn(email, 'send');
  sendSpy.mockImplementation(async request => {
    await options.send?.(request);
    const response = await real(request);
    return options.unsubscribed?.includes(request.to[0] as string)
      ? { ...response, status: 'suppressed' }
      : response;
  });
  const catalog = options.catalog ?? catalogServiceMock({ entities });
  const streamSpy = jest.spyOn(catalog, 'streamEntities');
  const logger = mockServices.logger.mock();
  const channelSettings: EmailChannelSettings = {
    unreadableBecause: jest.fn(async () => options.settingsUnreadable),
    enabledUsers: jest.fn(async (users: string[]) => {
      return new Set(users.filter(u => !options.optedOut?.includes(u)));
    }),
  };
  const processor = new EmailProviderNotificationProcessor({
    email,
    catalog,
    auth: mockServices.auth(),
    logger,
    config: { ...config, ...options.config },
    channelSettings,
    template: options.template,
    digest: options.digest,
  });
  const messages = (level: 'warn' | 'error' | 'info' | 'debug') =>
    (logger[level] as jest.Mock).mock.calls.map(([message]) => message);
  return {
    processor,
    email,
    sendSpy,
    streamSpy,
    logger,
    messages,
    channelSettings,
  };
}

describe('EmailProviderNotificationProcessor', () => {
  it('is the Email channel, so that users’ Email settings apply to it', () => {
    expect(setup().processor.getName()).toBe('Email');
  });

  it('returns the configured filters', () => {
    const filter = { minSeverity: 'high' as const, excludedTopics: ['noise'] };
    expect(
      setup({ config: { filter } }).processor.getNotificationFilters(),
    ).toBe(filter);
  });

  it('emails the user the notification is for, alone, with a stable idempotency key', async () => {
    const { processor, email } = setup();
    await processor.postProcess(
      notification('user:default/ada'),
      entityOptions,
    );
    expect(email.sent).toEqual([
      {
        to: ['ada@example.com'],
        subject: 'Release 1.2 is out',
        text: expect.stringContaining('Release 1.2 is out'),
        html: expect.stringContaining('<h1'),
        idempotencyKey:
          'notification:0b7f6a0e-8d1c-4a55-9a3f-6b2a4f1f9c01:user:default/ada',
        category: 'notification',
        unsubscribe: {
          list: 'notification:plugin:release-bot',
          description: 'Notifications from plugin:release-bot',
        },
      },
    ]);
  });

  it('finds users outside the default namespace by their full ref', async () => {
    const { processor, email } = setup();
    await processor.postProcess(notification('user:ops/ada'), entityOptions);
    expect(email.sent.map(m => m.to)).toEqual([['ada.ops@example.com']]);
  });

  it('does not send twice when the processor runs again for the same notification', async () => {
    const { processor, email, sendSpy } = setup();
    await processor.postProcess(
      notification('user:default/ada'),
      entityOptions,
    );
    await processor.postProcess(
      notification('user:default/ada'),
      entityOptions,
    );
    expect(sendSpy).toHaveBeenCalledTimes(2);
    expect(email.sent).toHaveLength(1);
  });

  it('emails an updated scoped notification again', async () => {
    const { processor, email } = setup();
    await processor.postProcess(
      notification('user:default/ada'),
      entityOptions,
    );
    await processor.postProcess(
      notification('user:default/ada', {
        updated: new Date('2026-11-29T11:00:00Z'),
        payload: { title: 'Release 1.2 is out (updated)' },
      }),
      entityOptions,
    );
    expect(email.sent.map(m => m.idempotencyKey)).toEqual([
      'notification:0b7f6a0e-8d1c-4a55-9a3f-6b2a4f1f9c01:user:default/ada',
      `notification:0b7f6a0e-8d1c-4a55-9a3f-6b2a4f1f9c01@${Date.parse(
        '2026-11-29T11:00:00Z',
      )}:user:default/ada`,
    ]);
  });

  it.each([
    [
      'user:default/nomail',
      /User user:default\/nomail has no email address \(spec\.profile\.email\)/,
    ],
    ['user:default/blank', /User user:default\/blank has no email address/],
    [
      'user:default/eve',
      /User user:default\/eve has an invalid email address in spec\.profile\.email/,
    ],
    ['user:default/ghost', /User user:default\/ghost is not in the catalog/],
    [
      'group:default/team-a',
      /is for group:default\/team-a, which is not a user/,
    ],
  ])('skips %s with one warning, without failing', async (ref, warning) => {
    const { processor, email, messages } = setup();
    await expect(
      processor.postProcess(notification(ref), entityOptions),
    ).resolves.toBeUndefined();
    expect(email.sent).toHaveLength(0);
    expect(messages('warn')).toEqual([expect.stringMatching(warning)]);
    // An invalid address is not written to the log.
    expect(messages('warn').join()).not.toContain('eve@example.com');
    expect(messages('error')).toEqual([]);
  });

  it('logs a failed send and resolves', async () => {
    const { processor, messages } = setup({
      send: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:7007');
      },
    });
    await expect(
      processor.postProcess(notification('user:default/ada'), entityOptions),
    ).resolves.toBeUndefined();
    expect(messages('error')).toEqual([
      'Could not email notification 0b7f6a0e-8d1c-4a55-9a3f-6b2a4f1f9c01 to user:default/ada: Error: connect ECONNREFUSED 127.0.0.1:7007',
    ]);
  });

  it('logs a failed catalog lookup and resolves', async () => {
    const { processor, messages } = setup({
      catalog: catalogServiceMock.mock({
        getEntitiesByRefs: async () => {
          throw new Error('catalog unavailable');
        },
      }),
    });
    await expect(
      processor.postProcess(notification('user:default/ada'), entityOptions),
    ).resolves.toBeUndefined();
    expect(messages('error')).toEqual([
      'Could not email notification 0b7f6a0e-8d1c-4a55-9a3f-6b2a4f1f9c01: Error: catalog unavailable',
    ]);
  });

  it('names the notification’s origin and topic as what the user can unsubscribe from', async () => {
    const { processor, email } = setup();
    await processor.postProcess(
      notification('user:default/ada', {
        payload: { title: 'Deployed', topic: 'deploys' },
      }),
      entityOptions,
    );
    await processor.postProcess(
      notification('user:default/bob', {
        id: 'f1c4c6c2-33a7-4f0e-a0a5-1f9d5a0c2b77',
        origin: `external:${'x'.repeat(200)}`,
        payload: { title: 'Deployed', topic: 'deploys' },
      }),
      entityOptions,
    );
    expect(email.sent.map(m => m.unsubscribe)).toEqual([
      {
        list: 'notification:plugin:release-bot:deploys',
        description: 'Notifications from plugin:release-bot about deploys',
      },
      {
        list: expect.stringMatching(/^notification:sha256:[0-9a-f]{64}$/),
        description: expect.stringMatching(/^Notifications from external:x+…$/),
      },
    ]);
    expect(email.sent[1].unsubscribe!.description!.length).toBe(200);
  });

  it('takes a message the email provider suppressed (the user unsubscribed) as skipped, not failed', async () => {
    const { processor, messages } = setup({
      unsubscribed: ['ada@example.com'],
    });
    await processor.postProcess(
      notification('user:default/ada'),
      entityOptions,
    );
    expect(messages('error')).toEqual([]);
    expect(messages('debug')).toEqual([
      expect.stringMatching(
        /^Notification 0b7f6a0e-.* not emailed to user:default\/ada: they unsubscribed from notification:plugin:release-bot/,
      ),
    ]);
  });

  describe('allowlist and denylist', () => {
    const addressFilter = new EmailAddressFilter({
      allowlist: {
        key: 'allow',
        patterns: ['ada*@example.com', 'team@example.com', 'bob@example.com'],
      },
      // The denylist wins: bob is on both.
      denylist: { key: 'deny', patterns: ['bob@*', '*.OPS@*'] },
    });

    it('email only allowed addresses that are not denied, and log the others at debug', async () => {
      const { processor, email, messages } = setup({
        config: { addressFilter },
      });
      for (const ref of [
        'user:default/ada',
        'user:default/bob',
        'user:ops/ada',
      ]) {
        await processor.postProcess(notification(ref), entityOptions);
      }
      expect(email.sent.map(m => m.to)).toEqual([['ada@example.com']]);
      expect(messages('debug')).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^The address of user user:default\/bob is excluded by allowlistEmailAddresses or denylistEmailAddresses/,
          ),
        ]),
      );
      expect(messages('warn')).toEqual([]);
    });

    it('count the addresses they exclude from a broadcast', async () => {
      const { processor, email, messages } = setup({
        config: { broadcastEnabled: true, addressFilter },
        unsubscribed: ['team@example.com'],
      });
      await processor.postProcess(notification(null), broadcastOptions);
      expect(email.sent.map(m => m.to).sort()).toEqual([
        ['ada@example.com'],
        ['team@example.com'],
      ]);
      expect(messages('info')).toEqual([
        'Broadcast notification 0b7f6a0e-8d1c-4a55-9a3f-6b2a4f1f9c01 by email: 1 queued, 0 failed, 0 skipped (Email channel off), 1 skipped (invalid address), 3 skipped (address not allowed), 1 skipped (unsubscribed)',
      ]);
    });
  });

  describe('templates', () => {
    it('supply the parts they have; the subject still becomes one line', async () => {
      const render = jest.fn(async () => ({
        subject: 'Hello\r\nBcc: eve@evil.example',
        html: '<p>custom</p>',
      }));
      const { processor, email } = setup({ template: { render } });
      await processor.postProcess(
        notification('user:default/ada', {
          payload: {
            title: 'Release 1.2 is out',
            link: '/catalog/x',
            severity: 'high',
          },
        }),
        entityOptions,
      );
      expect(render).toHaveBeenCalledWith({
        notification: expect.objectContaining({ user: 'user:default/ada' }),
        userRef: 'user:default/ada',
        portal: { title: 'ACME Portal', baseUrl: 'https://portal.example.com' },
        links: {
          notification: 'https://portal.example.com/catalog/x',
          notificationsPage: 'https://portal.example.com/notifications',
          settingsPage: 'https://portal.example.com/settings/notifications',
        },
        defaultEmail: {
          subject: 'Release 1.2 is out',
          text: expect.stringContaining('Severity: High'),
          html: expect.stringContaining('<h1'),
        },
      });
      expect(email.sent).toEqual([
        expect.objectContaining({
          subject: 'Hello Bcc: eve@evil.example',
          html: '<p>custom</p>',
          text: expect.stringContaining(
            'Open: https://portal.example.com/catalog/x',
          ),
        }),
      ]);
    });

    it('that fail, or answer with something other than strings, leave the default email, logged once per notification', async () => {
      const render = jest
        .fn()
        .mockRejectedValueOnce(new Error('template bug'))
        .mockResolvedValue({ subject: 42 });
      const { processor, email, messages } = setup({
        template: { render },
        config: { broadcastEnabled: true },
      });
      await processor.postProcess(
        notification('user:default/ada'),
        entityOptions,
      );
      await processor.postProcess(notification(null), broadcastOptions);
      expect(email.sent).toHaveLength(5);
      expect(email.sent.every(m => m.subject === 'Release 1.2 is out')).toBe(
        true,
      );
      expect(messages('error')).toEqual([
        expect.stringMatching(
          /^The notification email template failed for notification .*; sending the default email instead: Error: template bug$/,
        ),
        expect.stringMatching(/returned a number as subject, not a string$/),
      ]);
    });
  });

  describe('digests', () => {
    const queue = (takes: boolean) => ({
      takes: jest.fn(() => takes),
      add: jest.fn(async () => {}),
      maxItems: 20,
    });

    it('take the user notifications the queue takes, instead of an email', async () => {
      const digest = queue(true);
      const { processor, email } = setup({ digest });
      const n = notification('user:default/ada');
      await processor.postProcess(n, entityOptions);
      expect(digest.add).toHaveBeenCalledWith(n, 'user:default/ada');
      expect(email.sent).toEqual([]);

      const { processor: other, email: otherEmail } = setup({
        digest: queue(false),
      });
      await other.postProcess(n, entityOptions);
      expect(otherEmail.sent).toHaveLength(1);
    });

    it('are emailed to the user’s address, as a digest, with the given key', async () => {
      const renderDigest = jest.fn(async () => ({ subject: 'Your week' }));
      const { processor, email } = setup({ template: { renderDigest } });
      const items = [
        notification('user:default/ada'),
        notification('user:default/ada', {
          id: '2c7bbd33-0f55-4cb4-9a5b-2f0d1a3b4c5d',
          payload: { title: 'Release 1.3 is out' },
        }),
      ];
      await expect(
        processor.sendDigests([
          {
            userRef: 'user:default/ada',
            notifications: items,
            idempotencyKey: 'digest:ada:1',
          },
        ]),
      ).resolves.toEqual(['queued']);
      expect(renderDigest).toHaveBeenCalledWith(
        expect.objectContaining({
          notifications: items,
          userRef: 'user:default/ada',
          links: {
            notificationsPage: 'https://portal.example.com/notifications',
            settingsPage: 'https://portal.example.com/settings/notifications',
          },
        }),
      );
      expect(email.sent).toEqual([
        {
          to: ['ada@example.com'],
          subject: 'Your week',
          text: expect.stringContaining('Release 1.3 is out'),
          html: expect.stringContaining('Release 1.3 is out'),
          idempotencyKey: 'digest:ada:1',
          category: 'notification',
          unsubscribe: {
            list: 'notification-digest',
            description: 'Notification digests',
          },
        },
      ]);
    });

    it('are the default digest when the template fails', async () => {
      const renderDigest = jest.fn(async () => {
        throw new Error('digest template bug');
      });
      const { processor, email, messages } = setup({
        template: { renderDigest },
      });
      await expect(
        processor.sendDigests([
          {
            userRef: 'user:default/ada',
            notifications: [notification('user:default/ada')],
            idempotencyKey: 'digest:ada:2',
          },
        ]),
      ).resolves.toEqual(['queued']);
      expect(email.sent).toEqual([
        expect.objectContaining({
          subject: expect.stringContaining('ACME Portal'),
          html: expect.stringContaining('Release 1.2 is out'),
        }),
      ]);
      expect(messages('error')).toEqual([
        'The notification digest email template failed for user:default/ada; sending the default digest instead: Error: digest template bug',
      ]);
    });

    it('answer what became of the email', async () => {
      const { processor, email } = setup({
        unsubscribed: ['bob@example.com'],
        config: {
          addressFilter: new EmailAddressFilter({
            denylist: { key: 'deny', patterns: ['grace@example.com'] },
          }),
        },
        send: async request => {
          if (request.to[0] === 'team@example.com') {
            throw new Error('boom');
          }
          return { id: 'x', status: 'queued' };
        },
      });
      const sendMany = jest.spyOn(email, 'sendMany');
      const notifications = [notification('user:default/ada')];
      const refs = [
        'user:default/bob',
        'user:default/grace',
        'user:default/nomail',
        'group:default/team-a',
        'user:default/shared-1',
        'user:default/ada',
      ];
      await expect(
        processor.sendDigests(
          refs.map(userRef => ({
            userRef,
            notifications,
            idempotencyKey: `digest:${userRef}`,
          })),
        ),
      ).resolves.toEqual([
        'suppressed',
        'skipped',
        'skipped',
        'skipped',
        'failed',
        'queued',
      ]);
      // The three with a usable address went in one call.
      expect(sendMany).toHaveBeenCalledTimes(1);
      expect(email.sent.map(m => m.to)).toEqual([
        ['bob@example.com'],
        ['ada@example.com'],
      ]);
    });
  });

  describe('broadcasts', () => {
    it('are not emailed unless enabled', async () => {
      const { processor, email, streamSpy, messages } = setup();
      await processor.postProcess(notification(null), broadcastOptions);
      expect(email.sent).toHaveLength(0);
      expect(streamSpy).not.toHaveBeenCalled();
      expect(messages('debug')).toEqual([
        expect.stringMatching(/broadcast\.enabled is off/),
      ]);
    });

    it('go to every user with a valid address, one message each, except those who turned Email off', async () => {
      const { processor, email, messages, channelSettings } = setup({
        config: { broadcastEnabled: true },
        optedOut: ['user:default/grace'],
      });
      const sendMany = jest.spyOn(email, 'sendMany');
      await processor.postProcess(
        notification(null, {
          payload: { title: 'Maintenance tonight', topic: 'maintenance' },
        }),
        broadcastOptions,
      );
      expect(email.sent.map(m => m.to).sort()).toEqual([
        ['ada.ops@example.com'],
        ['ada@example.com'],
        ['bob@example.com'],
        ['team@example.com'],
      ]);
      expect(new Set(email.sent.map(m => m.idempotencyKey)).size).toBe(4);
      expect(email.sent.every(m => m.category === 'notification')).toBe(true);
      // The page's messages went in one call.
      expect(sendMany).toHaveBeenCalledTimes(1);
      expect(email.sent[0].text).toContain(
        'a notification to everyone in ACME Portal',
      );
      expect(channelSettings.enabledUsers).toHaveBeenCalledWith(
        expect.arrayContaining(['user:default/grace', 'user:default/ada']),
        'plugin:release-bot',
        'maintenance',
      );
      expect(messages('warn')).toEqual([
        expect.stringMatching(
          /User user:default\/eve has an invalid email address/,
        ),
      ]);
      expect(messages('info')).toEqual([
        'Broadcast notification 0b7f6a0e-8d1c-4a55-9a3f-6b2a4f1f9c01 by email: 4 queued, 0 failed, 1 skipped (Email channel off), 1 skipped (invalid address), 0 skipped (address not allowed), 0 skipped (unsubscribed)',
      ]);
    });

    it('go on after one failed send', async () => {
      const { processor, email, messages } = setup({
        config: { broadcastEnabled: true },
        send: async request => {
          if (request.to[0] === 'bob@example.com') {
            throw new Error('boom');
          }
          return { id: 'x', status: 'queued' };
        },
      });
      await processor.postProcess(notification(null), broadcastOptions);
      expect(email.sent).toHaveLength(4);
      expect(messages('error')).toEqual([
        expect.stringMatching(/to user:default\/bob: Error: boom/),
      ]);
    });

    it('stop, with one warning, when no email provider is configured', async () => {
      const noProvider = await ResponseError.fromResponse(
        new Response(
          JSON.stringify({
            error: {
              name: 'ConflictError',
              message:
                'No email provider is active; an admin must configure SMTP or Microsoft 365',
            },
            response: { statusCode: 409 },
          }),
          {
            status: 409,
            statusText: 'Conflict',
            headers: { 'Content-Type': 'application/json' },
          },
        ),
      );
      const send = jest.fn(async () => {
        throw noProvider;
      });
      const { processor, email, messages } = setup({
        config: { broadcastEnabled: true },
        send,
      });
      // The backend answers a batch with each message's refusal.
      const sendMany = jest
        .spyOn(email, 'sendMany')
        .mockImplementation(async requests =>
          requests.map(() => ({
            accepted: false as const,
            error: {
              name: 'ConflictError',
              message:
                'No email provider is active; an admin must configure SMTP or Microsoft 365',
            },
          })),
        );
      await processor.postProcess(notification(null), broadcastOptions);
      await processor.postProcess(
        notification('user:default/ada'),
        entityOptions,
      );
      // The broadcast's one page goes in one sendMany, refused as a whole, and no further page
      // is tried; then the user notification's one send.
      expect(sendMany).toHaveBeenCalledTimes(1);
      expect(sendMany.mock.calls[0][0]).toHaveLength(5);
      expect(send).toHaveBeenCalledTimes(1);
      expect(
        messages('warn').filter(m => /no email provider/.test(m)),
      ).toHaveLength(1);
      expect(messages('error')).toEqual([]);
      expect(messages('info')).toEqual([
        expect.stringMatching(/stopped, no email provider is configured$/),
      ]);
    });

    it('are not emailed, with one warning each, when the users’ settings table does not have the expected shape', async () => {
      const { processor, email, streamSpy, messages } = setup({
        config: { broadcastEnabled: true },
        settingsUnreadable:
          "the notifications backend's user_settings table has no column enabled",
      });
      await processor.postProcess(notification(null), broadcastOptions);
      expect(email.sent).toHaveLength(0);
      expect(streamSpy).not.toHaveBeenCalled();
      expect(messages('warn')).toEqual([
        "Broadcast notification 0b7f6a0e-8d1c-4a55-9a3f-6b2a4f1f9c01 not sent by email: broadcast email is off because the notifications backend's user_settings table has no column enabled (see the error logged at startup)",
      ]);
    });

    it('are skipped, logged, when the users’ settings cannot be read', async () => {
      const { processor, email, messages, channelSettings } = setup({
        config: { broadcastEnabled: true },
      });
      (channelSettings.enabledUsers as jest.Mock).mockRejectedValue(
        new Error('no such table: user_settings'),
      );
      await processor.postProcess(notification(null), broadcastOptions);
      expect(email.sent).toHaveLength(0);
      expect(messages('error')).toEqual([
        expect.stringMatching(
          /Could not email notification .*no such table: user_settings/,
        ),
      ]);
    });
  });
});

describe('idempotencyKey', () => {
  it('is readable for the longest refs the catalog allows', () => {
    const ref = `user:${'n'.repeat(63)}/${'u'.repeat(63)}`;
    const key = idempotencyKey(
      notification(ref, { updated: new Date('2026-11-29T11:00:00Z') }),
      ref,
    );
    expect(key).toBe(
      `notification:0b7f6a0e-8d1c-4a55-9a3f-6b2a4f1f9c01@${Date.parse(
        '2026-11-29T11:00:00Z',
      )}:${ref}`,
    );
    expect(key.length).toBeLessThanOrEqual(200);
  });

  it('hashes a ref that would make the key longer than 200 characters', () => {
    const longRef = `user:default/${'u'.repeat(200)}`;
    const key = idempotencyKey(
      notification(longRef, { updated: new Date('2026-11-29T11:00:00Z') }),
      longRef,
    );
    expect(key.length).toBeLessThanOrEqual(200);
    expect(key).toMatch(
      /^notification:0b7f6a0e-8d1c-4a55-9a3f-6b2a4f1f9c01@\d+:[0-9a-f]{64}$/,
    );
    expect(
      idempotencyKey(notification(longRef), `user:default/${'v'.repeat(200)}`),
    ).not.toBe(idempotencyKey(notification(longRef), longRef));
  });
});
