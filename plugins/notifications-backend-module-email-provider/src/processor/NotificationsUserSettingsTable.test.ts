import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import { emailServiceMock } from '@email-provider/backstage-plugin-email-provider-node/testUtils';
// The capturing logger of the email-provider backend's test fixture; that package has no
// ./testUtils entry point for it.
// eslint-disable-next-line @backstage/no-forbidden-package-imports, @backstage/no-mixed-plugin-imports
import {
  capturingRootLogger,
  eventually,
} from '@email-provider/backstage-plugin-email-provider-backend/src/__testUtils__/emailProviderTestBackend';
import { Knex } from 'knex';
import request from 'supertest';
import { notificationsModuleEmailProvider } from '../module';
import { NotificationsUserSettingsTable } from './NotificationsUserSettingsTable';

jest.setTimeout(60_000);

const user = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name },
  spec: { profile: { email: `${name}@example.com` }, memberOf: [] },
});

/** The real notifications backend with this module, broadcast email on, on `knex`. */
async function startNotifications(knex: Knex) {
  const email = emailServiceMock();
  const logger = capturingRootLogger();
  const backend = await startTestBackend({
    features: [
      notificationsPlugin,
      notificationsModuleEmailProvider,
      emailServiceMock.factory(email),
      catalogServiceMock.factory({ entities: [user('ada'), user('bob')] }),
      mockServices.database.factory({ knex }),
      logger.factory,
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://localhost:3000' },
          notifications: {
            processors: { emailProvider: { broadcast: { enabled: true } } },
          },
        },
      }),
    ],
  });
  const broadcast = async (title: string) => {
    const res = await request(backend.server)
      .post('/api/notifications/notifications')
      .set(
        'Authorization',
        mockCredentials.service.header({
          onBehalfOf: mockCredentials.service('plugin:release-bot'),
          targetPluginId: 'notifications',
        }),
      )
      .send({ recipients: { type: 'broadcast' }, payload: { title } });
    expect(res.status).toBe(200);
  };
  const schemaErrors = () =>
    logger.lines.filter(line =>
      line.startsWith('error: Broadcast notifications will NOT be emailed'),
    );
  return { backend, email, logs: logger.lines, broadcast, schemaErrors };
}

describe('NotificationsUserSettingsTable', () => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it.each(databases.eachSupportedId())(
    'turns broadcast email off, loudly, when the notifications backend’s table is not what it reads, on %s',
    async databaseId => {
      const knex = await databases.init(databaseId);

      // As the notifications backend migrates it, broadcasts go out.
      const intact = await startNotifications(knex);
      expect(intact.schemaErrors()).toEqual([]);
      await intact.broadcast('First maintenance');
      await eventually('the broadcast emails', () =>
        intact.email.sent.length === 2 ? true : undefined,
      );
      await intact.backend.stop();

      // A later notifications backend that renamed a column: the check at startup says so and
      // why, and every broadcast is refused with a warning, none emailed.
      await knex.schema.alterTable('user_settings', table =>
        table.renameColumn('enabled', 'is_enabled'),
      );
      const renamed = await startNotifications(knex);
      expect(renamed.schemaErrors()).toEqual([
        expect.stringContaining(
          "Broadcast notifications will NOT be emailed: the notifications backend's user_settings table has no column enabled. This module reads users' Email settings",
        ),
      ]);
      await renamed.broadcast('Second maintenance');
      await renamed.broadcast('Third maintenance');
      const refusals = await eventually('two refusals', () => {
        const lines = renamed.logs.filter(line =>
          /^warn: Broadcast notification .* not sent by email: broadcast email is off because the notifications backend's user_settings table has no column enabled/.test(
            line,
          ),
        );
        return lines.length === 2 ? lines : undefined;
      });
      expect(refusals).toHaveLength(2);
      expect(renamed.email.sent).toEqual([]);
      expect(renamed.schemaErrors()).toHaveLength(1);
      await renamed.backend.stop();

      // And one without the table at all.
      await knex.schema.dropTable('user_settings');
      const missing = await startNotifications(knex);
      expect(missing.schemaErrors()).toEqual([
        expect.stringContaining(
          "Broadcast notifications will NOT be emailed: the notifications backend's database has no user_settings table.",
        ),
      ]);
      await missing.broadcast('Fourth maintenance');
      await eventually('the refusal', () =>
        missing.logs.some(line =>
          /^warn: Broadcast notification .* broadcast email is off because the notifications backend's database has no user_settings table/.test(
            line,
          ),
        ),
      );
      expect(missing.email.sent).toEqual([]);
      await missing.backend.stop();
    },
  );

  it('checks the schema once, and again after the database could not be reached', async () => {
    const knex = await databases.init('SQLITE_3');
    await knex.schema.createTable('user_settings', table => {
      table.string('user');
      table.string('channel');
      table.string('origin');
      table.string('topic').nullable();
      table.boolean('enabled');
    });
    const logger = mockServices.logger.mock();
    const getClient = jest
      .fn<Promise<Knex>, []>()
      .mockRejectedValueOnce(new Error('connection refused'))
      .mockResolvedValue(knex);
    const table = new NotificationsUserSettingsTable(getClient, logger);
    await expect(table.unreadableBecause()).rejects.toThrow(
      'connection refused',
    );
    await expect(table.unreadableBecause()).resolves.toBeUndefined();
    await expect(table.unreadableBecause()).resolves.toBeUndefined();
    // Once for the check that failed, once for the one that did not; none for the remembered answer.
    expect(getClient).toHaveBeenCalledTimes(2);
    await expect(table.rowsOf(['user:default/ada'], 'Email')).resolves.toEqual(
      [],
    );
    expect(logger.error).not.toHaveBeenCalled();
  });
});
