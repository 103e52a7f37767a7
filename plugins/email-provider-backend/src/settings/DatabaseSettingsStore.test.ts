import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { TestDatabases } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';
import {
  exampleMicrosoft365,
  exampleSmtp,
} from '../__testUtils__/testSettings';
import { DatabaseSettingsStore, SavedProvider } from './DatabaseSettingsStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({
  ids: ['POSTGRES_15', 'SQLITE_3'],
});

const smtp: SavedProvider = {
  provider: 'smtp',
  smtp: exampleSmtp,
  secret: 'v1.key.iv.tag.smtp-ciphertext',
};

const microsoft365: SavedProvider = {
  provider: 'microsoft365',
  microsoft365: exampleMicrosoft365,
  secret: 'v1.key.iv.tag.m365-ciphertext',
};

describe.each(databases.eachSupportedId())(
  'DatabaseSettingsStore (%s)',
  databaseId => {
    let knex: Knex;
    let store: DatabaseSettingsStore;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      store = await DatabaseSettingsStore.create({
        database: {
          getClient: async () => knex,
          migrations: { skip: false },
        },
      });
    });

    beforeEach(async () => {
      await store.replace({
        updatedBy: 'user:default/reset',
        next: () => undefined,
      });
    });

    const rows = () => knex('email_provider_settings').select();

    it('starts with no provider', async () => {
      const fresh = await databases.init(databaseId);
      const freshStore = await DatabaseSettingsStore.create({
        database: { getClient: async () => fresh, migrations: { skip: false } },
      });
      await expect(freshStore.get()).resolves.toEqual({ version: 0 });
    });

    it('migrates down and up again', async () => {
      const fresh = await databases.init(databaseId);
      await DatabaseSettingsStore.create({
        database: { getClient: async () => fresh },
      });
      const directory = resolvePackagePath(
        '@email-provider/backstage-plugin-email-provider-backend',
        'migrations',
      );
      await fresh.migrate.rollback({ directory }, true);
      expect(await fresh.schema.hasTable('email_provider_settings')).toBe(
        false,
      );
      await fresh.migrate.latest({ directory });
      expect(await fresh('email_provider_settings')).toEqual([
        expect.objectContaining({ id: 1, provider: 'none', version: 0 }),
      ]);
    });

    it('skips migrations when the database service says so', async () => {
      const fresh = await databases.init(databaseId);
      await DatabaseSettingsStore.create({
        database: { getClient: async () => fresh, migrations: { skip: true } },
      });
      expect(await fresh.schema.hasTable('email_provider_settings')).toBe(
        false,
      );
    });

    it('keeps exactly one provider through SMTP, Microsoft 365 and none', async () => {
      await store.replace({ updatedBy: 'user:default/ada', next: () => smtp });
      expect(await rows()).toEqual([
        expect.objectContaining({
          provider: 'smtp',
          secret: smtp.secret,
          settings: JSON.stringify(smtp.smtp),
          updated_by: 'user:default/ada',
        }),
      ]);

      await store.replace({
        updatedBy: 'user:default/grace',
        next: () => microsoft365,
      });
      const afterSwitch = await rows();
      expect(afterSwitch).toEqual([
        expect.objectContaining({
          provider: 'microsoft365',
          secret: microsoft365.secret,
          settings: JSON.stringify(microsoft365.microsoft365),
        }),
      ]);
      expect(JSON.stringify(afterSwitch)).not.toContain('smtp');

      await store.replace({
        updatedBy: 'user:default/ada',
        next: () => undefined,
      });
      expect(await rows()).toEqual([
        expect.objectContaining({
          provider: 'none',
          settings: null,
          secret: null,
        }),
      ]);
    });

    it('reads back what it saved, with the revision', async () => {
      const { previous, current } = await store.replace({
        updatedBy: 'user:default/ada',
        next: () => microsoft365,
      });
      expect(current.version).toBe(previous.version + 1);
      expect(await store.get()).toEqual({
        version: current.version,
        updatedAt: current.updatedAt,
        updatedBy: 'user:default/ada',
        active: microsoft365,
      });
      expect(Date.parse(current.updatedAt!)).toBeGreaterThan(
        Date.now() - 60_000,
      );
    });

    it('reads back Microsoft 365 with large messages on', async () => {
      const withLargeMessages: SavedProvider = {
        ...microsoft365,
        microsoft365: { ...microsoft365.microsoft365, largeMessages: true },
      };
      await store.replace({
        updatedBy: 'user:default/ada',
        next: () => withLargeMessages,
      });
      expect((await store.get()).active).toEqual(withLargeMessages);
    });

    it('refuses a stale version and changes nothing', async () => {
      const { current } = await store.replace({
        updatedBy: 'user:default/ada',
        next: () => smtp,
      });
      await expect(
        store.replace({
          expectedVersion: current.version - 1,
          updatedBy: 'user:default/grace',
          next: () => microsoft365,
        }),
      ).rejects.toThrow(ConflictError);
      expect(await store.get()).toMatchObject({
        version: current.version,
        active: smtp,
      });
    });

    it('rolls back when computing the new provider fails', async () => {
      const { current } = await store.replace({
        updatedBy: 'user:default/ada',
        next: () => smtp,
      });
      await expect(
        store.replace({
          updatedBy: 'user:default/ada',
          next: () => {
            throw new Error('bad input');
          },
        }),
      ).rejects.toThrow('bad input');
      expect(await store.get()).toMatchObject({
        version: current.version,
        active: smtp,
      });
    });

    it('lets only one of two concurrent saves of the same version win', async () => {
      const { current } = await store.replace({
        updatedBy: 'user:default/ada',
        next: () => smtp,
      });
      const results = await Promise.allSettled([
        store.replace({
          expectedVersion: current.version,
          updatedBy: 'user:default/ada',
          next: () => microsoft365,
        }),
        store.replace({
          expectedVersion: current.version,
          updatedBy: 'user:default/grace',
          next: () => ({ ...smtp, secret: 'v1.key.iv.tag.other' }),
        }),
      ]);
      expect(results.filter(r => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find(r => r.status === 'rejected');
      expect((rejected as PromiseRejectedResult).reason).toBeInstanceOf(
        ConflictError,
      );
      const after = await rows();
      expect(after).toHaveLength(1);
      expect(after[0].version).toBe(current.version + 1);
    });

    it('serializes many concurrent unconditional saves without losing a version', async () => {
      const before = await store.get();
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.replace({
            updatedBy: `user:default/admin-${i}`,
            next: () => (i % 2 ? smtp : microsoft365),
          }),
        ),
      );
      const after = await store.get();
      expect(after.version).toBe(before.version + 10);
      expect(await rows()).toHaveLength(1);
    });

    it('lets the database itself refuse a second row, Microsoft 365 without its secret or a provider without settings', async () => {
      const failure = (query: Promise<unknown>) =>
        query.then(
          () => 'succeeded',
          error => String(error),
        );
      const table = () => knex('email_provider_settings');
      expect(
        await failure(table().insert({ id: 2, provider: 'none', version: 0 })),
      ).toMatch(/check constraint/i);
      expect(
        await failure(
          table()
            .where('id', 1)
            .update({ provider: 'microsoft365', settings: '{}', secret: null }),
        ),
      ).toMatch(/check constraint/i);
      expect(
        await failure(
          table()
            .where('id', 1)
            .update({ provider: 'smtp', settings: null, secret: 'x' }),
        ),
      ).toMatch(/check constraint/i);
      // A relay without sign-in: SMTP settings and no secret.
      expect(
        await failure(
          table()
            .where('id', 1)
            .update({ provider: 'smtp', settings: '{}', secret: null }),
        ),
      ).toBe('succeeded');
      expect(
        await failure(
          table()
            .where('id', 1)
            .update({ provider: 'none', settings: '{}', secret: 'x' }),
        ),
      ).toMatch(/check constraint/i);
      expect(await rows()).toHaveLength(1);
    });
  },
);
