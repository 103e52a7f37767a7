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
  } = {},
) {
  const email = emailServiceMock();
  const real = email.send.bind(email);
  const sendSpy = jest.spyOn(email, 'send');
  if (options.send) {
    sendSpy.mockImplementation(async request => {
      await options.send!(request);
      return real(request);
    });
  }
  const catalog = options.catalog ?? catalogServiceMock({ entities });
  const streamSpy = jest.spyOn(catalog, 'streamEntities');
  const logger = mockServices.logger.mock();
  const channelSettings: EmailChannelSettings = {
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
        'Broadcast notification 0b7f6a0e-8d1c-4a55-9a3f-6b2a4f1f9c01 by email: 4 queued, 0 failed, 1 skipped (Email channel off), 1 skipped (invalid address)',
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
      const { processor, messages } = setup({
        config: { broadcastEnabled: true },
        send,
      });
      await processor.postProcess(notification(null), broadcastOptions);
      await processor.postProcess(
        notification('user:default/ada'),
        entityOptions,
      );
      // The broadcast's 4 concurrent sends fail and nothing more is tried for its other
      // recipient; then the user notification's one send.
      expect(send).toHaveBeenCalledTimes(5);
      expect(
        messages('warn').filter(m => /no email provider/.test(m)),
      ).toHaveLength(1);
      expect(messages('error')).toEqual([]);
      expect(messages('info')).toEqual([
        expect.stringMatching(/stopped, no email provider is configured$/),
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
