import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import {
  ChannelSetting,
  NotificationSettings,
} from '@backstage/plugin-notifications-common';
import { emailServiceMock } from '@email-provider/backstage-plugin-email-provider-node/testUtils';
import { Knex } from 'knex';
import request from 'supertest';
import { notificationsModuleEmailProvider } from '../module';
import {
  DatabaseEmailChannelSettings,
  isChannelEnabled,
} from './EmailChannelSettings';
import { NotificationsUserSettingsTable } from './NotificationsUserSettingsTable';

jest.setTimeout(60_000);

const settingsIn = (knex: Knex, defaultSettings?: NotificationSettings) =>
  new DatabaseEmailChannelSettings(
    new NotificationsUserSettingsTable(
      async () => knex,
      mockServices.logger.mock(),
    ),
    defaultSettings,
  );

const ORIGIN = 'plugin:release-bot';

describe('isChannelEnabled', () => {
  const check = (
    userChannel?: ChannelSetting,
    defaultSettings?: NotificationSettings,
    topic: string | null = null,
  ) =>
    isChannelEnabled({
      channel: 'Email',
      origin: ORIGIN,
      topic,
      userChannel,
      defaultSettings,
    });

  it('is on when nobody said anything', () => {
    expect(check()).toBe(true);
  });

  it('follows the user’s setting for the origin, and for a topic of it', () => {
    const userChannel: ChannelSetting = {
      id: 'Email',
      origins: [
        {
          id: ORIGIN,
          enabled: true,
          topics: [{ id: 'deploys', enabled: false }],
        },
        { id: 'plugin:catalog', enabled: false },
      ],
    };
    expect(check(userChannel)).toBe(true);
    expect(check(userChannel, undefined, 'deploys')).toBe(false);
    expect(check(userChannel, undefined, 'releases')).toBe(true);
    expect(
      check({ id: 'Email', origins: [{ id: ORIGIN, enabled: false }] }),
    ).toBe(false);
  });

  it('follows the portal’s defaults where the user said nothing', () => {
    const optIn: NotificationSettings = {
      channels: [{ id: 'email', enabled: false, origins: [] }],
    };
    expect(check(undefined, optIn)).toBe(false);
    expect(
      check({ id: 'Email', origins: [{ id: ORIGIN, enabled: true }] }, optIn),
    ).toBe(true);

    const originOff: NotificationSettings = {
      channels: [{ id: 'Email', origins: [{ id: ORIGIN, enabled: false }] }],
    };
    expect(check(undefined, originOff)).toBe(false);
    expect(
      check(
        { id: 'Email', origins: [{ id: ORIGIN, enabled: true }] },
        originOff,
      ),
    ).toBe(true);
  });
});

describe('DatabaseEmailChannelSettings', () => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it.each(databases.eachSupportedId())(
    'reads the Email settings the notifications backend stores, on %s',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startTestBackend({
        features: [
          notificationsPlugin,
          notificationsModuleEmailProvider,
          emailServiceMock.factory(),
          catalogServiceMock.factory(),
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: { app: { baseUrl: 'http://localhost:3000' } },
          }),
        ],
      });
      const save = async (user: string, settings: NotificationSettings) => {
        const res = await request(backend.server)
          .post('/api/notifications/settings')
          .set('Authorization', mockCredentials.user.header(user))
          .send(settings);
        expect(res.status).toBe(200);
      };
      const ada = 'user:default/ada';
      const bob = 'user:default/bob';
      const carol = 'user:default/carol';
      const dave = 'user:default/dave';
      const users = [ada, bob, carol, dave];

      await save(ada, {
        channels: [
          { id: 'Email', origins: [{ id: ORIGIN, enabled: false }] },
          { id: 'Web', origins: [{ id: ORIGIN, enabled: true }] },
        ],
      });
      await save(bob, {
        channels: [
          {
            id: 'Email',
            origins: [
              {
                id: ORIGIN,
                enabled: true,
                topics: [{ id: 'deploys', enabled: false }],
              },
            ],
          },
        ],
      });
      await save(carol, {
        channels: [{ id: 'Web', origins: [{ id: ORIGIN, enabled: false }] }],
      });

      const settings = settingsIn(knex);
      await expect(settings.enabledUsers(users, ORIGIN, null)).resolves.toEqual(
        new Set([bob, carol, dave]),
      );
      await expect(
        settings.enabledUsers(users, ORIGIN, 'deploys'),
      ).resolves.toEqual(new Set([carol, dave]));
      await expect(
        settings.enabledUsers(users, 'plugin:catalog', null),
      ).resolves.toEqual(new Set(users));
      // Refs are matched without regard to case, as entity refs are.
      await expect(
        settings.enabledUsers(['user:default/Ada'], ORIGIN, null),
      ).resolves.toEqual(new Set());

      const optIn = settingsIn(knex, {
        channels: [{ id: 'Email', enabled: false, origins: [] }],
      });
      await expect(optIn.enabledUsers(users, ORIGIN, null)).resolves.toEqual(
        new Set([bob]),
      );

      await backend.stop();
    },
  );

  it('reads many users in chunks', async () => {
    const knex = await databases.init('SQLITE_3');
    await knex.schema.createTable('user_settings', table => {
      table.string('user');
      table.string('channel');
      table.string('origin');
      table.string('topic').nullable();
      table.boolean('enabled');
    });
    const users = Array.from({ length: 1234 }, (_, i) => `user:default/u${i}`);
    await knex.batchInsert(
      'user_settings',
      users
        .filter((_, i) => i % 2 === 0)
        .map(user => ({
          user,
          channel: 'Email',
          origin: ORIGIN,
          topic: null,
          enabled: false,
        })),
      200,
    );
    const settings = settingsIn(knex);
    const enabled = await settings.enabledUsers(users, ORIGIN, null);
    expect(enabled.size).toBe(617);
    expect(enabled.has('user:default/u1')).toBe(true);
    expect(enabled.has('user:default/u1232')).toBe(false);
  });
});
